"""Benchmark: the incremental facts picking the current versions inline, or reading int_<entity>__current.

Usage: python benchmarks/current_versions.py [--scales 100 1000] [--engines duckdb postgres] [--days 2]

Staging is append-only, so "the current version of a row" is a window over every version. The facts are
incremental: a run works out the changed keys first, and it stays cheap only if that filter reaches the rows
before the window ranks them. This loads a generated dataset into staging (one load), builds the facts and their
parents once per variant, then lands one new day at a time and times each variant's incremental build of the facts
side by side, on the same staging tables:

- inline: the project as committed: the facts rank the staging versions themselves, the filter inside the
  window's subquery (macro latest_version with its where argument);
- view / ephemeral / table: a copy whose facts read int_invoice__current and int_invoice_line__current instead
  (a view, a CTE dbt inlines into the facts, or an incremental table that ranks only the versions newer than its
  own), filtered to the same changed keys.

Seconds are the models' own (dbt's run_results), wall seconds include dbt's start-up. Every variant's facts are
checksummed after each day and must agree. On PostgreSQL, EXPLAIN ANALYZE of fct_invoice_line's incremental query
shows how many versions its windows rank (the day's few, or all of them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chinook_platform.lib.contract import TABLES  # noqa: E402
from chinook_platform.lib.warehouse.ddl import create_statements  # noqa: E402

DBT = str(Path(sys.executable).with_name("dbt"))
PROJECT = REPO / "sql" / "warehouse"
POSTGRES_URL = os.environ.get("CHINOOK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
VARIANTS = ("inline", "view", "ephemeral", "table")
FACTS = ["fct_invoice_line", "fct_invoice"]
CURRENT = ["int_invoice_line__current", "int_invoice__current"]
STAGING = "bench_staging"

# The facts' CTEs that rank a staging table's versions themselves, the changed-key filter inside the window.
RANKS_INLINE = re.compile(
    r"\{\{ latest_version\(\s*ref\('stg_chinook__(\w+)'\), '\w+',\s*"
    r"where='([^']+)' if is_incremental\(\) else none,\s*\) \}\}"
)
# What int_<entity>__current would hold for the entities the facts read: every column of its staging model.
COLUMNS = {
    "invoice": "invoice_id, customer_id, invoice_date, billing_address, billing_city, billing_state, "
    "billing_country, billing_postal_code, total",
    "invoice_line": "invoice_line_id, invoice_id, track_id, unit_price, quantity",
}


def current_model(entity: str) -> str:
    """int_<entity>__current: the latest version per key. Built as a table it is incremental and ranks only the
    versions newer than its own; as a view or an ephemeral CTE the is_incremental() branch never applies."""
    return f"""{{{{ config(unique_key='{entity}_id', incremental_strategy='delete+insert') }}}}
with versions as (

    {{{{ latest_version(
        ref('stg_chinook__{entity}'), '{entity}_id',
        where='_load_id > ' ~ incremental_watermark('_load_id') if is_incremental() else none,
    ) }}}}

)

select {COLUMNS[entity]}, _load_id, _loaded_at from versions
"""


def reads_current(match: re.Match) -> str:
    """A facts' CTE reading int_<entity>__current instead, filtered to the changed keys when incremental."""
    entity, where = match.group(1), match.group(2)
    return (
        f"select * from {{{{ ref('int_{entity}__current') }}}}\n"
        f"    {{% if is_incremental() %}}\n    where {where}\n    {{% endif %}}"
    )


