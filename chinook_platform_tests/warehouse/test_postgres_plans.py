"""PostgreSQL plans the slow models with the tables' real sizes: staging has statistics as soon as it is loaded,
and the full builds of dim_track and fct_invoice_line are planned (EXPLAIN) with hash joins over row counts near
the real ones. Scale 10 (35,030 tracks): without statistics, or with versions picked by a ranked row_number(),
the planner expects a few hundred rows and joins by nested loops (issue 25: minutes at scale 100)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from chinook_platform.lib.contract import TABLES
from chinook_platform.lib.environment import warehouse_settings
from chinook_platform.lib.generator import generate
from chinook_platform.lib.warehouse import PostgresStaging
from chinook_platform_tests.warehouse.staged import run_dbt, stage_csvs

pytestmark = pytest.mark.postgres

SCALE = 10
SLOW_MODELS = ("dim_track", "fct_invoice_line")


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[PostgresStaging]:
    """Scale-10 CSVs staged in PostgreSQL, as a run stages them."""
    work = tmp_path_factory.mktemp("plans")
    generate(work / "csv", scale=SCALE)
    staging = PostgresStaging(postgres_url, f"plans_staging_{uuid.uuid4().hex[:8]}")
    stage_csvs(work / "csv", work, staging)
    yield staging
    with staging.sql.begin() as conn:
        for schema in (staging.schema, f"{staging.schema}_analytics"):
            conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
    staging.sql.dispose()


def test_staging_tables_have_statistics_as_soon_as_they_are_loaded(staged: PostgresStaging):
    for table in TABLES:
        [(estimated, columns_with_statistics)] = staged.query(
            f"select c.reltuples, (select count(*) from pg_stats s where s.schemaname = n.nspname "
            f"and s.tablename = c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            f"where n.nspname = '{staged.schema}' and c.relname = '{table.name}'"
        )
        rows = staged.row_count(table)
        assert abs(estimated - rows) <= 0.1 * rows, f"{table.name}: planner thinks {estimated} rows, has {rows}"
        assert columns_with_statistics == len(table.columns) + 3, table.name  # and the three load columns


def plan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


@pytest.fixture(scope="module")
def compiled_slow_models(staged: PostgresStaging, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The slow models' first-build SQL, with the views and tables they read built by dbt on the same server."""
    work = tmp_path_factory.mktemp("plans_dbt")
    settings = warehouse_settings(
        target="postgres",
        pg_dbname=staged.sql.url.database,
        staging_schema=staged.schema,
        analytics_schema=f"{staged.schema}_analytics",
    )
    parents = ["--select", *(f"+{m}" for m in SLOW_MODELS), "--exclude", *SLOW_MODELS]
    run_dbt(["run", *parents], settings, work)
    target = run_dbt(["compile", "--select", *SLOW_MODELS], settings, work)
    folder = target / "compiled" / "chinook_warehouse" / "models" / "marts"
    return {m: (folder / f"{m}.sql").read_text() for m in SLOW_MODELS}


@pytest.mark.parametrize(("model", "rows_of"), [("dim_track", "track"), ("fct_invoice_line", "invoice_line")])
def test_the_slow_models_are_planned_with_hash_joins_over_their_real_sizes(
    staged: PostgresStaging, compiled_slow_models: dict[str, str], model: str, rows_of: str
):
    [[(explained,)]] = staged.queries([f"explain (format json) {compiled_slow_models[model]}"])
    plan = (explained if isinstance(explained, list) else json.loads(explained))[0]["Plan"]
    rows = staged.query(f"select count(distinct {rows_of}_id) from {staged.schema}.{rows_of}")[0][0]
    assert rows / 2 <= plan["Plan Rows"] <= rows * 2, f"{model}: planned for {plan['Plan Rows']} rows, has {rows}"
    joins = [node["Node Type"] for node in plan_nodes(plan) if "Join Type" in node]
    assert joins and "Nested Loop" not in joins, f"{model}: {joins}"
