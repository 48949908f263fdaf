"""Warehouse: the staging schema the lake's batches load into (one interface, a class per engine), the dbt
models' tables as Dagster describes them, and the Redshift compile of the dbt project."""

from chinook_platform.lib import public_names

_HOMES = {
    "LEDGER": "ddl",
    "WAREHOUSE_POOL": "staging",
    "DuckDBStaging": "staging",
    "PostgresStaging": "staging",
    "RedshiftStaging": "staging",
    "StagingWarehouse": "staging",
    "WarehouseLockedError": "staging",
    "column_type": "ddl",
    "connect_duckdb": "staging",
    "create_statements": "ddl",
    "load_new_batches": "staging",
    "redshift_load_statements": "ddl",
    "staging_warehouse": "staging",
    "describe_models": "tables",
    "compile_for_redshift": "redshift_compile",
}
__all__ = sorted(_HOMES)
__getattr__ = public_names(__name__, _HOMES)
