"""The pools runs take turns on (one writer each): runs whose process is gone give theirs back, and a run waits
for the ones it needs asleep, so Ctrl-C and SIGTERM stop the wait at once.

Dagster's own wait for a pool slot inside a run polls without sleeping (``interval_to_next_pending_claim_check``
is never positive in dagster 1.13), a core's worth of CPU for as long as the holder runs; ``chinook run`` therefore
waits here, before it executes, until the pools its steps use are free.
"""

from __future__ import annotations

import socket
import time
from typing import IO

import dagster as dg

from chinook_platform.lib.orchestration.run_workers import HOST_TAG, pools_held, runs_with_gone_workers, worker_pid

POOLS = ("chinook_oltp", "chinook_warehouse")


class PoolWaitTimeout(Exception):
    """A pool stayed held for longer than the run would wait; the message names the holder and its fix."""


def free_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Runs whose process is gone (on this host, whoever started them): slots freed, status failed; one line each.
    Then the slots still claimed by runs that have finished."""
    freed = []
    for run, pid in runs_with_gone_workers(instance):
        pools = pools_held(instance, run.run_id, POOLS)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        instance.report_run_failed(run, f"chinook: process {pid} of this run is gone; its pool slots were freed")
        freed.append(
            f"freed run {run.run_id[:8]} (process {pid} is gone): "
            f"{'released pool ' + ', '.join(pools) if pools else 'no pool slots held'}; marked failed"
        )
    for pool in POOLS:
        for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots:
            holder = instance.get_run_by_id(slot.run_id)
            if holder is None or holder.is_finished:
                instance.event_log_storage.free_concurrency_slots_for_run(slot.run_id)
                freed.append(f"freed pool {pool} held by finished run {slot.run_id[:8]}")
    return freed


def holder(instance: dg.DagsterInstance, pool: str) -> tuple[str, str] | None:
    """Who holds the pool (run, status, pid, step) and the one command that frees it; None when it is free."""
    for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots:
        run = instance.get_run_by_id(slot.run_id)
        pid = worker_pid(instance, run) if run else None
        here = run is not None and run.tags.get(HOST_TAG, socket.gethostname()) == socket.gethostname()
        status = run.status.value if run else "unknown"
        who = f"run {slot.run_id[:8]} ({status}{f', pid {pid}' if pid else ''}, step {slot.step_key})"
        if pid and here:
            return who, f"kill {pid}"  # the run stops; its slots are freed as it ends or by the next run's check
        return who, f"chinook dagster run delete -f {slot.run_id}"  # Dagster's CLI on this home's instance
    return None


def wait_for_pools(
    instance: dg.DagsterInstance, pools: set[str], timeout: float, out: IO[str], poll_seconds: float = 1.0
) -> None:
    """Sleep until none of ``pools`` is held (freeing runs whose process is gone as it goes); PoolWaitTimeout after
    ``timeout`` seconds. Signals interrupt the sleep: KeyboardInterrupt comes through at once."""
    deadline, reported = time.monotonic() + timeout, set()
    while True:
        for line in free_dead_runs(instance):
            print(line, file=out, flush=True)
        held = {pool: found for pool in sorted(pools) if (found := holder(instance, pool))}
        if not held:
            return
        for pool, (who, _) in held.items():
            if pool not in reported:
                reported.add(pool)
                print(f"waiting for pool {pool}, held by {who}", file=out, flush=True)
        if time.monotonic() >= deadline:
            pool, (who, command) = next(iter(held.items()))
            raise PoolWaitTimeout(
                f"gave up waiting for pool {pool} after {timeout:.0f} s: held by {who}; `{command}` frees it "
                "(CHINOOK_POOL_WAIT_SECONDS sets the wait)"
            )
        time.sleep(poll_seconds)
