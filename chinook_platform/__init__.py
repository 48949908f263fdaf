"""Chinook Platform: an end-to-end ELT platform on Dagster.

``dagster ... -m chinook_platform`` finds the code location's definitions here, as ``code_location`` (``defs``
is the name of the subpackage that holds the layers). They load only when asked for (PEP 562), so the
``chinook`` command line starts without importing Dagster.
"""


def __getattr__(name: str):  # noqa: ANN202
    if name == "code_location":
        from chinook_platform.definitions import defs

        return defs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*globals(), "code_location"]
