"""What the loader records besides the rows: ``load_log`` (one row per file version read, with its outcome and
content hash) and ``quarantine`` (every row not loaded, with its file, line, column and reason)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from chinook_platform.lib.contract import TABLES_BY_NAME, Table
from chinook_platform.lib.landing import SOURCE_ROW, Rejection
from chinook_platform.lib.oltp.schema import load_log, quarantine
from chinook_platform.lib.oltp.stage import Quarantined

QUARANTINE_CHUNK_ROWS = 10_000  # rejected rows held, and quarantined per round trip
# A file version with one of these statuses is never read again; a new version of the file is.
RECORDED_STATUSES = ("loaded", "rejected", "failed", "unchanged")
ERROR_CHARACTERS = 2000  # of an unforeseen error's message kept in load_log


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


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def error_message(error: Exception) -> str:
    """An unforeseen error as ``load_log`` keeps it: its type and message, cut to ``ERROR_CHARACTERS``."""
    message = f"{type(error).__name__}: {error}"
    if len(message) > ERROR_CHARACTERS:
        message = message[:ERROR_CHARACTERS] + f"... ({len(message):,} characters)"
    return message


# --- the load log -----------------------------------------------------------------------------------------


def loaded_versions(engine: sa.Engine, table: Table) -> set[tuple[str, str]]:
    """(source_file, source_version) pairs already recorded (loaded, rejected, failed, unchanged): not to be read
    again."""
    query = sa.select(load_log.c.source_file, load_log.c.source_version).where(
        load_log.c.table_name == table.name, load_log.c.status.in_(RECORDED_STATUSES)
    )
    with engine.connect() as conn:
        return {(f, v) for f, v in conn.execute(query)}


def recorded(conn: sa.Connection, table: Table, source_file: str, source_version: str) -> bool:
    """Whether this version of the file has been recorded (by this runner or another)."""
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


def file_with_content(
    conn: sa.Connection, table: Table, content_hash: str, exclude_load: int | None = None
) -> str | None:
    """The file whose current content has this hash, if any."""
    parameters = {"table_name": table.name, "value": content_hash, "exclude_load": exclude_load or -1}
    return conn.execute(_FILE_WITH_HASH, parameters).scalar()


def may_be_identical(conn: sa.Connection, table: Table, size: int) -> bool:
    """Whether some file's current content has this size: only then is hashing first worth a read."""
    parameters = {"table_name": table.name, "value": size, "exclude_load": -1}
    return conn.execute(_FILE_WITH_SIZE, parameters).first() is not None


def start_load(conn: sa.Connection, result: LoadResult, source_version: str | None) -> int:
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


def finish_load(conn: sa.Connection, result: LoadResult) -> None:
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


# --- quarantine -------------------------------------------------------------------------------------------


def quarantine_rows(
    conn: sa.Connection, result: LoadResult, rows: Iterable[Rejection | Quarantined], status: str
) -> None:
    """Insert rejected rows into quarantine, in chunks (the rows may be streamed)."""
    records = []
    for row in rows:
        records.append(_quarantine_record(result, row, status))
        if len(records) == QUARANTINE_CHUNK_ROWS:
            conn.execute(quarantine.insert(), records)
            result.rows_quarantined += len(records)
            records = []
    if records:
        conn.execute(quarantine.insert(), records)
        result.rows_quarantined += len(records)


def _quarantine_record(result: LoadResult, row: Rejection | Quarantined, status: str) -> dict[str, Any]:
    if isinstance(row, Rejection):
        # The raw text of a row the parser could not split may hold NUL, which no database stores as text.
        line, column, reason, raw = row.line_number, row.column, row.reason, row.raw_row.replace("\x00", "\\x00")
    else:
        staged, column, reason = row
        line, raw = staged[SOURCE_ROW], _raw_row_json(result.table, staged)
    return {
        "table_name": result.table,
        "source_file": result.source_file,
        "line_number": line,
        "column_name": column,
        "reason": reason,
        "raw_row": raw,
        "status": status,
        "load_id": result.load_id,
    }


def supersede_quarantined(conn: sa.Connection, result: LoadResult) -> None:
    """A new version of a file replaces what the old one left in quarantine."""
    conn.execute(
        quarantine.update()
        .where(
            quarantine.c.table_name == result.table,
            quarantine.c.source_file == result.source_file,
            quarantine.c.status.in_(("rejected", "awaiting_parent")),
            quarantine.c.load_id != result.load_id,
        )
        .values(status="superseded", resolved_load_id=result.load_id)
    )


def awaiting_parent(conn: sa.Connection, table: Table) -> Sequence[sa.Row]:
    """The quarantined rows of a table waiting for a parent row, oldest first."""
    return conn.execute(
        sa.select(quarantine.c.quarantine_id, quarantine.c.raw_row, quarantine.c.load_id)
        .where(quarantine.c.table_name == table.name, quarantine.c.status == "awaiting_parent")
        .order_by(quarantine.c.quarantine_id)
    ).all()


def mark(conn: sa.Connection, quarantine_ids: list[int], status: str, load_id: int) -> None:
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
