"""Load landed CSV files into the OLTP database: validated, idempotent, one transaction per file.

For each file: stream validated blocks into a temporary staging table (one ``COPY`` on PostgreSQL, fed while the
next block is validated), quarantine rows whose key repeats within the file or whose parent does not exist
(yet), then upsert set-based by primary key: new rows inserted, changed rows updated, unchanged rows untouched.
On PostgreSQL the database's own constraints find repeats (a unique index on the staged keys) and missing
parents (the foreign keys, under a savepoint), so only a file that has them pays for finding which rows.
Rows rejected only for a missing parent are retried on every later load of their table.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa
from psycopg import Copy
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from chinook_platform.lib.contract import (
    LOAD_ID_COLUMN,
    TABLES_BY_CSV_NAME,
    TABLES_BY_NAME,
    Column,
    ColumnType,
    Table,
)
from chinook_platform.lib.landing.csv_reader import read_validated_blocks
from chinook_platform.lib.landing.validation import (
    SOURCE_ROW,
    FileRejected,
    HeaderMapping,
    Rejection,
    strings_from_raw_rows,
    validate_strings,
)
from chinook_platform.lib.oltp.schema import CONTRACT_TABLES, load_log, quarantine, sql_type

RETRY_SOURCE = "quarantine (rows awaiting a parent)"
# From this many staged rows on, PostgreSQL checks foreign keys once for the whole table (the constraint is
# dropped and re-added inside the load's transaction) instead of with one trigger call per row per key.
BULK_ROWS = 50_000
QUARANTINE_CHUNK_ROWS = 10_000  # rejected rows held, and quarantined per round trip
WORK_MEM = "128MB"
MAINTENANCE_WORK_MEM = "256MB"
FOREIGN_KEY_VIOLATION = "23503"  # PostgreSQL's SQLSTATE


@dataclass
class LoadResult:
    """What one load did. ``rows_read == rows_loaded + rows_quarantined`` always holds."""

    table: str
    source_file: str
    # loaded | rejected | failed | unchanged (the bytes of a file already loaded) | retried
    # | skipped (another runner recorded this file version first; nothing written)
    status: str
    load_id: int | None = None
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_quarantined: int = 0
    rows_resolved: int = 0
    error: str | None = None
    dropped_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)
    content_hash: str | None = None
    content_bytes: int | None = None
    same_content_as: str | None = None  # for ``unchanged``: the file whose current content this is

    @property
    def rows_loaded(self) -> int:
        return self.rows_inserted + self.rows_updated + self.rows_unchanged


# A file version with one of these statuses is never read again; a new version of the file is.
RECORDED_STATUSES = ("loaded", "rejected", "failed", "unchanged")
ERROR_CHARACTERS = 2000  # of an unforeseen error's message kept in load_log


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def loaded_versions(engine: sa.Engine, table: Table) -> set[tuple[str, str]]:
    """(source_file, source_version) pairs already recorded (loaded, rejected, failed, unchanged): not to be read
    again."""
    query = sa.select(load_log.c.source_file, load_log.c.source_version).where(
        load_log.c.table_name == table.name, load_log.c.status.in_(RECORDED_STATUSES)
    )
    with engine.connect() as conn:
        return {(f, v) for f, v in conn.execute(query)}


@contextmanager
def table_write_transaction(engine: sa.Engine, table: Table) -> Iterator[sa.Connection]:
    """A transaction holding the database's own lock on writing one table's loads, until it ends.

    This, not a Dagster pool, is what serializes runners with separate Dagster homes (two machines): on
    PostgreSQL a transaction-scoped advisory lock per schema and table; on SQLite the database's write lock,
    taken at ``BEGIN IMMEDIATE`` so that what the transaction reads next is already under it.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text("select pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"chinook-oltp-load:{_schema_of(conn)}:{table.name}"},
            )
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("begin immediate")  # the driver then sees a transaction open and adds none
        yield conn


def _schema_of(conn: sa.Connection) -> str:
    return conn.exec_driver_sql("select current_schema()").scalar_one()


