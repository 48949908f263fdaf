"""Plain Python the layers share, one package per layer as under ``defs/``, and the contract they all read.

Each package names its public face in ``__all__`` and loads a name's module on first use (PEP 562), so that a
command that needs one small module (``chinook summary``, ``chinook land``) does not import every layer's.
"""

from collections.abc import Callable
from importlib import import_module
from typing import Any


def public_names(package: str, public: dict[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A package's ``__getattr__``: each public name (``public``: module -> the names it gives the package) read
    from its module on first use."""
    homes = {name: module for module, names in public.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name in homes:
            return getattr(import_module(f"{package}.{homes[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
