"""Benchmark: the lake step on Apache Iceberg (pyiceberg, one append commit per table) against the Parquet
writer it replaced (``parquet_lake_before.py``: one batch file plus a registration entry), and the staging read of
what each wrote.

Usage: python benchmarks/lake_iceberg.py [--scale 100] [--rounds 3]

The dataset is generated once and loaded once into a SQLite OLTP database (cached under .chinook/benchmarks/).
Each round extracts every table into a fresh lake with A (Iceberg) then B (Parquet), so a load spike on the
shared machine falls on both sides; then reads every batch back as staging does. Reported per step: the median
and the spread (min-max) over the rounds of wall seconds and CPU seconds (this process, all threads), and the
load average before each measurement. Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def oltp_database(scale: float):  # noqa: ANN201
    """The scale's SQLite OLTP database, loaded once with the platform's loader."""
    from oltp_load import dataset

    from chinook_platform.lib.contract import TABLES
    from chinook_platform.lib.oltp import create_oltp_engine, load_landed_file

    folder = dataset(scale)
    database = folder / "oltp.sqlite"
    if not (folder / ".oltp-complete").exists():
        database.unlink(missing_ok=True)
        engine = create_oltp_engine(f"sqlite:///{database}")
        for table in TABLES:
            path = folder / f"{table.csv_name}.csv"
            load_landed_file(engine, table, str(path), "v1", lambda p=path: p.open("rb"))
        engine.dispose()
        (folder / ".oltp-complete").touch()
    return create_oltp_engine(f"sqlite:///{database}", create=False)


def measured(step: Callable[[], int]) -> dict:
    load = os.getloadavg()[0]
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    rows = step()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "rows": rows,
        "wall": wall,
        "cpu": after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime,
        "load": load,
    }


def iceberg_steps(engine, work: Path) -> tuple[Callable[[], int], Callable[[], int]]:  # noqa: ANN001
    from chinook_platform.lib.contract import TABLES
    from chinook_platform.lib.lake import LakeStore

    lake = LakeStore(str(work / "lake"), f"sqlite:///{work / 'lake_catalog.sqlite'}")

    def extract() -> int:
        return sum(b.rows for t in TABLES if (b := lake.extract(engine, t)))

    def read() -> int:
        return sum(batch.num_rows for t in TABLES for b in lake.batches(t) for batch in lake.stream(t, b))

    return extract, read


def parquet_steps(engine, work: Path) -> tuple[Callable[[], int], Callable[[], int]]:  # noqa: ANN001
    from parquet_lake_before import LakeStore

    from chinook_platform.lib.contract import TABLES

    lake = LakeStore(str(work / "lake"))

    def extract() -> int:
        return sum(b.rows for t in TABLES if (b := lake.extract(engine, t)))

    def read() -> int:
        return sum(batch.num_rows for t in TABLES for b in lake.batches(t) for batch in lake.stream(t, b))

    return extract, read


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine = oltp_database(args.scale)
    sides = {"A Iceberg": iceberg_steps, "B Parquet (before)": parquet_steps}
    results: dict[tuple[str, str], list[dict]] = {}
    for round_number in range(args.rounds):
        for side, steps in sides.items():
            work = Path(tempfile.mkdtemp(prefix="lake-bench-"))
            try:
                extract, read = steps(engine, work)
                for step, run in (("extract", extract), ("read", read)):
                    results.setdefault((side, step), []).append(measured(run))
            finally:
                shutil.rmtree(work)
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    print(f"scale {args.scale:g}, {args.rounds} rounds (A B A B ...), medians (min-max)\n")
    print("| side | step | rows | wall s | CPU s | load avg (1 min) before |")
    print("|---|---|---|---|---|---|")
    for (side, step), runs in results.items():
        rows = runs[0]["rows"]
        assert all(r["rows"] == rows for r in runs), (side, step)
        loads = ", ".join(f"{r['load']:.2f}" for r in runs)
        print(
            f"| {side} | {step} | {rows:,} | {spread([r['wall'] for r in runs])} | "
            f"{spread([r['cpu'] for r in runs])} | {loads} |"
        )
    for step in ("extract", "read"):
        a = statistics.median(r["wall"] for r in results[("A Iceberg", step)])
        b = statistics.median(r["wall"] for r in results[("B Parquet (before)", step)])
        print(f"\n{step}: Iceberg / Parquet = {a / b:.2f}x (median wall)", end="")
    print()
    engine.dispose()


if __name__ == "__main__":
    main()