def _recorded(conn: sa.Connection, table: Table, source_file: str, source_version: str) -> bool:
    return (
        conn.execute(
            sa.select(load_log.c.load_id)
            .where(
                load_log.c.table_name == table.name,
                load_log.c.source_file == source_file,
                load_log.c.source_version == source_version,
                load_log.c.status.in_(RECORDED_STATUSES),
            )
            .limit(1)
        ).first()
        is not None
    )


def _standing_file_query(has: sa.ColumnElement[bool]) -> sa.Select:
    """A file of a table whose standing content (its latest recorded version, loaded or found unchanged) ``has``
    a property: looked up through the property's index, then checked to be the file's latest version, so the
    cost is that of the few candidates, not of every file the table ever loaded. Built once with bind
    parameters (``table_name``, ``value``, ``exclude_load``: -1 for none), so it is compiled once per database."""
    later = load_log.alias("later")
    exclude = sa.bindparam("exclude_load", type_=sa.Integer())
    newer_version = sa.exists().where(
        later.c.table_name == load_log.c.table_name,
        later.c.source_file == load_log.c.source_file,
        later.c.load_id > load_log.c.load_id,
        later.c.status.in_(RECORDED_STATUSES),
        later.c.load_id != exclude,
    )
    return (
        sa.select(load_log.c.source_file)
        .where(
            load_log.c.table_name == sa.bindparam("table_name"),
            has,
            load_log.c.status.in_(("loaded", "unchanged")),
            load_log.c.load_id != exclude,
            ~newer_version,
        )
        .limit(1)
    )


_FILE_WITH_HASH = _standing_file_query(load_log.c.content_hash == sa.bindparam("value"))
_FILE_WITH_SIZE = _standing_file_query(
    sa.and_(load_log.c.content_bytes == sa.bindparam("value"), load_log.c.content_hash.is_not(None))
)


def _file_with_content(
    conn: sa.Connection, table: Table, content_hash: str, exclude_load: int | None = None
) -> str | None:
    """The file whose current content has this hash, if any."""
    parameters = {"table_name": table.name, "value": content_hash, "exclude_load": exclude_load or -1}
    return conn.execute(_FILE_WITH_HASH, parameters).scalar()


def _may_be_identical(conn: sa.Connection, table: Table, size: int) -> bool:
    """Whether some file's current content has this size: only then is hashing first worth a read."""
    parameters = {"table_name": table.name, "value": size, "exclude_load": -1}
    return conn.execute(_FILE_WITH_SIZE, parameters).first() is not None


class _HashingReader(io.RawIOBase):
    """Passes a stream through, hashing its bytes (sha256) on the way: the load's one read hashes the file.

    Takes what an opener returns: a stream, or a context manager around one (``closing(body)`` on S3), entered
    here and exited on close.
    """

    def __init__(self, opened: Any):
        self._opened = opened
        self._stream = opened.__enter__()
        self._sha256 = hashlib.sha256()
        self.bytes = 0
        self.at_end = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._sha256.update(data)
        self.bytes += n
        self.at_end = self.at_end or n == 0
        return n

    def close(self) -> None:
        if not self.closed:
            self._opened.__exit__(None, None, None)
        super().close()

    @property
    def content_hash(self) -> str | None:
        return f"sha256:{self._sha256.hexdigest()}" if self.at_end else None


def content_hash_of(opener: Callable[[], IO[bytes]]) -> tuple[str, int]:
    """sha256 and size of a file, read once in 1 MiB chunks."""
    with _HashingReader(opener()) as reader:
        while reader.read(1 << 20):
            pass
    return reader.content_hash or "", reader.bytes


class _Unchanged(Exception):
    """Raised inside a load's transaction to undo it: the file turned out to hold what already stands."""

    def __init__(self, same_as: str):
        self.same_as = same_as


