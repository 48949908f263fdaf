"""Reconciliation: every staging table agrees with the lake it was loaded from and the OLTP table behind it."""

import dagster as dg

from chinook_platform.defs.resources import LakeResource, OltpDatabase, WarehouseResource
from chinook_platform.lib.contract import TABLES, Table
from chinook_platform.lib.oltp import status as oltp_status
from chinook_platform.lib.warehouse import WAREHOUSE_POOL


def build_staging_reconciles_check(table: Table) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["staging", table.name]),
        additional_deps=[dg.AssetKey(["oltp", table.name]), dg.AssetKey(["lake", table.name])],
        name="reconciles_with_lake_and_oltp",
        pool=WAREHOUSE_POOL,  # it reads the warehouse: DuckDB refuses a second process while a run writes
        description=(
            f"staging.{table.name} holds exactly the rows of the lake's Iceberg table, and its distinct keys are "
            f"exactly the OLTP {table.name} rows."
        ),
    )
    def reconciles(oltp: OltpDatabase, lake: LakeResource, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        staging = warehouse.staging()
        lake_rows = lake.store().row_count(table)
        [(staged_rows, staged_keys)] = staging.query(
            f"select count(*), count(distinct {table.pk.name}) from {staging.schema}.{table.name}"
        )
        with oltp.engine().connect() as conn:
            oltp_rows = oltp_status.row_count(conn, table)
        problems = []
        if staged_rows != lake_rows:
            problems.append(
                f"staging.{table.name} has {staged_rows} rows, the lake {lake_rows} "
                f"(difference {staged_rows - lake_rows:+d})"
            )
        if staged_keys != oltp_rows:
            problems.append(
                f"staging.{table.name} has {staged_keys} distinct keys, oltp.{table.name} {oltp_rows} "
                f"rows (difference {staged_keys - oltp_rows:+d})"
            )
        return dg.AssetCheckResult(
            passed=not problems,
            description="; ".join(problems) or None,
            metadata={
                "oltp_rows": oltp_rows,
                "lake_rows": lake_rows,
                "staging_rows": staged_rows,
                "staging_distinct_keys": staged_keys,
            },
        )

    return reconciles


staging_checks = [build_staging_reconciles_check(t) for t in TABLES]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=staging_checks)
