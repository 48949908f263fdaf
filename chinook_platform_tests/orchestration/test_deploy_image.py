"""The image's entrypoint and dagster.yaml, exercised outside a container (no image can be built here): Dagster's
storage on the real PostgreSQL, the ECS run launcher against moto's ECS on loopback."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import dagster as dg
import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


@pytest.fixture
def storage_environment(postgres_url: str, monkeypatch: pytest.MonkeyPatch):
    """DAGSTER_PG_* as ECS sets them, naming a database that does not exist yet (dropped afterwards)."""
    url = sa.make_url(postgres_url)
    name = f"dagster_test_{uuid.uuid4().hex[:10]}"
    environment = {"DAGSTER_PG_HOST": url.host, "DAGSTER_PG_PORT": str(url.port), "DAGSTER_PG_DB": name,
                   "DAGSTER_PG_USER": url.username, "DAGSTER_PG_PASSWORD": url.password or ""}
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    yield environment
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
    engine.dispose()


def databases(postgres_url: str) -> set[str]:
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        found = set(conn.execute(sa.text("select datname from pg_database")).scalars())
    engine.dispose()
    return found


def test_the_entrypoint_creates_the_storage_database_once_then_runs_the_command(storage_environment, postgres_url):
    entrypoint = [sys.executable, "-m", "chinook_platform.lib.dagster_storage"]
    first = subprocess.run([*entrypoint, sys.executable, "-c", "print('command ran')"], capture_output=True,
                           text=True, check=True)
    assert first.stdout == "command ran\n" and "created Dagster's storage database" in first.stderr
    assert storage_environment["DAGSTER_PG_DB"] in databases(postgres_url)
    again = subprocess.run([*entrypoint, "true"], capture_output=True, text=True, check=True)
    assert again.stderr == ""


def test_the_image_instance_stores_runs_in_postgres_and_launches_them_on_ecs(
    storage_environment, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from dagster_aws.ecs import EcsRunLauncher
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    from chinook_platform.lib.dagster_storage import ensure_database

    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", s3_endpoint)  # moto's ECS on the loopback server
    monkeypatch.setenv("DAGSTER_RUN_TASK_DEFINITION", "chinook-dev-dagster-run")
    monkeypatch.setenv("DAGSTER_ECS_CLUSTER", "chinook-dev-dagster")
    # What Terraform registers (modules/dagster_ecs): the cluster and the `run` task family, container `run`.
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName="chinook-dev-dagster")
    ecs.register_task_definition(family="chinook-dev-dagster-run", requiresCompatibilities=["FARGATE"],
                                 networkMode="awsvpc", cpu="1024", memory="2048",
                                 containerDefinitions=[{"name": "run", "image": "chinook:test", "essential": True}])
    ensure_database()
    shutil.copy(REPO / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.run_launcher, EcsRunLauncher)
        assert instance.run_launcher.task_definition.endswith(":task-definition/chinook-dev-dagster-run:1")

        @dg.asset
        def probe() -> int:
            return 1

        assert dg.materialize([probe], instance=instance).success
        (run,) = instance.get_runs()
        assert instance.get_latest_materialization_event(dg.AssetKey("probe")).run_id == run.run_id

    # Stored in the database, not in the folder: a second instance on the same settings sees the run.
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert [r.run_id for r in instance.get_runs()] == [run.run_id]


def test_the_workspace_names_the_code_location_by_its_private_dns_name():
    import yaml

    workspace = yaml.safe_load((REPO / "deploy" / "workspace.yaml").read_text())
    (server,) = [entry["grpc_server"] for entry in workspace["load_from"]]
    assert server == {"host": {"env": "DAGSTER_CODE_LOCATION_HOST"}, "port": 4000, "location_name": "chinook_platform"}