def load_landed_file(
    engine: sa.Engine,
    table: Table,
    source_file: str,
    source_version: str,
    opener: Callable[[], IO[bytes]],
    *,
    size: int | None = None,
    checksum: str | None = None,
) -> LoadResult:
    """Validate and upsert one landed file in a single transaction; a rejected file loads nothing.

    Every outcome is recorded in ``load_log`` so the same file version is not read again (a new version is):
    ``rejected`` (unreadable as the table), ``failed`` (any other error, kept with the file's name),
    ``unchanged`` (the same bytes as the current content of a file of this table, after ``touch`` or under a
    new name: nothing is re-applied). The load holds the table's lock (``table_write_transaction``) and
    re-checks the load log under it, so concurrent runners never load a version twice.

    Args:
        size: the file's size as listed; when a file of the table already stands with that size, the file is
            hashed before it is read for the load (the cheap test for identical content), else while it is.
        checksum: a content hash known without reading (an S3 ETag that is the object's MD5, ``md5:<hex>``).
    """
    result = LoadResult(table.name, source_file, "loaded", content_hash=checksum, content_bytes=size)
    hashing: list[_HashingReader] = []

    def open_hashing() -> IO[bytes]:
        """The first open (the load's own read) hashes the file; error paths may open it again."""
        if hashing or result.content_hash:
            return opener()
        hashing.append(_HashingReader(opener()))
        return io.BufferedReader(hashing[0], buffer_size=1 << 20)  # type: ignore[return-value]

    try:
        with table_write_transaction(engine, table) as conn:
            if _recorded(conn, table, source_file, source_version):
                return LoadResult(table.name, source_file, "skipped")
            if result.content_hash is None and size is not None and _may_be_identical(conn, table, size):
                result.content_hash, result.content_bytes = content_hash_of(opener)
            if result.content_hash and (same := _file_with_content(conn, table, result.content_hash)):
                raise _Unchanged(same)
            _load(conn, table, result, source_version, open_hashing)
            if hashing:
                result.content_hash = hashing[0].content_hash
                result.content_bytes = hashing[0].bytes
            if result.content_hash and (
                same := _file_with_content(conn, table, result.content_hash, exclude_load=result.load_id)
            ):
                raise _Unchanged(same)  # undoes the load: it would re-apply what stands
            _finish_load(conn, result)
    except _Unchanged as unchanged:
        result = _record(
            engine,
            table,
            LoadResult(
                table.name,
                source_file,
                "unchanged",
                content_hash=result.content_hash,
                content_bytes=result.content_bytes,
                same_content_as=unchanged.same_as,
            ),
            source_version,
        )
    except FileRejected as rejected:
        result = _record(
            engine, table, LoadResult(table.name, source_file, "rejected", error=rejected.problem), source_version
        )
    except Exception as error:
        if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
            raise  # the database went away: not this file's fault, and nowhere to record it
        message = f"{type(error).__name__}: {error}"
        if len(message) > ERROR_CHARACTERS:
            message = message[:ERROR_CHARACTERS] + f"... ({len(message):,} characters)"
        result = _record(engine, table, LoadResult(table.name, source_file, "failed", error=message), source_version)
    return result


def _record(engine: sa.Engine, table: Table, result: LoadResult, source_version: str) -> LoadResult:
    """Record an outcome that loaded nothing, under the table's lock (another runner may have recorded it)."""
    with table_write_transaction(engine, table) as conn:
        if _recorded(conn, table, result.source_file, source_version):
            return LoadResult(table.name, result.source_file, "skipped")
        result.load_id = _start_load(conn, result, source_version)
        _finish_load(conn, result)
    return result


