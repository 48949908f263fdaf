"""The lake before Apache Iceberg, kept for ``benchmarks/lake_iceberg.py`` only: incremental Parquet extracts of
the OLTP tables, in a local folder or an S3 prefix.

Each extract of a table writes one new batch file holding the rows inserted or changed since the previous
extract (the high-water mark is the OLTP ``_load_id``), plus ``_loaded_at`` from the load log. Local folders
and S3 go through pyarrow's filesystem layer alike.

A batch is registered by one small JSON entry, ``<table>/_batches/<first load id>.json``, written with
create-if-absent semantics (a hard link on a folder, ``If-None-Match: *`` on S3): two runners that extract the
same range race for the same entry, exactly one wins and the other deletes its file and starts again from the
new watermark, so no batch is ever listed twice or lost. ``_manifest.json`` is a summary of the entries,
rewritten after each registration (and read, with them, for lakes written before the entries existed).

Rows travel as Arrow batches from the database to Parquet, never as Python objects per value where it can be
helped: read by one ``reader.OltpReader`` per database (``postgres``: its ADBC driver; ``sqlite``: its own cursor
straight into Arrow arrays).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import sqlalchemy as sa

from chinook_platform.lib.contract import LOAD_ID_COLUMN, Table
from chinook_platform.lib.lake.postgres import PostgresReader
from chinook_platform.lib.lake.reader import OltpReader
from chinook_platform.lib.lake.sqlite import SqliteReader
from chinook_platform.lib.lake.store import parquet_schema
from chinook_platform.lib.oltp import CONTRACT_TABLES

READERS: dict[str, type[OltpReader]] = {"postgresql": PostgresReader, "sqlite": SqliteReader}  # by SQLAlchemy dialect
EXTRACT_CHUNK_ROWS = 100_000  # rows per Arrow batch, read from the database and from a batch file
MANIFEST = "_manifest.json"
ENTRIES = "_batches"
EXTRACT_ATTEMPTS = 20  # a lost registration means another runner made progress: this many is never reached


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


def s3_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """A boto3 S3 client, for the conditional writes pyarrow's filesystem cannot make."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or "us-east-1")


