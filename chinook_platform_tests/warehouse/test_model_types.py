"""Every model's columns have the same types on DuckDB and on PostgreSQL: the sample data staged in both and the
whole dbt project run on each, then information_schema compared column by column (integers stay integers:
PostgreSQL's sum() of an integer is numeric, DuckDB's a 128-bit integer, unless the model casts it)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR, warehouse_settings
from chinook_platform.lib.warehouse import DuckDBStaging, PostgresStaging, StagingWarehouse
from chinook_platform_tests.conftest import SAMPLE_DATA
from chinook_platform_tests.warehouse.staged import run_dbt, stage_csvs

pytestmark = pytest.mark.postgres

# Each engine's type names, as one name per kind of value (numeric's precision and scale are not compared).
SAME_KIND = {
    "character varying": "text",
    "varchar": "text",
    "timestamp without time zone": "timestamp",
    "double precision": "double",
    "decimal": "numeric",
}


def kind(data_type: str) -> str:
    name = re.sub(r"\(.*\)$", "", data_type.lower()).strip()
    return SAME_KIND.get(name, name)


def column_kinds(warehouse: StagingWarehouse, schema: str) -> dict[tuple[str, str], str]:
    rows = warehouse.query(
        "select table_name, column_name, data_type from information_schema.columns "
        f"where table_schema = '{schema}' order by table_name, ordinal_position"
    )
    return {(table, column): kind(data_type) for table, column, data_type in rows}


def build(engine: str, work: Path, postgres_url: str) -> tuple[StagingWarehouse, str]:
    """The sample data staged and every model run by dbt; returns the warehouse and its analytics schema."""
    if engine == "duckdb":
        settings = warehouse_settings(target="duckdb", duckdb_path=work / "warehouse.duckdb")
        staging: StagingWarehouse = DuckDBStaging(str(settings.duckdb_path), settings.staging_schema)
    else:
        suffix = uuid.uuid4().hex[:8]
        staging = PostgresStaging(postgres_url, f"types_staging_{suffix}")
        settings = warehouse_settings(
            target="postgres",
            pg_dbname=staging.sql.url.database,
            staging_schema=staging.schema,
            analytics_schema=f"types_analytics_{suffix}",
        )
    stage_csvs(SAMPLE_DATA, work, staging)
    run_dbt(["run"], settings, work)
    return staging, settings.analytics_schema


@pytest.fixture(scope="module")
def kinds_by_engine(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[dict[str, dict]]:
    built = {engine: build(engine, tmp_path_factory.mktemp(engine), postgres_url) for engine in ("duckdb", "postgres")}
    yield {engine: column_kinds(warehouse, schema) for engine, (warehouse, schema) in built.items()}
    postgres, schema = built["postgres"]
    assert isinstance(postgres, PostgresStaging)
    with postgres.sql.begin() as conn:
        for name in (postgres.schema, schema):
            conn.exec_driver_sql(f'drop schema if exists "{name}" cascade')
    postgres.sql.dispose()


def test_every_model_has_the_same_columns_on_duckdb_and_postgresql(kinds_by_engine: dict[str, dict]):
    duckdb, postgres = kinds_by_engine["duckdb"], kinds_by_engine["postgres"]
    models = {p.stem for p in (WAREHOUSE_PROJECT_DIR / "models").rglob("*.sql")}
    assert {table for table, _ in duckdb} == models  # every model: staging views to KPIs
    assert sorted(duckdb) == sorted(postgres)


def test_every_column_has_the_same_type_on_duckdb_and_postgresql(kinds_by_engine: dict[str, dict]):
    duckdb, postgres = kinds_by_engine["duckdb"], kinds_by_engine["postgres"]
    differing = {c: (duckdb[c], postgres.get(c)) for c in duckdb if duckdb[c] != postgres.get(c)}
    assert differing == {}
