"""The automation sensor: evaluates every asset's automation condition, so each layer follows its parents."""

import dagster as dg

automation_sensor = dg.AutomationConditionSensorDefinition(
    name="chinook_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Requests the lake, staging and warehouse assets whose parents have changed (eager conditions).",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[automation_sensor])
