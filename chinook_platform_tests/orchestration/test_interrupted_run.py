"""A `chinook run` stopped during dbt leaves the warehouse to rebuild: the next plain run does it."""

from __future__ import annotations

import signal
import subprocess
import time

import duckdb

from chinook_platform.cli import EXIT_INTERRUPTED, EXIT_OK
from chinook_platform_tests.conftest import REPO, SAMPLE_DATA
from chinook_platform_tests.orchestration.test_chinook_command import (
    BIN,
    _dbt_processes,
    _wait_for_claim,
    chinook,
    environment,
)


def test_a_plain_run_after_an_interrupted_build_rebuilds_what_did_not_finish(tmp_path):
    assert chinook(tmp_path, "run", "--source", str(SAMPLE_DATA)).returncode == EXIT_OK
    interrupted = subprocess.Popen(
        [str(BIN / "chinook"), "run", "--all"],
        cwd=REPO,
        env=environment(tmp_path),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        _wait_for_claim(tmp_path, "chinook_warehouse", "warehouse_dbt", interrupted)
        deadline = time.monotonic() + 60
        while not _dbt_processes(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.1)
        interrupted.send_signal(signal.SIGTERM)
        output, _ = interrupted.communicate(timeout=60)
        assert interrupted.returncode == EXIT_INTERRUPTED, output
    finally:
        interrupted.kill()

    again = chinook(tmp_path, "run")
    assert again.returncode == EXIT_OK, again.stdout[-3000:] + again.stderr[-3000:]
    assert "up to date" not in again.stdout
    assert "warehouse" in again.stdout and "fct_invoice_line" in again.stdout
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as warehouse:
        assert warehouse.execute("select count(*) from analytics.fct_invoice_line").fetchone() == (2240,)
