"""The platform in its cloud shape, on this machine: landing and lake on the S3 server on loopback, OLTP and
warehouse on the real PostgreSQL with credentials from moto's Secrets Manager, Dagster's storage on PostgreSQL
through the image's own dagster.yaml (EcsRunLauncher configured against moto's ECS). The landing sensor and
the automation conditions tick in-process, as the daemon would; runs execute in-process (no container here)."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import boto3
import dagster as dg
import pytest
import sqlalchemy as sa

from chinook_platform.lib.next_days import existing_sales_in_oltp, generate_next_days
from chinook_platform.lib.orchestration import ensure_database
from chinook_platform_tests.conftest import SAMPLE_DATA
from chinook_platform_tests.orchestration.test_deploy_image import register_run_task_family
from chinook_platform_tests.orchestration.test_live_mode import Platform

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


class CloudPlatform(Platform):
    def __init__(self, definitions: dg.Definitions, instance: dg.DagsterInstance, warehouse_url: str, schema: str):
        super().__init__(definitions, instance, Path())
        self.warehouse_url, self.schema = warehouse_url, schema

    def warehouse(self, sql: str) -> list[tuple]:
        engine = sa.create_engine(self.warehouse_url)
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.exec_driver_sql(sql.replace("analytics.", f"{self.schema}."))]
        engine.dispose()
        return rows


@pytest.fixture
def cloud(
    s3_endpoint: str, s3_bucket: str, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CloudPlatform]:
    run = uuid.uuid4().hex[:8]
    url = sa.make_url(postgres_url)
    schemas = {"oltp": f"cloud_oltp_{run}", "staging": f"cloud_staging_{run}", "analytics": f"cloud_analytics_{run}"}
    secrets = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=s3_endpoint)
    secret_arn = secrets.create_secret(
        Name=f"rds!db-{run}",
        SecretString=json.dumps({"username": url.username, "password": url.password or "unused-trust-auth"}),
    )["ARN"]
    settings = {  # what modules/dagster_ecs hands the tasks (local.platform_settings), pointed at loopback
        "AWS_REGION": "us-east-1",
        "CHINOOK_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": s3_endpoint,
        "AWS_ENDPOINT_URL_ECS": s3_endpoint,
        "CHINOOK_LANDING_URL": f"s3://{s3_bucket}/landing/",
        "CHINOOK_LAKE_URL": f"s3://{s3_bucket}/lake/",
        "CHINOOK_OLTP_URL": f"postgresql+psycopg://{url.host}:{url.port}/{url.database}",
        "CHINOOK_OLTP_SECRET_ARN": secret_arn,
        "CHINOOK_OLTP_SCHEMA": schemas["oltp"],
        "CHINOOK_WAREHOUSE_TARGET": "postgres",
        "CHINOOK_WAREHOUSE_PG_HOST": url.host,
        "CHINOOK_WAREHOUSE_PG_PORT": str(url.port),
        "CHINOOK_WAREHOUSE_PG_DBNAME": url.database,
        "CHINOOK_WAREHOUSE_PG_SECRET_ARN": secret_arn,
        "CHINOOK_STAGING_SCHEMA": schemas["staging"],
        "CHINOOK_WAREHOUSE_SCHEMA": schemas["analytics"],
        "CHINOOK_HOME": str(tmp_path / "no-local-state"),
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port),
        "DAGSTER_PG_DB": f"dagster_cloud_{run}",
        "DAGSTER_PG_USER": url.username,
        "DAGSTER_PG_PASSWORD": url.password or "",
        "DAGSTER_RUN_TASK_DEFINITION": "chinook-dev-dagster-run",
        "DAGSTER_ECS_CLUSTER": "chinook-dev-dagster",
    }
    for name in ("CHINOOK_WAREHOUSE_PG_USER", "CHINOOK_WAREHOUSE_PG_PASSWORD", "CHINOOK_WAREHOUSE_DUCKDB_PATH"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    register_run_task_family(s3_endpoint)
    ensure_database()  # what the image's entrypoint does first
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    from chinook_platform.definitions import defs

    try:
        with mock.patch.dict(os.environ), dg.DagsterInstance.from_config(str(home)) as instance:
            yield CloudPlatform(defs(), instance, url.render_as_string(hide_password=False), schemas["analytics"])
    finally:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for schema in schemas.values():
                conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
            conn.exec_driver_sql(f'drop database if exists "{settings["DAGSTER_PG_DB"]}" with (force)')
        engine.dispose()


def test_a_new_day_flows_to_the_marts_in_the_cloud_shape(
    cloud: CloudPlatform, s3_endpoint: str, s3_bucket: str, tmp_path: Path
):
    from dagster_aws.ecs import EcsRunLauncher
    from dagster_postgres import PostgresRunStorage

    assert isinstance(cloud.instance.run_storage, PostgresRunStorage)
    assert isinstance(cloud.instance.run_launcher, EcsRunLauncher)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    for path in sorted(SAMPLE_DATA.glob("*.csv")):
        s3.upload_file(str(path), s3_bucket, f"landing/{path.name}")
    assert cloud.land_and_tick() == 1
    cloud.settle()
    [(facts,)] = cloud.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == 2240

    oltp = cloud.definitions.resources["oltp"].process_config_and_initialize().engine()
    day = tmp_path / "next-day"
    counts = generate_next_days(existing_sales_in_oltp(oltp), day, days=1)
    for path in sorted(day.rglob("*.csv")):
        s3.upload_file(str(path), s3_bucket, f"landing/{path.relative_to(day).as_posix()}")
    assert cloud.land_and_tick() == 1
    rounds = cloud.settle()
    assert len(rounds) == 1 and "warehouse/fct_invoice_line" in rounds[0], rounds
    [(facts,)] = cloud.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == 2240 + counts["InvoiceLine"]
    # Lake batches are in the S3 lake, and Dagster's history is in PostgreSQL, not on disk.
    lake = s3.list_objects_v2(Bucket=s3_bucket, Prefix="lake/")
    assert any(o["Key"].endswith(".parquet") for o in lake.get("Contents", []))
    assert len(cloud.instance.get_runs()) == len(cloud.runs)
