"""The two whole paths beside their own floors, in alternating rounds (``whole_path.py --rounds N``; issue 25).

Each round runs, for every path, the path (A) and then its floor (B), so a load spike on the shared machine
falls on both sides of a ratio; N rounds give A B A B ... and each figure is reported as the median with its
spread (min-max) over the rounds, with CPU seconds beside wall seconds and the load average before each run.

- embedded default (DuckDB warehouse, SQLite OLTP): A = `chinook run` (full, first run) in a fresh home;
  floor = DuckDB `read_csv` into tables + SQLite `executemany` in one transaction + `chinook dbt build
  --full-refresh` (standalone dbt) on A's home.
- server path (OLTP and warehouse on PostgreSQL, schemas of their own, dropped after each round): A = the same
  `chinook run`; floor = PostgreSQL `COPY` into unindexed tables + the standalone dbt build on A's staging.

CPU s: user + system time of the child and every descendant it waited for (wait4); the PostgreSQL server's own
CPU is not in it (it is another process tree), so the server path's CPU column is the client side only.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

PATHS = {
    "embedded": "embedded default (DuckDB + SQLite)",
    "server": "server path (PostgreSQL OLTP + warehouse)",
}
FLOOR_LOADS = {"embedded": ("duckdb", "sqlite"), "server": ("postgres",)}


def server_settings(url: str, suffix: str) -> dict[str, str]:
    """The settings of a run with the OLTP database and the warehouse on the PostgreSQL at ``url``."""
    parsed = sa.make_url(url)
    return {
        "CHINOOK_OLTP_URL": url,
        "CHINOOK_OLTP_SCHEMA": f"bench_rounds_oltp_{suffix}",
        "CHINOOK_WAREHOUSE_TARGET": "postgres",
        "CHINOOK_WAREHOUSE_PG_HOST": parsed.host or "127.0.0.1",
        "CHINOOK_WAREHOUSE_PG_PORT": str(parsed.port or 5432),
        "CHINOOK_WAREHOUSE_PG_USER": parsed.username or "postgres",
        "CHINOOK_WAREHOUSE_PG_DBNAME": parsed.database or "postgres",
        "CHINOOK_STAGING_SCHEMA": f"bench_rounds_staging_{suffix}",
        "CHINOOK_WAREHOUSE_SCHEMA": f"bench_rounds_analytics_{suffix}",
    }


def one_round(whole_path, path: str, folder: Path, work: Path, url: str, cache: Path) -> dict[str, dict]:
    """The path (land, then the full run) and its floor (the loads, then dbt standalone on the path's home)."""
    settings = server_settings(url, uuid.uuid4().hex[:8]) if path == "server" else {}
    env = whole_path.child_env(CHINOOK_HOME=str(work / "home"), **settings)
    chinook = whole_path.BIN / "chinook"
    try:
        whole_path.measure([chinook, "land", folder], env)
        result = {"run": whole_path.measure([chinook, "run"], env)}
        result["run"]["steps"] = whole_path.step_seconds(work / "home")
        for load in FLOOR_LOADS[path]:
            (work / load).mkdir()
            result[load] = whole_path.run_child(load, folder, work / load, url, cache)
        result["dbt"] = whole_path.measure([chinook, "dbt", "build", "--full-refresh", "--quiet"], env)
    finally:
        for variable in ("CHINOOK_OLTP_SCHEMA", "CHINOOK_STAGING_SCHEMA", "CHINOOK_WAREHOUSE_SCHEMA"):
            if variable in settings:
                whole_path.drop_schema(url, settings[variable])
    floor = sum(result[load]["seconds"] for load in FLOOR_LOADS[path]) + result["dbt"]["wall"]
    floor_cpu = sum(result[part]["cpu"] for part in (*FLOOR_LOADS[path], "dbt"))
    result["floor"] = {"seconds": floor, "ratio": result["run"]["wall"] / floor, "cpu": floor_cpu}
    print(f"  {path}: run {result['run']['wall']:.1f} s, floor {floor:.1f} s", file=sys.stderr)
    return result


def rounds(whole_path, scale: float, folder: Path, count: int, url: str, cache: Path) -> dict[str, list[dict]]:
    """``count`` rounds of every path, alternating path and floor; every round's figures, by path."""
    figures: dict[str, list[dict]] = {path: [] for path in PATHS}
    for number in range(1, count + 1):
        for path in PATHS:
            print(f"scale {scale:g}, round {number}/{count}, {path} ...", file=sys.stderr)
            with tempfile.TemporaryDirectory(prefix=f"rounds-{scale:g}-{path}-", dir=cache) as work:
                figures[path].append(one_round(whole_path, path, folder, Path(work), url, cache))
    return figures


def spread(values: list[float], unit: str = "", digits: int = 1) -> str:
    """The median and, in brackets, the least and the greatest."""
    return f"{statistics.median(values):.{digits}f}{unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def rounds_table(scale: float, figures: dict[str, list[dict]]) -> str:
    lines = [
        f"scale {scale:g}, {len(next(iter(figures.values())))} alternating rounds; median (min-max)\n",
        "| path | `chinook run` wall s | CPU s | floor s | floor CPU s | run / floor | dbt step s | "
        "standalone dbt s | peak MiB | load avg (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path, label in PATHS.items():
        if not (runs := figures.get(path)):
            continue
        loads = [r[key]["load"] for r in runs for key in ("run", "dbt")]
        lines.append(
            f"| {label} | {spread([r['run']['wall'] for r in runs])} | {spread([r['run']['cpu'] for r in runs])} | "
            f"{spread([r['floor']['seconds'] for r in runs])} | {spread([r['floor']['cpu'] for r in runs])} | "
            f"{spread([r['floor']['ratio'] for r in runs], 'x', 2)} | "
            f"{spread([r['run']['steps'].get('warehouse_dbt_models', 0.0) for r in runs])} | "
            f"{spread([r['dbt']['wall'] for r in runs])} | {spread([r['run']['peak_mib'] for r in runs], '', 0)} | "
            f"{min(loads):.1f}-{max(loads):.1f} |"
        )
    return "\n".join(lines)
