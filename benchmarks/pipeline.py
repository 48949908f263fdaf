"""Benchmark: the whole path on the embedded default (SQLite, Parquet folder, DuckDB), per stage.

Usage: python benchmarks/pipeline.py [--scale 1000]

Generates the dataset with daily invoice files, lands all days but the last, and times each stage in its own
child process (seconds and peak RSS): OLTP load, lake extract, staging load, dbt build. Then lands the last
day and times the same stages again (the incremental run). Last, the simplest alternative the platform
replaces: pandas reading the CSVs, joining the star schema and writing it to DuckDB. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STAGES = ("oltp", "lake", "staging", "dbt")


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


def run_stage(stage: str, home: Path) -> dict:
    env = {**os.environ, "CHINOOK_HOME": str(home)}
    child = subprocess.Popen([sys.executable, __file__, "--stage", stage], env=env, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"stage {stage} failed")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_mib"] = usage.ru_maxrss / 1024
    return result


def stage(name: str) -> dict:
    """Runs inside the child: one stage, through the same library code the assets call."""
    from chinook_platform.lib.contract import TABLES
    from chinook_platform.lib.oltp_load import load_landed_file, loaded_versions, retry_awaiting_parent

    start = time.perf_counter()
    rows = 0
    if name == "oltp":
        engine, zone = oltp_engine(), landing_zone()
        from chinook_platform.defs.landing.assets import landed_files_of

        for table in TABLES:
            seen = loaded_versions(engine, table)
            for landed in landed_files_of(table, zone.list_files()):
                if (zone.location(landed.key), landed.version) not in seen:
                    rows += load_landed_file(engine, table, zone.location(landed.key), landed.version,
                                             lambda k=landed.key: zone.open(k)).rows_loaded
            retried = retry_awaiting_parent(engine, table)
            rows += retried.rows_resolved if retried else 0
    elif name == "lake":
        engine, store = oltp_engine(), lake_store()
        for table in TABLES:
            batch = store.extract(engine, table)
            rows += batch.rows if batch else 0
    elif name == "staging":
        from chinook_platform.lib.warehouse_staging import load_new_batches

        store, staging = lake_store(), warehouse().staging()
        for table in TABLES:
            loaded = load_new_batches(staging, table, store.batches(table), lambda b, t=table: store.read(t, b),
                                      lambda b, t=table: store.uri(t, b.file))
            rows += sum(n for _, n in loaded)
    elif name == "dbt":
        warehouse().export_dbt_environment()
        project = REPO / "sql" / "warehouse"
        subprocess.run([str(Path(sys.executable).with_name("dbt")), "build", "--quiet", "--project-dir", str(project),
                        "--profiles-dir", str(project), "--target-path", str(Path(os.environ["CHINOOK_HOME"]) / "dbt")],
                       check=True)
        import duckdb

        with duckdb.connect(warehouse().duckdb_path, read_only=True) as con:
            rows = con.execute("select count(*) from analytics.fct_invoice_line").fetchone()[0]
    elif name == "pandas":
        rows = pandas_star_schema(Path(os.environ["CHINOOK_BENCH_SOURCE"]), Path(os.environ["CHINOOK_HOME"]))
    return {"rows": rows, "seconds": time.perf_counter() - start}


def oltp_engine():  # noqa: ANN201
    from chinook_platform.defs.resources import resolved_resource

    with resolved_resource("oltp") as oltp:
        return oltp.engine()


def landing_zone():  # noqa: ANN201
    from chinook_platform.defs.resources import resolved_resource

    with resolved_resource("landing_zone") as landing:
        return landing.zone()


def lake_store():  # noqa: ANN201
    from chinook_platform.defs.resources import resolved_resource

    with resolved_resource("lake") as lake:
        return lake.store()


def warehouse():  # noqa: ANN201
    from chinook_platform.defs.resources import resolved_resource

    with resolved_resource("warehouse") as resource:
        return resource


def pandas_star_schema(source: Path, home: Path) -> int:
    """The simplest alternative: read every CSV with pandas, join the star schema in memory, write it out."""
    import duckdb
    import pandas as pd

    def read(name: str) -> pd.DataFrame:
        files = [source / f"{name}.csv"] if (source / f"{name}.csv").exists() else sorted((source / name).glob("*.csv"))
        return pd.concat([pd.read_csv(f, keep_default_na=False, na_values=[""]) for f in files], ignore_index=True)

    artist, album, genre, media, track = (read(n) for n in ("Artist", "Album", "Genre", "MediaType", "Track"))
    customer, invoice, line = read("Customer"), read("Invoice"), read("InvoiceLine")
    dim_track = (track.merge(album, on="AlbumId").merge(artist.rename(columns={"Name": "ArtistName"}), on="ArtistId")
                 .merge(genre.rename(columns={"Name": "GenreName"}), on="GenreId")
                 .merge(media.rename(columns={"Name": "MediaTypeName"}), on="MediaTypeId"))
    fct = line.merge(invoice[["InvoiceId", "CustomerId", "InvoiceDate"]], on="InvoiceId")
    fct["LineAmount"] = fct["UnitPrice"] * fct["Quantity"]
    fct_invoice = invoice.merge(fct.groupby("InvoiceId").size().rename("LineCount").reset_index(), on="InvoiceId")
    with duckdb.connect(str(home / "pandas.duckdb")) as con:
        for name, frame in {"dim_track": dim_track, "dim_customer": customer, "fct_invoice_line": fct,
                            "fct_invoice": fct_invoice}.items():
            con.register("frame", frame)
            con.execute(f"create or replace table {name} as select * from frame")
            con.unregister("frame")
    return len(fct)


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
    print("| run | stage | rows | seconds | rows/s | peak MiB |\n|---|---|---:|---:|---:|---:|")
    totals = {}
    for run, last_day in (("full", False), ("incremental (+1 day)", True)):
        land(source, home / "landing", last_day)
        totals[run] = 0.0
        for name in STAGES:
            r = run_stage(name, home)
            totals[run] += r["seconds"]
            print(f"| {run} | {name} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} | "
                  f"{r['peak_mib']:.0f} |", flush=True)
    os.environ["CHINOOK_BENCH_SOURCE"] = str(source)
    alternative = run_stage("pandas", home)
    print(f"| alternative | pandas read + join + write star schema | {alternative['rows']:,} | "
          f"{alternative['seconds']:.1f} | {alternative['rows'] / alternative['seconds']:,.0f} | "
          f"{alternative['peak_mib']:.0f} |")
    full, incremental = totals["full"], totals["incremental (+1 day)"]
    print(f"\nfull build {full:.1f} s; incremental {incremental:.1f} s ({incremental / full:.0%} of the full build); "
          f"pandas alternative {alternative['seconds']:.1f} s")


if __name__ == "__main__":
    main()
