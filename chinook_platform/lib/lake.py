"""The lake: incremental Parquet extracts of the OLTP tables, in a local folder or an S3 prefix.

Each extract of a table writes one new batch file holding the rows inserted or changed since the previous
extract (the high-water mark is the OLTP ``_load_id``), plus ``_loaded_at`` from the load log. A JSON
manifest per table lists the batches. Local folders and S3 go through pyarrow's filesystem layer alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import sqlalchemy as sa

from chinook_platform.lib.contract import LOAD_ID_COLUMN, Table
from chinook_platform.lib.csv_validation import ARROW_TYPES
from chinook_platform.lib.oltp_schema import CONTRACT_TABLES, load_log

LOADED_AT_COLUMN = "_loaded_at"
EXTRACT_CHUNK_ROWS = 100_000


def parquet_schema(table: Table) -> pa.Schema:
    """The lake's Parquet schema of a table: the contract's columns and types, then the load metadata."""
    fields = [pa.field(c.name, ARROW_TYPES[c.type], nullable=c.nullable) for c in table.columns]
    fields += [pa.field(LOAD_ID_COLUMN, pa.int64(), nullable=False),
               pa.field(LOADED_AT_COLUMN, pa.timestamp("us"), nullable=False)]
    return pa.schema(fields, metadata={"chinook_table": table.csv_name, "primary_key": table.pk.name})


@dataclass(frozen=True)
class LakeBatch:
    """One extract of one table."""

    file: str  # name inside the table's folder
    rows: int
    min_load_id: int
    max_load_id: int
    extracted_at: str

    @property
    def batch_id(self) -> str:
        return self.file.removesuffix(".parquet")


def s3_filesystem(endpoint_url: str | None = None, region: str | None = None) -> pafs.S3FileSystem:
    """pyarrow's S3 client; credentials come from the usual AWS environment variables or instance role."""
    options: dict = {"region": region or "us-east-1"}
    if endpoint_url:
        scheme, _, host = endpoint_url.partition("://")
        options |= {"endpoint_override": host, "scheme": scheme or "https"}
    return pafs.S3FileSystem(**options)


class LakeStore:
    """The lake at a URL: a local folder or ``s3://bucket/prefix``."""

    def __init__(self, url: str, filesystem: pafs.FileSystem | None = None):
        self.url = url.rstrip("/")
        if url.startswith("s3://"):
            self.fs = filesystem or s3_filesystem()
            self.root = url.removeprefix("s3://").rstrip("/")
        else:
            self.fs = filesystem or pafs.LocalFileSystem()
            self.root = str(Path(url).resolve())

    def path(self, table: Table, name: str = "") -> str:
        return f"{self.root}/{table.name}" + (f"/{name}" if name else "")

    def uri(self, table: Table, name: str) -> str:
        """The batch's full location, for messages and for engines that read S3 themselves."""
        return f"s3://{self.path(table, name)}" if self.url.startswith("s3://") else self.path(table, name)

    def batches(self, table: Table) -> list[LakeBatch]:
        try:
            with self.fs.open_input_stream(self.path(table, "_manifest.json")) as stream:
                return [LakeBatch(**b) for b in json.loads(stream.read())["batches"]]
        except FileNotFoundError:
            return []

    def watermark(self, table: Table) -> int:
        """The highest OLTP load id already extracted (0 before the first extract)."""
        return max((b.max_load_id for b in self.batches(table)), default=0)

    def _write_manifest(self, table: Table, batches: list[LakeBatch]) -> None:
        body = json.dumps({"table": table.name, "batches": [asdict(b) for b in batches]}, indent=2)
        with self.fs.open_output_stream(self.path(table, "_manifest.json")) as stream:
            stream.write(body.encode())

    def read(self, table: Table, batch: LakeBatch) -> pa.Table:
        return pq.read_table(self.path(table, batch.file), filesystem=self.fs, schema=parquet_schema(table))

    def extract(self, engine: sa.Engine, table: Table) -> LakeBatch | None:
        """Write the rows changed since the last extract as a new batch; None when nothing changed.

        Safe to re-run after a crash: the batch file is named after its load-id range and only the manifest,
        written last, makes it visible.
        """
        target = CONTRACT_TABLES[table.name]
        after = self.watermark(table)
        with engine.connect() as conn:
            upto = conn.execute(
                sa.select(sa.func.max(target.c[LOAD_ID_COLUMN])).where(target.c[LOAD_ID_COLUMN] > after)
            ).scalar()
            if upto is None:
                return None
            name = f"loads-{after + 1:09d}-{upto:09d}.parquet"
            self.fs.create_dir(self.path(table), recursive=True)
            schema = parquet_schema(table)
            rows = 0
            with pq.ParquetWriter(self.path(table, name), schema, filesystem=self.fs, compression="zstd") as writer:
                for chunk in _changed_rows(conn, table, after, upto, schema):
                    writer.write_batch(chunk)
                    rows += chunk.num_rows
        batch = LakeBatch(name, rows, after + 1, upto, datetime.now(UTC).isoformat(timespec="seconds"))
        self._write_manifest(table, [*self.batches(table), batch])
        return batch


def _changed_rows(
    conn: sa.Connection, table: Table, after: int, upto: int, schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    target = CONTRACT_TABLES[table.name]
    query = (
        sa.select(*(target.c[c.name] for c in table.columns), target.c[LOAD_ID_COLUMN],
                  load_log.c.loaded_at.label(LOADED_AT_COLUMN))
        .join(load_log, load_log.c.load_id == target.c[LOAD_ID_COLUMN])
        .where(target.c[LOAD_ID_COLUMN] > after, target.c[LOAD_ID_COLUMN] <= upto)
        .order_by(target.c[table.pk.name])
    )
    result = conn.execute(query, execution_options={"stream_results": True, "yield_per": EXTRACT_CHUNK_ROWS})
    for partition in result.partitions():
        columns = list(zip(*partition, strict=True))
        yield pa.RecordBatch.from_arrays(
            [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)],
            schema=schema,
        )
