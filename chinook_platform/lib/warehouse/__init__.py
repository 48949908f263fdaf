"""Warehouse: the staging schema the lake's batches load into (one interface, a class per engine), the dbt
models' tables as Dagster describes them, and the Redshift compile of the dbt project."""
# ruff: noqa: F401  (the imports below are the package's face, re-exported)

from typing import TYPE_CHECKING

from chinook_platform.lib import public_names

if TYPE_CHECKING:
    from chinook_platform.lib.warehouse.data_issues import (
        ROW_ISSUE_CHECKS,
        InvoiceIssue,
        issues_description,
        open_invoice_issues,
    )
    from chinook_platform.lib.warehouse.ddl import LEDGER, create_statements, redshift_load_statements
    from chinook_platform.lib.warehouse.redshift_compile import compile_for_redshift
    from chinook_platform.lib.warehouse.staging import (
        WAREHOUSE_POOL,
        DuckDBStaging,
        PostgresStaging,
        RedshiftStaging,
        StagingWarehouse,
        WarehouseLockedError,
        connect_duckdb,
        load_new_batches,
        staging_warehouse,
    )
    from chinook_platform.lib.warehouse.tables import describe_models
else:
    __all__, __getattr__ = public_names(__name__)
