"""Benchmark: the whole path on the embedded default (SQLite, Parquet folder, DuckDB), per stage.

Usage: python benchmarks/pipeline.py [--scale 1000]

Generates the dataset with daily invoice files, lands all days but the last, and times each stage in its own
child process: OLTP load, lake extract, staging load, dbt build. Then lands the last day and times the same
stages again (the incremental run). Last, the simplest alternative the warehouse replaces: pandas reading the
same CSVs and writing the same star schema (dimensions, facts) and marts to DuckDB, with no validation and no
history. Prints Markdown tables and a plain summary.

A stage's seconds are its work: the child imports its libraries and resolves its settings first, and that
start-up (the interpreter, Dagster, pyarrow, pandas) is shown in its own column, because how often it is paid
depends on the orchestrator (once per run process under Dagster), not on the data. The dbt stage's seconds
include dbt's own start-up (about 4 s): dagster-dbt starts one `dbt build` process per run, as this does.

The dbt stage builds what the platform's automation would: the models downstream of the staging tables that
received rows (`dbt build --select source:chinook.<table>+`, tests chosen the way the Dagster asset chooses
them); on the full run that is every model. The incremental run also times a `dbt build` of every model (what
the daily full-refresh job runs), shown on its own row and not counted in the run's total.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STAGES = ("oltp", "lake", "staging", "dbt")
CHANGED_TABLES = "CHINOOK_BENCH_CHANGED_TABLES"  # the staging stage's tables with new rows, for the dbt stage
WAREHOUSE_STAGES = ("staging", "dbt")  # what replaces the pandas star schema
STAGE_NAMES = {
    "oltp": "OLTP load (SQLite)",
    "lake": "lake extract (Parquet)",
    "staging": "staging load (DuckDB)",
    "dbt": "dbt build (models downstream of the changed staging tables)",
    "dbt-all": "dbt build of every model (daily full-refresh job; not in the total)",
    "pandas": "pandas: read CSVs, write star schema and marts to DuckDB",
}


def dataset(scale: float) -> Path:
    from chinook_platform.lib.generator import generate

    folder = REPO / ".chinook" / "benchmarks" / f"daily-scale-{scale:g}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating scale {scale:g} (daily files) into {folder} ...", file=sys.stderr)
        generate(folder, scale=scale, daily=True, progress=True)
        (folder / ".complete").touch()
    return folder


def land(source: Path, landing: Path, last_day: bool) -> int:
    """Copy the dataset into the landing zone: everything but the last day, or only the last day."""
    days = sorted(p.name for p in (source / "Invoice").glob("*.csv"))
    files = [p for p in source.rglob("*.csv")]
    chosen = [p for p in files if (p.name == days[-1]) == last_day and (p.parent != source or not last_day)]
    for path in chosen:
        target = landing / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return len(chosen)


def run_stage(stage: str, home: Path, source: Path, changed: list[str] | None = None) -> dict:
    env = {
        **os.environ,
        "CHINOOK_HOME": str(home),
        "CHINOOK_BENCH_SOURCE": str(source),
        CHANGED_TABLES: json.dumps(changed or []),
    }
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--stage", stage], env=env, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"stage {stage} failed")
    result = json.loads(output.strip().splitlines()[-1])
    result["startup"] = time.perf_counter() - started - result["seconds"]
    result["peak_mib"] = usage.ru_maxrss / 1024
    return result


def stage(name: str) -> dict:
    """Runs inside the child: one stage, through the same library code the assets call."""
    work = prepare(name)
    start = time.perf_counter()
    result = work()
    result = result if isinstance(result, dict) else {"rows": result}
    return {**result, "seconds": time.perf_counter() - start}


def prepare(name: str) -> Callable[[], int | dict]:
    """Import what the stage needs and resolve its settings; returns the stage's work."""
    import pandas  # noqa: F401  pyarrow imports it on first use anyway: count it with the other imports
    import pyarrow

    from chinook_platform.lib.contract import TABLES

    pyarrow.array([1])
    if name == "oltp":
        from chinook_platform.lib.oltp import load_pending

        oltp, zone = resolved("oltp"), resolved("landing_zone").zone()

        def load_oltp() -> int:
            engine = oltp.engine()
            results = [r for table in TABLES for r in load_pending(engine, table, zone)]
            return sum(r.rows_resolved if r.status == "retried" else r.rows_loaded for r in results)

        return load_oltp
    if name == "lake":
        oltp, lake = resolved("oltp"), resolved("lake")

        def extract() -> int:
            engine, store = oltp.engine(), lake.store()
            return sum(batch.rows for table in TABLES if (batch := store.extract(engine, table)))

        return extract
    if name == "staging":
        from chinook_platform.lib.warehouse import load_new_batches

        lake, warehouse = resolved("lake"), resolved("warehouse")

        def stage_batches() -> dict:
            store, staging, rows, changed = lake.store(), warehouse.staging(), 0, []
            for table in TABLES:
                loaded = load_new_batches(
                    staging,
                    table,
                    store.batches(table),
                    lambda b, t=table: store.stream(t, b),
                    lambda b, t=table: store.uri(t, b),
                )
                rows += sum(n for _, n in loaded)
                changed += [table.name] if loaded else []
            return {"rows": rows, "changed": changed}

        return stage_batches
    if name in ("dbt", "dbt-all"):
        import duckdb

        warehouse = resolved("warehouse")
        changed = json.loads(os.environ[CHANGED_TABLES])
        selection = ["--select", *(f"source:chinook.{t}+" for t in changed)] if name == "dbt" else []

        def build() -> int:
            project = REPO / "sql" / "warehouse"
            if name == "dbt" and not changed:
                return 0  # nothing staged: automation would start no dbt run
            subprocess.run(
                [
                    str(Path(sys.executable).with_name("dbt")),
                    "build",
                    "--quiet",
                    "--project-dir",
                    str(project),
                    "--profiles-dir",
                    str(warehouse.write_dbt_profile()),  # the profile the Dagster asset hands dbt
                    "--target-path",
                    str(Path(os.environ["CHINOOK_HOME"]) / "dbt"),
                    *selection,
                ],
                check=True,
            )
            with duckdb.connect(str(warehouse.settings.duckdb_path), read_only=True) as con:
                return con.execute("select count(*) from analytics.fct_invoice_line").fetchone()[0]

        return build
    if name == "pandas":
        return lambda: pandas_star_schema(Path(os.environ["CHINOOK_BENCH_SOURCE"]), Path(os.environ["CHINOOK_HOME"]))
    raise ValueError(name)


