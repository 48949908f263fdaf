"""Benchmark: the whole path (`chinook run`) beside its floors and the tools users would pick instead (issue 14).

Usage: python benchmarks/whole_path.py [--scales 1 100] [--methods ...] [--json PATH] [--cache DIR]
       python benchmarks/whole_path.py --rounds 3 [--scales 100] [--json PATH]  (the two paths beside their own
       floors in alternating rounds, medians with their spread: whole_path_rounds.py; the figures to quote)

On the same generated CSVs per scale (cached under .chinook/benchmarks/scale-N), each method in its own child:
- `chinook run`: `chinook land` then `chinook run` in a fresh CHINOOK_HOME (DAGSTER_HOME unset, so the CLI makes
  its own), full first run; again with nothing new; `chinook dbt build --full-refresh` on that home (the dbt
  floor); then one more day (`chinook generate --next-days 1 --after oltp`, `chinook land`, `chinook run`: the
  incremental run). Each step's own duration (the dbt step, the OLTP load) comes from Dagster's run log.
- the loads alone (`chinook run --select 'group:landing or group:oltp'` in fresh homes): with the OLTP database on
  PostgreSQL, and (at the smallest scale) the same rows as one file per day (`chinook generate --daily`), whose
  OLTP time beyond the 8-file run's, per extra file, is the per-file cost.
- floors: DuckDB `read_csv` into tables, PostgreSQL `COPY` into unindexed tables (a schema of its own, dropped
  after), SQLite `executemany` in one transaction.
- alternatives: pandas `read_csv` + `to_sql` into SQLite; dlt with pyarrow batches (types from the contract) into
  DuckDB and PostgreSQL, dlt living in a venv of its own (.chinook/benchmarks/dlt-venv, made on first use from
  benchmarks/requirements-dlt.txt); pandas star schema into DuckDB (benchmarks/pipeline.py's `pandas_star_schema`).

Wall s: the child process from start to exit (interpreter and imports included: what a user waits for). Work s:
the clock around the load itself, after imports (CLI steps: their wall). Peak MiB: the largest sum of VmRSS over
the child's process tree, polled from /proc every 0.2 s (shared pages counted once per process), or the child's
own peak RSS from wait4 if larger. The floor (one sample) is the sum of the work seconds of DuckDB read_csv
+ SQLite executemany + standalone dbt build: the embedded default's own; "vs chinook run (full)" is the
method's wall over that run's wall.
The child processes run the package at this file's checkout (PYTHONPATH). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BIN = Path(sys.executable).parent
CHAIN = {
    "land": "chinook land (8 CSVs)",
    "full": "`chinook run` (full, first run)",
    "unchanged": "`chinook run` (nothing new landed)",
    "dbt": "`chinook dbt build --full-refresh` (standalone dbt floor)",
    "land_day": "chinook land (+1 day)",
    "incremental": "`chinook run` (+1 day, incremental)",
    "oltp_postgres": "`chinook run --select` landing + OLTP, OLTP on PostgreSQL",
    "oltp_daily": "`chinook run --select` landing + OLTP, one file per day",
}
LOADS = "group:landing or group:oltp"
CHILDREN = {
    "duckdb": "floor: DuckDB read_csv into tables",
    "postgres": "floor: PostgreSQL COPY, unindexed tables",
    "sqlite": "floor: SQLite executemany, one transaction",
    "pandas_sqlite": "pandas read_csv + to_sql into SQLite (chunks of 10k)",
    "dlt_duckdb": "dlt, pyarrow batches, into DuckDB",
    "dlt_postgres": "dlt, pyarrow batches, into PostgreSQL",
    "pandas_star": "pandas star schema and marts into DuckDB (pipeline.py)",
}
METHODS = ["chinook", "oltp_postgres", "oltp_daily", *CHILDREN]
FLOORS = ("duckdb", "sqlite", "dbt")  # the embedded default's own (the server path's: whole_path_rounds.py)
DLT_LOADER = """
import json, sys, time
import dlt, pyarrow as pa, pyarrow.csv as pv
destination, folder, work, schema, spec, url = sys.argv[1:7]
TYPES = {"integer": pa.int64(), "text": pa.string(), "money": pa.decimal128(10, 2), "timestamp": pa.timestamp("us")}
rows = 0
def batches(path, types):
    global rows
    options = pv.ConvertOptions(column_types={c: TYPES[t] for c, t in types.items()}, strings_can_be_null=True)
    with pv.open_csv(path, convert_options=options) as reader:
        for batch in reader:
            rows += batch.num_rows
            yield batch
