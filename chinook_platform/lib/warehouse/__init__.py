"""Warehouse: the staging schema the lake's batches load into (one interface, a class per engine), the dbt
models' tables as Dagster describes them, and the Redshift compile of the dbt project."""

from chinook_platform.lib import public_names

_PUBLIC = {  # module: the names it gives the package
    "ddl": ("LEDGER", "column_type", "create_statements", "redshift_load_statements"),
    "staging": (
        "WAREHOUSE_POOL",
        "DuckDBStaging",
        "PostgresStaging",
        "RedshiftStaging",
        "StagingWarehouse",
        "WarehouseLockedError",
        "connect_duckdb",
        "load_new_batches",
        "staging_warehouse",
    ),
    "tables": ("describe_models",),
    "redshift_compile": ("compile_for_redshift",),
}
__all__ = sorted(name for names in _PUBLIC.values() for name in names)
__getattr__ = public_names(__name__, _PUBLIC)
