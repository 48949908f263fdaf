"""Staging: one asset per table, the lake's batches appended to the warehouse's ``staging`` schema."""

import dagster as dg

from chinook_platform.defs.resources import LakeResource, WarehouseResource
from chinook_platform.lib.contract import TABLES, Table
from chinook_platform.lib.environment import warehouse_kind
from chinook_platform.lib.warehouse import LEDGER, WAREHOUSE_POOL, load_new_batches


def build_staging_asset(table: Table) -> dg.AssetsDefinition:
    @dg.asset(
        key=["staging", table.name],
        deps=[["lake", table.name]],
        group_name="staging",
        kinds={warehouse_kind()},
        pool=WAREHOUSE_POOL,
        description=(
            f"`staging.{table.name}` in the warehouse: every lake snapshot (extract) of {table.name} appended once "
            "(a ledger, `staging._batches`, makes reloading a batch a no-op), with `_load_id`, `_loaded_at` and "
            "`_batch_id`. It keeps every version of a row; dbt's staging models read it."
        ),
    )
    def staging_table(
        context: dg.AssetExecutionContext, lake: LakeResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        store = lake.store()
        staging = warehouse.staging()
        loaded = load_new_batches(
            staging,
            table,
            store.batches(table),
            read=lambda batch: store.stream(table, batch),
            uri=lambda batch: store.uri(table, batch),
        )
        for batch, rows in loaded:
            context.log.info(f"loaded {rows} row(s) of snapshot {batch.snapshot_id} into {staging.schema}.{table.name}")
        [newest] = staging.query(
            f"select max(batch_id), max(loaded_at) from {staging.schema}.{LEDGER} where table_name = '{table.name}'"
        )
        return dg.MaterializeResult(
            # The newest batch in the ledger and when it was loaded: a new version only when a batch was loaded
            # (again, if the warehouse was rebuilt), so dbt reacts to new rows, not to runs.
            data_version=dg.DataVersion(f"{newest[0]}@{newest[1]}" if newest[0] else "empty"),
            metadata={
                "dagster/row_count": staging.row_count(table),
                "batches_loaded": len(loaded),
                "rows_loaded": sum(rows for _, rows in loaded),
                "table": f"{staging.schema}.{table.name}",
            },
        )

    return staging_table


staging_assets = [build_staging_asset(t) for t in TABLES]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=staging_assets)