start = time.perf_counter()
target = (dlt.destinations.duckdb(f"{work}/dlt.duckdb") if destination == "duckdb"
          else dlt.destinations.postgres(url))  # dlt insists on a password: trust auth ignores it
pipeline = dlt.pipeline(pipeline_name=f"whole_path_{destination}", destination=target, dataset_name=schema,
                        pipelines_dir=f"{work}/dlt-pipelines")
pipeline.run([dlt.resource(batches(f"{folder}/{csv}.csv", types), name=name) for name, (csv, types) in
              json.loads(spec).items()])
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - start}))
"""


def dataset(cache: Path, scale: float, daily: bool = False) -> Path:
    """The generated CSVs of a scale (invoices as one file per day with ``daily``), made once per cache."""
    folder = cache / (f"scale-{scale:g}-daily" if daily else f"scale-{scale:g}")
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating scale {scale:g}{', one file per day,' if daily else ''} into {folder} ...", file=sys.stderr)
        command = [
            BIN / "chinook",
            "generate",
            "--scale",
            f"{scale:g}",
            *(["--daily"] if daily else []),
            "--out",
            folder,
        ]
        subprocess.run(command, check=True, env=child_env(), stdout=subprocess.DEVNULL)
        (folder / ".complete").touch()
    return folder


def dlt_python(cache: Path) -> Path:
    """The dlt venv's python, creating the venv on first use (dlt is never a project dependency)."""
    venv = cache / "dlt-venv"
    if not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        print(f"installing dlt into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-r", REPO / "benchmarks" / "requirements-dlt.txt"], check=True)
        (venv / ".complete").touch()
    return venv / "bin" / "python"


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return {**env, "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])]), **extra}


def tree_rss_kib(root: int) -> int:
    """The summed VmRSS of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            children[int(stat.read_text().rsplit(")", 1)[1].split()[1])].append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children[pid]
        try:
            total += next(
                (
                    int(line.split()[1])
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("VmRSS:")
                ),
                0,
            )
        except OSError:
            continue
    return total


def measure(command: list, env: dict[str, str]) -> dict:
    """Run one child to its end; its wall seconds, CPU seconds (user + system, its waited-for descendants
    included), peak tree RSS, load average before it and last stdout line."""
    load = float(Path("/proc/loadavg").read_text().split()[0])
    with tempfile.TemporaryFile("w+") as output:
        start = time.perf_counter()
        child = subprocess.Popen([str(c) for c in command], env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        peak, done = [0], threading.Event()

        def poll() -> None:
            while not done.wait(0.2):
                peak[0] = max(peak[0], tree_rss_kib(child.pid))

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        done.set()
        poller.join()
        output.seek(0)
        lines = output.read().strip().splitlines()
    if child.returncode:
        raise SystemExit(f"{' '.join(map(str, command))[:200]} exited {child.returncode}:\n" + "\n".join(lines[-15:]))
    return {
        "wall": wall,
        "seconds": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": max(peak[0], usage.ru_maxrss) / 1024,
        "load": load,
        "last_line": lines[-1] if lines else "",
    }


STEP_DONE = re.compile(r'Finished execution of step "([^"]+)" in (?:(\d+)m)?([\d.]+)(ms|s)\b')


def step_seconds(home: Path) -> dict[str, float]:
    """Each step's own duration in the home's latest `chinook run`, from Dagster's run log."""
    log = max((home / "logs").glob("run-*.log"), key=lambda p: p.stat().st_mtime)
    steps: dict[str, float] = {}
    for name, minutes, value, unit in STEP_DONE.findall(log.read_text()):
        seconds = float(value) / (1000 if unit == "ms" else 1) + 60 * int(minutes or 0)
        steps[name] = steps.get(name, 0.0) + seconds
    return steps


def oltp_seconds(steps: dict[str, float]) -> float:
    """The OLTP load's steps (one per table; their checks excluded)."""
    from chinook_platform.lib.contract import TABLES

    return sum(steps.get(f"oltp__{t.name}", 0.0) for t in TABLES)


def chinook_chain(folder: Path, work: Path, with_dbt: bool, with_day: bool) -> dict[str, dict]:
    """Land and run in a fresh home, again with nothing new, the standalone dbt build, then one more day."""
    home, chinook, results = work / "home", BIN / "chinook", {}
    env = child_env(CHINOOK_HOME=str(home))
    steps = [("land", [chinook, "land", folder]), ("full", [chinook, "run"]), ("unchanged", [chinook, "run"])]
    steps += [("dbt", [chinook, "dbt", "build", "--full-refresh", "--quiet"])] if with_dbt else []
    if with_day:
        steps += [
            ("generate", [chinook, "generate", "--next-days", "1", "--after", "oltp", "--out", work / "day"]),
            ("land_day", [chinook, "land", work / "day"]),
            ("incremental", [chinook, "run"]),
        ]
    for step, command in steps:
        print(f"  {step}: {' '.join(map(str, command[1:]))} ...", file=sys.stderr)
        results[step] = measure(command, env)
        if command[1:] == ["run"]:
            results[step]["steps"] = step_seconds(home)
        print(f"  {step}: {results[step]['wall']:.1f} s, {results[step]['peak_mib']:.0f} MiB", file=sys.stderr)
    results.pop("generate", None)
    return results


def loads_chain(name: str, folder: Path, work: Path, **settings: str) -> dict:
    """Land a folder in a fresh home and run the landing and OLTP layers alone, with these settings."""
    home, chinook = work / name, BIN / "chinook"
    env = child_env(CHINOOK_HOME=str(home), **settings)
    print(f"  {name}: land {folder.name} and run {LOADS} ...", file=sys.stderr)
    measure([chinook, "land", folder], env)
    result = measure([chinook, "run", "--select", LOADS], env)
    result["steps"] = step_seconds(home)
    result["files"] = sum(1 for _ in folder.rglob("*.csv"))
    print(f"  {name}: {result['wall']:.1f} s, OLTP steps {oltp_seconds(result['steps']):.1f} s", file=sys.stderr)
    return result


def postgres_loads(folder: Path, work: Path, url: str) -> dict:
    """The landing and OLTP layers with the OLTP database on PostgreSQL (a schema of its own, dropped after)."""
    schema = f"bench_whole_oltp_{uuid.uuid4().hex[:8]}"
    try:
        return loads_chain("oltp_postgres", folder, work, CHINOOK_OLTP_URL=url, CHINOOK_OLTP_SCHEMA=schema)
    finally:
        drop_schema(url, schema)


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{schema}" cascade')


def run_child(method: str, folder: Path, work: Path, url: str, cache: Path) -> dict:
    schema = f"bench_whole_{method}_{uuid.uuid4().hex[:8]}"
    if method.startswith("dlt_"):
        from chinook_platform.lib.contract import TABLES

        spec = {t.name: [t.csv_name, {c.csv_name: c.type.value for c in t.columns}] for t in TABLES}
        command = [
            dlt_python(cache),
            "-c",
            DLT_LOADER,
            method[4:],
            folder,
            work,
            schema,
            json.dumps(spec),
            url.replace("+psycopg", "").replace("postgres@", "postgres:unused@"),
        ]
        env = child_env(RUNTIME__DLTHUB_TELEMETRY="false", DLT_DATA_DIR=str(work / "dlt-data"))
    else:
        command, env = [sys.executable, __file__, "--child", method, folder, work, url, schema], child_env()
    print(f"  {method} ...", file=sys.stderr)
    try:
        result = measure(command, env)
    finally:
        if method in ("postgres", "dlt_postgres"):
            drop_schema(url, schema)
    result.update(json.loads(result.pop("last_line")))
    print(
        f"  {method}: {result['wall']:.1f} s wall, {result['seconds']:.1f} s work, {result['rows']:,} rows",
        file=sys.stderr,
    )
    return result


def child(method: str, folder: Path, work: Path, url: str, schema: str) -> None:
    """Inside the child: import, then load the eight CSVs one way, timing only the load."""
    from chinook_platform.lib.contract import TABLES, ColumnType

    files = [(t, folder / f"{t.csv_name}.csv") for t in TABLES]
    if method == "duckdb":
        import duckdb
    elif method == "postgres":
        import sqlalchemy as sa

        from chinook_platform.lib.oltp import sql_type
    elif method == "sqlite":
        import csv
        import sqlite3
    elif method == "pandas_sqlite":
        import sqlite3

        import pandas as pd
    elif method == "pandas_star":
        spec = importlib.util.spec_from_file_location("pipeline_benchmark", REPO / "benchmarks" / "pipeline.py")
        pipeline = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(pipeline)
        import duckdb  # noqa: F401  imported before the clock, like the others
        import pandas  # noqa: F401
    rows, start = 0, time.perf_counter()
    if method == "duckdb":
        with duckdb.connect(str(work / "floor.duckdb")) as con:
            for table, path in files:
                con.execute(f"create table {table.name} as select * from read_csv('{path}')")
                rows += con.execute(f"select count(*) from {table.name}").fetchone()[0]
    elif method == "postgres":
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'create schema "{schema}"')
            plain = sa.MetaData(schema=schema)
            for table in TABLES:  # the contract's columns and types, without keys or indexes
                sa.Table(table.name, plain, *(sa.Column(c.name, sql_type(c)) for c in table.columns))
            plain.create_all(conn)
            with conn.connection.driver_connection.cursor() as cursor:
                for table, path in files:
                    columns = ", ".join(c.name for c in table.columns)
                    with (
                        path.open("rb") as source,
                        cursor.copy(
                            f'copy "{schema}"."{table.name}" ({columns}) from stdin (format csv, header true)'
                        ) as copy,
                    ):
                        while chunk := source.read(1 << 20):
                            copy.write(chunk)
                    rows += cursor.execute(f'select count(*) from "{schema}"."{table.name}"').fetchone()[0]
        engine.dispose()
    elif method == "sqlite":
        affinity = {
            ColumnType.INTEGER: "integer",
            ColumnType.TEXT: "text",
            ColumnType.MONEY: "numeric",
            ColumnType.TIMESTAMP: "text",
        }
        con = sqlite3.connect(work / "floor.sqlite")
        with con:
            for table, path in files:
                columns = ", ".join(f"{c.name} {affinity[c.type]}" for c in table.columns)
                con.execute(f"create table {table.name} ({columns})")
                with path.open(newline="", encoding="utf-8") as source:
                    reader = csv.reader(source)
                    next(reader)
                    marks = ", ".join("?" * len(table.columns))
                    con.executemany(
                        f"insert into {table.name} values ({marks})",
                        ([v if v != "" else None for v in r] for r in reader),
                    )
                rows += con.execute(f"select count(*) from {table.name}").fetchone()[0]
        con.close()
    elif method == "pandas_sqlite":
        with sqlite3.connect(work / "pandas.sqlite") as con:
            for table, path in files:
                frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
                frame.to_sql(table.name, con, if_exists="replace", index=False, chunksize=10_000)
                rows += len(frame)
    elif method == "pandas_star":
        rows = pipeline.pandas_star_schema(folder, work)
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - start}))