def resolved(resource: str):  # noqa: ANN201
    from chinook_platform.defs.resources import resolved_resource

    with resolved_resource(resource) as value:
        return value


def pandas_star_schema(source: Path, home: Path) -> int:
    """The simplest alternative: pandas reads every CSV, builds the star schema and the marts in memory and writes
    them to DuckDB. What a tutorial would do: floats for money, no validation, no history (one row per customer),
    no tests, everything rebuilt on every run."""
    import duckdb
    import numpy as np
    import pandas as pd

    def read(name: str) -> pd.DataFrame:
        files = [source / f"{name}.csv"] if (source / f"{name}.csv").exists() else sorted((source / name).glob("*.csv"))
        return pd.concat([pd.read_csv(f, keep_default_na=False, na_values=[""]) for f in files], ignore_index=True)

    artist, album, genre, media = (read(n) for n in ("Artist", "Album", "Genre", "MediaType"))
    track, customer, invoice, line = read("Track"), read("Customer"), read("Invoice"), read("InvoiceLine")
    invoice["InvoiceDate"] = pd.to_datetime(invoice["InvoiceDate"])
    invoice["date_day"] = invoice["InvoiceDate"].dt.normalize()

    dim_track = (
        track.merge(album, on="AlbumId", how="left")
        .merge(artist.rename(columns={"Name": "ArtistName"}), on="ArtistId", how="left")
        .merge(genre.rename(columns={"Name": "GenreName"}), on="GenreId", how="left")
        .merge(media.rename(columns={"Name": "MediaTypeName"}), on="MediaTypeId", how="left")
    )
    days = pd.date_range(invoice["date_day"].min(), invoice["date_day"].max(), freq="D")
    dim_date = pd.DataFrame(
        {
            "date_day": days,
            "year_number": days.year,
            "quarter_number": days.quarter,
            "month_number": days.month,
            "month_start": days.to_period("M").to_timestamp(),
            "day_of_week": (days.day_of_week + 1) % 7,
            "is_weekend": days.day_of_week >= 5,
        }
    )

    fct_line = line.merge(
        invoice[["InvoiceId", "CustomerId", "InvoiceDate", "date_day", "BillingCountry"]], on="InvoiceId"
    )
    fct_line["LineAmount"] = fct_line["UnitPrice"] * fct_line["Quantity"]
    per_invoice = fct_line.groupby("InvoiceId").agg(LineCount=("InvoiceLineId", "size"), Quantity=("Quantity", "sum"))
    fct_invoice = invoice.merge(per_invoice.reset_index(), on="InvoiceId", how="left")

    lines_by_track = fct_line.merge(
        dim_track[["TrackId", "AlbumId", "ArtistId", "ArtistName", "GenreId", "GenreName"]], on="TrackId"
    )
    month = fct_line["InvoiceDate"].dt.to_period("M").dt.to_timestamp()
    monthly = (
        fct_line.groupby(month)
        .agg(
            invoices=("InvoiceId", "nunique"),
            lines=("InvoiceLineId", "size"),
            quantity=("Quantity", "sum"),
            revenue=("LineAmount", "sum"),
            customers=("CustomerId", "nunique"),
        )
        .rename_axis("month_start")
    )
    monthly["revenue_change"] = monthly["revenue"].diff()
    country = fct_invoice.groupby("BillingCountry").agg(
        revenue=("Total", "sum"), invoices=("InvoiceId", "size"), customers=("CustomerId", "nunique")
    )
    country["average_invoice_value"] = country["revenue"] / country["invoices"]
    country["revenue_share"] = country["revenue"] / country["revenue"].sum()
    genre_performance = lines_by_track.groupby(["GenreId", "GenreName"]).agg(
        revenue=("LineAmount", "sum"),
        quantity=("Quantity", "sum"),
        tracks_sold=("TrackId", "nunique"),
        customers=("CustomerId", "nunique"),
    )
    genre_performance["revenue_share"] = genre_performance["revenue"] / genre_performance["revenue"].sum()
    artist_performance = lines_by_track.groupby(["ArtistId", "ArtistName"]).agg(
        revenue=("LineAmount", "sum"),
        quantity=("Quantity", "sum"),
        albums_with_sales=("AlbumId", "nunique"),
        tracks_sold=("TrackId", "nunique"),
        customers=("CustomerId", "nunique"),
    )
    artist_performance["revenue_rank"] = artist_performance["revenue"].rank(method="min", ascending=False)

    def favourite(column: str) -> pd.Series:
        spend = (
            lines_by_track.groupby(["CustomerId", column])
            .agg(spend=("LineAmount", "sum"), quantity=("Quantity", "sum"))
            .reset_index()
        )
        ranked = spend.sort_values(["CustomerId", "spend", "quantity", column], ascending=[True, False, False, True])
        return ranked.drop_duplicates("CustomerId").set_index("CustomerId")[column]

    purchases = fct_invoice.groupby("CustomerId").agg(
        first_purchase_at=("InvoiceDate", "min"),
        last_purchase_at=("InvoiceDate", "max"),
        invoice_count=("InvoiceId", "size"),
        lifetime_value=("Total", "sum"),
    )
    for score, metric in (
        ("recency_score", "last_purchase_at"),
        ("frequency_score", "invoice_count"),
        ("monetary_score", "lifetime_value"),
    ):
        purchases[score] = pd.qcut(purchases[metric].rank(method="first"), 5, labels=False) + 1
    single_view = customer.merge(purchases.reset_index(), on="CustomerId", how="left")
    single_view["favourite_genre"] = single_view["CustomerId"].map(favourite("GenreName"))
    single_view["favourite_artist"] = single_view["CustomerId"].map(favourite("ArtistName"))
    single_view["days_since_last_purchase"] = (invoice["InvoiceDate"].max() - single_view["last_purchase_at"]).dt.days
    r, f, m = (single_view[c] for c in ("recency_score", "frequency_score", "monetary_score"))
    single_view["segment"] = np.select(
        [
            single_view["invoice_count"].isna(),
            (r >= 4) & (f >= 4) & (m >= 4),
            f >= 4,
            r >= 4,
            (r <= 2) & (f >= 3),
            r <= 2,
        ],
        ["prospect", "champion", "loyal", "recent", "at_risk", "hibernating"],
        default="regular",
    )

    tables = {
        "dim_track": dim_track,
        "dim_customer": customer,
        "dim_date": dim_date,
        "fct_invoice_line": fct_line,
        "fct_invoice": fct_invoice,
        "mart_monthly_revenue": monthly.reset_index(),
        "mart_country_sales": country.reset_index(),
        "mart_genre_performance": genre_performance.reset_index(),
        "mart_artist_performance": artist_performance.reset_index(),
        "mart_single_customer_view": single_view,
    }
    with duckdb.connect(str(home / "pandas.duckdb")) as con:
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"create or replace table {name} as select * from frame")
            con.unregister("frame")
    return len(fct_line)


