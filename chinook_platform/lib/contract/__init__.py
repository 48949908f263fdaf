"""The Chinook table contract, read by every layer: which tables, columns, keys and rules exist (``tables``), and
what each column type is in every engine and format (``types``, the one type map)."""

from chinook_platform.lib.contract.tables import (
    KNOWN_OTHER_TABLES,
    LOAD_ID_COLUMN,
    TABLES,
    TABLES_BY_CSV_NAME,
    TABLES_BY_NAME,
    Column,
    Table,
    contract_markdown,
    normalize_name,
    table,
    to_snake_case,
)
from chinook_platform.lib.contract.types import (
    MAX_INTEGER,
    MONEY_PRECISION,
    MONEY_SCALE,
    SQLITE_MONEY_FACTOR,
    ColumnType,
    arrow_type,
    dbt_cast_types,
    readme_type,
    sql_type_name,
    sqlalchemy_type,
)

__all__ = [
    "KNOWN_OTHER_TABLES",
    "LOAD_ID_COLUMN",
    "MAX_INTEGER",
    "MONEY_PRECISION",
    "MONEY_SCALE",
    "SQLITE_MONEY_FACTOR",
    "TABLES",
    "TABLES_BY_CSV_NAME",
    "TABLES_BY_NAME",
    "Column",
    "ColumnType",
    "Table",
    "arrow_type",
    "contract_markdown",
    "dbt_cast_types",
    "normalize_name",
    "readme_type",
    "sql_type_name",
    "sqlalchemy_type",
    "table",
    "to_snake_case",
]