def project_copy(variant: str, work: Path) -> Path:
    """The project as committed (inline), or with the facts reading int_<entity>__current as a view, an
    ephemeral model or an (incremental) table."""
    target = work / f"project-{variant}"
    shutil.copytree(PROJECT, target, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"))
    if variant == "inline":
        return target
    for entity in COLUMNS:
        (target / "models" / "intermediate" / f"int_{entity}__current.sql").write_text(current_model(entity))
    settings = yaml.safe_load((target / "dbt_project.yml").read_text())
    materialized = "incremental" if variant == "table" else variant
    settings["models"]["chinook_warehouse"]["intermediate"] = {
        f"int_{entity}__current": {"+materialized": materialized} for entity in COLUMNS
    }
    (target / "dbt_project.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    for fact in FACTS:
        path = target / "models" / "marts" / f"{fact}.sql"
        text, count = RANKS_INLINE.subn(reads_current, path.read_text())
        assert count, f"{fact} ranks no versions inline: the variant would equal the project as committed"
        # the staging refs left are inside is_incremental() blocks, which dbt's parser does not see
        hints = "".join(f"-- depends_on: {{{{ ref('stg_chinook__{entity}') }}}}\n" for entity in COLUMNS)
        path.write_text(hints + text)
    return target


def dataset(scale: float, days: int) -> tuple[Path, list[dict[str, list[Path]]]]:
    """The generated CSVs of a scale and ``days`` further days, each day's files by table (CSV name)."""
    from chinook_platform.lib.generator import generate
    from chinook_platform.lib.next_days import existing_sales_in_folder, generate_next_days

    folder = REPO / ".chinook" / "benchmarks" / f"current-versions-scale-{scale:g}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating scale {scale:g} into {folder} ...", file=sys.stderr)
        generate(folder / "base", scale=scale)
        generate_next_days(existing_sales_in_folder(folder / "base"), folder / "days", 7)
        (folder / ".complete").touch()
    dates = sorted(p.name for p in (folder / "days" / "Invoice").glob("*.csv"))[:days]
    return folder / "base", [{t: [folder / "days" / t / d] for t in ("Invoice", "InvoiceLine")} for d in dates]


class Engine:
    name: str

    def load(self, files: dict[str, list[Path]], load_id: int) -> None: ...
    def query(self, sql: str) -> list[tuple]: ...

    def env(self, schema: str) -> dict[str, str]:
        return {**os.environ, "CHINOOK_WAREHOUSE_SCHEMA": schema, "CHINOOK_STAGING_SCHEMA": STAGING}

    def checksum(self, schema: str) -> str: ...


class DuckDB(Engine):
    name = "duckdb"

    def __init__(self, work: Path) -> None:
        self.path = work / "warehouse.duckdb"

    def connect(self):  # noqa: ANN201
        import duckdb

        return duckdb.connect(str(self.path))

    def load(self, files: dict[str, list[Path]], load_id: int) -> None:
        with self.connect() as con:
            for table in TABLES:
                if not files.get(table.csv_name):
                    continue
                for statement in create_statements(table, "duckdb", STAGING):
                    con.execute(statement)
                names = ", ".join(c.name for c in table.columns)
                values = ", ".join(f'"{c.csv_name}"' for c in table.columns)
                paths = [str(p) for p in files[table.csv_name]]
                con.execute(
                    f"insert into {STAGING}.{table.name} ({names}, _load_id, _loaded_at, _batch_id) "
                    f"select {values}, {load_id}, now(), 'bench-{load_id}' "
                    f"from read_csv(?, header = true, all_varchar = true)",
                    [paths],
                )

    def query(self, sql: str) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql).fetchall()

    def env(self, schema: str) -> dict[str, str]:
        return {
            **super().env(schema),
            "CHINOOK_WAREHOUSE_TARGET": "duckdb",
            "CHINOOK_WAREHOUSE_DUCKDB_PATH": str(self.path),
        }

    def checksum(self, schema: str) -> str:
        return "/".join(
            str(
                self.query(f"select md5(string_agg(cast(f as varchar), '|' order by {key})) from {schema}.{fact} as f")[
                    0
                ][0]
            )
            for fact, key in (("fct_invoice_line", "invoice_line_id"), ("fct_invoice", "invoice_id"))
        )


