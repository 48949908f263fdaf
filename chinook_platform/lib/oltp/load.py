"""Load landed CSV files into the OLTP database: validated, idempotent, one transaction per file.

For each file: stream validated blocks into a temporary staging table (one ``COPY`` on PostgreSQL, fed while the
next block is validated), quarantine rows whose key repeats within the file or whose parent does not exist
(yet), then upsert set-based by primary key: new rows inserted, changed rows updated, unchanged rows untouched.
On PostgreSQL the database's own constraints find repeats (a unique index on the staged keys) and missing
parents (the foreign keys, under a savepoint), so only a file that has them pays for finding which rows.
Rows rejected only for a missing parent are retried on every later load of their table.

What differs per database is in ``postgres`` and ``sqlite`` (a ``stage.Stage`` each); what is recorded besides
the rows, in ``bookkeeping``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import IO, TypeVar, cast

import numpy as np
import sqlalchemy as sa

from chinook_platform.lib.contract import Table
from chinook_platform.lib.landing import (
    SOURCE_ROW,
    FileRejected,
    HeaderMapping,
    LandedFile,
    LandingZone,
    Rejection,
    landed_files_of,
    read_validated_blocks,
    strings_from_raw_rows,
    validate_strings,
)
from chinook_platform.lib.oltp import bookkeeping
from chinook_platform.lib.oltp.bookkeeping import LoadResult, loaded_versions, quarantine_rows
from chinook_platform.lib.oltp.content_hash import HashingReader, content_hash_of
from chinook_platform.lib.oltp.postgres import PostgresStage
from chinook_platform.lib.oltp.sqlite import SqliteStage
from chinook_platform.lib.oltp.stage import Stage

RETRY_SOURCE = "quarantine (rows awaiting a parent)"
STAGES: dict[str, type[Stage]] = {"postgresql": PostgresStage, "sqlite": SqliteStage}  # by SQLAlchemy dialect


def _stage_class(conn: sa.Connection) -> type[Stage]:
    return STAGES[conn.dialect.name]


@contextmanager
def table_write_transaction(engine: sa.Engine, table: Table) -> Iterator[sa.Connection]:
    """A transaction holding the database's own lock on writing one table's loads, until it ends.

    This, not a Dagster pool, is what serializes runners with separate Dagster homes (two machines): on
    PostgreSQL a transaction-scoped advisory lock per schema and table; on SQLite the database's write lock.
    """
    with engine.begin() as conn:
        _stage_class(conn).lock_table(conn, table)
        yield conn


def pending_files(engine: sa.Engine, table: Table, zone: LandingZone) -> list[LandedFile]:
    """The files of a table in the landing zone whose version has not been recorded yet, in listing order."""
    seen = loaded_versions(engine, table)
    return [f for f in landed_files_of(table, zone.list_files()) if (zone.location(f.key), f.version) not in seen]


def load_pending(
    engine: sa.Engine,
    table: Table,
    zone: LandingZone,
    pending: list[LandedFile] | None = None,
    on_loaded: Callable[[int, LandedFile, LoadResult], None] | None = None,
) -> list[LoadResult]:
    """Load every new or changed file of a table (``pending``, by default ``pending_files``), one transaction
    each, then retry the table's rows awaiting a parent; the retry's result, if any rows were waiting, is last.

    ``on_loaded(number, file, result)`` is called after each file (numbered from 1), e.g. to log it.
    """
    results = []
    files = pending_files(engine, table, zone) if pending is None else pending
    for number, landed in enumerate(files, 1):
        opener = partial(zone.open, landed.key)
        location = zone.location(landed.key)
        result = load_landed_file(
            engine, table, location, landed.version, opener, size=landed.size, checksum=landed.checksum
        )
        results.append(result)
        if on_loaded is not None:
            on_loaded(number, landed, result)
    retried = retry_awaiting_parent(engine, table)
    return [*results, retried] if retried is not None else results


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
    try:
        return _load_unless_unchanged(engine, table, result, source_version, opener, size)
    except _Unchanged as unchanged:
        outcome = LoadResult(
            table.name,
            source_file,
            "unchanged",
            content_hash=result.content_hash,
            content_bytes=result.content_bytes,
            same_content_as=unchanged.same_as,
        )
    except FileRejected as rejected:
        outcome = LoadResult(table.name, source_file, "rejected", error=rejected.problem)
    except Exception as error:
        if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
            raise  # the database went away: not this file's fault, and nowhere to record it
        outcome = LoadResult(table.name, source_file, "failed", error=bookkeeping.error_message(error))
    return _record(engine, table, outcome, source_version)


def _load_unless_unchanged(
    engine: sa.Engine,
    table: Table,
    result: LoadResult,
    source_version: str,
    opener: Callable[[], IO[bytes]],
    size: int | None,
) -> LoadResult:
    """Load the file under the table's lock, unless that version is recorded already (``skipped``); raises
    ``_Unchanged`` (the transaction undone) when its content turns out to be what stands."""
    hashing: list[HashingReader] = []

    def open_hashing() -> IO[bytes]:
        """The first open (the load's own read) hashes the file; error paths may open it again."""
        if hashing or result.content_hash:
            return opener()
        hashing.append(HashingReader(opener()))
        return io.BufferedReader(hashing[0], buffer_size=1 << 20)

    with table_write_transaction(engine, table) as conn:
        if bookkeeping.recorded(conn, table, result.source_file, source_version):
            return LoadResult(table.name, result.source_file, "skipped")
        if result.content_hash is None and size is not None and bookkeeping.may_be_identical(conn, table, size):
            result.content_hash, result.content_bytes = content_hash_of(opener)
        if result.content_hash and (same := bookkeeping.file_with_content(conn, table, result.content_hash)):
            raise _Unchanged(same)
        _load(conn, table, result, source_version, open_hashing)
        if hashing:
            result.content_hash = hashing[0].content_hash
            result.content_bytes = hashing[0].bytes
        if result.content_hash and (
            same := bookkeeping.file_with_content(conn, table, result.content_hash, exclude_load=result.load_id)
        ):
            raise _Unchanged(same)  # undoes the load: it would re-apply what stands
        bookkeeping.finish_load(conn, result)
    return result


def _record(engine: sa.Engine, table: Table, result: LoadResult, source_version: str) -> LoadResult:
    """Record an outcome that loaded nothing, under the table's lock (another runner may have recorded it)."""
    with table_write_transaction(engine, table) as conn:
        if bookkeeping.recorded(conn, table, result.source_file, source_version):
            return LoadResult(table.name, result.source_file, "skipped")
        result.load_id = bookkeeping.start_load(conn, result, source_version)
        bookkeeping.finish_load(conn, result)
    return result


def _load(
    conn: sa.Connection, table: Table, result: LoadResult, source_version: str, opener: Callable[[], IO[bytes]]
) -> None:
    """Stage, quarantine and upsert one file inside the caller's transaction."""
    stage_class = _stage_class(conn)
    stage_class.tune_for_bulk_load(conn)
    result.load_id = bookkeeping.start_load(conn, result, source_version)
    header: list[HeaderMapping] = []  # set by the reader before its first block
    stage: Stage | None = None
    rejected: list[Rejection] = []  # held while the COPY has the connection, written between COPYs
    blocks = read_validated_blocks(result.source_file, table, opener, on_header=header.append)
    try:
        for block in read_ahead(blocks):
            stage = stage or stage_class(conn, table, header[0].columns)
            stage.write(block.good)
            rejected.extend(block.rejections)
            result.rows_read += block.rows_read
            if len(rejected) >= bookkeeping.QUARANTINE_CHUNK_ROWS:
                stage.end_copy()
                quarantine_rows(conn, result, rejected, "rejected")
                rejected = []
    except BaseException as error:
        if stage is not None:
            stage.end_copy(error)
        raise
    result.dropped_columns = header[0].dropped
    result.missing_optional_columns = header[0].missing_optional
    stage = stage or stage_class(conn, table, header[0].columns)
    stage.index()
    quarantine_rows(conn, result, rejected, "rejected")
    bookkeeping.supersede_quarantined(conn, result)
    quarantine_rows(conn, result, stage.take_duplicates(), "rejected")
    counts = stage.try_upsert(result.load_id)
    if counts is None:  # some row's parent is missing: quarantine those rows, then upsert the rest
        quarantine_rows(conn, result, stage.take_orphans(), "awaiting_parent")
        counts = stage.upsert(result.load_id)
    result.rows_inserted, result.rows_updated, staged = counts
    result.rows_unchanged = staged - result.rows_inserted - result.rows_updated
    stage.drop()


def retry_awaiting_parent(engine: sa.Engine, table: Table) -> LoadResult | None:
    """Load quarantined rows of a table whose parent has arrived since; None if none were waiting.

    A waiting row whose key was loaded by a newer file meanwhile is marked superseded, not applied.
    """
    with table_write_transaction(engine, table) as conn:
        waiting = bookkeeping.awaiting_parent(conn, table)
        if not waiting:
            return None
        result = LoadResult(table.name, RETRY_SOURCE, "retried")
        result.load_id = bookkeeping.start_load(conn, result, None)
        columns, strings = strings_from_raw_rows(table, [w.raw_row for w in waiting])
        block = validate_strings(columns, strings, np.array([w.quarantine_id for w in waiting], dtype=np.int64))
        stage = _stage_class(conn)(conn, table, columns)
        stage.write(block.good)
        stage.index()
        # Rows that no longer validate (the contract changed) or stay orphaned keep waiting in quarantine.
        stage.discard(r.line_number for r in block.rejections if r.line_number is not None)  # each a quarantine id
        stage.drop_orphans()
        superseded = stage.take_superseded({w.quarantine_id: w.load_id for w in waiting})
        bookkeeping.mark(conn, superseded, "superseded", result.load_id)
        stage.discard(row[SOURCE_ROW] for row, _, _ in stage.take_duplicates())
        resolved = stage.source_rows()
        result.rows_inserted, result.rows_updated, staged = stage.upsert(result.load_id)
        result.rows_unchanged = staged - result.rows_inserted - result.rows_updated
        bookkeeping.mark(conn, resolved, "resolved", result.load_id)
        stage.drop()
        result.rows_resolved = result.rows_read = len(resolved)
        bookkeeping.finish_load(conn, result)
        return result


T = TypeVar("T")


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """Yield each item while a worker thread produces the next: the reader parses and validates the next block
    (pyarrow releases the GIL) while the database takes this one. At most two blocks are in memory."""
    end = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as worker:
        upcoming = worker.submit(next, items, end)
        while (item := upcoming.result()) is not end:
            upcoming = worker.submit(next, items, end)
            yield cast(T, item)  # not the end marker
