"""The resources every layer shares, configured in one place from the environment (see ``.env.example``)."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa

from chinook_platform.lib.environment import (
    dbt_target_path,
    default_lake_url,
    default_landing_url,
    default_oltp_url,
    is_set,
    warehouse_settings,
    write_dbt_profile,
)
from chinook_platform.lib.lake.store import LakeStore, s3_client, s3_filesystem
from chinook_platform.lib.landing.zone import LandingZone, landing_zone_at
from chinook_platform.lib.oltp.database import create_oltp_engine
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
        """A boto3 S3 client made by dagster-aws's S3Resource (credentials: the usual AWS chain)."""
        from dagster_aws.s3 import S3Resource  # only when S3 is configured: dagster_aws takes seconds to import

        return S3Resource(endpoint_url=self.s3_endpoint_url or None, region_name=self.s3_region).get_client()

    def zone(self) -> LandingZone:
        return landing_zone_at(self.url, self.s3_client() if self.url.startswith("s3://") else None)


class LakeResource(dg.ConfigurableResource):
    """The Parquet lake: a local folder by default, ``s3://bucket/prefix`` when configured."""

    url: str
    s3_endpoint_url: str = ""  # for S3-compatible servers (MinIO, LocalStack, moto); empty means AWS
    s3_region: str = "us-east-1"

    def store(self) -> LakeStore:
        if self.url.startswith("s3://"):
            return LakeStore(
                self.url,
                s3_filesystem(self.s3_endpoint_url or None, self.s3_region),
                s3_client(self.s3_endpoint_url or None, self.s3_region),
            )
        return LakeStore(self.url)


class ReportsResource(dg.ConfigurableResource):
    """Where the dashboard is published besides ``$CHINOOK_HOME/reports``: an ``s3://bucket/prefix``, or nowhere."""

    url: str = ""
    s3_endpoint_url: str = ""  # for S3-compatible servers (MinIO, LocalStack, moto); empty means AWS
    s3_region: str = "us-east-1"

    def s3_client(self) -> Any:
        from dagster_aws.s3 import S3Resource  # only when S3 is configured

        return S3Resource(endpoint_url=self.s3_endpoint_url or None, region_name=self.s3_region).get_client()


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse dbt builds in: DuckDB by default, PostgreSQL or Amazon Redshift when configured.

    Its settings and their defaults are ``environment.warehouse_settings()``'s; dbt gets the same through the
    profile ``dbt_profiles_dir()`` writes, so the staging loader and dbt always point at one database.
    """

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
    dbt_target_path: str  # dbt's artifacts and log for this home ($CHINOOK_HOME/dbt/target)

    def _values(self) -> dict[str, str]:
        return {field: str(getattr(self, field)) for field in warehouse_settings()}

    def dbt_profiles_dir(self) -> Path:
        """dbt's profile for these settings, written beside the target folder; returns dbt's ``--profiles-dir``."""
        return write_dbt_profile(self._values(), Path(self.dbt_target_path).parent)

    def staging(self) -> StagingWarehouse:
        return staging_warehouse(self._values())


def _from_env(variable: str, default: str) -> str | dg.EnvVar:
    """``dg.EnvVar`` when the variable is set (resolved at run time, never stored), else the default."""
    return dg.EnvVar(variable) if is_set(variable) else default


def build_resources() -> dict[str, dg.ConfigurableResource]:
    # Hook: credentials given as Secrets Manager ARNs become the settings below, in this process only.
    export_secret_settings()
    s3_settings = {
        "s3_endpoint_url": _from_env("CHINOOK_S3_ENDPOINT_URL", ""),
        "s3_region": _from_env("AWS_REGION", "us-east-1"),
    }
    return {
        "oltp": OltpDatabase(
            url=_from_env("CHINOOK_OLTP_URL", default_oltp_url()),
            db_schema=_from_env("CHINOOK_OLTP_SCHEMA", ""),
        ),
        "landing_zone": LandingZoneResource(url=_from_env("CHINOOK_LANDING_URL", default_landing_url()), **s3_settings),
        "lake": LakeResource(url=_from_env("CHINOOK_LAKE_URL", default_lake_url()), **s3_settings),
        "reports": ReportsResource(url=_from_env("CHINOOK_REPORTS_URL", ""), **s3_settings),
        "warehouse": WarehouseResource(
            **{field: _from_env(variable, default) for field, (variable, default) in warehouse_settings().items()},
            dbt_target_path=str(dbt_target_path()),
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