def scale_table(scale: float, results: dict[str, dict]) -> str:
    full = results.get("full", {}).get("wall")
    lines = [
        f"scale {scale:g}\n",
        "| method | wall s | work s | peak MiB | vs `chinook run` (full) | load avg (1 min) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, label in {**CHAIN, **CHILDREN}.items():
        if r := results.get(key):
            versus = f"{r['wall'] / full:.2f}x" if full else "-"
            lines.append(
                f"| {label} | {r['wall']:.1f} | {r['seconds']:.1f} | {r['peak_mib']:,.0f} | {versus} | "
                f"{r['load']:.2f} |"
            )
    return "\n".join(lines)


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def goals_table(figures: dict[float, dict[str, dict]]) -> str:
    lines = ["| goal | target | scale | measured | met |", "|---|---|---:|---|---|"]

    def row(goal: str, target: str, scale: float, measured: str, met: bool | None) -> None:
        verdict = "-" if met is None else "yes" if met else "no"
        lines.append(f"| {goal} | {target} | {scale:g} | {measured} | {verdict} |")

    scales = sorted(figures)
    for scale in scales:
        r = figures[scale]
        if "full" in r and all(f in r for f in FLOORS):
            floor = sum(r[f]["seconds"] for f in FLOORS)
            ratio = r["full"]["wall"] / floor
            row(
                "whole path / floor (DuckDB read_csv + SQLite executemany + standalone dbt build), one sample",
                "<= 2x",
                scale,
                f"{r['full']['wall']:.1f} s / {floor:.1f} s = {ratio:.1f}x",
                ratio <= 2,
            )
    if "full" in figures[scales[0]]:
        first = figures[scales[0]]
        row(
            "fixed cost of a run (`chinook run` full at the smallest scale)",
            "< 10 s at scale 1",
            scales[0],
            f"{first['full']['wall']:.1f} s (nothing new landed: {first['unchanged']['wall']:.1f} s)",
            first["full"]["wall"] < 10 if scales[0] == 1 else None,
        )
    for scale in (s for s in scales if "dbt" in figures[s] and "steps" in figures[s].get("full", {})):
        step, standalone = figures[scale]["full"]["steps"]["warehouse_dbt_models"], figures[scale]["dbt"]["wall"]
        row(
            "dbt step in `chinook run` (full) / the same `dbt build` standalone",
            "<= 1.3x",
            scale,
            f"{step:.1f} s / {standalone:.1f} s = {step / standalone:.2f}x",
            step / standalone <= 1.3,
        )
    for scale in scales:
        r = figures[scale]
        if "incremental" in r:
            share = r["incremental"]["wall"] / r["full"]["wall"]
            row(
                "incremental (+1 day) / full",
                "<= 10% at scale 100",
                scale,
                f"{r['incremental']['wall']:.1f} s / {r['full']['wall']:.1f} s = {share:.0%}",
                share <= 0.1 if scale == 100 else None,
            )
    for scale in (s for s in scales if "full" in figures[s]):
        peak = figures[scale]["full"]["peak_mib"]
        row(
            "peak memory of `chinook run` (full, process tree)",
            "< 1 GiB at scale 1000",
            scale,
            f"{peak:,.0f} MiB",
            peak < 1024 if scale == 1000 else None,
        )
    for scale in (s for s in scales if "oltp_daily" in figures[s] and "steps" in figures[s].get("full", {})):
        daily, whole = figures[scale]["oltp_daily"], figures[scale]["full"]
        extra = oltp_seconds(daily["steps"]) - oltp_seconds(whole["steps"])
        per_file = extra / (daily["files"] - 8) * 1000
        row(
            "OLTP work per small file (the same rows as one file per day, beyond the 8 whole files)",
            "< 3 ms",
            scale,
            f"({oltp_seconds(daily['steps']):.1f} s - {oltp_seconds(whole['steps']):.1f} s) / "
            f"{daily['files'] - 8:,} files = {per_file:.1f} ms",
            per_file < 3,
        )
    for engine, run, floor_key in (("SQLite", "full", "sqlite"), ("PostgreSQL", "oltp_postgres", "postgres")):
        for scale in (s for s in scales if floor_key in figures[s] and "steps" in figures[s].get(run, {})):
            ours, floor = oltp_seconds(figures[scale][run]["steps"]), figures[scale][floor_key]["seconds"]
            row(
                f"OLTP load on {engine} at the speed of {CHILDREN[floor_key]} (floor / ours)",
                ">= 50%",
                scale,
                f"{_s(floor)} / {_s(ours)} = {floor / ours:.0%}",
                floor / ours >= 0.5,
            )
    for engine, run, other in (("SQLite", "full", "dlt_duckdb"), ("PostgreSQL", "oltp_postgres", "dlt_postgres")):
        for scale in (s for s in scales if other in figures[s] and "steps" in figures[s].get(run, {})):
            ours, theirs = oltp_seconds(figures[scale][run]["steps"]), figures[scale][other]["seconds"]
            row(
                f"validated OLTP load on {engine} vs {CHILDREN[other]} (work s)",
                "ahead (< 1x)",
                scale,
                f"{_s(ours)} / {_s(theirs)} = {ours / theirs:.2f}x",
                ours < theirs,
            )
    for scale in (s for s in scales if "pandas_star" in figures[s] and "steps" in figures[s].get("full", {})):
        ours, theirs = figures[scale]["full"]["steps"]["warehouse_dbt_models"], figures[scale]["pandas_star"]["seconds"]
        row(
            "warehouse build (the dbt step) vs pandas star schema and marts (work s)",
            "ahead at scale 1000",
            scale,
            f"{ours:.1f} s / {theirs:.1f} s = {ours / theirs:.1f}x",
            ours < theirs if scale == 1000 else None,
        )
    for other in ("dlt_duckdb", "dlt_postgres", "pandas_sqlite", "pandas_star"):
        for scale in (s for s in scales if "full" in figures[s] and other in figures[s]):
            ours, theirs = figures[scale]["full"]["wall"], figures[scale][other]["wall"]
            row(
                f"`chinook run` (full) vs {CHILDREN[other]} (wall)",
                "-",
                scale,
                f"{ours:.1f} s / {theirs:.1f} s = {ours / theirs:.1f}x",
                None,
            )
    return "\n".join(lines)


def run_rounds(args: argparse.Namespace) -> None:
    """``--rounds N``: each path and its floor alternately, N times per scale (whole_path_rounds.py)."""
    spec = importlib.util.spec_from_file_location("whole_path_rounds", REPO / "benchmarks" / "whole_path_rounds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = {}
    for scale in args.scales:
        folder = dataset(args.cache, scale)
        figures[f"{scale:g}"] = module.rounds(sys.modules[__name__], scale, folder, args.rounds, args.url, args.cache)
        print(module.rounds_table(scale, figures[f"{scale:g}"]) + "\n", flush=True)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 100])
    parser.add_argument(
        "--methods",
        nargs="+",
        default=METHODS,
        choices=[*METHODS, "dbt", "incremental"],
        help="chinook = full run, standalone dbt build and the incremental run; 'dbt' or "
        "'incremental' alone = the full run plus that one",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("CHINOOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=REPO / ".chinook" / "benchmarks",
        help="where generated datasets and the dlt venv are kept (default: %(default)s)",
    )
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="instead: the embedded default and the server path beside their own floors in this many "
        "alternating rounds (whole_path_rounds.py)",
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, folder, work, url, schema = args.child
        child(method, Path(folder), Path(work), url, schema)
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.rounds:
        run_rounds(args)
        return
    figures: dict[float, dict[str, dict]] = {}
    for scale in args.scales:
        folder = dataset(args.cache, scale)
        figures[scale] = {}
        print(f"scale {scale:g}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix=f"whole-path-{scale:g}-", dir=args.cache) as work:
            if {"chinook", "dbt", "incremental"} & set(args.methods):
                figures[scale].update(
                    chinook_chain(
                        folder,
                        Path(work),
                        {"chinook", "dbt"} & set(args.methods),
                        {"chinook", "incremental"} & set(args.methods),
                    )
                )
            if "oltp_postgres" in args.methods:
                figures[scale]["oltp_postgres"] = postgres_loads(folder, Path(work), args.url)
            if "oltp_daily" in args.methods and scale == min(args.scales):  # per-file cost: the smallest files
                daily = dataset(args.cache, scale, daily=True)
                figures[scale]["oltp_daily"] = loads_chain("oltp_daily", daily, Path(work))
            for method in (m for m in CHILDREN if m in args.methods):
                (Path(work) / method).mkdir()
                figures[scale][method] = run_child(method, folder, Path(work) / method, args.url, args.cache)
        print(scale_table(scale, figures[scale]) + "\n", flush=True)
        if args.json:  # after each scale, so that a long run keeps what it measured
            args.json.write_text(json.dumps({f"{s:g}": r for s, r in figures.items()}, indent=2))
    print(goals_table(figures))


if __name__ == "__main__":
    main()
