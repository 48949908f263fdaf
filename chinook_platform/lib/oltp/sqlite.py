"""The stage on SQLite: rows inserted through the driver as SQLite stores them, joined by an index.

SQLite cannot drop a foreign key, so a bulk upsert keeps them (it checks them row by row), and the orphans are
found before the upsert rather than by it.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from chinook_platform.lib.contract import SQLITE_MONEY_FACTOR, Column, ColumnType, Table
from chinook_platform.lib.landing import SOURCE_ROW
from chinook_platform.lib.oltp.stage import Stage


class SqliteStage(Stage):
    TEMPORARY_SCHEMA = "temp"

    @classmethod
    def lock_table(cls, conn: sa.Connection, table: Table) -> None:
        """The database's write lock, taken at ``BEGIN IMMEDIATE`` so that what the transaction reads next is
        already under it."""
        conn.exec_driver_sql("begin immediate")  # the driver then sees a transaction open and adds none

    def write(self, good: pa.Table) -> None:
        if good.num_rows == 0:
            return
        columns = [_stored_values(c, good.column(c.name)) for c in self.columns]
        rows = zip(good.column(SOURCE_ROW).to_pylist(), *columns, strict=True)
        placeholders = ", ".join("?" * (len(self.columns) + 1))
        self.conn.exec_driver_sql(f'insert into "{self.stage.name}" values ({placeholders})', list(rows))

    def index(self) -> None:
        self.conn.exec_driver_sql(f"create {self._index_statement()}")

    def droppable_foreign_keys(self) -> list[sa.ForeignKeyConstraint]:
        return []


def _stored_values(column: Column, values: pa.ChunkedArray) -> list[Any]:
    """Values as SQLite stores them through SQLAlchemy's types (money in cents, timestamps as text)."""
    if column.type is ColumnType.MONEY:  # a decimal(10, 2) times 100 is exact in a float64, rounded to the cent
        cents = pc.round(pc.multiply(pc.cast(values, pa.float64()), float(SQLITE_MONEY_FACTOR)))
        return pc.cast(cents, pa.int64()).to_pylist()
    if column.type is ColumnType.TIMESTAMP:
        return pc.strftime(values, "%Y-%m-%d %H:%M:%S").to_pylist()  # "%S" carries the microseconds
    return values.to_pylist()
