"""Warehouse staging: lake batches appended to ``staging.<table>`` in DuckDB, PostgreSQL or Amazon Redshift.

Staging keeps history: every version of a row that reached the lake is kept, with ``_load_id``,
``_loaded_at`` and ``_batch_id``. A ledger table, ``staging._batches``, records each batch loaded, in the
same transaction as its rows, so a batch loaded twice is counted once. The ledger is read again inside that
transaction (on PostgreSQL under a lock per table): a batch another runner loaded meanwhile is skipped.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from chinook_platform.lib.contract import Table
from chinook_platform.lib.environment import WarehouseSettings, analytics_copy_path
from chinook_platform.lib.lake import LakeBatch
from chinook_platform.lib.warehouse.ddl import BATCH_ID_COLUMN, LEDGER, create_statements, redshift_load_statements


class StagingWarehouse(Protocol):
    """What the staging assets need of a warehouse; the engines subclass it for ``row_count`` and ``query``."""

    engine: str
    schema: str

    def loaded_batches(self, table: Table) -> set[str]: ...

    def load_batch(
        self, table: Table, batch: LakeBatch, rows: Callable[[], pa.RecordBatchReader], uri: str
    ) -> int | None:
        """Append the batch and record it in the ledger; None if the ledger already holds it."""
        ...

    def refresh_statistics(self, table: Table) -> None:
        """Give the planner the table's statistics after a load (a server's planner has none until it runs ANALYZE:
        at scale 100 PostgreSQL chose nested loops over tables it thought ten times smaller, for minutes)."""
        ...

    def row_count(self, table: Table) -> int:
        return self.query(f"select count(*) from {self.schema}.{table.name}")[0][0]

    def query(self, sql: str) -> list[tuple]:
        return self.queries([sql])[0]

    def queries(self, sqls: list[str]) -> list[list[tuple]]:
        """Each statement's rows, over one connection."""
        ...

    def wait_until_writable(self) -> None:
        """Return once a writer can open the warehouse (before dbt, which opens its own connection and cannot wait)."""
        ...


class WarehouseLockedError(RuntimeError):
    """The DuckDB file is held by another process: says which file, why, and what to do."""

    def __init__(self, path: str, cause: Exception):
        super().__init__(
            f"The DuckDB warehouse {path} is locked by another process ({cause}). DuckDB lets one process "
            "open a file for writing and no other process open it at the same time: a Dagster run writing the "
            "warehouse holds it while it runs, and so does any program that has it open (the duckdb CLI, DBeaver, "
            "a notebook). Close that program or wait for the run to finish. To read the numbers while runs write, "
            f"open the read-only copy of the analytics schema instead (`duckdb -readonly {analytics_copy_path()}`, "
            "refreshed by the analysis/warehouse_copy asset after every build), or use a PostgreSQL warehouse "
            "(CHINOOK_WAREHOUSE_TARGET=postgres), which serves readers during runs."
        )


# The Dagster pool of every step that writes or reads the warehouse: DuckDB, the default, takes one writer at a time.
WAREHOUSE_POOL = "chinook_warehouse"
DuckDBSetting = str | bool | int | float | list[str]  # a value of duckdb.connect()'s config
LOCK_WAIT_SECONDS = 30.0  # how long a writer waits out a reader's brief hold (a summary, a query) before failing


def connect_duckdb(  # noqa: ANN201
    path: str, read_only: bool = False, lock_wait: float | None = None, config: dict[str, DuckDBSetting] | None = None
):
    """A DuckDB connection; a file locked by another process is retried for ``lock_wait`` seconds (writers:
    LOCK_WAIT_SECONDS, readers: none), then raises WarehouseLockedError."""
    import duckdb

    deadline = time.monotonic() + (lock_wait if lock_wait is not None else 0.0 if read_only else LOCK_WAIT_SECONDS)
    while True:
        try:
            return duckdb.connect(path, read_only=read_only, config=config or {})
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(path, error) from error
            time.sleep(0.2)


