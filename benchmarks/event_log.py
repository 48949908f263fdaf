"""Benchmark: writing Dagster events to the local SQLite event log, Dagster's storage against this project's.

Usage: python benchmarks/event_log.py [--events 400] [--rounds 3]

Per round, A B A B, each storage in a fresh folder: the events a dbt step writes, in its proportions (a step
output and an asset check evaluation per dbt test, a step output and a materialization per model, and a log
message now and then), through ``store_event``. A: Dagster's ``SqliteEventLogStorage`` (an engine per event);
B: ``PooledSqliteEventLogStorage`` (chinook_platform/lib/orchestration/event_log.py: an engine per shard, kept open).
The floor is the same inserts over one open sqlite3 connection, one commit each. Afterwards each storage's events
are read back through a fresh Dagster instance's API (the check that both wrote the same thing). Prints Markdown.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import dagster as dg  # noqa: E402
from dagster._core.events import (  # noqa: E402
    AssetCheckEvaluation,
    DagsterEvent,
    DagsterEventType,
    EngineEventData,
    StepMaterializationData,
)
from dagster._core.events.log import EventLogEntry  # noqa: E402
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage  # noqa: E402

from chinook_platform.lib.orchestration import PooledSqliteEventLogStorage  # noqa: E402


def events(count: int, run_id: str) -> list[EventLogEntry]:
    """A dbt step's events in its proportions: per test an output and a check evaluation, per model an output and a
    materialization (one model per six tests, as in this project), and a log line every tenth."""
    entries = []
    for i in range(count):
        model = dg.AssetKey(["warehouse", f"model_{i // 12}"])
        if i % 10 == 9:
            entries.append(_entry(run_id, None, f"log line {i}"))
        elif i % 12 == 0:
            materialization = dg.AssetMaterialization(asset_key=model, metadata={"dagster/row_count": i})
            data = StepMaterializationData(materialization)
            entries.append(_entry(run_id, _event(DagsterEventType.ASSET_MATERIALIZATION, data)))
        elif i % 2:
            check = AssetCheckEvaluation(asset_key=model, check_name=f"test_{i}", passed=True, metadata={})
            entries.append(_entry(run_id, _event(DagsterEventType.ASSET_CHECK_EVALUATION, check)))
        else:
            entries.append(_entry(run_id, _event(DagsterEventType.ENGINE_EVENT, EngineEventData(), f"output {i}")))
    return entries


def _event(kind: DagsterEventType, data: object, message: str | None = None) -> DagsterEvent:
    return DagsterEvent(kind.value, "job", event_specific_data=data, message=message)


def _entry(run_id: str, event: DagsterEvent | None, message: str = "") -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level="debug",
        user_message=message,
        run_id=run_id,
        timestamp=time.time(),
        dagster_event=event,
        job_name="job",
    )


def write(storage_class: type[SqliteEventLogStorage], entries: list[EventLogEntry]) -> tuple[float, int]:
    """Seconds to store the entries in a fresh folder, and how many a fresh instance then reads back."""
    with tempfile.TemporaryDirectory() as folder:
        storage = storage_class(folder)
        start = time.perf_counter()
        for entry in entries:
            storage.store_event(entry)
        seconds = time.perf_counter() - start
        storage.dispose()
        stored = len(SqliteEventLogStorage(folder).get_logs_for_run(entries[0].run_id))
    return seconds, stored


def floor(entries: list[EventLogEntry]) -> float:
    """The same rows inserted over one open connection, one commit per event (what SQLite itself costs)."""
    with tempfile.TemporaryDirectory() as folder:
        SqliteEventLogStorage(folder).store_event(entries[0])  # the schema
        conn = sqlite3.connect(Path(folder) / f"{entries[0].run_id}.db")
        rows = [(e.run_id, dg.serialize_value(e), e.dagster_event_type and e.dagster_event_type.value) for e in entries]
        start = time.perf_counter()
        for row in rows:
            conn.execute("insert into event_logs (run_id, event, dagster_event_type) values (?, ?, ?)", row)
            conn.commit()
        seconds = time.perf_counter() - start
        conn.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    entries = events(args.events, "benchmark-run")
    timings: dict[str, list[float]] = {"dagster": [], "pooled": [], "floor": []}
    for _ in range(args.rounds):
        for name, storage_class in (("dagster", SqliteEventLogStorage), ("pooled", PooledSqliteEventLogStorage)):
            seconds, stored = write(storage_class, entries)
            if stored != len(entries):
                raise SystemExit(f"{name}: {stored} of {len(entries)} events read back")
            timings[name].append(seconds)
        timings["floor"].append(floor(entries))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    print(f"{args.events} events, median of {args.rounds} rounds (A B A B)\n")
    print("| storage | ms per event | vs floor | vs Dagster's |")
    print("|---|---:|---:|---:|")
    labels = {
        "dagster": "Dagster's SqliteEventLogStorage (an engine per event)",
        "pooled": "PooledSqliteEventLogStorage (an engine per shard)",
        "floor": "floor: sqlite3, one open connection, a commit per event",
    }
    for name, label in labels.items():
        ms = medians[name] / args.events * 1000
        vs_floor, vs_dagster = medians[name] / medians["floor"], medians[name] / medians["dagster"]
        print(f"| {label} | {ms:.2f} | {vs_floor:.1f}x | {vs_dagster:.2f}x |")


if __name__ == "__main__":
    main()
