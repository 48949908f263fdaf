"""The Chinook table contract: which tables, columns, types and keys exist (``tables``), read by every layer."""

from chinook_platform.lib.contract.tables import (
    KNOWN_OTHER_TABLES,
    LOAD_ID_COLUMN,
    MAX_INTEGER,
    MONEY_PRECISION,
    MONEY_SCALE,
    TABLES,
    TABLES_BY_CSV_NAME,
    TABLES_BY_NAME,
    Column,
    ColumnType,
    Table,
    contract_markdown,
    normalize_name,
    table,
    to_snake_case,
)

__all__ = [
    "KNOWN_OTHER_TABLES",
    "LOAD_ID_COLUMN",
    "MAX_INTEGER",
    "MONEY_PRECISION",
    "MONEY_SCALE",
    "TABLES",
    "TABLES_BY_CSV_NAME",
    "TABLES_BY_NAME",
    "Column",
    "ColumnType",
    "Table",
    "contract_markdown",
    "normalize_name",
    "table",
    "to_snake_case",
]
