"""Benchmark: building the dashboard, its size, and how fast Chromium draws it, at several scale factors.

Usage: python benchmarks/dashboard.py [--scales 1 100 1000]

Per scale: generate the dataset (`chinook generate`), load its CSVs straight into the DuckDB warehouse's staging
tables (the staging layer's shape, one batch per table; the OLTP and lake layers are not what is measured here),
`dbt run` every model, then, each in a fresh child process as a Dagster run would pay it:
- the dashboard asset's work (read the KPI tables, one Vega-Lite spec per chart, the page with Vega inlined, write);
- the chart assets' work (read, spec and PNG for every chart);
- the page opened from file:// in headless Chromium (time from navigation until every chart has drawn, median of 3).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def dataset(scale: float) -> Path:
    from chinook_platform.lib.generator import generate

    folder = REPO / ".chinook" / "benchmarks" / f"scale-{scale:g}"
    if not (folder / ".complete").exists():
        print(f"generating scale {scale:g} into {folder} ...", file=sys.stderr)
        generate(folder, scale=scale)
        (folder / ".complete").touch()
    return folder


def build_warehouse(source: Path, home: Path) -> dict:
    """Staging tables from the CSVs (DuckDB read_csv), then every dbt model; returns rows and seconds."""
    import duckdb

    from chinook_platform.lib.contract import TABLES, sql_type_name
    from chinook_platform.lib.warehouse import create_statements

    home.mkdir(parents=True, exist_ok=True)
    path = home / "warehouse.duckdb"
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(path)) as con:
        for table in TABLES:
            for statement in create_statements(table, "duckdb", "staging"):
                con.execute(statement)
            columns = ", ".join(
                f'cast("{c.csv_name}" as {sql_type_name(c, "duckdb")}) as {c.name}' for c in table.columns
            )
            con.execute(
                f"insert into staging.{table.name} select {columns}, 1, current_timestamp, 'benchmark' "
                f"from read_csv('{source / (table.csv_name + '.csv')}', header = true, all_varchar = true)"
            )
        [(lines,)] = con.execute("select count(*) from staging.invoice_line").fetchall()
    staged = time.perf_counter() - started
    project = REPO / "sql" / "warehouse"
    env = {**os.environ, "CHINOOK_HOME": str(home), "CHINOOK_WAREHOUSE_DUCKDB_PATH": str(path)}
    started = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "run",
            "--quiet",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(home / "dbt"),
        ],
        env=env,
        check=True,
    )
    return {"invoice_lines": lines, "staging_seconds": staged, "dbt_seconds": time.perf_counter() - started}


def child(stage: str, home: Path) -> dict:
    env = {**os.environ, "CHINOOK_HOME": str(home), "CHINOOK_WAREHOUSE_DUCKDB_PATH": str(home / "warehouse.duckdb")}
    output = subprocess.run(
        [sys.executable, __file__, "--stage", stage], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def stage(name: str) -> dict:
    """Runs inside the child: the library code the analysis assets call, timed after the imports."""
    from datetime import UTC, datetime

    from chinook_platform.defs.resources import resolved_resource
    from chinook_platform.lib.analysis import (
        CHARTS,
        chart_spec,
        dashboard_path,
        headline_kpis,
        read_kpi,
        render_dashboard,
        render_png,
        write_dashboard,
    )

    with resolved_resource("warehouse") as warehouse:
        staging, schema = warehouse.staging(), warehouse.analytics_schema
    started = time.perf_counter()
    if name == "dashboard":
        kpis = [(c, read_kpi(staging, schema, c.kpi)) for c in CHARTS]
        charts = [(c, chart_spec(c, rows)) for c, rows in kpis]
        path = write_dashboard(render_dashboard(headline_kpis(staging, schema), charts, datetime.now(UTC)))
        return {
            "seconds": time.perf_counter() - started,
            "bytes": path.stat().st_size,
            "rows": sum(len(rows) for _, rows in kpis) + 1,
        }
    if name == "charts":
        sizes = [len(render_png(chart_spec(c, read_kpi(staging, schema, c.kpi)))) for c in CHARTS]
        return {"seconds": time.perf_counter() - started, "png_bytes": sum(sizes)}
    if name == "browser":
        from chinook_platform.lib.analysis.browser import open_in_chromium

        reports = [open_in_chromium(dashboard_path()) for _ in range(3)]
        assert all(r.charts_drawn == len(CHARTS) and not r.errors and not r.remote_requests for r in reports)
        return {"seconds": statistics.median(r.seconds_to_draw for r in reports)}
    raise ValueError(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(stage(args.stage)))
        return
    rows = []
    for scale in args.scales:
        home = REPO / ".chinook" / "benchmarks" / f"dashboard-scale-{scale:g}"
        built = build_warehouse(dataset(scale), home)
        dashboard, charts, browser = (child(s, home) for s in ("dashboard", "charts", "browser"))
        rows.append((scale, built, dashboard, charts, browser))
        print(f"scale {scale:g}: {built} {dashboard} {charts} {browser}", file=sys.stderr)
    print(
        "| scale | invoice lines | dbt run (s) | dashboard build (s) | page size (KB) | rows in the page "
        "| chart PNGs, all 7 (s) | drawn in Chromium (s) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scale, built, dashboard, charts, browser in rows:
        print(
            f"| {scale:g} | {built['invoice_lines']:,} | {built['dbt_seconds']:.1f} | {dashboard['seconds']:.2f} "
            f"| {dashboard['bytes'] / 1024:,.0f} | {dashboard['rows']} | {charts['seconds']:.2f} "
            f"| {browser['seconds']:.2f} |"
        )


if __name__ == "__main__":
    main()
