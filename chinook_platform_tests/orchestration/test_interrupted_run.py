"""A `chinook run` stopped during dbt leaves the warehouse to rebuild: the next plain run does it."""

from __future__ import annotations

import signal

import duckdb

from chinook_platform.console.exit_codes import EXIT_INTERRUPTED, EXIT_OK
from chinook_platform_tests.conftest import SAMPLE_DATA
from chinook_platform_tests.orchestration.test_chinook_command import _start_run, _wait_for_dbt, chinook


def test_a_plain_run_after_an_interrupted_build_rebuilds_what_did_not_finish(tmp_path):
    assert chinook(tmp_path, "run", "--source", str(SAMPLE_DATA)).returncode == EXIT_OK
    interrupted = _start_run(tmp_path, "--all")
    try:
        _wait_for_dbt(tmp_path, interrupted)
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
