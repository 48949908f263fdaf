"""The package as its users install it: every import declared, and the image's own install (editable, no extras,
from the same pins) loads the code location in an empty environment."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from chinook_platform.lib.environment import variables

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "chinook_platform"


def declared(extra: str | None = None) -> set[str]:
    """The distributions pyproject.toml declares (runtime, or one extra's), by their normalized names."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {normalized(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]) for requirement in requirements}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_level_modules() -> dict[str, Path]:
    """Each third-party module the package imports (anywhere: lazily inside functions too), with one file that does."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "chinook_platform":
                    found.setdefault(top, path.relative_to(REPO))
    return found


def test_every_module_the_package_imports_is_a_declared_runtime_dependency():
    runtime = declared()
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module: str(path)
        for module, path in imported_top_level_modules().items()
        if not runtime & {normalized(name) for name in distributions.get(module, [module])}
    }
    assert not undeclared, f"imported but not declared in pyproject.toml's dependencies: {undeclared}"


def test_no_test_extra_repeats_a_runtime_dependency():
    assert not declared() & declared("test")


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new, empty venv with the package installed the way the Dockerfile does it: `uv pip install -c
    constraints.txt -e .`, no extras."""
    venv = tmp_path_factory.mktemp("image") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
        + ["-c", str(REPO / "constraints.txt"), "-e", str(REPO)],
        check=True,
        timeout=600,
    )
    return venv


def image_environment(tmp_path: Path) -> dict[str, str]:
    """The machine's environment less every CHINOOK_* setting, with an empty HOME and CHINOOK_HOME as the image
    sets it."""
    environment = {key: value for key, value in os.environ.items() if key not in variables() and key != "DAGSTER_HOME"}
    (tmp_path / "home").mkdir()
    return environment | {"HOME": str(tmp_path / "home"), "CHINOOK_HOME": str(tmp_path / "chinook")}


def test_the_image_install_loads_the_code_location_and_the_command(image_venv: Path, tmp_path: Path):
    environment = image_environment(tmp_path)
    validate = subprocess.run(
        [str(image_venv / "bin" / "dagster"), "definitions", "validate", "-m", "chinook_platform"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "ModuleNotFoundError" not in validate.stderr
    helped = subprocess.run(
        [str(image_venv / "bin" / "chinook"), "--help"], env=environment, capture_output=True, text=True, timeout=120
    )
    assert helped.returncode == 0 and "Usage: chinook" in helped.stdout, helped.stderr
    assert not any((tmp_path / "home").iterdir()), "the platform wrote into HOME"
