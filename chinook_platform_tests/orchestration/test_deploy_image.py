"""The image's entrypoint and dagster.yaml, exercised outside a container (no image can be built here): Dagster's
storage on the real PostgreSQL, the ECS run launcher against moto's ECS on loopback."""

from __future__ import annotations

import json
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
    environment = {
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port),
        "DAGSTER_PG_DB": name,
        "DAGSTER_PG_USER": url.username,
        "DAGSTER_PG_PASSWORD": url.password or "",
    }
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
    entrypoint = [sys.executable, "-m", "chinook_platform.lib.orchestration.storage"]
    first = subprocess.run(
        [*entrypoint, sys.executable, "-c", "print('command ran')"], capture_output=True, text=True, check=True
    )
    assert first.stdout == "command ran\n" and "created Dagster's storage database" in first.stderr
    assert storage_environment["DAGSTER_PG_DB"] in databases(postgres_url)
    again = subprocess.run([*entrypoint, "true"], capture_output=True, text=True, check=True)
    assert again.stderr == ""


def register_run_task_family(endpoint: str) -> str:
    """What Terraform registers (modules/dagster_ecs) on moto's ECS: the cluster and the `run` task family,
    container `run`; returns the new revision's ARN."""
    ecs = boto3.client("ecs", region_name="us-east-1", endpoint_url=endpoint)
    ecs.create_cluster(clusterName="chinook-dev-dagster")
    registered = ecs.register_task_definition(
        family="chinook-dev-dagster-run",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="2048",
        containerDefinitions=[{"name": "run", "image": "chinook:test", "essential": True}],
    )
    return registered["taskDefinition"]["taskDefinitionArn"]


def test_the_image_instance_stores_runs_in_postgres_and_launches_them_on_ecs(
    storage_environment, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from dagster_aws.ecs import EcsRunLauncher
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    from chinook_platform.lib.orchestration import ensure_database

    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", s3_endpoint)  # moto's ECS on the loopback server
    # The launcher's ECS client takes its Region from the environment, as in the task: set it here, not by
    # whichever test happened to start the S3 server first.
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("DAGSTER_RUN_TASK_DEFINITION", "chinook-dev-dagster-run")
    monkeypatch.setenv("DAGSTER_ECS_CLUSTER", "chinook-dev-dagster")
    # The launcher resolves the family to its newest revision (the shared moto server may hold older ones).
    newest = register_run_task_family(s3_endpoint)
    ensure_database()
    shutil.copy(REPO / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.run_launcher, EcsRunLauncher)
        assert instance.run_launcher.task_definition == newest

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
    assert server == {
        "host": {"env": "DAGSTER_CODE_LOCATION_HOST"},
        "port": {"env": "DAGSTER_CODE_LOCATION_PORT"},
        "location_name": "chinook_platform",
    }


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def service_commands() -> dict[str, list[str]]:
    """The commands modules/dagster_ecs gives the code location, webserver and daemon tasks."""
    import hcl2

    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
    parsed = hcl2.loads(
        (REPO / "terraform" / "modules" / "dagster_ecs" / "main.tf").read_text(), serialization_options=options
    )
    services = next(block["services"] for block in parsed["locals"] if "services" in block)
    return {name: service["command"] for name, service in services.items()}


def test_the_services_commands_serve_the_code_location_to_the_webserver(
    storage_environment, s3_endpoint: str, tmp_path: Path
):
    """The code-location and webserver tasks' commands, through the image's entrypoint, on loopback ports: the
    webserver loads the code location over gRPC by the workspace.yaml the image carries."""
    import os
    import signal
    import time
    import urllib.request

    grpc_port, web_port = free_port(), free_port()
    commands = service_commands()
    swap = {
        "0.0.0.0": "127.0.0.1",
        "4000": str(grpc_port),
        "3000": str(web_port),
        "/opt/dagster/app/deploy/workspace.yaml": str(REPO / "deploy" / "workspace.yaml"),
    }
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    register_run_task_family(s3_endpoint)
    environment = {
        **os.environ,
        **storage_environment,
        "DAGSTER_HOME": str(home),
        "AWS_ENDPOINT_URL_ECS": s3_endpoint,
        "DAGSTER_RUN_TASK_DEFINITION": "chinook-dev-dagster-run",
        "DAGSTER_ECS_CLUSTER": "default",
        "DAGSTER_CODE_LOCATION_HOST": "127.0.0.1",
        "DAGSTER_CODE_LOCATION_PORT": str(grpc_port),
        "CHINOOK_HOME": str(tmp_path / "chinook"),
    }
    bin_dir = Path(sys.executable).parent
    started = []
    try:
        for name in ("code-location", "webserver"):
            command = [swap.get(part, part) for part in commands[name]]
            command[0] = str(bin_dir / command[0])
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", "chinook_platform.lib.orchestration.storage", *command],
                    env=environment,
                    cwd=tmp_path,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp_path / f"{name}.log").open("w"),
                )
            )
        graphql = (
            "{ workspaceOrError { ... on Workspace { locationEntries { name "
            "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
        )
        query = json.dumps({"query": graphql}).encode()
        deadline, entries = time.monotonic() + 240, None
        while time.monotonic() < deadline and all(p.poll() is None for p in started):
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{web_port}/graphql", data=query, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=10) as response:
                    entries = json.load(response)["data"]["workspaceOrError"]["locationEntries"]
                # Started together, as ECS does: the webserver picks the location up once its server serves.
                if entries and (entries[0]["locationOrLoadError"] or {}).get("__typename") == "RepositoryLocation":
                    break
            except OSError:
                pass
            time.sleep(2)
        logs = "\n".join((tmp_path / f"{n}.log").read_text()[-1500:] for n in ("code-location", "webserver"))
        assert entries, logs
        (entry,) = entries
        assert entry["name"] == "chinook_platform"
        assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", (entry, logs)
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