def _load(
    conn: sa.Connection, table: Table, result: LoadResult, source_version: str, opener: Callable[[], IO[bytes]]
) -> None:
    """Stage, quarantine and upsert one file inside the caller's transaction."""
    source_file = result.source_file
    _tune_for_bulk_load(conn)
    result.load_id = _start_load(conn, result, source_version)
    header: list[HeaderMapping] = []  # set by the reader before its first block
    staging: _Staging | None = None
    rejected: list[Rejection] = []  # held while the COPY has the connection, written between COPYs
    blocks = read_validated_blocks(source_file, table, opener, on_header=header.append)
    try:
        for block in read_ahead(blocks):
            staging = staging or _Staging(conn, table, header[0].columns)
            staging.write(block.good)
            rejected.extend(block.rejections)
            result.rows_read += block.rows_read
            if len(rejected) >= QUARANTINE_CHUNK_ROWS:
                staging.end_copy()
                _quarantine(conn, result, rejected, "rejected")
                rejected = []
    except BaseException as error:
        if staging is not None:
            staging.end_copy(error)
        raise
    result.dropped_columns = header[0].dropped
    result.missing_optional_columns = header[0].missing_optional
    staging = staging or _Staging(conn, table, header[0].columns)
    staging.index()
    _quarantine(conn, result, rejected, "rejected")
    # A new version of a file replaces what the old one left in quarantine.
    conn.execute(
        quarantine.update()
        .where(
            quarantine.c.table_name == table.name,
            quarantine.c.source_file == source_file,
            quarantine.c.status.in_(("rejected", "awaiting_parent")),
            quarantine.c.load_id != result.load_id,
        )
        .values(status="superseded", resolved_load_id=result.load_id)
    )
    _quarantine(conn, result, staging.take_duplicates(), "rejected")
    result.rows_inserted, result.rows_updated, staged = _upsert_quarantining_orphans(conn, staging, result)
    result.rows_unchanged = staged - result.rows_inserted - result.rows_updated
    staging.drop()


def retry_awaiting_parent(engine: sa.Engine, table: Table) -> LoadResult | None:
    """Load quarantined rows of a table whose parent has arrived since; None if none were waiting.

    A waiting row whose key was loaded by a newer file meanwhile is marked superseded, not applied.
    """
    with table_write_transaction(engine, table) as conn:
        waiting = conn.execute(
            sa.select(quarantine.c.quarantine_id, quarantine.c.raw_row, quarantine.c.load_id)
            .where(quarantine.c.table_name == table.name, quarantine.c.status == "awaiting_parent")
            .order_by(quarantine.c.quarantine_id)
        ).all()
        if not waiting:
            return None
        result = LoadResult(table.name, RETRY_SOURCE, "retried")
        result.load_id = _start_load(conn, result, None)
        columns, strings = strings_from_raw_rows(table, [w.raw_row for w in waiting])
        ids = np.array([w.quarantine_id for w in waiting], dtype=np.int64)
        block = validate_strings(columns, strings, ids)
        staging = _Staging(conn, table, columns)
        staging.write(block.good)
        staging.index()
        # Rows that no longer validate (the contract changed) or stay orphaned keep waiting in quarantine.
        staging.discard(r.line_number for r in block.rejections)
        staging.drop_orphans()
        superseded = staging.take_superseded({w.quarantine_id: w.load_id for w in waiting})
        _mark(conn, superseded, "superseded", result.load_id)
        staging.discard(row[SOURCE_ROW] for row, _, _ in staging.take_duplicates())
        resolved = staging.source_rows()
        result.rows_inserted, result.rows_updated, staged = staging.upsert(result.load_id)
        result.rows_unchanged = staged - result.rows_inserted - result.rows_updated
        _mark(conn, resolved, "resolved", result.load_id)
        staging.drop()
        result.rows_resolved = result.rows_read = len(resolved)
        _finish_load(conn, result)
        return result


def _upsert_quarantining_orphans(conn: sa.Connection, staging: _Staging, result: LoadResult) -> tuple[int, int, int]:
    """Quarantine the staged rows whose parent is missing, then upsert the rest; returns (inserted, updated, staged).

    On PostgreSQL the upsert is tried first: the database's own foreign keys find a missing parent while the
    rows are written (set-based, in a bulk load), so only a file that has orphans pays for finding which rows
    they are (a savepoint undoes the attempt).
    """
    if staging.dialect == "postgresql":
        try:
            with conn.begin_nested():
                return staging.upsert(result.load_id)
        except sa.exc.IntegrityError as error:
            if getattr(error.orig, "sqlstate", None) != FOREIGN_KEY_VIOLATION:
                raise
    _quarantine(conn, result, staging.take_orphans(), "awaiting_parent")
    return staging.upsert(result.load_id)


