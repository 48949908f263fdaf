"""Benchmark: landed CSVs -> PostgreSQL, this project's validated load vs pandas ``to_sql`` vs a bare ``COPY``.

Usage: python benchmarks/oltp_load.py [--scales 100 1000] [--url postgresql://postgres@127.0.0.1:5432/test]

Each method loads all eight tables of a generated dataset into a fresh schema, in its own child process, so
the peak memory reported is that method's alone (peak RSS of the child). Datasets are generated once and
cached under .chinook/benchmarks/. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

METHODS = {
    "chinook load (validate + COPY + upsert)": "project",
    "pandas read_csv + to_sql (chunks of 10k)": "to_sql",
    "bare COPY into tables without keys (I/O floor)": "copy",
    "bare COPY into the same schema, keys kept": "copy_constrained",
    "bare COPY into the same schema, keys rebuilt after (PostgreSQL's bulk-load advice)": "copy_then_keys",
}


def dataset(scale: float) -> Path:
    from chinook_platform.lib.generator import generate

    folder = REPO / ".chinook" / "benchmarks" / f"scale-{scale:g}"
    if not (folder / ".complete").exists():
        print(f"generating scale {scale:g} into {folder} ...", file=sys.stderr)
        generate(folder, scale=scale, progress=True)
        (folder / ".complete").touch()
    return folder


def run_method(method: str, folder: Path, url: str, schema: str) -> dict:
    """Run one method in a child process; returns its rows, seconds and peak RSS."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", method, str(folder), url, schema], stdout=subprocess.PIPE, text=True
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"{method} failed (status {status})")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_mib"] = usage.ru_maxrss / 1024
    return result


def child(method: str, folder: Path, url: str, schema: str) -> None:
    import sqlalchemy as sa

    from chinook_platform.lib.contract import TABLES
    from chinook_platform.lib.oltp import create_oltp_engine

    files = [(t, folder / f"{t.csv_name}.csv") for t in TABLES]
    engine = create_oltp_engine(url, schema=schema, create=method != "copy" and method != "to_sql")
    # Each method imports its own libraries before the clock starts: the table compares loading, not start-up.
    if method == "project":
        from chinook_platform.lib.oltp import load_landed_file
    elif method == "to_sql":
        import pandas as pd
    rows = 0
    start = time.perf_counter()
    if method == "project":
        for table, path in files:
            result = load_landed_file(engine, table, str(path), "bench", lambda p=path: p.open("rb"))
            assert result.status == "loaded" and result.rows_quarantined == 0, result
            rows += result.rows_loaded
    elif method == "to_sql":
        for table, path in files:
            frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
            frame.to_sql(table.name, engine, if_exists="replace", index=False, chunksize=10_000)
            rows += len(frame)
    else:
        from chinook_platform.lib.oltp import CONTRACT_TABLES, sql_type

        if method == "copy":
            plain = sa.MetaData()
            for table in TABLES:  # the contract's columns and types, without keys or checks
                sa.Table(table.name, plain, *(sa.Column(c.name, sql_type(c)) for c in table.columns))
            plain.create_all(engine)
        else:  # the platform's own tables: keys, foreign keys, checks and indexes, as the load writes them
            with engine.begin() as conn:
                for table in TABLES:
                    conn.exec_driver_sql(f"alter table {table.name} alter column _load_id set default 0")
        columns = {t.name: ", ".join(c.name for c in t.columns) for t in TABLES}
        with engine.begin() as conn:
            foreign_keys, indexes = [], []
            if method == "copy_then_keys":  # drop secondary indexes and foreign keys; re-create them after
                from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

                conn.exec_driver_sql("set local maintenance_work_mem = '256MB'")
                conn.exec_driver_sql("set local work_mem = '128MB'")
                for target in CONTRACT_TABLES.values():
                    foreign_keys += [c for c in target.constraints if isinstance(c, sa.ForeignKeyConstraint)]
                    indexes += list(target.indexes)
                for constraint in foreign_keys:
                    conn.execute(DropConstraint(constraint, isolate_from_table=False))
                for index in indexes:
                    conn.execute(DropIndex(index))
            driver = conn.connection.driver_connection
            for table, path in files:
                with driver.cursor() as cursor, path.open("rb") as source:
                    statement = f'copy "{table.name}" ({columns[table.name]}) from stdin (format csv, header true)'
                    with cursor.copy(statement) as copy:
                        while chunk := source.read(1 << 20):
                            copy.write(chunk)
                    rows += conn.execute(sa.select(sa.func.count()).select_from(CONTRACT_TABLES[table.name])).scalar()
            for index in indexes:
                conn.execute(CreateIndex(index))
            for constraint in foreign_keys:
                conn.execute(AddConstraint(constraint, isolate_from_table=False))
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": rows, "seconds": seconds}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[100, 1000])
    parser.add_argument(
        "--url",
        default=os.environ.get("CHINOOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS.values()), choices=list(METHODS.values()))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, folder, url, schema = args.child
        child(method, Path(folder), url, schema)
        return

    import sqlalchemy as sa

    from chinook_platform.lib.oltp import normalize_url

    print("| scale | method | rows | seconds | rows/s | peak MiB | vs I/O floor | vs COPY + keys rebuilt | vs to_sql |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for scale in args.scales:
        folder = dataset(scale)
        results = {}
        for label, method in METHODS.items():
            if method not in args.methods:
                continue
            schema = f"bench_{method}_{uuid.uuid4().hex[:8]}"
            try:
                results[method] = (label, run_method(method, folder, args.url, schema))
            finally:
                engine = sa.create_engine(normalize_url(args.url))
                with engine.begin() as conn:
                    conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
                engine.dispose()
        rates = {method: r["rows"] / r["seconds"] for method, (_, r) in results.items()}
        for label, r in results.values():
            own = r["rows"] / r["seconds"]
            ratios = [f"{own / rates[m]:.0%}" if m in rates else "-" for m in ("copy", "copy_then_keys")]
            vs_sql = f"{own / rates['to_sql']:.1f}x" if "to_sql" in rates else "-"
            print(
                f"| {scale:g} | {label} | {r['rows']:,} | {r['seconds']:.1f} | {own:,.0f} | {r['peak_mib']:.0f} | "
                f"{' | '.join(ratios)} | {vs_sql} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
