"""Two runners with separate Dagster homes (two machines: the cloud setup) load the same landed files into one
PostgreSQL OLTP database, one lake and one PostgreSQL staging schema at the same moment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from chinook_platform.lib.contract import TABLES
from chinook_platform.lib.environment import default_lake_catalog_url
from chinook_platform.lib.lake import LakeStore
from chinook_platform.lib.orchestration import dagster_yaml
from chinook_platform_tests.conftest import REPO, SAMPLE_DATA

RUNNER = """
import json, sys, time
from pathlib import Path

import dagster as dg

from chinook_platform.defs.lake.assets import lake_assets
from chinook_platform.defs.landing.assets import landing_assets
from chinook_platform.defs.oltp.assets import oltp_assets
from chinook_platform.defs.resources import build_resources
from chinook_platform.defs.staging.assets import staging_assets

ready, start = Path(sys.argv[1]), Path(sys.argv[2])
instance = dg.DagsterInstance.get()  # this runner's own DAGSTER_HOME
ready.touch()
while not start.exists():  # both runners begin together, imports done
    time.sleep(0.02)
result = dg.materialize([*landing_assets, *oltp_assets, *lake_assets, *staging_assets],
                        resources=build_resources(), instance=instance, raise_on_error=False)
failures = [e.message for e in result.all_events if e.is_failure]
print(json.dumps({"success": result.success, "failures": failures}))
"""


def split_into_days(landing: Path) -> None:
    """Invoices and their lines as several files, as daily exports land: more loads for the runners to race on."""
    for name in ("Invoice", "InvoiceLine"):
        frame = pd.read_csv(landing / f"{name}.csv", dtype=str, keep_default_na=False)
        (landing / f"{name}.csv").unlink()
        (landing / name).mkdir()
        for part, rows in frame.groupby(frame.index // 400):
            rows.to_csv(landing / name / f"part-{part:02d}.csv", index=False)


@pytest.fixture(params=["folder", "s3"])
def lake_url(request, tmp_path) -> str:
    if request.param == "folder":
        return str(tmp_path / "lake")
    return f"s3://{request.getfixturevalue('s3_bucket')}/lake"


def test_two_runners_at_once_load_every_file_once_and_list_every_batch_once(postgres_url, tmp_path, lake_url, request):
    suffix = uuid.uuid4().hex[:8]
    oltp_schema, staging_schema = f"race_oltp_{suffix}", f"race_staging_{suffix}"
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE_DATA, landing)
    split_into_days(landing)
    url = sa.make_url(postgres_url)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHINOOK_", "DAGSTER_", "DBT_"))}
    environment |= {
        "CHINOOK_LANDING_URL": str(landing),
        "CHINOOK_LAKE_URL": lake_url,
        "CHINOOK_OLTP_URL": postgres_url,
        "CHINOOK_OLTP_SCHEMA": oltp_schema,
        "CHINOOK_WAREHOUSE_TARGET": "postgres",
        "CHINOOK_WAREHOUSE_PG_HOST": url.host,
        "CHINOOK_WAREHOUSE_PG_PORT": str(url.port or 5432),
        "CHINOOK_WAREHOUSE_PG_USER": url.username or "postgres",
        "CHINOOK_WAREHOUSE_PG_DBNAME": url.database,
        "CHINOOK_STAGING_SCHEMA": staging_schema,
    }
    if lake_url.startswith("s3://"):
        environment["CHINOOK_S3_ENDPOINT_URL"] = request.getfixturevalue("s3_endpoint")
    start = tmp_path / "start"
    runners = []
    for name in ("a", "b"):
        home = tmp_path / f"home_{name}"
        (home / "dagster").mkdir(parents=True)
        # The platform's instance settings, as `chinook` writes them (without them Dagster's defaults report
        # telemetry, writing ~/.dagster/.telemetry/user_id.yaml).
        (home / "dagster" / "dagster.yaml").write_text(dagster_yaml(home / "dagster"))
        runners.append(
            subprocess.Popen(
                [sys.executable, "-c", RUNNER, str(tmp_path / f"ready_{name}"), str(start)],
                cwd=REPO,
                env=environment | {"CHINOOK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
        )
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        deadline = time.monotonic() + 240
        while not all((tmp_path / f"ready_{n}").exists() for n in ("a", "b")):
            assert time.monotonic() < deadline and all(r.poll() is None for r in runners), [
                r.communicate()[1][-3000:] for r in runners if r.poll() is not None
            ]
            time.sleep(0.1)
        start.touch()
        outputs = [r.communicate(timeout=300) for r in runners]
        for runner, (out, err) in zip(runners, outputs, strict=True):
            assert runner.returncode == 0, err[-3000:]
            report = json.loads(out.strip().splitlines()[-1])
            assert report == {"success": True, "failures": []}, err[-3000:]

        with engine.connect() as conn:
            for t in TABLES:
                landed = sum(
                    len(pd.read_csv(p, dtype=str))
                    for p in landing.rglob("*.csv")
                    if p.stem == t.csv_name or p.parent.name == t.csv_name
                )
                oltp_rows = conn.exec_driver_sql(f'select count(*) from "{oltp_schema}".{t.name}').scalar()
                assert oltp_rows == landed, t.name
            loads = conn.exec_driver_sql(
                f"select source_file, source_version, status from \"{oltp_schema}\".load_log where status <> 'retried'"
            ).all()
            assert len(loads) == len(list(landing.rglob("*.csv")))  # every file version recorded exactly once
            assert {status for _, _, status in loads} == {"loaded"}
            quarantined = conn.exec_driver_sql(f'select count(*) from "{oltp_schema}".quarantine').scalar()
            assert quarantined == 0
            # The runners' shared catalog: in the OLTP's schema, as each runner's settings default it.
            catalog = default_lake_catalog_url(postgres_url, oltp_schema, tmp_path)
            endpoint = request.getfixturevalue("s3_endpoint") if lake_url.startswith("s3://") else None
            lake = LakeStore(lake_url, catalog, endpoint)
            for t in TABLES:
                batches = lake.batches(t)
                assert len({b.batch_id for b in batches}) == len(batches), t.name
                starts = [b.min_load_id for b in batches]
                assert starts == sorted(set(starts)), t.name
                for before, after in zip(batches, batches[1:], strict=False):
                    assert after.min_load_id == before.max_load_id + 1, t.name  # contiguous, no overlap
                oltp_rows = conn.exec_driver_sql(f'select count(*) from "{oltp_schema}".{t.name}').scalar()
                assert sum(b.rows for b in batches) == oltp_rows, t.name  # every row once in the lake
                assert lake.row_count(t) == oltp_rows, t.name
                staged, ledger = conn.exec_driver_sql(
                    f'select (select count(*) from "{staging_schema}".{t.name}), '
                    f"(select count(*) from \"{staging_schema}\"._batches where table_name = '{t.name}')"
                ).one()
                assert (staged, ledger) == (oltp_rows, len(batches)), t.name
    finally:
        for runner in runners:
            if runner.poll() is None:
                os.killpg(runner.pid, 9)
        with engine.begin() as conn:
            for schema in (oltp_schema, staging_schema):
                conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
        engine.dispose()


@pytest.mark.parametrize("repetition", [1, 2, 3])
def test_two_chinook_runs_on_one_postgres_warehouse_both_succeed_with_exact_facts(postgres_url, tmp_path, repetition):
    """Both runners reach dbt together: the database serializes the builds (an advisory lock), none collides
    (before it, at least one runner of two failed in each of four tries)."""
    suffix = uuid.uuid4().hex[:8]
    schemas = {name: f"race_{name}_{suffix}" for name in ("oltp", "staging", "analytics")}
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE_DATA, landing)
    url = sa.make_url(postgres_url)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHINOOK_", "DAGSTER_", "DBT_"))}
    environment |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}",
        "CHINOOK_LANDING_URL": str(landing),
        "CHINOOK_LAKE_URL": str(tmp_path / "lake"),
        "CHINOOK_OLTP_URL": postgres_url,
        "CHINOOK_OLTP_SCHEMA": schemas["oltp"],
        "CHINOOK_WAREHOUSE_TARGET": "postgres",
        "CHINOOK_WAREHOUSE_PG_HOST": url.host,
        "CHINOOK_WAREHOUSE_PG_PORT": str(url.port or 5432),
        "CHINOOK_WAREHOUSE_PG_USER": url.username or "postgres",
        "CHINOOK_WAREHOUSE_PG_DBNAME": url.database,
        "CHINOOK_STAGING_SCHEMA": schemas["staging"],
        "CHINOOK_WAREHOUSE_SCHEMA": schemas["analytics"],
    }
    runners = [
        subprocess.Popen(
            [str(Path(sys.executable).with_name("chinook")), "run"],
            cwd=REPO,
            env=environment | {"CHINOOK_HOME": str(tmp_path / f"home_{name}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        for name in ("a", "b")
    ]
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        outputs = [r.communicate(timeout=600)[0] for r in runners]
        for runner, output in zip(runners, outputs, strict=True):
            assert runner.returncode == 0, output[-4000:]
        with engine.connect() as conn:
            lines, distinct = conn.exec_driver_sql(
                f'select count(*), count(distinct invoice_line_id) from "{schemas["analytics"]}".fct_invoice_line'
            ).one()
        assert (lines, distinct) == (2240, 2240)
    finally:
        for runner in runners:
            if runner.poll() is None:
                os.killpg(runner.pid, 9)
        with engine.begin() as conn:
            for schema in schemas.values():
                conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
        engine.dispose()
