"""The README's walkthrough, run as written: `make dev` (the real webserver and daemon), then each command pasted in
order in a second terminal, with the landed files carried to the marts by the sensors alone."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from chinook_platform_tests.conftest import REPO

README = (REPO / "README.md").read_text()
WAIT_SECONDS = 420  # a bound for a loaded 2-core machine, not a timing assertion: latency is measured and printed


def walkthrough_commands() -> list[str]:
    section = README.split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    return [textwrap.dedent(block).strip() for block in re.findall(r"```bash\n(.*?)```", section, re.DOTALL)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Terminal:
    """A second terminal: the user's environment (no CHINOOK_/DAGSTER_ settings) with a home of the test's own."""

    def __init__(self, home: Path, port: int):
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CHINOOK_", "DAGSTER_", "DBT_"))}
        self.env |= {"CHINOOK_HOME": str(home), "UI_PORT": str(port)}

    def run(self, command: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    def facts(self) -> int | None:
        """Rows in fct_invoice_line as a reader sees them while runs write: in the warehouse's read-only copy
        (reports/warehouse_copy.duckdb, refreshed after every build). Opening warehouse.duckdb itself, even
        read-only, takes a lock that fails a run opening it at that moment. None while there is no copy yet."""
        try:
            with duckdb.connect(str(self.home / "reports" / "warehouse_copy.duckdb"), read_only=True) as con:
                return con.execute("select count(*) from analytics.fct_invoice_line").fetchone()[0]
        except (duckdb.IOException, duckdb.CatalogException):
            return None

    def oltp_lines(self) -> int:
        with sqlite3.connect(self.home / "oltp.sqlite") as con:
            return con.execute("select count(*) from invoice_line").fetchone()[0]

    def runs(self) -> list[dg.DagsterRun]:
        with dg.DagsterInstance.from_config(str(self.home / "dagster")) as instance:
            return list(instance.get_runs())

    def failures(self) -> list[str]:
        """What each failed run's steps said: the first thing to read when the flow stalls."""

        def innermost(error) -> str:  # noqa: ANN001  (Dagster's SerializableErrorInfo)
            return innermost(error.cause) if error.cause else error.message.strip()

        with dg.DagsterInstance.from_config(str(self.home / "dagster")) as instance:
            return [
                f"{run.run_id[:8]} {event.step_key}: {innermost(event.dagster_event.event_specific_data.error)}"
                for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
                for event in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
            ]

    def wait_for_facts(self, expected: int, dev: subprocess.Popen, log: Path) -> float:
        """Seconds until the marts hold ``expected`` facts and no run is left in progress."""
        started = time.monotonic()
        while time.monotonic() - started < WAIT_SECONDS:
            assert dev.poll() is None, log.read_text()[-5000:]
            if self.facts() == expected and all(r.is_finished for r in self.runs()):
                return time.monotonic() - started
            time.sleep(1)
        pytest.fail(
            f"the facts did not reach {expected} within {WAIT_SECONDS} s (have {self.facts()}); runs: "
            f"{[(r.run_id[:8], r.status.value) for r in self.runs()]}\nfailures: {self.failures()}\n"
            f"{log.read_text()[-3000:]}"
        )


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[tuple[Terminal, subprocess.Popen, Path]]:
    make_dev, *_ = walkthrough_commands()
    terminal = Terminal(tmp_path, free_port())
    log = tmp_path / "make-dev.log"
    with log.open("w") as output:
        # Its own process group: the webserver, the daemon and the code server stop together at the end.
        dev = subprocess.Popen(
            ["bash", "-c", make_dev],
            cwd=REPO,
            env=terminal.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{terminal.env['UI_PORT']}/server_info", timeout=2)
                break
            except OSError:
                assert dev.poll() is None and time.monotonic() < deadline, log.read_text()[-5000:]
                time.sleep(1)
        yield terminal, dev, log
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait()


def test_the_walkthrough_works_as_written(dev_server, capsys):
    terminal, dev, log = dev_server
    make_dev, land_data, next_day, summary = walkthrough_commands()
    assert make_dev == "make dev"

    terminal.run(land_data)
    first_load = terminal.wait_for_facts(2240, dev, log)
    runs_before = len(terminal.runs())

    terminal.run(next_day)
    landed_at = time.monotonic()
    expected = terminal.oltp_lines()
    while expected == 2240 and time.monotonic() - landed_at < WAIT_SECONDS:  # the sensor's run has not loaded yet
        time.sleep(1)
        expected = terminal.oltp_lines()
    terminal.wait_for_facts(expected, dev, log)
    latency = time.monotonic() - landed_at
    assert expected > 2240
    new_runs = terminal.runs()[: len(terminal.runs()) - runs_before]
    shape = [
        (r.run_id[:8], r.tags.get("dagster/sensor_name"), sorted(k.to_user_string() for k in r.asset_selection))
        for r in new_runs
    ]
    # One load for the day's two files; the automation then carries them on: one chain, or two when a tick falls
    # between the two tables' loads (the issue's bound: at most two dbt builds for the pair).
    assert [sensor for _, sensor, _ in shape].count("landing_sensor") == 1, shape
    builds = [r for r in new_runs if dg.AssetKey(["warehouse", "fct_invoice_line"]) in r.asset_selection]
    assert 1 <= len(builds) <= 2 and len(new_runs) <= 3, shape

    assert not terminal.failures()
    shown = terminal.run(summary).stdout
    assert "invoice_line" in shown
    with capsys.disabled():
        print(
            f"\nwalkthrough: sample data to the marts in {first_load:.0f} s; a new day landed to the marts in "
            f"{latency:.0f} s ({len(new_runs)} runs)"
        )
