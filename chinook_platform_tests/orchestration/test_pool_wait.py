"""`chinook run` on a pool another run holds: it waits asleep, stops on SIGTERM, gives up after its configured wait
naming the holder and the command that frees it, and frees a holder whose process is gone, whoever started it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from chinook_platform.console.exit_codes import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNAVAILABLE
from chinook_platform.lib.orchestration.run_workers import HOST_TAG, PID_TAG
from chinook_platform_tests.conftest import REPO, SAMPLE_DATA
from chinook_platform_tests.orchestration.test_chinook_command import BIN, chinook, environment

POOL = "chinook_oltp"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a living process has used so far (its resource usage, from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Running:
    """`chinook run` in the background, its output gathered line by line."""

    def __init__(self, home: Path, **extra: str):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(BIN / "chinook"), "run"],
            cwd=REPO,
            env=environment(home, **extra),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def wait_for_line(self, text: str, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"no {text!r} within {seconds} s: {self.output()}"
            assert self.process.poll() is None or self.reader.is_alive(), self.output()
            time.sleep(0.2)

    def output(self) -> str:
        return "".join(self.lines)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    assert chinook(tmp_path, "land", str(SAMPLE_DATA)).returncode == 0
    subprocess.run(
        [sys.executable, "-m", "chinook_platform.lib.orchestration.home"], env=environment(tmp_path), check=True
    )
    return tmp_path


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen]:
    """A living process for a holding run to name as its own."""
    process = subprocess.Popen(["sleep", "600"])
    yield process
    process.kill()
    process.wait()


def hold_pool(home: Path, tags: dict[str, str], pid: int | None = None) -> str:
    """A STARTED run in the home's instance that holds the OLTP pool; ``pid`` recorded as Dagster's run worker
    records it (an engine event), ``tags`` as given."""
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        run = dg.DagsterRun(job_name="__ASSET_JOB", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED)
        run = instance.add_run(run.with_tags(tags))
        if pid is not None:
            from dagster._core.events import EngineEventData

            instance.report_engine_event(f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid))
        instance.event_log_storage.initialize_concurrency_limit_to_default(POOL)
        assert instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, "oltp__artist").is_claimed
        return run.run_id


def test_a_run_waiting_for_a_held_pool_sleeps_and_stops_on_sigterm_with_130(home, sleeper):
    holder = hold_pool(home, {PID_TAG: str(sleeper.pid), HOST_TAG: socket.gethostname()})
    waiting = Running(home)
    try:
        waiting.wait_for_line(f"waiting for pool {POOL}, held by run {holder[:8]}")
        before = cpu_seconds(waiting.process.pid)
        time.sleep(8)
        used = cpu_seconds(waiting.process.pid) - before
        waiting.process.send_signal(signal.SIGTERM)
        assert waiting.process.wait(timeout=5) == EXIT_INTERRUPTED, waiting.output()
        assert used < 1.0, f"{used:.1f} s of CPU in 8 s of waiting"
        assert "Traceback" not in waiting.output()
    finally:
        waiting.process.kill()


def test_a_run_gives_up_on_a_held_pool_naming_the_holder_and_the_command_that_frees_it(home, sleeper):
    holder = hold_pool(home, {PID_TAG: str(sleeper.pid), HOST_TAG: socket.gethostname()})
    done = chinook(home, "run", CHINOOK_POOL_WAIT_SECONDS="2")
    assert done.returncode == EXIT_UNAVAILABLE, done.stdout + done.stderr
    [message] = [line for line in done.stderr.splitlines() if "gave up waiting" in line]
    assert f"pool {POOL}" in message and f"run {holder[:8]}" in message and f"pid {sleeper.pid}" in message
    assert f"`kill {sleeper.pid}` frees it" in message


def test_a_holder_whose_process_is_gone_is_freed_whoever_started_it(home):
    gone = subprocess.Popen(["true"])
    gone.wait()
    holder = hold_pool(home, {}, pid=gone.pid)  # launched by the daemon: no chinook tags, its worker's pid recorded
    done = chinook(home, "run", CHINOOK_POOL_WAIT_SECONDS="60")
    assert done.returncode == EXIT_OK, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"freed run {holder[:8]} (process {gone.pid} is gone): released pool {POOL}" in done.stdout
