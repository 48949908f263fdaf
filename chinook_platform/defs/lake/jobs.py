"""The lake's daily upkeep: compact each table's small files, then expire snapshots past the time-travel window."""

import dagster as dg

from chinook_platform.defs.resources import LakeResource
from chinook_platform.lib.contract import TABLES
from chinook_platform.lib.lake.maintenance import maintain


@dg.op(description="Compact each lake table's small files and expire its snapshots past the retention window.")
def maintain_lake_tables(context: dg.OpExecutionContext, lake: LakeResource) -> dg.Output[int]:
    store, retention, expired = lake.store(), lake.snapshot_retention(), 0
    for table in [t for t in TABLES if store.exists(t)]:
        upkeep = maintain(store, table, retention)
        expired += upkeep.snapshots_expired
        if upkeep.skipped:
            context.log.info(f"{table.name}: left for the next run, another commit won ({upkeep.skipped})")
        else:
            context.log.info(
                f"{table.name}: {upkeep.files_before} -> {upkeep.files_after} data file(s), "
                f"{upkeep.snapshots_expired} snapshot(s) expired"
            )
    return dg.Output(expired, metadata={"snapshots_expired": expired, "retention_days": retention.days})


@dg.job(description="Compact the lake's small files and expire snapshots older than the time-travel window.")
def lake_maintenance() -> None:
    maintain_lake_tables()


daily_lake_maintenance = dg.ScheduleDefinition(
    name="daily_lake_maintenance",
    job=lake_maintenance,
    cron_schedule="30 4 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 04:30 UTC: compaction, then expiry (CHINOOK_LAKE_SNAPSHOT_RETENTION_DAYS).",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(jobs=[lake_maintenance], schedules=[daily_lake_maintenance])