def print_row(run: str, name: str, r: dict) -> None:
    print(
        f"| {run} | {STAGE_NAMES[name]} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} | "
        f"{r['startup']:.1f} | {r['peak_mib']:.0f} |",
        flush=True,
    )


def summary(full: dict[str, dict], incremental: dict[str, dict], pandas: dict, every_model: dict) -> str:
    def seconds(results: dict[str, dict], stages: tuple[str, ...] = STAGES) -> float:
        return sum(results[s]["seconds"] for s in stages)

    def versus(label: str, ours: float, theirs: float) -> str:
        verdict = f"{theirs / ours:.1f}x faster" if ours < theirs else f"{ours / theirs:.1f}x slower"
        return f"- {label}: {ours:.1f} s vs the pandas alternative's {theirs:.1f} s: {verdict}"

    share = seconds(incremental) / seconds(full)
    return "\n".join(
        [
            versus(
                "warehouse build (staging load + dbt build, what replaces the pandas star schema)",
                seconds(full, WAREHOUSE_STAGES),
                pandas["seconds"],
            ),
            versus(
                "whole path (OLTP load + lake extract + staging load + dbt build)", seconds(full), pandas["seconds"]
            ),
            f"- incremental run (+1 day): {seconds(incremental):.1f} s, {share:.1%} of the full build's "
            f"{seconds(full):.1f} s ({'within' if share <= 0.1 else 'above'} the goal of 10%); "
            f"the warehouse stages alone: {seconds(incremental, WAREHOUSE_STAGES):.1f} s of "
            f"{seconds(full, WAREHOUSE_STAGES):.1f} s "
            f"({seconds(incremental, WAREHOUSE_STAGES) / seconds(full, WAREHOUSE_STAGES):.1%})",
            f"- had the incremental run built every dbt model (as the daily full-refresh job does), it would take "
            f"{seconds(incremental) - incremental['dbt']['seconds'] + every_model['seconds']:.1f} s "
            f"({(seconds(incremental) - incremental['dbt']['seconds'] + every_model['seconds']) / seconds(full):.1%})",
            f"- start-up, not in the seconds above: {sum(r['startup'] for r in full.values()):.1f} s per run "
            f"over the four stage processes",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1000)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(stage(args.stage)))
        return
    source = dataset(args.scale)
    home = REPO / ".chinook" / "benchmarks" / f"pipeline-home-{args.scale:g}"
    shutil.rmtree(home, ignore_errors=True)
    print(
        f"scale {args.scale:g}\n\n| run | stage | rows | seconds | rows/s | start-up s | peak MiB |\n"
        "|---|---|---:|---:|---:|---:|---:|"
    )
    results: dict[str, dict[str, dict]] = {}
    for run, last_day in (("full", False), ("incremental (+1 day)", True)):
        land(source, home / "landing", last_day)
        results[run] = {}
        for name in STAGES:
            results[run][name] = run_stage(name, home, source, results[run].get("staging", {}).get("changed"))
            print_row(run, name, results[run][name])
    every_model = run_stage("dbt-all", home, source)
    print_row("incremental (+1 day)", "dbt-all", every_model)
    alternative = run_stage("pandas", home, source)
    print_row("alternative", "pandas", alternative)
    print("\n" + summary(results["full"], results["incremental (+1 day)"], alternative, every_model))


if __name__ == "__main__":
    main()
