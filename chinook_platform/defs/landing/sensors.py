"""The landing sensor: landed files that the OLTP load log does not hold yet start the run that loads them."""

import hashlib
import time

import dagster as dg

from chinook_platform.defs.resources import LandingZoneResource, OltpDatabase
from chinook_platform.lib.contract import TABLES, Table
from chinook_platform.lib.landing import LandedFile, LandingCursor, classify, version_id
from chinook_platform.lib.oltp.load import loaded_versions

# What the run for a table's landed files does: take inventory and load. When the load changed rows, the OLTP
# table's data version moves and the automation sensor carries the change on (lake, staging, dbt) in one more
# run; when it changed nothing, nothing else runs.
LAYERS_PER_RUN = ("landing", "oltp")


def run_selection(tables: list[Table]) -> list[dg.AssetKey]:
    return [dg.AssetKey([layer, t.name]) for t in tables for layer in LAYERS_PER_RUN]


@dg.sensor(
    name="landing_sensor",
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Watches the landing zone and requests one run for every file version that the OLTP load log does not "
        "hold yet, whatever its modification time: files landed together load in one run (parents before "
        "children). Files of unknown tables are reported once and skipped; in a local zone, a symbolic link to a file "
        "outside it is refused and a file modified in the last CHINOOK_LANDING_SETTLE_SECONDS is left for the next "
        "tick, each with a warning. The lake, staging and dbt follow "
        "by their automation conditions when a load changed rows."
    ),
    asset_selection=dg.AssetSelection.groups(*LAYERS_PER_RUN),
)
def landing_sensor(
    context: dg.SensorEvaluationContext, landing_zone: LandingZoneResource, oltp: OltpDatabase
) -> dg.SensorResult:
    cursor = LandingCursor.parse(context.cursor)
    zone = landing_zone.zone()
    by_table: dict[str, list[LandedFile]] = {}
    skipped: dict[str, tuple[LandedFile, str]] = {}
    listed = zone.list_files()
    for reason in getattr(zone, "refused", []):  # a local zone's links outside it, and files still being written
        context.log.warning(reason)
    for landed in listed:
        target = classify(landed.key)
        if isinstance(target, str):
            skipped[version_id(landed)] = (landed, target)
        else:
            by_table.setdefault(target.name, []).append(landed)
    new_skipped, cursor = cursor.not_reported([f for f, _ in skipped.values()])
    for landed in new_skipped:
        context.log.warning(skipped[version_id(landed)][1])

    engine = oltp.engine()
    loaded = {name: loaded_versions(engine, t) for t in TABLES if (name := t.name) in by_table}
    table_of = {f.key: name for name, files in by_table.items() for f in files}
    due, cursor = cursor.pending(
        [f for files in by_table.values() for f in files],
        lambda f: (zone.location(f.key), f.version) in loaded[table_of[f.key]],
        now=time.time(),
    )
    if not due:
        return dg.SensorResult(run_requests=[], cursor=cursor.dumps())
    tables = [t for t in TABLES if any(classify(f.key) is t for f in due)]  # contract order: parents first
    digest = hashlib.sha1("\n".join(sorted(version_id(f) for f in due)).encode()).hexdigest()[:16]
    context.log.info(f"{len(due)} new landed file version(s) for {', '.join(t.name for t in tables)}")
    request = dg.RunRequest(
        # Unique per attempt: a file requested again after RETRY_AFTER_SECONDS gets a new run.
        run_key=f"landed-{digest}-{cursor.requested[version_id(due[0])]:.0f}",
        asset_selection=run_selection(tables),
        tags={
            "chinook/landed_files": str(len(due)),
            "chinook/landed_tables": ",".join(t.name for t in tables),
            "chinook/landed_file": due[0].key,
        },
    )
    return dg.SensorResult(run_requests=[request], cursor=cursor.dumps())


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[landing_sensor])
