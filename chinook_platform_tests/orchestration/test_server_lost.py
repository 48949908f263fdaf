"""A database server lost in the middle of `chinook run`: the run stops at the first step that finds it gone and
says so in one line naming the server, with exit 5."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinook_platform.console.exit_codes import EXIT_UNAVAILABLE
from chinook_platform_tests.conftest import SAMPLE_DATA
from chinook_platform_tests.orchestration.test_chinook_command import _start_run, _wait_for_claim, chinook
from chinook_platform_tests.orchestration.test_webserver import free_port

PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"))), "")


def as_postgres(*command: str) -> subprocess.CompletedProcess:
    """A PostgreSQL tool as the postgres user (initdb refuses root), as TOOLCHAIN.md describes."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)


@pytest.fixture
def own_server() -> Iterator[tuple[str, Path]]:
    """A throwaway PostgreSQL cluster of this test's own on a free port: (its URL, its data folder)."""
    if not PG_BIN:
        pytest.fail("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="chinook-pg-"))
    shutil.chown(folder, "postgres") if os.geteuid() == 0 else None
    data, port = folder / "data", free_port()
    initdb = as_postgres(f"{PG_BIN}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    assert initdb.returncode == 0, initdb.stderr
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    assert started.returncode == 0, started.stderr
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", data
    finally:
        as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_a_database_lost_mid_run_gives_one_line_naming_it_and_exit_5(tmp_path, own_server):
    url, data = own_server
    assert chinook(tmp_path, "land", str(SAMPLE_DATA)).returncode == 0
    run = _start_run(tmp_path, CHINOOK_OLTP_URL=url)
    try:
        _wait_for_claim(tmp_path, "chinook_oltp", "oltp__", run)
        stopped = as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        assert stopped.returncode == 0, stopped.stderr
        output, _ = run.communicate(timeout=300)
    finally:
        run.kill()
    assert run.returncode == EXIT_UNAVAILABLE, output
    lines = [line for line in output.splitlines() if "cannot reach" in line]
    assert len(lines) == 1, output
    assert url.split("@")[1].split("/")[0].split(":")[1] in lines[0], lines[0]  # the server's port
    assert "FAILED" not in output and "Traceback" not in output and "dagster._core" not in output, output
