"""The lake's upkeep: expire snapshots older than the time-travel window, and compact a table's small files.

Both are Iceberg commits like an extract's, and lose to one the same way: a table an extract committed to
meanwhile is left for the next run (``CommitFailedException``), never half changed. Neither changes the rows:
compaction rewrites the current snapshot's rows into one file set, carrying the watermark forward so the next
extract starts where it would have.

Expiry removes snapshots from the metadata only: the data files that only expired snapshots referenced stay on
disk (pyiceberg 0.12 has no orphan-file removal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyiceberg.exceptions import CommitFailedException

from chinook_platform.lib.contract import Table
from chinook_platform.lib.lake.store import WATERMARK, LakeStore

COMPACT_FROM_FILES = 8  # a table with more data files than this is rewritten


@dataclass(frozen=True)
class Upkeep:
    """What one maintenance pass did to one table."""

    table: str
    snapshots_expired: int
    files_before: int
    files_after: int
    skipped: str = ""  # why nothing was committed (another commit won), else empty


def data_file_count(store: LakeStore, table: Table) -> int:
    """The data files the table's current snapshot reads."""
    iceberg = store.table(table)
    return iceberg.inspect.data_files().num_rows if iceberg.current_snapshot() else 0


def compact(store: LakeStore, table: Table, from_files: int = COMPACT_FROM_FILES) -> bool:
    """Rewrite the current snapshot's rows into new files if it reads more than ``from_files``; True if it did."""
    if data_file_count(store, table) <= from_files:
        return False
    iceberg = store.table(table)
    rows = iceberg.scan().to_arrow()
    watermark = store.watermark(table, iceberg)
    iceberg.overwrite(rows, snapshot_properties={WATERMARK: str(watermark), "chinook.operation": "compaction"})
    return True


def expire_snapshots(store: LakeStore, table: Table, retention: timedelta, now: datetime | None = None) -> int:
    """Expire the snapshots committed before ``now - retention`` (never the current one); returns how many."""
    iceberg = store.table(table)
    cutoff = (now or datetime.now(UTC)) - retention
    current = iceberg.current_snapshot()
    old = [
        s.snapshot_id
        for s in iceberg.snapshots()
        if s.timestamp_ms < cutoff.timestamp() * 1000 and (current is None or s.snapshot_id != current.snapshot_id)
    ]
    if old:
        iceberg.maintenance.expire_snapshots().by_ids(old).commit()
    return len(old)


def maintain(store: LakeStore, table: Table, retention: timedelta, from_files: int = COMPACT_FROM_FILES) -> Upkeep:
    """Compact, then expire: the compaction's own snapshot is the current one, and earlier ones age out."""
    before = data_file_count(store, table)
    try:
        compact(store, table, from_files)
        expired = expire_snapshots(store, table, retention)
    except CommitFailedException as lost:
        return Upkeep(table.name, 0, before, data_file_count(store, table), skipped=str(lost))
    return Upkeep(table.name, expired, before, data_file_count(store, table))
