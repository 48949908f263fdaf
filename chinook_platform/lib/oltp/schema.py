"""The OLTP database schema, derived from the table contract, as SQLAlchemy metadata.

Besides the eight Chinook tables it holds the platform's own bookkeeping: ``load_log`` (one row per
landed file loaded or rejected) and ``quarantine`` (every rejected row, with file, line, column and reason).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable, SetColumnComment, SetTableComment

from chinook_platform.lib.contract import (
    LOAD_ID_COLUMN,
    MONEY_PRECISION,
    MONEY_SCALE,
    SQLITE_MONEY_FACTOR,
    TABLES,
    TABLES_BY_CSV_NAME,
    Column,
    ColumnType,
    Table,
    sqlalchemy_type,
)


class Money(sa.types.TypeDecorator):
    """The contract's money type (a ``Numeric`` of Decimals) where the database has one; integer cents on SQLite,
    which has none (``SQLITE_MONEY_FACTOR``). Python always sees ``Decimal``."""

    impl = sa.Numeric(MONEY_PRECISION, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(self.impl_instance)

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return int((Decimal(value) * SQLITE_MONEY_FACTOR).to_integral_exact())

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-MONEY_SCALE)
        return Decimal(value)


def sql_type(column: Column) -> sa.types.TypeEngine:
    """The SQLAlchemy type of a contract column: the contract's, money decorated for SQLite."""
    return Money() if column.type is ColumnType.MONEY else sqlalchemy_type(column)


metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
    }
)


def _contract_table(table: Table) -> sa.Table:
    columns: list[sa.Column] = []
    constraints: list[sa.Constraint] = []
    for column in table.columns:
        columns.append(
            sa.Column(
                column.name,
                sql_type(column),
                primary_key=column.csv_name == table.primary_key,
                autoincrement=False,
                nullable=column.nullable,
                index=bool(column.references),
            )
        )
        if column.references:
            parent = TABLES_BY_CSV_NAME[column.references]
            constraints.append(sa.ForeignKeyConstraint([column.name], [f"{parent.name}.{parent.pk.name}"]))
        if column.minimum is not None:
            operator = ">" if column.exclusive_minimum else ">="
            constraints.append(sa.CheckConstraint(f"{column.name} {operator} {column.minimum}", name=column.name))
    columns.append(
        sa.Column(
            LOAD_ID_COLUMN,
            sa.Integer(),
            nullable=False,
            index=True,
            comment="The load_log entry that last inserted or changed this row.",
        )
    )
    return sa.Table(table.name, metadata, *columns, *constraints, comment=table.description)


CONTRACT_TABLES: dict[str, sa.Table] = {t.name: _contract_table(t) for t in TABLES}

# loaded: applied; rejected: unreadable as its table, nothing loaded; failed: the load broke for another reason
# (the error is kept; that version is not retried, a new one is); unchanged: the same bytes as a file already
# loaded, not read again; retried: quarantined rows whose parent arrived.
LOAD_STATUSES = ("loaded", "rejected", "failed", "unchanged", "retried")

