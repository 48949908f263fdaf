"""The automation sensor: evaluates every asset's automation condition, so each layer follows its parents."""

import dagster as dg

automation_sensor = dg.AutomationConditionSensorDefinition(
    name="chinook_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=10,
    description=(
        "Requests the assets whose parents' data changed (eager conditions on data versions): the dbt models "
        "downstream of staging tables that got rows, and OLTP tables whose rows may wait for a parent."
    ),
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[automation_sensor])
