"""The local Dagster instance folder (run history, event logs) under CHINOOK_HOME, and its dagster.yaml."""

from __future__ import annotations

import json
import os
from pathlib import Path

from chinook_platform.lib.environment import chinook_home, write_generated

GENERATED = "# Written by chinook_platform; rewritten while this line is here (delete it to keep your own edits)."


def dagster_yaml(home: Path, cpus: int | None = None) -> str:
    """The instance settings: runs start as soon as they are requested, up to one per core, the OLTP and warehouse
    writers take turns (pools of one: SQLite and DuckDB take a single writer), and the event log keeps its database
    engines open (``dagster_event_log``)."""
    runs = max(2, cpus or os.cpu_count() or 2)
    return f"""\
{GENERATED}
telemetry:
  enabled: false
# Dagster's SQLite storage in its usual folders; the event log is Dagster's own SQLite event log with each shard's
# engine kept open between events (a quarter of the time an event: chinook_platform/lib/orchestration/event_log.py).
run_storage:
  module: dagster._core.storage.runs
  class: SqliteRunStorage
  config:
    base_dir: {_quoted(home / "history")}
event_log_storage:
  module: chinook_platform.lib.orchestration.event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {_quoted(home / "history" / "runs")}
schedule_storage:
  module: dagster._core.storage.schedules
  class: SqliteScheduleStorage
  config:
    base_dir: {_quoted(home / "schedules")}
concurrency:
  # Requested runs start at once, up to one per core; more would only load the code side by side.
  runs:
    max_concurrent_runs: {runs}
  # One writer per pool (chinook_oltp, chinook_warehouse) at a time; runs wait for the pool step by step.
  pools:
    default_limit: 1
# The daemon looks for queued runs every second, not every five.
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
# Runs are launched in a process of the code server by Dagster's default launcher, which here also tells the
# daemon's run monitoring whether a run's process is alive (chinook_platform/lib/orchestration/run_launcher.py).
run_launcher:
  module: chinook_platform.lib.orchestration.run_launcher
  class: LocalRunLauncher
# Under `dagster dev`, a run whose process is gone (killed, or lost with a killed `dagster dev`, whoever started
# it) is failed within seconds of the next check, and the slots of any finished run are given back.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_resume_run_attempts: 0 # the default launcher cannot resume a run; run_retries starts it again instead
  poll_interval_seconds: 5
  free_slots_after_run_end_seconds: 5
# Such a run is then run again once from where it stopped; a run whose asset or check failed is not: that is for
# the user to read.
run_retries:
  enabled: true
  max_retries: 1
  retry_on_asset_or_op_failure: false
"""


def _quoted(path: Path) -> str:
    return json.dumps(str(path))  # a JSON string is a YAML string, whatever the path holds


def ensure_dagster_home() -> Path:
    """Point DAGSTER_HOME at ``$CHINOOK_HOME/dagster`` unless it is set, and write its dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or chinook_home() / "dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text().startswith(GENERATED):
        write_generated(config, dagster_yaml(home))
    os.environ["DAGSTER_HOME"] = str(home)
    return home


if __name__ == "__main__":  # `make dev`: prints the instance folder it prepared
    print(ensure_dagster_home())