class DuckDBStaging(StagingWarehouse):
    """The embedded default: a DuckDB file. Rows arrive as a stream of Arrow batches, which DuckDB scans."""

    engine = "duckdb"

    def __init__(self, path: str, schema: str = "staging", memory_limit: str = "", threads: str = ""):
        self.path = path
        self.schema = schema
        # The settings' limits (empty: DuckDB's own defaults), the same dbt's connection gets (profiles.yml).
        self.limits = {k: v for k, v in {"memory_limit": memory_limit, "threads": threads}.items() if v}

    def _connect(self):  # noqa: ANN202
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # Staging tables promise no row order, and DuckDB loads in parallel when it need not keep one.
        return connect_duckdb(self.path, config={"preserve_insertion_order": False, **self.limits})

    def loaded_batches(self, table: Table) -> set[str]:
        with self._connect() as con:
            for statement in create_statements(table, self.engine, self.schema):
                con.execute(statement)
            found = con.execute(
                f"select batch_id from {self.schema}.{LEDGER} where table_name = ?", [table.name]
            ).fetchall()
        return {b for (b,) in found}

    def load_batch(
        self, table: Table, batch: LakeBatch, rows: Callable[[], pa.RecordBatchReader], uri: str
    ) -> int | None:
        with self._connect() as con:
            con.begin()
            if con.execute(
                f"select 1 from {self.schema}.{LEDGER} where table_name = ? and batch_id = ?",
                [table.name, batch.batch_id],
            ).fetchall():
                con.rollback()
                return None
            con.register("incoming", rows())
            [(loaded,)] = con.execute(
                f"insert into {self.schema}.{table.name} select *, ? from incoming", [batch.batch_id]
            ).fetchall()
            con.execute(
                f"insert into {self.schema}.{LEDGER} values (?, ?, ?, current_timestamp)",
                [table.name, batch.batch_id, loaded],
            )
            con.commit()
        return loaded

    def refresh_statistics(self, table: Table) -> None:
        """DuckDB keeps its statistics as it writes."""

    def queries(self, sqls: list[str]) -> list[list[tuple]]:
        with self._connect() as con:  # opening the file is most of a small query's cost
            return [con.execute(sql).fetchall() for sql in sqls]

    def wait_until_writable(self) -> None:
        self._connect().close()


class PostgresStaging(StagingWarehouse):
    """PostgreSQL (e.g. RDS as the OLAP database): rows arrive by COPY."""

    engine = "postgres"

    def __init__(self, url: str, schema: str = "staging"):
        from chinook_platform.lib.oltp import normalize_url

        self.sql = sa.create_engine(normalize_url(url), pool_pre_ping=True)
        self.schema = schema

    def loaded_batches(self, table: Table) -> set[str]:
        with self.sql.begin() as conn:
            conn.exec_driver_sql("select pg_advisory_xact_lock(hashtext('chinook-staging-ddl'))")
            for statement in create_statements(table, self.engine, self.schema):
                conn.exec_driver_sql(statement)
            found = conn.execute(
                sa.text(f"select batch_id from {self.schema}.{LEDGER} where table_name = :t"), {"t": table.name}
            )
            return {b for (b,) in found}

    def load_batch(
        self, table: Table, batch: LakeBatch, rows: Callable[[], pa.RecordBatchReader], uri: str
    ) -> int | None:
        loaded = 0
        with self.sql.begin() as conn:
            # Runners with separate Dagster homes share no pool: the database serializes their loads of a table.
            conn.execute(
                sa.text("select pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"chinook-staging:{self.schema}.{table.name}"},
            )
            if conn.execute(
                sa.text(f"select 1 from {self.schema}.{LEDGER} where table_name = :t and batch_id = :b"),
                {"t": table.name, "b": batch.batch_id},
            ).first():
                return None
            driver = conn.connection.driver_connection
            assert driver is not None  # a checked-out connection has its driver's
            with (
                driver.cursor() as cursor,
                cursor.copy(f"copy {self.schema}.{table.name} from stdin (format csv)") as copy,
            ):
                for incoming in rows():  # one CSV chunk per Arrow batch: memory stays flat however big the batch
                    batch_ids = pa.repeat(pa.scalar(batch.batch_id), incoming.num_rows)
                    buffer = io.BytesIO()
                    pacsv.write_csv(
                        incoming.append_column(BATCH_ID_COLUMN, batch_ids),
                        buffer,
                        write_options=pacsv.WriteOptions(include_header=False),
                    )
                    copy.write(buffer.getbuffer())
                    loaded += incoming.num_rows
            conn.execute(
                sa.text(f"insert into {self.schema}.{LEDGER} values (:t, :b, :n, current_timestamp)"),
                {"t": table.name, "b": batch.batch_id, "n": loaded},
            )
        return loaded

    def refresh_statistics(self, table: Table) -> None:
        """ANALYZE the table (Redshift too, after its COPY: the INSERT into staging updates no statistics)."""
        with self.sql.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"analyze {self.schema}.{table.name}")

    def queries(self, sqls: list[str]) -> list[list[tuple]]:
        with self.sql.connect() as conn:
            return [[tuple(r) for r in conn.exec_driver_sql(sql)] for sql in sqls]

    def wait_until_writable(self) -> None:
        """PostgreSQL and Redshift take any number of writers."""


