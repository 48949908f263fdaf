"""The landing sensor: new or changed files in the landing zone (folder or S3) start the runs that load them."""

import dagster as dg

from chinook_platform.defs.resources import LandingZoneResource
from chinook_platform.lib.contract import TABLES
from chinook_platform.lib.landing_cursor import LandingCursor, version_id
from chinook_platform.lib.landing_zone import classify

MAX_RUNS_PER_TICK = 200  # the rest wait for the next tick; the cursor does not move past them


@dg.sensor(
    name="landing_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Watches the landing zone and requests one run per new or changed file version (run key: key and "
        "version), materializing that table's landing and OLTP assets; files of unknown tables are logged "
        "and skipped. Downstream layers follow by their automation conditions."
    ),
    asset_selection=dg.AssetSelection.groups("landing", "oltp"),
)
def landing_sensor(context: dg.SensorEvaluationContext, landing_zone: LandingZoneResource) -> dg.SensorResult:
    cursor = LandingCursor.parse(context.cursor)
    fresh, next_cursor = cursor.new_files(landing_zone.zone().list_files(), MAX_RUNS_PER_TICK)
    run_requests = []
    known = []
    for landed in fresh:
        target = classify(landed.key)
        if isinstance(target, str):
            context.log.warning(target)
        else:
            known.append((target, landed))
    # Parents before children (the contract lists tables in foreign-key order): files landed together then
    # load without rows waiting in quarantine for a parent that is only a few runs behind.
    order = {t.name: i for i, t in enumerate(TABLES)}
    for target, landed in sorted(known, key=lambda pair: (order[pair[0].name], pair[1].last_modified, pair[1].key)):
        run_requests.append(
            dg.RunRequest(
                run_key=f"{landed.key}@{version_id(landed)}",
                asset_selection=[dg.AssetKey(["landing", target.name]), dg.AssetKey(["oltp", target.name])],
                tags={"chinook/landed_file": landed.key, "chinook/landed_version": landed.version},
            )
        )
    if run_requests:
        context.log.info(f"{len(run_requests)} new landed file version(s)")
    return dg.SensorResult(run_requests=run_requests, cursor=next_cursor.dumps())


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[landing_sensor])