class Postgres(Engine):
    name = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg

        self.url, self.psycopg = url, psycopg
        self.connection = psycopg.connect(url, autocommit=True)

    def load(self, files: dict[str, list[Path]], load_id: int) -> None:
        with self.connection.cursor() as cursor:
            for table in TABLES:
                if not files.get(table.csv_name):
                    continue
                for statement in create_statements(table, "postgres", STAGING):
                    cursor.execute(statement)
                relation = f"{STAGING}.{table.name}"
                cursor.execute(f"alter table {relation} alter column _load_id set default {load_id}")
                cursor.execute(f"alter table {relation} alter column _loaded_at set default now()")
                cursor.execute(f"alter table {relation} alter column _batch_id set default 'bench-{load_id}'")
                names = ", ".join(c.name for c in table.columns)
                for path in files[table.csv_name]:
                    with (
                        path.open("rb") as source,
                        cursor.copy(f"copy {relation} ({names}) from stdin (format csv, header true)") as copy,
                    ):
                        while block := source.read(1 << 20):
                            copy.write(block)
                cursor.execute(f"analyze {relation}")

    def query(self, sql: str) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def env(self, schema: str) -> dict[str, str]:
        url = self.psycopg.conninfo.conninfo_to_dict(self.url)
        return {
            **super().env(schema),
            "CHINOOK_WAREHOUSE_TARGET": "postgres",
            "CHINOOK_WAREHOUSE_PG_HOST": str(url.get("host", "127.0.0.1")),
            "CHINOOK_WAREHOUSE_PG_PORT": str(url.get("port", 5432)),
            "CHINOOK_WAREHOUSE_PG_USER": str(url.get("user", "postgres")),
            "CHINOOK_WAREHOUSE_PG_DBNAME": str(url.get("dbname", "test")),
        }

    def checksum(self, schema: str) -> str:
        return "/".join(
            str(self.query(f"select md5(string_agg(f::text, '|' order by {key})) from {schema}.{fact} as f")[0][0])
            for fact, key in (("fct_invoice_line", "invoice_line_id"), ("fct_invoice", "invoice_id"))
        )

    def ranked_versions(self, compiled: Path) -> int:
        """Rows the windows of a query rank, from EXPLAIN ANALYZE (the input rows of every WindowAgg)."""
        plan = self.query(f"explain (analyze, format json) {compiled.read_text()}")[0][0][0]["Plan"]

        def walk(node: dict) -> int:
            children = node.get("Plans", [])
            own = sum(c["Actual Rows"] * c["Actual Loops"] for c in children) if node["Node Type"] == "WindowAgg" else 0
            return own + sum(walk(c) for c in children)

        return walk(plan)

    def drop(self, *schemas: str) -> None:
        with self.connection.cursor() as cursor:
            for schema in schemas:
                cursor.execute(f"drop schema if exists {schema} cascade")


def dbt(command: str, project: Path, engine: Engine, schema: str, select: list[str]) -> None:
    """One dbt command on a variant's project copy, its profile and target folder beside it."""
    folders = ["--project-dir", project, "--profiles-dir", project, "--target-path", project / "target"]
    subprocess.run(
        [DBT, command, "--quiet", *folders, "--select", *select],
        check=True,
        env=engine.env(schema),
        stdout=subprocess.DEVNULL,
    )


def dbt_run(project: Path, engine: Engine, schema: str, select: list[str]) -> dict:
    started = time.perf_counter()
    dbt("run", project, engine, schema, select)
    wall = time.perf_counter() - started
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    facts = [r["execution_time"] for r in results if r["unique_id"].split(".")[-1] in FACTS]
    return {"wall": wall, "models": sum(r["execution_time"] for r in results), "facts": sum(facts)}