class LakeStore:
    """The lake at a URL: a local folder or ``s3://bucket/prefix``."""

    def __init__(self, url: str, filesystem: pafs.FileSystem | None = None, s3: Any = None):
        self.url = url.rstrip("/")
        self.is_s3 = url.startswith("s3://")
        if self.is_s3:
            self.fs = filesystem or s3_filesystem()
            self.root = url.removeprefix("s3://").rstrip("/")
            self._s3 = s3
        else:
            self.fs = filesystem or pafs.LocalFileSystem()
            self.root = str(Path(url).resolve())

    def path(self, table: Table, name: str = "") -> str:
        return f"{self.root}/{table.name}" + (f"/{name}" if name else "")

    def uri(self, table: Table, name: str) -> str:
        """The batch's full location, for messages and for engines that read S3 themselves."""
        return f"s3://{self.path(table, name)}" if self.is_s3 else self.path(table, name)

    def batches(self, table: Table) -> list[LakeBatch]:
        """Every registered batch, in load order: the summary's, and any entry the summary does not have yet."""
        by_start = {b.min_load_id: b for b in self._summary(table)}
        listing = self.fs.get_file_info(pafs.FileSelector(self.path(table, ENTRIES), allow_not_found=True))
        for info in listing:
            start = info.base_name.removesuffix(".json")
            if info.type == pafs.FileType.File and start.isdigit() and int(start) not in by_start:
                with self.fs.open_input_stream(info.path) as stream:
                    batch = LakeBatch(**json.loads(stream.read()))
                by_start[batch.min_load_id] = batch
        return [by_start[start] for start in sorted(by_start)]

    def _summary(self, table: Table) -> list[LakeBatch]:
        try:
            with self.fs.open_input_stream(self.path(table, MANIFEST)) as stream:
                return [LakeBatch(**b) for b in json.loads(stream.read())["batches"]]
        except FileNotFoundError:
            return []

    def watermark(self, table: Table) -> int:
        """The highest OLTP load id already extracted (0 before the first extract)."""
        return max((b.max_load_id for b in self.batches(table)), default=0)

    def _register(self, table: Table, batch: LakeBatch) -> bool:
        """Write the batch's entry unless one for its first load id exists; True if this call wrote it."""
        body = json.dumps(asdict(batch), indent=2).encode()
        entry = self.path(table, f"{ENTRIES}/{batch.min_load_id:09d}.json")
        if self.is_s3:
            from botocore.exceptions import ClientError

            bucket, _, key = entry.partition("/")
            client = self._s3 or s3_client()
            try:
                client.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*")
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                    return False
                raise
            return True
        os.makedirs(os.path.dirname(entry), exist_ok=True)
        written = f"{entry}.{uuid.uuid4().hex}.partial"  # whole before it is linked: no reader sees half
        with open(written, "wb") as out:
            out.write(body)
        try:
            os.link(written, entry)  # fails if the entry exists, atomically
        except FileExistsError:
            return False
        finally:
            os.unlink(written)
        return True

    def _write_summary(self, table: Table) -> None:
        body = json.dumps({"table": table.name, "batches": [asdict(b) for b in self.batches(table)]}, indent=2)
        with self.fs.open_output_stream(self.path(table, MANIFEST)) as stream:
            stream.write(body.encode())

    def read(self, table: Table, batch: LakeBatch) -> pa.Table:
        return pq.read_table(self.path(table, batch.file), filesystem=self.fs, schema=parquet_schema(table))

    def stream(self, table: Table, batch: LakeBatch) -> pa.RecordBatchReader:
        """The batch in chunks of ``EXTRACT_CHUNK_ROWS`` rows, so whoever reads it never holds the whole file."""
        return pa.RecordBatchReader.from_batches(parquet_schema(table), self._chunks(table, batch))

    def _chunks(self, table: Table, batch: LakeBatch) -> Iterator[pa.RecordBatch]:
        with self.fs.open_input_file(self.path(table, batch.file)) as file:
            yield from pq.ParquetFile(file).iter_batches(batch_size=EXTRACT_CHUNK_ROWS)

    def extract(self, engine: sa.Engine, table: Table) -> LakeBatch | None:
        """Write the rows changed since the last extract as a new batch; None when nothing changed (or another
        runner extracted it first).

        Safe to re-run after a crash and to run on several runners at once: each writer's batch file has a name
        of its own, and only its registered entry, written last, makes it visible.
        """
        for _ in range(EXTRACT_ATTEMPTS):
            after = self.watermark(table)
            batch = self._write_batch(engine, table, after)
            if batch is None:
                return None
            if self._register(table, batch):
                self._write_summary(table)
                return batch
            self.fs.delete_file(self.path(table, batch.file))  # another runner registered this range first
        raise RuntimeError(f"lake extract of {table.name}: lost {EXTRACT_ATTEMPTS} registrations in a row")

    def _write_batch(self, engine: sa.Engine, table: Table, after: int) -> LakeBatch | None:
        target = CONTRACT_TABLES[table.name]
        with engine.connect() as conn:
            upto = conn.execute(
                sa.select(sa.func.max(target.c[LOAD_ID_COLUMN])).where(target.c[LOAD_ID_COLUMN] > after)
            ).scalar()
            if upto is None:
                return None
            name = f"loads-{after + 1:09d}-{upto:09d}-{uuid.uuid4().hex[:8]}.parquet"
            self.fs.create_dir(self.path(table), recursive=True)
            schema = parquet_schema(table)
            with pq.ParquetWriter(self.path(table, name), schema, filesystem=self.fs, compression="zstd") as writer:
                changed = READERS[conn.dialect.name](conn).changed_rows(table, after, upto, schema, EXTRACT_CHUNK_ROWS)
                rows = _write_while_reading(writer, changed)
        return LakeBatch(name, rows, after + 1, upto, datetime.now(UTC).isoformat(timespec="seconds"))


def _write_while_reading(writer: pq.ParquetWriter, batches: Iterator[pa.RecordBatch]) -> int:
    """Write each batch on a second thread while the next is read (Parquet encoding releases the GIL, reading
    mostly holds it); one batch in flight at a time keeps memory flat. Returns the rows written."""
    rows = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future | None = None
        for batch in batches:
            if pending:
                pending.result()
            pending = pool.submit(writer.write_batch, batch)
            rows += batch.num_rows
        if pending:
            pending.result()
    return rows
