"""The local Dagster instance folder (run history, event logs) under CHINOOK_HOME."""

from __future__ import annotations

import os
from pathlib import Path

from chinook_platform.lib.environment import chinook_home

DAGSTER_YAML = """\
# Written by chinook_platform on first use; edit freely.
telemetry:
  enabled: false
# One OLTP writer at a time (the chinook_oltp pool): SQLite, the default, takes a single writer.
concurrency:
  pools:
    default_limit: 1
# Under `dagster dev`, the daemon fails a run whose process has died, which gives back its pool slots
# (`chinook run` itself frees the runs of its own killed processes before it starts).
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 30
"""


def ensure_dagster_home() -> Path:
    """Point DAGSTER_HOME at ``$CHINOOK_HOME/dagster`` unless it is set, and create it with a dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or chinook_home() / "dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
