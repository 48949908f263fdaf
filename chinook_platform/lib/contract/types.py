"""The contract's column types in every engine and format: the one type map.

Each ``ColumnType`` is spelled here for the OLTP database (SQLAlchemy), the landing validation and the lake
(Arrow/Parquet), the warehouse's staging tables (DuckDB, PostgreSQL, Redshift), the dbt models' casts and the
README. Nothing else names a column type's engine spelling; they all ask this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    import sqlalchemy as sa

    from chinook_platform.lib.contract.tables import Column


class ColumnType(Enum):
    """The types a contract column can have; their spellings are ``SPELLINGS``'s."""

    INTEGER = "integer"
    TEXT = "text"
    MONEY = "money"  # fixed-point, two decimal places; never a float
    TIMESTAMP = "timestamp"


MONEY_PRECISION = 10
MONEY_SCALE = 2
MAX_INTEGER = 2**31 - 1  # PostgreSQL INTEGER
# SQLite has no decimal type (a NUMERIC column stores binary floats): the OLTP keeps money there as integer cents.
SQLITE_MONEY_FACTOR = 10**MONEY_SCALE
REDSHIFT_BYTES_PER_CHARACTER = 4  # Redshift's varchar(n) counts bytes, UTF-8 takes up to four a character


@dataclass(frozen=True)
class Spelling:
    """One column type in each engine; ``{length}`` is the column's maximum length in characters."""

    postgres: str  # the OLTP's DDL and the PostgreSQL warehouse
    duckdb: str
    redshift: str  # ``{bytes}``: the length in bytes
    dbt_cast: str  # what the dbt models cast to: portable across DuckDB, PostgreSQL and Redshift
    readme: str
    arrow: tuple[Any, ...]  # the Arrow type (Parquet takes the same): pyarrow's factory and its arguments


_MONEY_SQL = f"decimal({MONEY_PRECISION}, {MONEY_SCALE})"
SPELLINGS: dict[ColumnType, Spelling] = {
    ColumnType.INTEGER: Spelling("integer", "integer", "integer", "integer", "integer", ("int64",)),
    ColumnType.TEXT: Spelling(
        "varchar({length})", "varchar", "varchar({bytes})", "varchar", "text ≤ {length}", ("string",)
    ),
    ColumnType.MONEY: Spelling(
        _MONEY_SQL,
        _MONEY_SQL,
        _MONEY_SQL,
        f"numeric({MONEY_PRECISION}, {MONEY_SCALE})",
        f"decimal({MONEY_PRECISION},{MONEY_SCALE})",
        ("decimal128", MONEY_PRECISION, MONEY_SCALE),
    ),
    ColumnType.TIMESTAMP: Spelling(
        "timestamp", "timestamp", "timestamp", "timestamp", "timestamp", ("timestamp", "us")
    ),
}


def _filled(spelling: str, column: Column) -> str:
    length = column.max_length or 0  # only text spellings read it, and a text column always has one
    return spelling.format(length=length, bytes=REDSHIFT_BYTES_PER_CHARACTER * length)


def sql_type_name(column: Column, engine: str) -> str:
    """The column's type in an engine's DDL: ``postgres``, ``duckdb`` or ``redshift``."""
    return _filled(getattr(SPELLINGS[column.type], engine), column)


def readme_type(column: Column) -> str:
    return _filled(SPELLINGS[column.type].readme, column)


def dbt_cast_types() -> dict[str, str]:
    """Each type's dbt cast, by type name (what ``chinook dbt-sources`` writes into the dbt project)."""
    return {kind.value: spelling.dbt_cast for kind, spelling in SPELLINGS.items()}


def arrow_type(column_type: ColumnType) -> pa.DataType:
    """The Arrow (and Parquet) type of a contract type."""
    import pyarrow as pa

    factory, *arguments = SPELLINGS[column_type].arrow
    return getattr(pa, factory)(*arguments)


def sqlalchemy_type(column: Column) -> sa.types.TypeEngine[Any]:
    """The column's SQLAlchemy type (money as a ``Numeric`` of Decimals; the OLTP decorates it for SQLite)."""
    import sqlalchemy as sa

    match column.type:
        case ColumnType.INTEGER:
            return sa.Integer()
        case ColumnType.TEXT:
            return sa.String(column.max_length)
        case ColumnType.MONEY:
            return sa.Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True)
        case ColumnType.TIMESTAMP:
            return sa.DateTime()
    raise ValueError(column.type)