load_log = sa.Table(
    "load_log",
    metadata,
    sa.Column("load_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("table_name", sa.String(40), nullable=False),
    sa.Column("source_file", sa.String(1024), nullable=False, comment="Path or URL of the landed file."),
    sa.Column(
        "source_version",
        sa.String(200),
        nullable=True,
        comment="Size and mtime (folder) or ETag (S3) of the file version loaded; null for retries.",
    ),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("rows_read", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("rows_inserted", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("rows_updated", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("rows_unchanged", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("rows_quarantined", sa.Integer(), nullable=False, server_default="0"),
    sa.Column(
        "rows_resolved",
        sa.Integer(),
        nullable=False,
        server_default="0",
        comment="Rows taken out of quarantine by this load (their parent has arrived).",
    ),
    sa.Column("loaded_at", sa.DateTime(), nullable=False),
    sa.Column(
        "content_hash",
        sa.String(80),
        nullable=True,
        comment="sha256:<hex> of the file's bytes (or md5:<ETag> on S3); a file with the content of a file "
        "already loaded is recorded as unchanged, not loaded again.",
    ),
    sa.Column("content_bytes", sa.BigInteger(), nullable=True, comment="The file's size in bytes."),
    sa.CheckConstraint(f"status in ({', '.join(repr(s) for s in LOAD_STATUSES)})", name="status"),
    comment="One row per attempt to load a landed file (or to retry quarantined rows).",
)
sa.Index("ix_load_log_table_name_source", load_log.c.table_name, load_log.c.source_file)
# A landed file's content is compared with what stands by hash, and first by size (bookkeeping._standing_file_query).
sa.Index("ix_load_log_table_name_content_hash", load_log.c.table_name, load_log.c.content_hash)
sa.Index("ix_load_log_table_name_content_bytes", load_log.c.table_name, load_log.c.content_bytes)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("quarantine_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("table_name", sa.String(40), nullable=False),
    sa.Column("source_file", sa.String(1024), nullable=False),
    sa.Column("line_number", sa.Integer(), nullable=True, comment="Physical line in the file; header is 1."),
    sa.Column("column_name", sa.String(60), nullable=True, comment="The first column at fault, if any."),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("raw_row", sa.Text(), nullable=False, comment="The row as read, a JSON object or the raw text."),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("load_id", sa.Integer(), sa.ForeignKey("load_log.load_id"), nullable=False),
    sa.Column("resolved_load_id", sa.Integer(), sa.ForeignKey("load_log.load_id"), nullable=True),
    sa.CheckConstraint("status in ('rejected', 'awaiting_parent', 'resolved', 'superseded')", name="status"),
    comment=(
        "Rows that failed validation. 'awaiting_parent' rows are retried on every load of their table and "
        "become 'resolved' once their parent exists, or 'superseded' when a newer file loaded their key."
    ),
)
sa.Index("ix_quarantine_table_name_status", quarantine.c.table_name, quarantine.c.status)


def create_schema(engine: sa.Engine) -> None:
    """Create every table that does not exist yet, and bring an older ``load_log`` up to date (idempotent).

    On PostgreSQL under an advisory lock: runners starting at once on a new database would otherwise both
    create the same tables, and one would fail.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            schema = conn.exec_driver_sql("select current_schema()").scalar_one()
            conn.execute(
                sa.text("select pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"chinook-oltp-schema:{schema}"},
            )
        metadata.create_all(conn)
        if conn.dialect.name == "postgresql":
            _upgrade_load_log(conn)
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            _upgrade_load_log(conn)
        _rebuild_sqlite_load_log(engine)


def _upgrade_load_log(conn: sa.Connection) -> None:
    """Databases made by earlier versions lack the content columns and the newer statuses: add them in place.

    SQLite cannot alter a CHECK constraint: there ``_rebuild_sqlite_load_log`` follows.
    """
    columns = {c["name"] for c in sa.inspect(conn).get_columns("load_log")}
    for column in (load_log.c.content_hash, load_log.c.content_bytes):
        if column.name not in columns:
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"alter table load_log add column {column.name} {kind}")
    for index in load_log.indexes:  # indexes added since: create_all makes them only with a new table
        index.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        constraint = conn.exec_driver_sql(
            "select pg_get_constraintdef(oid) from pg_constraint "
            "where conname = 'ck_load_log_status' and conrelid = 'load_log'::regclass"
        ).scalar()
        if constraint is not None and "'failed'" not in constraint:
            conn.exec_driver_sql("alter table load_log drop constraint ck_load_log_status")
            check = next(c for c in load_log.constraints if c.name == "ck_load_log_status")
            conn.execute(AddConstraint(check, isolate_from_table=False))  # else CREATE TABLE would omit it


def _rebuild_sqlite_load_log(engine: sa.Engine) -> None:
    """Rebuild an older ``load_log`` (its rows copied) in one transaction, the way SQLite's documentation
    prescribes: foreign keys off meanwhile (``quarantine`` refers to it), the new table renamed into place."""
    with engine.connect() as conn:
        ddl = conn.exec_driver_sql("select sql from sqlite_master where type = 'table' and name = 'load_log'")
        if "'failed'" in ddl.scalar_one():
            return
        dbapi = cast(sqlite3.Connection, conn.connection.driver_connection)  # checked out: never None
        dbapi.commit()
        dbapi.execute("pragma foreign_keys = off")  # no effect inside a transaction: set before it begins
        try:
            names = ", ".join(c.name for c in load_log.columns)
            create = str(CreateTable(load_log).compile(dialect=conn.dialect)).strip()
            dbapi.execute("begin immediate")
            dbapi.execute(create.replace("CREATE TABLE load_log", "CREATE TABLE load_log_upgraded", 1))
            dbapi.execute(f"insert into load_log_upgraded ({names}) select {names} from load_log")
            dbapi.execute("drop table load_log")
            dbapi.execute("alter table load_log_upgraded rename to load_log")
            for index in load_log.indexes:
                dbapi.execute(str(CreateIndex(index).compile(dialect=conn.dialect)))
            dbapi.execute("commit")
        except BaseException:
            dbapi.rollback()
            raise
        finally:
            dbapi.execute("pragma foreign_keys = on")


def render_postgres_ddl() -> str:
    """The PostgreSQL DDL of the whole schema: what ``sql/oltp/schema.sql`` holds."""
    dialect = postgresql.dialect()
    parts = [
        "-- The Chinook Platform OLTP schema for PostgreSQL, generated from chinook_platform/lib/contract/.",
        "-- Do not edit: regenerate with `chinook schema-sql > sql/oltp/schema.sql` (a test fails when stale).",
        "",
    ]
    for table in metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)).strip() + ";\n")
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            parts.append(str(CreateIndex(index).compile(dialect=dialect)).strip() + ";")
        if table.comment:
            parts.append(str(SetTableComment(table).compile(dialect=dialect)).strip() + ";")
        for column in table.columns:
            if column.comment:
                parts.append(str(SetColumnComment(column).compile(dialect=dialect)).strip() + ";")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"