T = TypeVar("T")


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """Yield each item while a worker thread produces the next: the reader parses and validates the next block
    (pyarrow releases the GIL) while the database takes this one. At most two blocks are in memory."""
    end = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as worker:
        upcoming = worker.submit(next, items, end)
        while (item := upcoming.result()) is not end:
            upcoming = worker.submit(next, items, end)
            yield item


# --- bookkeeping ------------------------------------------------------------------------------------------


def _tune_for_bulk_load(conn: sa.Connection) -> None:
    """On PostgreSQL, for this transaction only: sorts, hashes and index builds in memory (the defaults of 4 and
    64 MB spill a large file's to disk; these suit a 1 GiB free-tier RDS instance), and no JIT compilation,
    which costs more than it saves on these one-pass statements."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"set local work_mem = '{WORK_MEM}'")
        conn.exec_driver_sql(f"set local maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        conn.exec_driver_sql("set local jit = off")


def _start_load(conn: sa.Connection, result: LoadResult, source_version: str | None) -> int:
    return conn.execute(
        load_log.insert()
        .values(
            table_name=result.table,
            source_file=result.source_file,
            source_version=source_version,
            status=result.status,
            error=result.error,
            loaded_at=_now(),
        )
        .returning(load_log.c.load_id)
    ).scalar_one()


def _finish_load(conn: sa.Connection, result: LoadResult) -> None:
    conn.execute(
        load_log.update()
        .where(load_log.c.load_id == result.load_id)
        .values(
            rows_read=result.rows_read,
            rows_inserted=result.rows_inserted,
            rows_updated=result.rows_updated,
            rows_unchanged=result.rows_unchanged,
            rows_quarantined=result.rows_quarantined,
            rows_resolved=result.rows_resolved,
            error=result.error,
            content_hash=result.content_hash,
            content_bytes=result.content_bytes,
        )
    )


Quarantined = tuple[dict[str, Any], str | None, str]  # staged row, column at fault, reason


def _quarantine(conn: sa.Connection, result: LoadResult, rows: Iterable[Rejection | Quarantined], status: str) -> None:
    """Insert rejected rows into quarantine, in chunks (the rows may be streamed)."""
    records = []
    for row in rows:
        if isinstance(row, Rejection):
            # The raw text of a row the parser could not split may hold NUL, which no database stores as text.
            line, column, reason, raw = row.line_number, row.column, row.reason, row.raw_row.replace("\x00", "\\x00")
        else:
            staged, column, reason = row
            line, raw = staged[SOURCE_ROW], _raw_row_json(result.table, staged)
        records.append(
            {
                "table_name": result.table,
                "source_file": result.source_file,
                "line_number": line,
                "column_name": column,
                "reason": reason,
                "raw_row": raw,
                "status": status,
                "load_id": result.load_id,
            }
        )
        if len(records) == QUARANTINE_CHUNK_ROWS:
            conn.execute(quarantine.insert(), records)
            result.rows_quarantined += len(records)
            records = []
    if records:
        conn.execute(quarantine.insert(), records)
        result.rows_quarantined += len(records)


def _mark(conn: sa.Connection, quarantine_ids: list[int], status: str, load_id: int) -> None:
    if quarantine_ids:
        conn.execute(
            quarantine.update()
            .where(quarantine.c.quarantine_id == sa.bindparam("qid"))
            .values(status=status, resolved_load_id=load_id),
            [{"qid": q} for q in quarantine_ids],
        )


def _raw_row_json(table_name: str, staged: dict[str, Any]) -> str:
    """A staged (typed) row back as the JSON object of CSV fields that quarantine keeps."""

    def text(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return str(value)

    table = TABLES_BY_NAME[table_name]
    return json.dumps({c.csv_name: text(staged[c.name]) for c in table.columns if c.name in staged}, ensure_ascii=False)


# --- the staging table ------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _stage_table(table_name: str, csv_names: tuple[str, ...]) -> sa.Table:
    """The temporary staging table for a table and the columns a file has: one object per shape, so that
    SQLAlchemy's compiled-statement cache serves every later file of that shape (daily files are many)."""
    table = TABLES_BY_NAME[table_name]
    return sa.Table(
        f"stage_{table_name}",
        sa.MetaData(),
        sa.Column(SOURCE_ROW, sa.BigInteger()),
        *[sa.Column(table.column(name).name, sql_type(table.column(name))) for name in csv_names],
        prefixes=["TEMPORARY"],
    )


