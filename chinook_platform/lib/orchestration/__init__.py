"""Orchestration: the Dagster instance the platform runs on (its home and dagster.yaml, the pooled SQLite event
log, the PostgreSQL storage of a deployment), which assets a run's changes reach, and its child processes."""

from chinook_platform.lib import public_names

_PUBLIC = {  # module: the names it gives the package
    # changed_assets() itself is imported from its module: the package attribute of that name is the module.
    "changed_assets": ("INPUT_VERSION_TAG",),
    "event_log": ("PooledSqliteEventLogStorage",),
    "home": ("dagster_yaml", "ensure_dagster_home"),
    "processes": ("alive", "signal_children", "stop_orphaned_dbt"),
    "storage": ("ensure_database", "storage_url"),
}
__all__ = sorted(name for names in _PUBLIC.values() for name in names)
__getattr__ = public_names(__name__, _PUBLIC)
