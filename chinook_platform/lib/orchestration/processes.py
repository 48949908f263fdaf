"""Processes of a run: is a recorded pid alive, this process's children, dbt processes a killed run left behind.

Read from ``/proc`` (Linux); elsewhere there is nothing to find and these do nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def alive(pid: int) -> bool:
    """True when a process with this id exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def started_at(pid: int) -> float | None:
    """When a process started (seconds since the epoch), or None when that cannot be read."""
    try:
        ticks = int((PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19])
        lines = (PROC / "stat").read_text().splitlines()
        boot = next(int(line.split()[1]) for line in lines if line.startswith("btime"))
    except (OSError, IndexError, ValueError, StopIteration):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _parent(pid: int) -> int | None:
    try:
        return int((PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _environment(pid: int) -> dict[str, str]:
    try:
        raw = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def _runs_python(pid: int) -> bool:
    try:
        command = (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return any(word in command for word in ("python", "chinook", "dagster"))


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()] if PROC.exists() else []


def children(pid: int | None = None) -> list[int]:
    """The direct children of a process (default: this one)."""
    pid = pid or os.getpid()
    return [p for p in _pids() if _parent(p) == pid]


def signal_children(signum: int) -> None:
    """Send a signal to this process's children (dbt's process, when a run is stopped)."""
    for child in children():
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)


def _stop(pid: int, grace_seconds: float = 10.0) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace_seconds / 2
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.1)
        if not alive(pid):
            return


def stop_orphaned_dbt(target_path: Path) -> list[int]:
    """Stop dbt processes writing into ``target_path`` (this home's) whose parent run is gone; their pids."""
    stopped = []
    for pid in _pids():
        environment = _environment(pid)
        if environment.get("DAGSTER_DBT_CLI") != "true" or environment.get("DBT_TARGET_PATH") != str(target_path):
            continue
        parent = _parent(pid)
        if parent not in (None, 1) and alive(parent) and _runs_python(parent):
            continue  # its run's process is still there
        _stop(pid)
        stopped.append(pid)
    return stopped
