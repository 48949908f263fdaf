"""The resources every layer shares, configured in one place from the environment (see ``.env.example``)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa

from chinook_platform.lib.environment import Settings, WarehouseSettings, settings, variable_of, warehouse_settings
from chinook_platform.lib.lake.store import LakeStore
from chinook_platform.lib.landing.zone import LandingZone, landing_zone_at
from chinook_platform.lib.oltp.database import create_oltp_engine
from chinook_platform.lib.s3 import s3_client
from chinook_platform.lib.secrets import export_secret_settings
from chinook_platform.lib.warehouse.staging import (
    StagingWarehouse,
    staging_warehouse,
)


@cache
def _oltp_engine(url: str, schema: str | None) -> sa.Engine:
    return create_oltp_engine(url, schema=schema)


class OltpDatabase(dg.ConfigurableResource):
    """The normalized OLTP database: a SQLite file by default, PostgreSQL (e.g. RDS) when a URL names one."""

    url: str
    db_schema: str | None = None

    def engine(self) -> sa.Engine:
        """A shared engine with the schema created (idempotent)."""
        return _oltp_engine(self.url, self.db_schema or None)

    @property
    def backend(self) -> str:
        return sa.make_url(self.url).get_backend_name()


class LandingZoneResource(dg.ConfigurableResource):
    """Where raw CSV files land: a local folder by default, ``s3://bucket/prefix`` when configured."""

    url: str
    s3_endpoint_url: str = ""  # for S3-compatible servers (MinIO, LocalStack, moto); empty means AWS
    s3_region: str = "us-east-1"

    def s3_client(self) -> Any:
        return s3_client(self.s3_endpoint_url, self.s3_region)

    def zone(self) -> LandingZone:
        return landing_zone_at(self.url, self.s3_client() if self.url.startswith("s3://") else None)


class LakeResource(dg.ConfigurableResource):
    """The Iceberg lake: a local folder by default, ``s3://bucket/prefix`` when configured, under a SQL catalog."""

    url: str
    catalog_url: str
    snapshot_retention_days: str = "7"  # the maintenance job expires snapshots older than this
    s3_endpoint_url: str = ""  # for S3-compatible servers (MinIO, LocalStack, moto); empty means AWS
    s3_region: str = "us-east-1"

    def store(self) -> LakeStore:
        return LakeStore(self.url, self.catalog_url, self.s3_endpoint_url or None, self.s3_region)

    def snapshot_retention(self) -> timedelta:
        return timedelta(days=float(self.snapshot_retention_days))


class ReportsResource(dg.ConfigurableResource):
    """Where the dashboard is published besides ``$CHINOOK_HOME/reports``: an ``s3://bucket/prefix``, or nowhere."""

    url: str = ""
    s3_endpoint_url: str = ""  # for S3-compatible servers (MinIO, LocalStack, moto); empty means AWS
    s3_region: str = "us-east-1"

    def s3_client(self) -> Any:
        return s3_client(self.s3_endpoint_url, self.s3_region)


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse dbt builds in: DuckDB by default, PostgreSQL or Amazon Redshift when configured.

    Its fields are ``WarehouseSettings``'s (a test keeps the two in step), each a ``dg.EnvVar`` when its variable is
    set; dbt gets the same values through the profile ``write_dbt_profile`` renders, so the staging loader and dbt
    always point at one database.
    """

    home: str
    target: str
    duckdb_path: str
    duckdb_memory_limit: str
    duckdb_threads: str
    dbt_threads: str
    pg_host: str
    pg_port: str
    pg_user: str
    pg_password: str
    pg_dbname: str
    redshift_host: str
    redshift_port: str
    redshift_user: str
    redshift_password: str
    redshift_dbname: str
    redshift_iam_role: str
    staging_schema: str
    analytics_schema: str

    @cached_property
    def settings(self) -> WarehouseSettings:
        """This run's values, validated as the settings are."""
        return warehouse_settings(**{field: getattr(self, field) for field in WarehouseSettings.model_fields})

    def write_dbt_profile(self) -> Path:
        """dbt's profile for these settings, written where dbt reads it (``settings.dbt_dir``)."""
        return self.settings.write_dbt_profile()

    def staging(self) -> StagingWarehouse:
        return staging_warehouse(self.settings)


def _from(model: Settings | WarehouseSettings, field: str) -> str | dg.EnvVar:
    """The setting as a resource field: ``dg.EnvVar`` when its variable is set (resolved at run time, never shown
    in the UI or stored), else its default."""
    if field in model.model_fields_set:
        return dg.EnvVar(variable_of(type(model), field))
    value = getattr(model, field)
    if value is None:
        return ""
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def warehouse_target() -> str | dg.EnvVar:
    """The dbt target (``duckdb``, ``postgres`` or ``redshift``), for the dbt resource's ``target``."""
    return _from(settings().warehouse, "target")


def build_resources() -> dict[str, dg.ConfigurableResource]:
    # Hook: credentials given as Secrets Manager ARNs become the settings below, in this process only.
    export_secret_settings()
    chinook = settings()
    s3_settings = {field: _from(chinook, field) for field in ("s3_endpoint_url", "s3_region")}
    return {
        "oltp": OltpDatabase(url=_from(chinook, "oltp_url"), db_schema=_from(chinook, "oltp_schema")),
        "landing_zone": LandingZoneResource(url=_from(chinook, "landing_url"), **s3_settings),
        "lake": LakeResource(
            url=_from(chinook, "lake_url"),
            catalog_url=_from(chinook, "lake_catalog_url"),
            snapshot_retention_days=_from(chinook, "lake_snapshot_retention_days"),
            **s3_settings,
        ),
        "reports": ReportsResource(url=_from(chinook, "reports_url"), **s3_settings),
        "warehouse": WarehouseResource(
            **{field: _from(chinook.warehouse, field) for field in WarehouseSettings.model_fields}
        ),
    }


@contextmanager
def resolved_resource(name: str) -> Iterator[Any]:
    """A resource with its ``dg.EnvVar`` settings resolved, for use outside a Dagster run (the CLI)."""
    with build_resources()[name].process_config_and_initialize_cm() as resource:
        yield resource


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
