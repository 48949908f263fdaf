"""Plain Python the layers share, one package per layer as under ``defs/``, and the contract they all read.

Each package names its public face once, as the imports of an ``if TYPE_CHECKING:`` block, which type checkers
read as they are; at run time the block does not run, and ``public_names`` reads the same imports from the
package's source to load a name's module on first use (PEP 562), so that a command that needs one small module
(``chinook summary``, ``chinook land``) does not import every layer's::

    if TYPE_CHECKING:
        from chinook_platform.lib.oltp.load import load_pending
    else:
        __all__, __getattr__ = public_names(__name__)

``__getattr__`` sits in the ``else`` branch so that type checkers do not see it: a name missing from the face is
then an error to them, not ``Any``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any


def public_names(package: str) -> tuple[list[str], Callable[[str], Any]]:
    """A package's ``__all__`` and ``__getattr__``: the names its ``if TYPE_CHECKING:`` block imports, each read
    from its module on first use."""
    homes = typed_imports(Path(str(sys.modules[package].__file__)))

    def __getattr__(name: str) -> Any:
        if name in homes:
            module, original = homes[name]
            return getattr(import_module(module), original)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return sorted(homes), __getattr__


def typed_imports(source: Path) -> dict[str, tuple[str, str]]:
    """The names a module's top-level ``if TYPE_CHECKING:`` block imports: name -> (module, name in it)."""
    homes: dict[str, tuple[str, str]] = {}
    for statement in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.If) and _is_type_checking(statement.test):
            for imported in statement.body:
                if not (isinstance(imported, ast.ImportFrom) and imported.module and imported.level == 0):
                    raise TypeError(f"{source}: a public face holds only absolute 'from ... import ...' statements")
                homes |= {alias.asname or alias.name: (imported.module, alias.name) for alias in imported.names}
    return homes


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )
