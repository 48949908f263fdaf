"""A daily full refresh of the whole graph, beside the sensor- and automation-driven updates."""

import dagster as dg

full_refresh_job = dg.define_asset_job(
    name="full_refresh",
    selection=dg.AssetSelection.all(),
    description="Take inventory of the landing zone and rebuild every layer down to the marts.",
)

daily_full_refresh = dg.ScheduleDefinition(
    name="daily_full_refresh",
    job=full_refresh_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 03:00 UTC; off by default (the sensor and automation keep things current).",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(jobs=[full_refresh_job], schedules=[daily_full_refresh])
