"""Whether a run's process is still there: the run worker the code server started (its pid in the run's "Started
process for run" event) or the ``chinook run`` process that executes it in-process (its pid in a tag).

A run is judged only on the host that ran it (``chinook/host``); a pid that now belongs to a process started after
the run began is another program's, and the run's own process is gone.
"""

from __future__ import annotations

import socket

import dagster as dg

from chinook_platform.lib.orchestration import processes

PID_TAG, HOST_TAG = "chinook/pid", "chinook/host"
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def worker_pid(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The pid of the process executing the run, when it recorded one."""
    if run.tags.get(PID_TAG, "").isdigit():
        return int(run.tags[PID_TAG])
    pid = None
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        value = str(data.metadata["pid"].value) if data and data.metadata and "pid" in data.metadata else ""
        if value.isdigit():
            pid = int(value)  # the last one: a resumed run has a new worker
    return pid


def gone_worker(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The pid of the run's process when it ran on this host and is gone; None while it lives or cannot be told."""
    if run.tags.get(HOST_TAG, socket.gethostname()) != socket.gethostname():
        return None
    pid = worker_pid(instance, run)
    if pid is None:
        return None
    if not processes.alive(pid):
        return pid
    record = instance.get_run_record_by_id(run.run_id)
    started = processes.started_at(pid)
    if record and record.start_time and started and started > record.start_time + 1:
        return pid  # the pid was reused by a process started after the run began
    return None


def runs_with_gone_workers(instance: dg.DagsterInstance) -> list[tuple[dg.DagsterRun, int]]:
    """Runs in progress on this host whose process is gone, whoever started them, with that process's pid."""
    found = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        pid = gone_worker(instance, run)
        if pid is not None:
            found.append((run, pid))
    return found


def pools_held(instance: dg.DagsterInstance, run_id: str, pools: tuple[str, ...]) -> list[str]:
    """The pools among ``pools`` a run holds a slot of."""
    return [
        pool
        for pool in pools
        if any(slot.run_id == run_id for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots)
    ]
