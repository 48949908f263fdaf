"""The stage on PostgreSQL: rows streamed in by one ``COPY``, and the database's own constraints find bad rows.

A unique index on the staged keys proves a file repeats no key (the usual case), and the upsert is tried first
with the foreign keys in place (under a savepoint), so only a file that has repeats or orphans pays for finding
which rows they are.
"""

from __future__ import annotations

import io
from contextlib import ExitStack

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from psycopg import Copy

from chinook_platform.lib.contract import Column, Table
from chinook_platform.lib.landing import SOURCE_ROW
from chinook_platform.lib.oltp.stage import Stage

WORK_MEM = "128MB"
MAINTENANCE_WORK_MEM = "256MB"
FOREIGN_KEY_VIOLATION = "23503"  # PostgreSQL's SQLSTATE


class PostgresStage(Stage):
    TEMPORARY_SCHEMA = "pg_temp"

    def __init__(self, conn: sa.Connection, table: Table, columns: list[Column]):
        super().__init__(conn, table, columns)
        self._copy: Copy | None = None
        self._copy_scope = ExitStack()

    @classmethod
    def lock_table(cls, conn: sa.Connection, table: Table) -> None:
        """A transaction-scoped advisory lock per schema and table."""
        schema = conn.exec_driver_sql("select current_schema()").scalar_one()
        conn.execute(
            sa.text("select pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"chinook-oltp-load:{schema}:{table.name}"},
        )

    @classmethod
    def tune_for_bulk_load(cls, conn: sa.Connection) -> None:
        """Sorts, hashes and index builds in memory (the defaults of 4 and 64 MB spill a large file's to disk;
        these suit a 1 GiB free-tier RDS instance), and no JIT compilation, which costs more than it saves on
        these one-pass statements."""
        conn.exec_driver_sql(f"set local work_mem = '{WORK_MEM}'")
        conn.exec_driver_sql(f"set local maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        conn.exec_driver_sql("set local jit = off")

    def write(self, good: pa.Table) -> None:
        """Append validated rows to one ``COPY`` kept open across the file's blocks."""
        if good.num_rows == 0:
            return
        names = [SOURCE_ROW, *(c.name for c in self.columns)]
        if self._copy is None:
            self._copy_scope = ExitStack()
            driver = self.conn.connection.driver_connection
            assert driver is not None  # a checked-out connection has its driver's
            cursor = self._copy_scope.enter_context(driver.cursor())
            quoted = ", ".join(f'"{n}"' for n in names)
            self._copy = self._copy_scope.enter_context(
                cursor.copy(f'copy "{self.stage.name}" ({quoted}) from stdin (format csv)')
            )
        buffer = io.BytesIO()
        pacsv.write_csv(good.select(names), buffer, write_options=pacsv.WriteOptions(include_header=False))
        self._copy.write(buffer.getbuffer())

    def end_copy(self, error: BaseException | None = None) -> None:
        if self._copy is not None:
            self._copy = None
            self._copy_scope.__exit__(type(error) if error else None, error, error.__traceback__ if error else None)

    def index(self) -> None:
        """A unique index if the keys allow one (building it sorts them once: it proves the file repeats no key),
        else a plain one; then statistics, since PostgreSQL joins the staged rows by hash."""
        self.end_copy()
        try:
            with self.conn.begin_nested():
                self.conn.exec_driver_sql(f"create unique {self._index_statement()}")
            self.keys_unique = True
        except sa.exc.IntegrityError:
            self.keys_unique = False
        self.conn.exec_driver_sql(f'analyze "{self.stage.name}"')

    def try_upsert(self, load_id: int) -> tuple[int, int, int] | None:
        """The foreign keys find a missing parent while the rows are written (set-based, in a bulk load); a
        savepoint undoes the attempt."""
        try:
            with self.conn.begin_nested():
                return self.upsert(load_id)
        except sa.exc.IntegrityError as error:
            if getattr(error.orig, "sqlstate", None) != FOREIGN_KEY_VIOLATION:
                raise
        return None
