"""Dagster's SQLite event log, keeping each shard's database engine open between events.

Dagster's ``SqliteEventLogStorage`` creates an engine, opens a connection and disposes of both for every write,
so each insert statement is compiled afresh too: an event costs 8.5 to 17 ms on the machines this project is
built on, 3.5 times what it costs with the engine kept (``benchmarks/event_log.py``). A ``chinook run`` writes
600 to 1,000 events, most of them from the dbt step (a materialization or a check evaluation per model and test,
and their planned events). This storage is the same class, the same files and the same schema (the UI, the daemon
and ``dagster`` commands read them unchanged), with the engines of the index shard and of the last few runs'
shards kept open. Writers still serialize on the storage's lock, and SQLite's own file locking still keeps the
daemon, the webserver and runs from writing at once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._serdes import ConfigurableClassData

# Engines kept for run shards besides the index: the runs a process is writing or reading at the moment (a
# `chinook run` has one at a time; the daemon and the webserver look at a few). Older ones are disposed of.
RUN_SHARDS_KEPT = 4


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one engine per shard, kept for the index and the last few run shards."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> sa.Engine:
        """The shard's engine, made on first use; the least recently used run shard's is disposed of past the limit."""
        engine = self._engines.pop(shard, None) or sa.create_engine(
            self.conn_string_for_shard(shard),
            # Used under the storage's lock from the main thread and the watcher's.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        self._engines[shard] = engine
        run_shards = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for name in run_shards[: max(0, len(run_shards) - RUN_SHARDS_KEPT)]:
            self._engines.pop(name).dispose()
        return engine

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # before the run shards' files are deleted
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()