def ranked_versions(engine: Postgres, project: Path, schema: str, variant: str) -> int:
    """Versions the windows rank for the day's lines: fct_invoice_line's incremental query, and for the table
    variant the incremental queries of the two intermediate models it reads, compiled before the run."""
    models = ["fct_invoice_line", *(CURRENT if variant == "table" else [])]
    dbt("compile", project, engine, schema, models)
    compiled = project / "target" / "compiled" / "chinook_warehouse" / "models"
    folders = {m: "marts" if m.startswith("fct_") else "intermediate" for m in models}
    return sum(engine.ranked_versions(compiled / folders[m] / f"{m}.sql") for m in models)


def measure(scale: float, engine_name: str, days: int, work: Path) -> list[dict]:
    base, new_days = dataset(scale, days)
    work.mkdir(parents=True, exist_ok=True)
    engine: Engine = DuckDB(work) if engine_name == "duckdb" else Postgres(POSTGRES_URL)
    schemas = {v: f"bench_current_{v}" for v in VARIANTS}
    if isinstance(engine, Postgres):
        engine.drop(STAGING, *schemas.values())
    engine.load({t.csv_name: [base / f"{t.csv_name}.csv"] for t in TABLES}, load_id=1)
    projects = {v: project_copy(v, work / engine_name) for v in VARIANTS}
    rows = {
        v: {"variant": v, "full": dbt_run(projects[v], engine, schemas[v], [f"+{f}" for f in FACTS])} for v in VARIANTS
    }
    for number, day in enumerate(new_days, start=2):
        engine.load(day, load_id=number)
        sums = {}
        for v in VARIANTS:
            select = FACTS if v in ("inline", "ephemeral") else [*CURRENT, *FACTS]
            if isinstance(engine, Postgres) and number == len(new_days) + 1:
                rows[v]["ranked"] = ranked_versions(engine, projects[v], schemas[v], v)
            rows[v].setdefault("days", []).append(dbt_run(projects[v], engine, schemas[v], select))
            sums[v] = engine.checksum(schemas[v])
        assert len(set(sums.values())) == 1, f"the variants' facts differ after day {number - 1}: {sums}"
    lines = engine.query(f"select count(*) from {schemas['inline']}.fct_invoice_line")[0][0]
    if isinstance(engine, Postgres):
        engine.drop(STAGING, *schemas.values())
    return [{**r, "scale": scale, "engine": engine_name, "lines": lines} for r in rows.values()]


def table(results: list[dict]) -> str:
    out = [
        "| scale | engine | variant | fact lines | full build (s) | +1 day: facts (s) | +1 day: facts and "
        "int_* (s) | +1 day, wall (s) | +1 day vs inline | versions ranked for the day (PostgreSQL) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    inline = {
        (r["scale"], r["engine"]): statistics.median(d["models"] for d in r["days"])
        for r in results
        if r["variant"] == "inline"
    }
    for r in results:
        day = statistics.median(d["models"] for d in r["days"])
        facts = statistics.median(d["facts"] for d in r["days"])
        wall = statistics.median(d["wall"] for d in r["days"])
        ratio = day / inline[(r["scale"], r["engine"])]
        ranked = f"{r['ranked']:,}" if "ranked" in r else "-"
        out.append(
            f"| {r['scale']:g} | {r['engine']} | {r['variant']} | {r['lines']:,} | {r['full']['models']:.2f} "
            f"| {facts:.2f} | {day:.2f} | {wall:.1f} | {ratio:.2f}x | {ranked} |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[100])
    parser.add_argument("--engines", nargs="+", choices=("duckdb", "postgres"), default=["duckdb", "postgres"])
    parser.add_argument("--days", type=int, default=2, help="new days, each timed (the median is shown); up to 7")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="current-versions-") as work:
        for scale in args.scales:
            for engine in args.engines:
                print(f"scale {scale:g}, {engine} ...", file=sys.stderr)
                results += measure(scale, engine, args.days, Path(work) / f"scale-{scale:g}")
    print(f"measured {datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()[0]:.1f}\n")
    print(table(results))


if __name__ == "__main__":
    main()
