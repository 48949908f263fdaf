"""One dbt build at a time in a server warehouse, whoever runs it: runners with separate Dagster homes share no
pool, so the database itself serializes their builds of the same analytics schema.

PostgreSQL: a session advisory lock, held on a connection of its own for the whole build (a runner killed mid-build
drops its connection, and the lock with it). Redshift has no advisory locks: a one-row lock table, locked with
``lock`` in a transaction kept open for the build. DuckDB needs neither: its file takes one writer.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import sqlalchemy as sa

from chinook_platform.lib.warehouse.staging import StagingWarehouse

LOCK_TABLE = "_dbt_build_lock"


@contextlib.contextmanager
def dbt_build_lock(staging: StagingWarehouse, analytics_schema: str, log: logging.Logger) -> Iterator[None]:
    """Hold the warehouse's dbt build lock for ``analytics_schema`` while the block runs (waiting for it first)."""
    engine: sa.Engine | None = getattr(staging, "sql", None)
    if engine is None or staging.engine not in ("postgres", "redshift"):
        yield
        return
    with engine.connect() as conn:
        if staging.engine == "postgres":
            key = {"key": f"chinook-dbt-build:{analytics_schema}"}
            if not conn.execute(sa.text("select pg_try_advisory_lock(hashtextextended(:key, 0))"), key).scalar():
                log.info(f"waiting for another runner's dbt build of {analytics_schema} to finish")
                conn.execute(sa.text("select pg_advisory_lock(hashtextextended(:key, 0))"), key)
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("select pg_advisory_unlock(hashtextextended(:key, 0))"), key)
                conn.commit()
        else:
            table = f"{staging.schema}.{LOCK_TABLE}"
            with conn.begin():
                conn.exec_driver_sql(f"create table if not exists {table} (locked_by varchar(64))")
            with conn.begin():
                conn.exec_driver_sql(f"lock {table}")  # until this transaction ends
                yield
