"""Loads that Dagster did not run (the serverless loader in AWS, a script) reach the lake and the warehouse.

The OLTP assets' data version is the table's newest ``_load_id``. This sensor compares it with the version Dagster
last recorded for each table and, where a load outside Dagster moved it, reports that load as a materialization
made outside Dagster (a runless event) carrying the new version: the automation sensor then sees the OLTP table's
data change and starts the lake, staging and dbt run. Loads that Dagster runs record the same version themselves,
so they cost nothing here.
"""

import dagster as dg

from chinook_platform.defs.resources import OltpDatabase
from chinook_platform.lib.contract import TABLES
from chinook_platform.lib.oltp import status as oltp_status

DATA_VERSION_TAG = "dagster/data_version"


def _recorded_version(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    """The data version of the table's latest materialization."""
    event = instance.get_latest_materialization_event(key)
    materialization = event.asset_materialization if event else None
    return (materialization.tags or {}).get(DATA_VERSION_TAG) if materialization else None


@dg.sensor(
    name="oltp_changes_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Reports a materialization of every OLTP table whose rows a load outside Dagster changed (the serverless "
        "loader in AWS), so the lake, staging and dbt follow it as they follow Dagster's own loads."
    ),
)
def oltp_changes_sensor(context: dg.SensorEvaluationContext, oltp: OltpDatabase) -> dg.SensorResult:
    loads = []
    with oltp.engine().connect() as conn:
        latest = {t.name: oltp_status.latest_load_id(conn, t) for t in TABLES}
    for name, load_id in latest.items():
        key = dg.AssetKey(["oltp", name])
        version = f"load-{load_id}"
        recorded = _recorded_version(context.instance, key)
        if load_id and recorded != version:
            context.log.info(f"oltp/{name}: rows changed outside Dagster ({recorded} -> {version})")
            loads.append(
                dg.AssetMaterialization(
                    asset_key=key,
                    tags={DATA_VERSION_TAG: version},
                    description=(
                        "Rows loaded outside Dagster (e.g. by the serverless loader), seen by oltp_changes_sensor."
                    ),
                    metadata={"latest_load_id": load_id},
                )
            )
    return dg.SensorResult(asset_events=loads)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[oltp_changes_sensor])