class _Staging:
    """A temporary table holding one load's validated rows until they are upserted."""

    def __init__(self, conn: sa.Connection, table: Table, columns: list[Column]):
        self.conn = conn
        self.table = table
        self.columns = columns
        self.dialect = conn.dialect.name
        self.target = CONTRACT_TABLES[table.name]
        self.stage = _stage_table(table.name, tuple(c.csv_name for c in columns))
        # One statement, not SQLAlchemy's has-table check first: a day's files are many (a failed load's stage may
        # remain on this connection; the temporary schema named, so that no table of the user's is ever matched).
        temporary = "pg_temp" if self.dialect == "postgresql" else "temp"
        conn.exec_driver_sql(f'drop table if exists {temporary}."{self.stage.name}"')
        self.stage.create(conn)
        self.key = self.stage.c[table.pk.name]
        self._copy: Copy | None = None
        self._copy_scope = ExitStack()
        self.keys_unique: bool | None = None  # known once indexed (PostgreSQL)

    def write(self, good: pa.Table) -> None:
        """Append validated rows. On PostgreSQL they join one ``COPY`` kept open across the file's blocks."""
        if good.num_rows == 0:
            return
        names = [SOURCE_ROW, *(c.name for c in self.columns)]
        good = good.select(names)
        if self.dialect == "postgresql":
            if self._copy is None:
                self._copy_scope = ExitStack()
                cursor = self._copy_scope.enter_context(self.conn.connection.driver_connection.cursor())
                quoted = ", ".join(f'"{n}"' for n in names)
                self._copy = self._copy_scope.enter_context(
                    cursor.copy(f'copy "{self.stage.name}" ({quoted}) from stdin (format csv)')
                )
            buffer = io.BytesIO()
            pacsv.write_csv(good, buffer, write_options=pacsv.WriteOptions(include_header=False))
            self._copy.write(buffer.getbuffer())
        else:
            columns = [self._sqlite_values(c, good.column(c.name)) for c in self.columns]
            rows = zip(good.column(SOURCE_ROW).to_pylist(), *columns, strict=True)
            placeholders = ", ".join("?" * len(names))
            self.conn.exec_driver_sql(f'insert into "{self.stage.name}" values ({placeholders})', list(rows))

    def end_copy(self, error: BaseException | None = None) -> None:
        """Finish the open ``COPY`` (or abort it, on an error) so the connection takes other statements."""
        if self._copy is not None:
            self._copy = None
            self._copy_scope.__exit__(type(error) if error else None, error, error.__traceback__ if error else None)

    @staticmethod
    def _sqlite_values(column: Column, values: pa.ChunkedArray) -> list[Any]:
        """Values as SQLite stores them through SQLAlchemy's types (money in cents, timestamps as text)."""
        if column.type is ColumnType.MONEY:
            cents = pc.round(pc.multiply(pc.cast(values, pa.float64()), 100.0))
            return pc.cast(cents, pa.int64()).to_pylist()
        if column.type is ColumnType.TIMESTAMP:
            return pc.strftime(values, "%Y-%m-%d %H:%M:%S").to_pylist()  # "%S" carries the microseconds
        return values.to_pylist()

    def index(self) -> None:
        """Prepare the staged rows for the set-based steps: PostgreSQL joins them by hash and needs only
        statistics; SQLite joins by index."""
        self.end_copy()
        # Plain DDL: an sa.Index would attach itself to the shared staging Table object.
        index = f'index "ix_{self.stage.name}_key" on "{self.stage.name}" ("{self.key.name}")'
        if self.dialect == "postgresql":
            # Building a unique index sorts the keys once: it proves the file repeats no key (the usual case),
            # so only a file that does pays for finding which rows (take_duplicates).
            try:
                with self.conn.begin_nested():
                    self.conn.exec_driver_sql(f"create unique {index}")
                self.keys_unique = True
            except sa.exc.IntegrityError:
                self.keys_unique = False
            self.conn.exec_driver_sql(f'analyze "{self.stage.name}"')
        else:
            self.conn.exec_driver_sql(f"create {index}")

    def discard(self, source_rows: Iterable[int]) -> None:
        ids = list(source_rows)
        for start in range(0, len(ids), 10_000):
            self.conn.execute(self.stage.delete().where(self.stage.c[SOURCE_ROW].in_(ids[start : start + 10_000])))

    def take_duplicates(self) -> list[Quarantined]:
        """Remove every repeat of a key after its first line; return the repeats."""
        if self.keys_unique:
            return []
        first = (
            sa.select(self.key.label("key"), sa.func.min(self.stage.c[SOURCE_ROW]).label("first_row"))
            .group_by(self.key)
            .having(sa.func.count() > 1)
            .subquery()
        )
        repeats = self.conn.execute(
            sa.select(self.stage, first.c.first_row).join(
                first, sa.and_(self.key == first.c.key, self.stage.c[SOURCE_ROW] > first.c.first_row)
            )
        ).all()
        pk = self.table.pk.csv_name
        taken = [
            (
                {k: v for k, v in r._mapping.items() if k != "first_row"},
                pk,
                f"{pk}: duplicate key {r._mapping[self.table.pk.name]} in this file (first on line {r.first_row}; "
                "that row was kept)",
            )
            for r in repeats
        ]
        self.discard(row[SOURCE_ROW] for row, _, _ in taken)
        return taken

    def _orphan_checks(self) -> list[tuple[Column, Table, sa.ColumnElement[bool]]]:
        """Per foreign key in the file: (column, parent table, "this row's parent is missing")."""
        checks = []
        for column in self.table.foreign_keys:
            if column.name not in self.stage.c:
                continue
            parent_table = TABLES_BY_CSV_NAME[column.references]
            parent = CONTRACT_TABLES[parent_table.name]
            value = self.stage.c[column.name]
            missing = sa.and_(value.is_not(None), ~sa.exists().where(parent.c[parent_table.pk.name] == value))
            checks.append((column, parent_table, missing))
        return checks

    def _orphan_rows(self, checks: list[tuple[Column, Table, sa.ColumnElement[bool]]]) -> sa.CompoundSelect:
        """The ``_source_row`` of every row missing a parent: one anti-join per foreign key (an OR of
        NOT EXISTS would instead probe each parent row by row)."""
        return sa.union(*(sa.select(self.stage.c[SOURCE_ROW]).where(missing) for _, _, missing in checks))

    def take_orphans(self) -> Iterator[Quarantined]:
        """Yield the rows whose foreign key has no parent row, with the reason; then remove them.

        Streamed in chunks: a file whose parents have not arrived at all may be entirely orphaned.
        """
        checks = self._orphan_checks()
        if not checks:
            return
        orphan_rows = self._orphan_rows(checks)
        if not self.conn.execute(sa.select(sa.func.count()).select_from(orphan_rows.subquery())).scalar_one():
            return
        orphaned = self.stage.c[SOURCE_ROW].in_(orphan_rows)
        flags = [sa.case((missing, 1), else_=0).label(f"_missing_{c.name}") for c, _, missing in checks]
        rows = self.conn.execute(
            sa.select(self.stage, *flags).where(orphaned),
            execution_options={"stream_results": True, "yield_per": QUARANTINE_CHUNK_ROWS},
        )
        for r in rows:
            row = dict(r._mapping)
            at_fault = [(c, p) for c, p, _ in checks if row.pop(f"_missing_{c.name}")]
            reason = "; ".join(
                f"{c.csv_name}: {p.csv_name} {row[c.name]} does not exist (yet): the row loads once it arrives"
                for c, p in at_fault
            )
            yield row, at_fault[0][0].csv_name, reason
        self.conn.execute(self.stage.delete().where(orphaned))

    def drop_orphans(self) -> None:
        """Remove the rows whose parent is still missing, without reading them (retries keep them waiting)."""
        checks = self._orphan_checks()
        if checks:
            self.conn.execute(self.stage.delete().where(self.stage.c[SOURCE_ROW].in_(self._orphan_rows(checks))))

    def take_superseded(self, load_id_by_row: dict[int, int]) -> list[int]:
        """(Retries) remove rows whose key a newer load has written since they were quarantined."""
        target_pk = self.target.c[self.table.pk.name]
        rows = self.conn.execute(
            sa.select(self.stage.c[SOURCE_ROW], self.target.c[LOAD_ID_COLUMN]).join(self.target, target_pk == self.key)
        ).all()
        superseded = [source for source, written_by in rows if written_by > load_id_by_row[source]]
        self.discard(superseded)
        return superseded

    def source_rows(self) -> list[int]:
        return list(self.conn.execute(sa.select(self.stage.c[SOURCE_ROW])).scalars())

    def upsert(self, load_id: int) -> tuple[int, int, int]:
        """Update changed rows and insert new ones; returns (inserted, updated, staged).

        For a large batch the table's secondary indexes (when the batch is at least as large as the table) and,
        on PostgreSQL, its foreign keys are dropped and re-created around the writes, all inside this
        transaction: the database then builds and validates them in one set-based pass (PostgreSQL's and
        SQLite's advice for bulk loads), and no other session ever sees the table without them (it waits on
        the lock). SQLite cannot drop a foreign key; it checks them row by row.
        """
        staged = self.conn.execute(sa.select(sa.func.count()).select_from(self.stage)).scalar_one()
        foreign_keys: list[sa.ForeignKeyConstraint] = []
        indexes: list[sa.Index] = []
        if staged >= BULK_ROWS:
            if self.dialect == "postgresql":
                foreign_keys = sorted(
                    (c for c in self.target.constraints if isinstance(c, sa.ForeignKeyConstraint)),
                    key=lambda c: c.name,
                )
            existing = self.conn.execute(sa.select(sa.func.count()).select_from(self.target)).scalar_one()
            if staged >= existing:  # rebuilding costs less than maintaining them row by row
                indexes = sorted(self.target.indexes, key=lambda i: i.name)
            for constraint in foreign_keys:
                self.conn.execute(DropConstraint(constraint, isolate_from_table=False))
            for index in indexes:
                self.conn.execute(DropIndex(index))
        target_pk = self.target.c[self.table.pk.name]
        names = [c.name for c in self.columns]
        new_rows = sa.select(*(self.stage.c[n] for n in names), sa.literal(load_id, sa.Integer()))
        updated = 0
        if self.conn.execute(sa.select(target_pk).limit(1)).first() is not None:  # else every row is new
            values = [n for n in names if n != self.table.pk.name]
            changed = sa.or_(*(self.target.c[n].is_distinct_from(self.stage.c[n]) for n in values))
            updated = self.conn.execute(
                self.target.update()
                .where(target_pk == self.key, changed)
                .values({**{n: self.stage.c[n] for n in values}, LOAD_ID_COLUMN: load_id}),
                execution_options={"preserve_rowcount": True},
            ).rowcount
            new_rows = new_rows.where(~sa.exists().where(target_pk == self.key))
        inserted = self.conn.execute(
            self.target.insert().from_select([*names, LOAD_ID_COLUMN], new_rows),
            execution_options={"preserve_rowcount": True},
        ).rowcount
        for index in indexes:
            self.conn.execute(CreateIndex(index))
        for constraint in foreign_keys:
            self.conn.execute(AddConstraint(constraint, isolate_from_table=False))
        return inserted, updated, staged

    def drop(self) -> None:
        self.stage.drop(self.conn)
