"""`make dev` as a user runs it: the code location is `chinook_platform` whatever the checkout's folder is called,
and SIGTERM (to make) or Ctrl-C (SIGINT to the terminal's process group) stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from chinook_platform.lib.orchestration.processes import _environment, _pids
from chinook_platform_tests.conftest import REPO
from chinook_platform_tests.orchestration.test_walkthrough import free_port

STOP_BOUND_SECONDS = 10  # the promise; the measured time is printed


def processes_of(home: Path) -> list[int]:
    """Every process whose environment names this CHINOOK_HOME (make, dagster dev, webserver, daemon, code server,
    runs), whichever process group or session it is in."""
    return [pid for pid in _pids() if pid != os.getpid() and _environment(pid).get("CHINOOK_HOME") == str(home)]


def start_make_dev(home: Path, port: int, log: Path) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHINOOK_", "DAGSTER_", "DBT_"))}
    environment |= {"CHINOOK_HOME": str(home), "UI_PORT": str(port)}
    with log.open("w") as output:
        dev = subprocess.Popen(
            ["make", "dev"],
            cwd=REPO,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # as a terminal's foreground job: its own process group
        )
    deadline = time.monotonic() + 300
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            return dev
        except OSError:
            assert dev.poll() is None and time.monotonic() < deadline, log.read_text()[-5000:]
            time.sleep(1)


@pytest.mark.parametrize("how", ["SIGTERM to make", "Ctrl-C to the terminal's process group"])
def test_make_dev_stops_on_a_signal_leaving_no_process_behind(tmp_path: Path, how: str, capsys):
    home, log = tmp_path / "home", tmp_path / "make-dev.log"
    dev = start_make_dev(home, free_port(), log)
    try:
        assert len(processes_of(home)) >= 4  # make, chinook dev, dagster dev, webserver, daemon, code server
        time.sleep(5)  # the daemon's first ticks load the code location, where the name warning was printed
        stopping = time.monotonic()
        if how == "SIGTERM to make":
            dev.send_signal(signal.SIGTERM)
        else:
            os.killpg(dev.pid, signal.SIGINT)
        while processes_of(home) and time.monotonic() - stopping < 60:
            time.sleep(0.2)
        stopped_after = time.monotonic() - stopping
        left = processes_of(home)
        assert not left, f"still alive after 60 s: {left}"
        assert stopped_after < STOP_BOUND_SECONDS, f"stopped after {stopped_after:.1f} s"
        with capsys.disabled():
            print(f"\nmake dev ({how}): every process gone {stopped_after:.1f} s after the signal")
    finally:
        for pid in processes_of(home):
            os.kill(pid, signal.SIGKILL)
    output = log.read_text()
    assert "does not match the name" not in output, output[-3000:]
    assert "Dagster UI at http://127.0.0.1:" in output
