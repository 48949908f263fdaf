"""Lake: one asset per table, the OLTP table's changes extracted incrementally to Parquet batches."""

import dagster as dg

from chinook_platform.defs.resources import LakeResource, OltpDatabase
from chinook_platform.lib.contract import TABLES, Table
from chinook_platform.lib.environment import lake_kind


def build_lake_asset(table: Table) -> dg.AssetsDefinition:
    @dg.asset(
        key=["lake", table.name],
        deps=[["oltp", table.name]],
        group_name="lake",
        kinds={"parquet", lake_kind()} - {""},
        description=(
            f"The {table.name} table in the Parquet lake: each run writes one batch with the rows inserted or "
            "changed since the previous extract (high-water mark: the OLTP `_load_id`), so the lake keeps "
            "every version. Each batch is registered once in `_batches/` (safe with several runners); `_manifest.json` "
            "summarizes them."
        ),
    )
    def lake_table(context: dg.AssetExecutionContext, oltp: OltpDatabase, lake: LakeResource) -> dg.MaterializeResult:
        store = lake.store()
        batch = store.extract(oltp.engine(), table)
        batches = store.batches(table)
        if batch is None:
            context.log.info(f"no {table.name} rows changed since load {store.watermark(table)}")
        else:
            context.log.info(f"wrote {batch.rows} row(s) to {store.uri(table, batch.file)}")
        return dg.MaterializeResult(
            # The newest batch: a new version only when an extract wrote rows.
            data_version=dg.DataVersion(batches[-1].batch_id if batches else "empty"),
            metadata={
                "dagster/row_count": sum(b.rows for b in batches),
                "rows_extracted": batch.rows if batch else 0,
                "batch": store.uri(table, batch.file) if batch else "",
                "batches": len(batches),
                "watermark_load_id": store.watermark(table),
                "location": store.uri(table, ""),
            },
        )

    return lake_table


lake_assets = [build_lake_asset(t) for t in TABLES]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=lake_assets)
