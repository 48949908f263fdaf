"""The Dagster command line a user would type, as the README gives it (`chinook dagster ...`: Dagster's CLI on the
home's instance): validate the code location, materialize a selection, execute a job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import sqlalchemy as sa

from chinook_platform_tests.conftest import REPO, SAMPLE_DATA

BIN = Path(sys.executable).parent


def run(command: list[str], home: Path) -> subprocess.CompletedProcess:
    """A command in a fresh CHINOOK_HOME (its own landing zone, databases and Dagster instance), no DAGSTER_HOME."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHINOOK_", "DAGSTER_", "DBT_"))}
    environment |= {"CHINOOK_HOME": str(home), "PATH": f"{BIN}{os.pathsep}{environment['PATH']}"}
    done = subprocess.run(
        command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_package_is_a_code_location_the_dagster_cli_loads(tmp_path):
    done = run([str(BIN / "chinook"), "dagster", "definitions", "validate", "-m", "chinook_platform"], tmp_path)
    assert "All code locations passed validation" in done.stdout + done.stderr
    assert (tmp_path / "dagster" / "dagster.yaml").exists()  # the instance is the home's, made absolute


def test_materialize_a_selection_then_execute_the_full_refresh_job(tmp_path):
    run([str(BIN / "chinook"), "land", str(SAMPLE_DATA)], tmp_path)
    run(
        [
            str(BIN / "chinook"),
            "dagster",
            "asset",
            "materialize",
            "-m",
            "chinook_platform",
            "--select",
            "landing/artist,oltp/artist",
        ],
        tmp_path,
    )
    oltp = sa.create_engine(f"sqlite:///{tmp_path / 'oltp.sqlite'}")
    with oltp.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from artist").scalar() == 275
        assert conn.exec_driver_sql("select count(*) from album").scalar() == 0  # not selected

    run([str(BIN / "chinook"), "dagster", "job", "execute", "-m", "chinook_platform", "-j", "full_refresh"], tmp_path)
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        assert len(instance.get_runs()) == 2  # both recorded in the home's instance
    with oltp.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from invoice_line").scalar() == 2240
    oltp.dispose()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as warehouse:
        assert warehouse.execute("select count(*) from analytics.fct_invoice_line").fetchone() == (2240,)
        assert warehouse.execute("select count(*) from analytics.mart_single_customer_view").fetchone() == (59,)
