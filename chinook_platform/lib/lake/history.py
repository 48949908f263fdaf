"""Time travel on the lake: a table as it was at a snapshot or a moment (its snapshots: ``LakeStore.batches``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from chinook_platform.lib.contract import Table
from chinook_platform.lib.lake.store import LakeStore


def snapshot_id_as_of(store: LakeStore, table: Table, as_of: str) -> int:
    """The snapshot ``as_of`` names: a snapshot id, or an ISO time (the newest snapshot at or before it; a time
    without a zone is UTC)."""
    iceberg = store.table(table)
    if as_of.isdigit():
        if iceberg.snapshot_by_id(int(as_of)) is None:
            raise ValueError(f"{table.name} has no snapshot {as_of} (expired, or never made)")
        return int(as_of)
    moment = datetime.fromisoformat(as_of)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    snapshot = iceberg.snapshot_as_of_timestamp(round(moment.timestamp() * 1000))
    if snapshot is None:
        raise ValueError(f"{table.name} has no snapshot at or before {moment.isoformat()}")
    return snapshot.snapshot_id


def read_as_of(store: LakeStore, table: Table, as_of: str) -> pa.Table:
    """The table's rows as they were at ``as_of`` (see ``snapshot_id_as_of``)."""
    snapshot_id = snapshot_id_as_of(store, table, as_of)
    return store.table(table).scan(snapshot_id=snapshot_id).to_arrow()
