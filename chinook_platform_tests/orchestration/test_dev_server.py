"""Live mode under the real `make dev`: `dagster dev` with the project's workspace (webserver, daemon and code
server as processes of their own) on the instance `make dev` prepares, killed as a machine or a user kills it.

The runs are counted and read through Dagster's own records; the data are read from the warehouse.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from chinook_platform.lib.orchestration.run_workers import worker_pid
from chinook_platform_tests.conftest import REPO, SAMPLE_DATA
from chinook_platform_tests.orchestration.test_webserver import free_port

POOLS = ("chinook_oltp", "chinook_warehouse")
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


class DevServer:
    """`make dev` in a process group of its own (``start``/``kill``), with the instance it runs on."""

    def __init__(self, home: Path):
        self.home = home
        self.process: subprocess.Popen | None = None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHINOOK_", "DAGSTER_", "DBT_"))}
        self.env = env | {"CHINOOK_HOME": str(home)}
        dagster_home = subprocess.run(
            [sys.executable, "-m", "chinook_platform.lib.orchestration.home"],
            cwd=REPO,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        self.env["DAGSTER_HOME"] = dagster_home
        self.instance = dg.DagsterInstance.from_config(dagster_home)

    def start(self) -> None:
        log = (self.home / "dev.log").open("a")
        self.process = subprocess.Popen(
            [Path(sys.executable).with_name("dagster"), "dev", "-w", "workspace.yaml"]
            + ["-h", "127.0.0.1", "-p", str(free_port())],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, as TOOLCHAIN.md advises
        )

    def kill(self) -> None:
        """SIGKILL the whole `dagster dev` tree: webserver, daemon, code server and the runs' processes."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def runs(self) -> list[dg.DagsterRun]:
        return list(self.instance.get_runs())

    def wait_for(self, what: str, found: Callable[[], Any], seconds: float) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = found()
            if value:
                return value
            assert self.process is None or self.process.poll() is None, self.log()
            time.sleep(1)
        summary = [(r.run_id[:8], r.status.value, dict(r.tags)) for r in self.runs()]
        pytest.fail(f"{what}: not within {seconds} s; runs {summary}\n{self.log()[-4000:]}")

    def log(self) -> str:
        return (self.home / "dev.log").read_text(errors="replace")

    def facts(self) -> int | None:
        try:
            with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as con:
                return con.execute("select count(*) from analytics.fct_invoice_line").fetchone()[0]
        except duckdb.Error:
            return None  # not built yet, or being written

    def run_holding_a_pool(self) -> tuple[dg.DagsterRun, int] | None:
        """A run that holds a pool slot and whose worker process is known."""
        for pool in POOLS:
            for slot in self.instance.event_log_storage.get_concurrency_info(pool).claimed_slots:
                run = self.instance.get_run_by_id(slot.run_id)
                pid = worker_pid(self.instance, run) if run and run.status == dg.DagsterRunStatus.STARTED else None
                if pid:
                    return run, pid
        return None


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevServer]:
    server = DevServer(tmp_path)
    try:
        yield server
    finally:
        server.kill()
        server.instance.dispose()


def land(home: Path) -> None:
    shutil.copytree(SAMPLE_DATA, home / "landing", dirs_exist_ok=True)


def pools_free(instance: dg.DagsterInstance) -> bool:
    return not any(instance.event_log_storage.get_concurrency_info(p).claimed_slots for p in POOLS)


def test_a_killed_run_is_failed_frees_its_pool_and_its_retry_brings_the_data(dev):
    dev.start()
    land(dev.home)
    run, pid = dev.wait_for("a run holding a pool", dev.run_holding_a_pool, 300)
    os.kill(pid, signal.SIGKILL)

    failed = dev.wait_for(
        "the killed run failed",
        lambda: (r := dev.instance.get_run_by_id(run.run_id)).status == dg.DagsterRunStatus.FAILURE and r,
        60,
    )
    assert failed.status == dg.DagsterRunStatus.FAILURE
    retry = dev.wait_for(
        "its retry",
        lambda: [r for r in dev.runs() if r.tags.get("dagster/parent_run_id") == run.run_id],
        60,
    )[0]
    done = dev.wait_for(
        "the retry finished",
        lambda: (r := dev.instance.get_run_by_id(retry.run_id)).status in FINISHED and r,
        300,
    )
    assert done.status == dg.DagsterRunStatus.SUCCESS
    assert dev.wait_for("the facts", lambda: dev.facts() == 2240, 300)
    assert dev.wait_for("every pool free", lambda: pools_free(dev.instance), 60)


def test_after_the_whole_dev_server_is_killed_mid_run_a_restart_brings_the_data(dev):
    dev.start()
    land(dev.home)
    run, _ = dev.wait_for("a run holding a pool", dev.run_holding_a_pool, 300)
    dev.kill()
    assert dev.instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED  # nobody failed it

    dev.start()  # no manual step in between
    assert dev.wait_for("the facts", lambda: dev.facts() == 2240, 480)
    assert dev.instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert dev.wait_for("every pool free", lambda: pools_free(dev.instance), 60)


def test_landing_the_sample_data_gives_one_load_run_and_one_automation_run(dev):
    """The count the README states for the walkthrough's step 2, read from Dagster's run records."""
    dev.start()
    land(dev.home)
    assert dev.wait_for("the facts", lambda: dev.facts() == 2240, 480)
    time.sleep(30)  # three more automation ticks: nothing else may start
    runs = dev.wait_for("every run finished", lambda: all(r.status in FINISHED for r in dev.runs()) and dev.runs(), 120)
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), [(r.run_id, r.status) for r in runs]
    loads = [r for r in runs if r.tags.get("dagster/sensor_name") == "landing_sensor"]
    automation = [r for r in runs if r.tags.get("dagster/sensor_name") == "chinook_automation"]
    assert (len(loads), len(automation), len(runs)) == (1, 1, 2)
