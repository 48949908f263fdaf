"""The README tells the truth about what the code does."""

from chinook_platform.lib.contract import contract_markdown
from chinook_platform_tests.conftest import REPO

README = (REPO / "README.md").read_text()


def test_readme_shows_the_current_table_contract():
    assert contract_markdown() in README, "run `chinook contract` and paste its table into README.md"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    assert "make run" in README and "make test" in README
    assert "make test" in (REPO / ".ci" / "run").read_text()
