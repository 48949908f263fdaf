"""Orchestration: the Dagster instance the platform runs on (its home and dagster.yaml, the pooled SQLite event
log, the PostgreSQL storage of a deployment), which assets a run's changes reach, and its child processes."""
# ruff: noqa: F401  (the imports below are the package's face, re-exported)

from typing import TYPE_CHECKING

from chinook_platform.lib import public_names

if TYPE_CHECKING:
    # changed_assets() itself is imported from its module: the package attribute of that name is the module.
    from chinook_platform.lib.orchestration.changed_assets import INPUT_VERSION_TAG
    from chinook_platform.lib.orchestration.event_log import PooledSqliteEventLogStorage
    from chinook_platform.lib.orchestration.home import dagster_yaml, ensure_dagster_home
    from chinook_platform.lib.orchestration.processes import alive, signal_children, stop_orphaned_dbt
    from chinook_platform.lib.orchestration.storage import ensure_database, storage_url
else:
    __all__, __getattr__ = public_names(__name__)
