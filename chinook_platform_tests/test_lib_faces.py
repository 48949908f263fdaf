"""Each package under ``lib/`` names its public face once, in an ``if TYPE_CHECKING:`` block that type checkers
read; at run time the same names load their modules on first use, and importing the package loads none."""

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import chinook_platform.lib
from chinook_platform.lib import typed_imports

EAGER = {"contract"}  # the contract imports its one module up front: every layer reads it
PACKAGES = sorted(
    f"chinook_platform.lib.{info.name}"
    for info in pkgutil.iter_modules(chinook_platform.lib.__path__)
    if info.ispkg and info.name not in EAGER
)


def face(package: str) -> dict[str, tuple[str, str]]:
    return typed_imports(Path(chinook_platform.lib.__file__).parent / package.rsplit(".", 1)[1] / "__init__.py")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves_to_its_modules_object(package: str) -> None:
    names = face(package)
    module = importlib.import_module(package)
    assert names and module.__all__ == sorted(names)
    for name, (home, original) in names.items():
        assert home.startswith(f"{package}."), f"{package}.{name} comes from another package's {home}"
        assert getattr(module, name) is getattr(importlib.import_module(home), original)


@pytest.mark.parametrize("package", PACKAGES)
def test_a_name_off_the_face_is_an_attribute_error_naming_the_package(package: str) -> None:
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute 'no_such_name'"):
        _ = importlib.import_module(package).no_such_name


def test_importing_a_package_imports_none_of_its_modules() -> None:
    script = (
        "import importlib, json, sys\n"
        f"packages = {PACKAGES!r}\n"
        "for package in packages:\n"
        "    importlib.import_module(package)\n"
        "print(json.dumps(sorted(m for m in sys.modules if any(m.startswith(p + '.') for p in packages))))\n"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(found.stdout) == []


def test_a_submodule_is_still_imported_from_its_package() -> None:
    from chinook_platform.lib.orchestration import processes

    assert processes.__name__ == "chinook_platform.lib.orchestration.processes"
