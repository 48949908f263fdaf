"""Lake: one asset per table, the OLTP table's changes appended incrementally to its Iceberg table."""

import dagster as dg

from chinook_platform.defs.resources import LakeResource, OltpDatabase
from chinook_platform.lib.contract import TABLES, Table
from chinook_platform.lib.environment import lake_kind

HISTORY_SHOWN = 10  # the newest extracts listed in the asset's metadata


def build_lake_asset(table: Table) -> dg.AssetsDefinition:
    @dg.asset(
        key=["lake", table.name],
        deps=[["oltp", table.name]],
        group_name="lake",
        kinds={"iceberg", lake_kind()} - {""},
        description=(
            f"The {table.name} Apache Iceberg table in the lake: each run appends, in one commit, the rows "
            "inserted or changed since the previous extract (high-water mark: the OLTP `_load_id`, kept in the "
            "snapshot's summary with the load ids it carries), so the lake keeps every version. Its data version "
            f"is the table's current snapshot: `chinook lake history {table.name}` lists them."
        ),
    )
    def lake_table(context: dg.AssetExecutionContext, oltp: OltpDatabase, lake: LakeResource) -> dg.MaterializeResult:
        store = lake.store()
        batch = store.extract(oltp.engine(), table)
        iceberg = store.table(table)
        snapshot = iceberg.current_snapshot()
        batches = store.batches(table, iceberg)
        if batch is None:
            context.log.info(f"no {table.name} rows changed since load {store.watermark(table, iceberg)}")
        else:
            context.log.info(
                f"committed {batch.rows} row(s) to {store.location(table)} as snapshot {batch.snapshot_id}"
            )
        history = [
            {
                "snapshot_id": str(b.snapshot_id),
                "at": b.extracted_at,
                "rows_added": b.rows,
                "load_ids": list(b.load_ids),
            }
            for b in batches[-HISTORY_SHOWN:]
        ]
        return dg.MaterializeResult(
            # The current snapshot: a new version only when an extract committed rows.
            data_version=dg.DataVersion(str(snapshot.snapshot_id) if snapshot else "empty"),
            metadata={
                "dagster/row_count": store.row_count(table, iceberg),
                "rows_extracted": batch.rows if batch else 0,
                "snapshot_id": str(snapshot.snapshot_id) if snapshot else "",
                "rows_added": batch.rows if batch else 0,
                "snapshots": len(batches),
                "history": dg.MetadataValue.json(history),
                "watermark_load_id": store.watermark(table, iceberg),
                "location": store.location(table),
            },
        )

    return lake_table


lake_assets = [build_lake_asset(t) for t in TABLES]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=lake_assets)