class RedshiftStaging(PostgresStaging):
    """Amazon Redshift: Redshift reads the Parquet batch from the S3 lake itself (COPY ... FORMAT AS PARQUET)."""

    engine = "redshift"

    def __init__(self, url: str, iam_role: str, schema: str = "staging"):
        self.sql = sa.create_engine(url)
        self.schema = schema
        self.iam_role = iam_role

    def loaded_batches(self, table: Table) -> set[str]:
        with self.sql.begin() as conn:
            for statement in create_statements(table, self.engine, self.schema):
                conn.exec_driver_sql(statement)
            found = conn.exec_driver_sql(
                f"select batch_id from {self.schema}.{LEDGER} where table_name = '{table.name}'"
            )
            return {b for (b,) in found}

    def load_batch(self, table: Table, batch: LakeBatch, rows: Callable[[], pa.RecordBatchReader], uri: str) -> int:
        if not uri.startswith("s3://"):
            raise ValueError(f"Redshift loads from S3 only; the lake is at {uri} (set CHINOOK_LAKE_URL=s3://...)")
        with self.sql.begin() as conn:
            for statement in redshift_load_statements(
                table, self.schema, uri, self.iam_role, batch.batch_id, batch.rows
            ):
                conn.exec_driver_sql(statement)
        return batch.rows


def load_new_batches(
    warehouse: StagingWarehouse,
    table: Table,
    batches: list[LakeBatch],
    read: Callable[[LakeBatch], pa.RecordBatchReader],
    uri: Callable[[LakeBatch], str],
) -> list[tuple[LakeBatch, int]]:
    """Load every lake batch the warehouse has not loaded yet, oldest first, then refresh the table's statistics
    once; returns (batch, rows) loaded."""
    done = warehouse.loaded_batches(table)
    loaded = []
    for batch in batches:
        if batch.batch_id in done:
            continue
        done.add(batch.batch_id)  # a lake written before registration was race-free may list a batch twice
        where = uri(batch) if warehouse.engine == "redshift" else ""  # only Redshift reads the lake's files itself
        rows = warehouse.load_batch(table, batch, partial(read, batch), where)
        if rows is not None:  # else another runner loaded it meanwhile
            loaded.append((batch, rows))
    if loaded:
        warehouse.refresh_statistics(table)
    return loaded


def staging_warehouse(settings: WarehouseSettings) -> StagingWarehouse:
    """The warehouse the settings name (its target, path or server, and staging schema)."""

    def url(driver: str, prefix: str) -> str:
        password = getattr(settings, f"{prefix}_password").get_secret_value()
        return sa.URL.create(
            driver,
            username=getattr(settings, f"{prefix}_user") or None,
            password=password or None,
            host=getattr(settings, f"{prefix}_host"),
            port=getattr(settings, f"{prefix}_port"),
            database=getattr(settings, f"{prefix}_dbname"),
        ).render_as_string(hide_password=False)

    match settings.target:
        case "duckdb":
            return DuckDBStaging(
                str(settings.duckdb_path),
                settings.staging_schema,
                memory_limit=settings.duckdb_memory_limit,
                threads=str(settings.duckdb_threads),
            )
        case "postgres":
            return PostgresStaging(url("postgresql+psycopg", "pg"), settings.staging_schema)
        case "redshift":
            return RedshiftStaging(
                url("redshift+redshift_connector", "redshift"),
                settings.redshift_iam_role,
                settings.staging_schema,
            )
    raise ValueError(f"CHINOOK_WAREHOUSE_TARGET must be duckdb, postgres or redshift, not {settings.target!r}")
