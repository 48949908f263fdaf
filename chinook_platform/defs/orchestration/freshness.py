"""Freshness checks on the tables people read (OLTP and staging tables, the marts), and the sensor running them."""

from datetime import timedelta

import dagster as dg

from chinook_platform.defs.oltp.assets import oltp_assets
from chinook_platform.defs.staging.assets import staging_assets
from chinook_platform.defs.warehouse.assets import warehouse_dbt_models

MARTS = [key for key in warehouse_dbt_models.keys if key.path[-1].startswith("mart_")]

freshness_checks = dg.build_last_update_freshness_checks(
    assets=[*(a.key for a in oltp_assets), *(a.key for a in staging_assets), *MARTS],
    lower_bound_delta=timedelta(hours=26),
)

freshness_checks_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=freshness_checks,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=freshness_checks, sensors=[freshness_checks_sensor])
