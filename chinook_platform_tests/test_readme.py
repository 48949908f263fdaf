"""The README and the pages under docs/ tell the truth about what the code does, and every link between them works."""

import re
from pathlib import Path

from chinook_platform.lib.contract import contract_markdown
from chinook_platform_tests.conftest import REPO

README = REPO / "README.md"
PAGES = sorted((REPO / "docs").glob("*.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_the_contract_page_shows_the_current_table_contract():
    assert contract_markdown() in (REPO / "docs" / "contract.md").read_text(), (
        "run `chinook contract` and paste its table into docs/contract.md"
    )


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    text = README.read_text()
    assert "make run" in text and "make test" in text
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_every_page_under_docs_is_linked_from_the_readme():
    linked = {(README.parent / target.split("#")[0]).resolve() for target in LINK.findall(README.read_text())}
    assert [p.name for p in PAGES if p.resolve() not in linked] == []


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"(?m)^#{1,6} (.*)$", page.read_text())}


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"^[a-z]+:", target):
            continue  # a web address
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    return broken


def test_every_link_in_the_readme_and_the_docs_reaches_a_file_and_heading():
    pages = [README, *PAGES, REPO / "terraform" / "README.md"]
    assert {page.relative_to(REPO).as_posix(): broken_links(page) for page in pages} == {
        page.relative_to(REPO).as_posix(): [] for page in pages
    }


def test_the_link_checker_finds_a_broken_link(tmp_path: Path):
    (tmp_path / "a.md").write_text("# A\n\n[b](b.md#nowhere) [c](c.md) [a](#a) [web](https://example.com)\n")
    (tmp_path / "b.md").write_text("# B\n")
    assert broken_links(tmp_path / "a.md") == ["b.md#nowhere: no heading #nowhere in b.md", "c.md: no such file"]
