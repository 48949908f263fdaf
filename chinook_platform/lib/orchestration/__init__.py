"""Orchestration: the Dagster instance the platform runs on (its home and dagster.yaml, the pooled SQLite event
log, the PostgreSQL storage of a deployment), which assets a run's changes reach, and its child processes."""

from chinook_platform.lib import public_names

_HOMES = {
    # changed_assets() itself is imported from its module: the package attribute of that name is the module.
    "INPUT_VERSION_TAG": "changed_assets",
    "PooledSqliteEventLogStorage": "event_log",
    "dagster_yaml": "home",
    "ensure_dagster_home": "home",
    "alive": "processes",
    "signal_children": "processes",
    "stop_orphaned_dbt": "processes",
    "ensure_database": "storage",
    "storage_url": "storage",
}
__all__ = sorted(_HOMES)
__getattr__ = public_names(__name__, _HOMES)
