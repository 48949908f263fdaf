"""``make dev`` (``chinook dev``): Dagster's webserver, daemon and code server for this home, as one process tree
that a signal stops.

``dagster dev`` runs in a process group of its own. SIGINT or SIGTERM reaches it once (it then stops its webserver,
daemon and code server itself); whatever is still alive after ``GRACE_SECONDS`` (a run's worker, a stuck code
server) is killed with its group, so nothing is left behind. A run killed that way is failed and retried by the
daemon's run monitoring at the next start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

GRACE_SECONDS = 6.0
# The workspace file (the code location named chinook_platform), beside the package in the project's checkout.
WORKSPACE = Path(__file__).resolve().parents[3] / "workspace.yaml"


def dagster_command(*args: str) -> list[str]:
    """The venv's own ``dagster`` executable with these arguments."""
    return [str(Path(sys.executable).with_name("dagster")), *args]


def stop_group(process: subprocess.Popen[bytes], grace: float = GRACE_SECONDS) -> int:
    """SIGTERM to the leader, then SIGKILL to its whole group after ``grace`` seconds; returns its exit status."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        status = process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        status = -signal.SIGKILL
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # the code server's runs and anything the leader left behind
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    return status


def serve(command: Sequence[str], environment: dict[str, str]) -> int:
    """Run ``command`` in a new process group until it ends or this process gets SIGINT/SIGTERM (then exit 130)."""
    stopping: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        stopping.append(signum)

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    process = subprocess.Popen(list(command), env=environment, start_new_session=True)
    try:
        while process.poll() is None and not stopping:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.5)
    finally:
        if process.poll() is None or stopping:
            stop_group(process)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 130 if stopping else process.returncode
