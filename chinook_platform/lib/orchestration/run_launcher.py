"""The run launcher of the local instance (`make dev`): Dagster's default launcher, which runs each run in a
process of the code server, with the health check it lacks.

Dagster's run monitoring asks the launcher whether a run's worker is alive; the default launcher cannot tell, so a
run whose process was killed (or died with the whole ``dagster dev``) stayed STARTED and kept its pool slots. This
one answers from the run's recorded pid on this host: the daemon then fails the run, frees its slots
(``free_slots_after_run_end_seconds``) and the run-retry daemon starts its retry.
"""

from __future__ import annotations

import socket

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, LaunchRunContext, WorkerStatus

from chinook_platform.lib.orchestration.run_workers import HOST_TAG, gone_worker


class LocalRunLauncher(DefaultRunLauncher):
    """``DefaultRunLauncher`` that tags each run with its host and reports a run whose process is gone as failed."""

    def launch_run(self, context: LaunchRunContext) -> None:
        self._instance.add_run_tags(context.dagster_run.run_id, {HOST_TAG: socket.gethostname()})
        super().launch_run(context)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        pid = gone_worker(self._instance, run)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(WorkerStatus.FAILED, f"the run's process {pid} is gone")
