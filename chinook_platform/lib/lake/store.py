"""The lake: one Apache Iceberg table per OLTP table, in a local folder or an S3 prefix, extracted incrementally.

Each extract of a table is ONE Iceberg append commit holding the rows inserted or changed since the previous
extract (the high-water mark is the OLTP ``_load_id``), plus ``_loaded_at`` from the load log. The commit's
snapshot summary carries the OLTP load ids it holds and the new watermark, so the table itself says how far it
has been extracted: there is no registry beside it.

Two runners extracting at once both read the same watermark and both commit on the same parent snapshot: the
catalog's compare-and-swap lets exactly one win, and the other gets ``CommitFailedException``, reloads the table,
recomputes its range from the new watermark and tries again, so no batch is lost or doubled. pyiceberg's own
commit retry is turned off on the lake's tables (``commit.retry.num-retries`` 0): it would rebase the loser's
append onto the winner's snapshot and commit the same rows twice.

Rows travel as Arrow batches from the database to Iceberg's Parquet files: read by one ``reader.OltpReader`` per
database (``postgres``: its ADBC driver; ``sqlite``: its own cursor straight into Arrow arrays).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.manifest import DataFile
from pyiceberg.table import Table as IcebergTable
from pyiceberg.table.snapshots import Snapshot

from chinook_platform.lib.contract import LOAD_ID_COLUMN, Table, arrow_type
from chinook_platform.lib.lake.catalog import NAMESPACE, file_io_properties, open_catalog
from chinook_platform.lib.lake.postgres import PostgresReader
from chinook_platform.lib.lake.reader import LOADED_AT_COLUMN, OltpReader
from chinook_platform.lib.lake.sqlite import SqliteReader
from chinook_platform.lib.oltp import CONTRACT_TABLES

READERS: dict[str, type[OltpReader]] = {"postgresql": PostgresReader, "sqlite": SqliteReader}  # by SQLAlchemy dialect
EXTRACT_CHUNK_ROWS = 100_000  # rows per Arrow batch read from the database
EXTRACT_ATTEMPTS = 20  # a lost commit means another runner made progress: this many is never reached
# What each extract's snapshot summary records.
WATERMARK = "chinook.watermark-load-id"
FIRST_LOAD = "chinook.first-load-id"
LOAD_IDS = "chinook.load-ids"
TABLE_PROPERTIES = {"commit.retry.num-retries": "0", "write.parquet.compression-codec": "zstd"}


def parquet_schema(table: Table) -> pa.Schema:
    """The lake's Arrow schema of a table: the contract's columns and types, then the load metadata."""
    fields = [pa.field(c.name, arrow_type(c.type), nullable=c.nullable) for c in table.columns]
    fields += [
        pa.field(LOAD_ID_COLUMN, pa.int64(), nullable=False),
        pa.field(LOADED_AT_COLUMN, pa.timestamp("us"), nullable=False),
    ]
    return pa.schema(fields, metadata={"chinook_table": table.csv_name, "primary_key": table.pk.name})


@dataclass(frozen=True)
class LakeBatch:
    """One extract of one table: the Iceberg snapshot its append committed."""

    snapshot_id: int
    rows: int
    min_load_id: int
    max_load_id: int
    extracted_at: str
    load_ids: tuple[int, ...] = ()

    @property
    def batch_id(self) -> str:
        """Sortable in load order, and naming its snapshot (staging's ``_batch_id``)."""
        return f"loads-{self.min_load_id:09d}-{self.max_load_id:09d}-{self.snapshot_id}"


def batch_of(snapshot: Snapshot) -> LakeBatch | None:
    """The extract a snapshot committed; None for a snapshot that is not one (a compaction, an expiry)."""
    summary = summary_of(snapshot)
    if FIRST_LOAD not in summary:
        return None
    return LakeBatch(
        snapshot_id=snapshot.snapshot_id,
        rows=int(summary.get("added-records", 0)),
        min_load_id=int(summary[FIRST_LOAD]),
        max_load_id=int(summary[WATERMARK]),
        extracted_at=datetime.fromtimestamp(snapshot.timestamp_ms / 1000, UTC).isoformat(timespec="milliseconds"),
        load_ids=tuple(int(i) for i in summary.get(LOAD_IDS, "").split(",") if i),
    )


def summary_of(snapshot: Snapshot) -> dict[str, str]:
    """The snapshot's summary properties (Iceberg's counts and the platform's ``chinook.*`` keys)."""
    return dict(snapshot.summary.additional_properties) if snapshot.summary else {}


def ancestry(iceberg: IcebergTable) -> list[Snapshot]:
    """The current snapshot and its ancestors, oldest first."""
    chain, snapshot = [], iceberg.current_snapshot()
    while snapshot is not None:
        chain.append(snapshot)
        snapshot = iceberg.snapshot_by_id(snapshot.parent_snapshot_id) if snapshot.parent_snapshot_id else None
    return chain[::-1]


class LakeStore:
    """The lake at a URL (a local folder or ``s3://bucket/prefix``) with its catalog at ``catalog_url``."""

    def __init__(self, url: str, catalog_url: str, s3_endpoint_url: str | None = None, s3_region: str | None = None):
        self.url = url.rstrip("/")
        self.catalog_url = catalog_url
        self.is_s3 = url.startswith("s3://")
        self._file_io = file_io_properties(s3_endpoint_url, s3_region) if self.is_s3 else {}

    @cached_property
    def catalog(self) -> Any:
        return open_catalog(self.catalog_url, self.url, **self._file_io)

    def location(self, table: Table) -> str:
        """The table's folder (or prefix): its ``metadata/`` and ``data/``."""
        return f"{self.url}/{table.name}"

    def uri(self, table: Table, batch: LakeBatch) -> str:
        """Where the batch's rows are, for engines that read S3 themselves (Redshift's COPY): on S3 its one data
        file, or, when the extract wrote several (one per 512 MiB of rows), a COPY manifest listing them, written
        beside the table's metadata; in a folder the table's folder (no engine reads it by path)."""
        if not self.is_s3:
            return self.location(table)
        files = self._added_files(table, batch)
        if len(files) == 1:
            return files[0].file_path
        manifest = f"{self.location(table)}/metadata/copy-{batch.snapshot_id}.manifest"
        entries = [
            {"url": f.file_path, "mandatory": True, "meta": {"content_length": f.file_size_in_bytes}} for f in files
        ]
        with self.table(table).io.new_output(manifest).create(overwrite=True) as out:
            out.write(json.dumps({"entries": entries}).encode())
        return manifest

    def data_files(self, table: Table, batch: LakeBatch) -> list[str]:
        """The data files the batch's snapshot added."""
        return [f.file_path for f in self._added_files(table, batch)]

    def _added_files(self, table: Table, batch: LakeBatch) -> list[DataFile]:
        iceberg = self.table(table)
        snapshot = iceberg.snapshot_by_id(batch.snapshot_id)
        if snapshot is None:
            raise ValueError(f"{table.name} snapshot {batch.snapshot_id} has expired")
        return [
            entry.data_file
            for manifest in snapshot.manifests(iceberg.io)
            if manifest.added_snapshot_id == batch.snapshot_id
            for entry in manifest.fetch_manifest_entry(iceberg.io)
            if entry.snapshot_id == batch.snapshot_id
        ]

    def table(self, table: Table) -> IcebergTable:
        """The table's Iceberg table, created (empty, in the contract's schema) if missing, and given the columns
        the contract has gained since (a schema update: the files written before read them as null)."""
        schema = parquet_schema(table)
        iceberg = self.catalog.create_table_if_not_exists(
            (NAMESPACE, table.name), schema=schema, location=self.location(table), properties=TABLE_PROPERTIES
        )
        known = set(iceberg.schema().column_names)
        added = [f.with_nullable(True) for f in schema if f.name not in known]  # optional: old rows have none
        if added:
            try:
                with iceberg.update_schema() as update:
                    update.union_by_name(pa.schema(added))
            except CommitFailedException:
                pass  # another runner added them first
            iceberg = self.catalog.load_table((NAMESPACE, table.name))
        return iceberg

    def exists(self, table: Table) -> bool:
        """Whether the table has been created (by its first extract)."""
        return self.catalog.table_exists((NAMESPACE, table.name))

    def batches(self, table: Table, iceberg: IcebergTable | None = None) -> list[LakeBatch]:
        """Every extract still in the table's history, in commit order (which is load order)."""
        return [b for s in ancestry(iceberg or self.table(table)) if (b := batch_of(s)) is not None]

    def watermark(self, table: Table, iceberg: IcebergTable | None = None) -> int:
        """The highest OLTP load id already extracted (0 before the first extract): from the newest snapshot that
        records it (an extract's, or a compaction's, which carries it forward)."""
        for snapshot in reversed(ancestry(iceberg or self.table(table))):
            if WATERMARK in (summary := summary_of(snapshot)):
                return int(summary[WATERMARK])
        return 0

    def row_count(self, table: Table, iceberg: IcebergTable | None = None) -> int:
        """The rows in the table's current snapshot (every version of every row extracted)."""
        snapshot = (iceberg or self.table(table)).current_snapshot()
        return int(summary_of(snapshot).get("total-records", 0)) if snapshot else 0

    def read(self, table: Table, batch: LakeBatch) -> pa.Table:
        return self.stream(table, batch).read_all()

    def stream(self, table: Table, batch: LakeBatch) -> pa.RecordBatchReader:
        """The batch's rows in the lake's Arrow schema, batch by batch: straight from the data files its snapshot
        added while the snapshot lives (a live snapshot's files are never removed), else (expired) the rows of its
        load ids in the current snapshot, through an Iceberg scan (compaction moves rows between files but keeps
        them)."""
        schema = parquet_schema(table)
        iceberg = self.table(table)
        if iceberg.snapshot_by_id(batch.snapshot_id) is not None:
            files = self.data_files(table, batch)
            return pa.RecordBatchReader.from_batches(schema, _file_batches(iceberg, files, schema))
        where = f"{LOAD_ID_COLUMN} >= {batch.min_load_id} and {LOAD_ID_COLUMN} <= {batch.max_load_id}"
        return iceberg.scan(row_filter=where).to_arrow_batch_reader().cast(schema)

    def extract(self, engine: sa.Engine, table: Table) -> LakeBatch | None:
        """Commit the rows changed since the last extract as one append; None when nothing changed (or another
        runner extracted it first).

        Safe to re-run after a crash (an uncommitted append leaves only unreferenced files) and to run on
        several runners at once: a lost commit is recomputed from the winner's watermark.
        """
        for _ in range(EXTRACT_ATTEMPTS):
            iceberg = self.table(table)
            after = self.watermark(table, iceberg)
            changed = self._changed_range(engine, table, after)
            if changed is None:
                return None
            upto, load_ids = changed
            summary = {FIRST_LOAD: str(after + 1), WATERMARK: str(upto), LOAD_IDS: ",".join(map(str, load_ids))}
            schema = parquet_schema(table)
            with engine.connect() as conn:
                rows = READERS[conn.dialect.name](conn).changed_rows(table, after, upto, schema, EXTRACT_CHUNK_ROWS)
                try:
                    # Streamed: pyiceberg holds at most one data file's worth of rows (write.target-file-size-bytes,
                    # 512 MiB of Arrow data), not the whole extract.
                    iceberg.append(pa.RecordBatchReader.from_batches(schema, rows), snapshot_properties=summary)
                except CommitFailedException:
                    continue  # another runner committed first: start again from its watermark
            snapshot = iceberg.current_snapshot()
            assert snapshot is not None  # the append just made it
            return batch_of(snapshot)
        raise RuntimeError(f"lake extract of {table.name}: lost {EXTRACT_ATTEMPTS} commits in a row")

    def _changed_range(self, engine: sa.Engine, table: Table, after: int) -> tuple[int, list[int]] | None:
        """The newest load id with rows after ``after``, and every load id those rows carry; None when none."""
        column = CONTRACT_TABLES[table.name].c[LOAD_ID_COLUMN]
        with engine.connect() as conn:
            load_ids = conn.execute(sa.select(column).where(column > after).distinct().order_by(column)).scalars().all()
        return (load_ids[-1], list(load_ids)) if load_ids else None


def _file_batches(iceberg: IcebergTable, files: list[str], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The data files' rows in ``schema``, ``EXTRACT_CHUNK_ROWS`` at a time, one file open at a time."""
    for path in files:
        with iceberg.io.new_input(path).open() as stream:
            for batch in pq.ParquetFile(stream).iter_batches(batch_size=EXTRACT_CHUNK_ROWS):
                yield batch.cast(schema)
