"""Where state lives and which engines are used: the platform's settings, the one place that reads the environment.

``Settings`` (and its ``warehouse``, a ``WarehouseSettings``) is built from the environment by pydantic-settings:
each field names its variable and its embedded default (folders and SQLite/DuckDB files under ``CHINOOK_HOME``); an
unset or empty variable means the default. The Dagster resources and dbt's profile are made from it.
See ``.env.example``, which a test keeps in step with the fields.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

HOME_VARIABLE = "CHINOOK_HOME"
WAREHOUSE_PROJECT_DIR = Path(__file__).resolve().parents[2] / "sql" / "warehouse"
DBT_PROFILE = "chinook_warehouse"  # dbt_project.yml's `profile:`
PROFILE_GENERATED = (
    "# Written by chinook_platform from the warehouse settings (lib/environment.py) for each dbt command."
)


class SettingsError(ValueError):
    """A variable holds a value its setting cannot take; the message names the variable, the value and why."""


def default_duckdb_memory_limit() -> str:
    """A quarter of the machine's memory, at least 512 MB (DuckDB's own default is 80%): the warehouse shares the
    machine with Dagster, dbt and the OLTP database, and past its limit DuckDB spills to disk instead."""
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return f"{max(512, physical // 4 // 2**20)}MB"  # at scale 1000, 256 MB runs out (dbt: 2 x 2 threads)


def default_threads() -> int:
    """One per core (at least two: dbt's model threads wait on the database more than they compute)."""
    return max(2, os.cpu_count() or 2)


def default_lake_catalog_url(oltp_url: str, oltp_schema: str | None, home: Path) -> str:
    """Beside the OLTP: in its PostgreSQL database (and schema) when it has one, else a SQLite file in the home."""
    parsed = sa.make_url(oltp_url)
    if parsed.get_backend_name() != "postgresql":
        return f"sqlite:///{home / 'lake_catalog.sqlite'}"
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if oltp_schema:
        parsed = parsed.update_query_dict({"options": f"-csearch_path={oltp_schema}"})
    return parsed.render_as_string(hide_password=False)


def _setting(variable: str, default: Any = None, **field: Any) -> Any:
    """A field read from ``variable`` and from nothing else: not from its bare name (``home`` would take ``$HOME``)."""
    if "default_factory" not in field:
        field["default"] = default
    return Field(validation_alias=variable, **field)


# The home folder: every embedded default lives under it.
Home = Annotated[Path, AfterValidator(lambda path: path.resolve())]
# validate_by_name stays off: with it, pydantic-settings also reads each field's bare name from the environment,
# case-insensitively (HOME, TARGET, LANDING_URL, ...). Values given by field name go through ``by_variable``.
_CONFIG = SettingsConfigDict(
    env_ignore_empty=True, validate_by_name=False, validate_by_alias=True, frozen=True, extra="ignore"
)


class WarehouseSettings(BaseSettings):
    """The warehouse dbt builds in (DuckDB by default, PostgreSQL or Amazon Redshift) and its staging tables."""

    model_config = _CONFIG

    home: Home = _setting(HOME_VARIABLE, Path(".chinook"))
    target: Literal["duckdb", "postgres", "redshift"] = _setting("CHINOOK_WAREHOUSE_TARGET", "duckdb")
    duckdb_path: Path = _setting(
        "CHINOOK_WAREHOUSE_DUCKDB_PATH", default_factory=lambda s: s["home"] / "warehouse.duckdb"
    )
    duckdb_memory_limit: str = _setting(
        "CHINOOK_WAREHOUSE_DUCKDB_MEMORY_LIMIT", default_factory=default_duckdb_memory_limit
    )
    duckdb_threads: int = _setting("CHINOOK_WAREHOUSE_DUCKDB_THREADS", default_factory=default_threads)
    dbt_threads: int = _setting("CHINOOK_DBT_THREADS", default_factory=default_threads)
    pg_host: str = _setting("CHINOOK_WAREHOUSE_PG_HOST", "127.0.0.1")
    pg_port: int = _setting("CHINOOK_WAREHOUSE_PG_PORT", 5432)
    pg_user: str = _setting("CHINOOK_WAREHOUSE_PG_USER", "postgres")
    pg_password: SecretStr = _setting("CHINOOK_WAREHOUSE_PG_PASSWORD", SecretStr(""))
    pg_dbname: str = _setting("CHINOOK_WAREHOUSE_PG_DBNAME", "postgres")
    redshift_host: str = _setting("CHINOOK_REDSHIFT_HOST", "")
    redshift_port: int = _setting("CHINOOK_REDSHIFT_PORT", 5439)
    redshift_user: str = _setting("CHINOOK_REDSHIFT_USER", "")
    redshift_password: SecretStr = _setting("CHINOOK_REDSHIFT_PASSWORD", SecretStr(""))
    redshift_dbname: str = _setting("CHINOOK_REDSHIFT_DBNAME", "dev")
    redshift_iam_role: str = _setting("CHINOOK_REDSHIFT_IAM_ROLE", "")
    staging_schema: str = _setting("CHINOOK_STAGING_SCHEMA", "staging")
    analytics_schema: str = _setting("CHINOOK_WAREHOUSE_SCHEMA", "analytics")

    @property
    def dbt_dir(self) -> Path:
        """dbt's profile (``profiles.yml``) and its target folder, per home."""
        return self.home / "dbt"

    @property
    def dbt_target_path(self) -> Path:
        """dbt's artifacts (manifest, partial-parse state, run results) and its log."""
        return self.dbt_dir / "target"

    def dbt_profile(self) -> str:
        """dbt's ``profiles.yml`` for these settings: every value written out, the DuckDB path absolute, except the
        passwords, which dbt reads from their own variables.

        The platform hands dbt its settings this way, not through ``os.environ``; dbt hashes the profile into its
        partial-parse state, so the manifest's parse and every build in a home read the same file.
        """
        import yaml

        def password(field: str) -> str:  # dbt reads it from its variable; never written out
            return "{{ env_var('" + variable_of(type(self), field) + "', '') }}"

        server = {"schema": self.analytics_schema, "threads": self.dbt_threads}
        duckdb_settings = {
            "preserve_insertion_order": False,
            "memory_limit": self.duckdb_memory_limit,
            "threads": self.duckdb_threads,
        }
        outputs = {
            "duckdb": {
                "type": "duckdb",
                "path": str(self.duckdb_path.resolve()),
                **server,
                "settings": duckdb_settings,
            },
            "postgres": {
                "type": "postgres",
                **{"host": self.pg_host, "port": self.pg_port, "user": self.pg_user},
                **{"password": password("pg_password"), "dbname": self.pg_dbname},
                **server,
            },
            "redshift": {
                "type": "redshift",
                **{"host": self.redshift_host, "port": self.redshift_port, "user": self.redshift_user},
                **{"password": password("redshift_password"), "dbname": self.redshift_dbname},
                **server,
                "threads": 4,  # a remote warehouse: dbt's threads wait on its queries, not on this machine's cores
            },
        }
        profile = {DBT_PROFILE: {"target": self.target, "outputs": outputs}}
        return f"{PROFILE_GENERATED}\n{yaml.safe_dump(profile, sort_keys=False)}"

    def write_dbt_profile(self, folder: Path | None = None) -> Path:
        """``dbt_profile()`` written to ``folder/profiles.yml`` (default: ``dbt_dir``); returns the folder, dbt's
        ``--profiles-dir``."""
        folder = folder or self.dbt_dir
        folder.mkdir(parents=True, exist_ok=True)
        write_generated(folder / "profiles.yml", self.dbt_profile())
        return folder


class Settings(BaseSettings):
    """Every setting of the platform: the home folder, the landing zone, the OLTP database, the lake, S3, reports,
    and the warehouse (``warehouse``)."""

    model_config = _CONFIG

    home: Home = _setting(HOME_VARIABLE, Path(".chinook"))
    landing_url: str = _setting("CHINOOK_LANDING_URL", default_factory=lambda s: str(s["home"] / "landing"))
    # A local file modified less than this many seconds ago may still be being written: left for the next look.
    landing_settle_seconds: float = _setting("CHINOOK_LANDING_SETTLE_SECONDS", 2.0)
    # Follow a symbolic link in a local landing zone to a file outside it (refused, with a warning, by default).
    landing_follow_outside_links: bool = _setting("CHINOOK_LANDING_FOLLOW_OUTSIDE_LINKS", False)
    oltp_url: str = _setting("CHINOOK_OLTP_URL", default_factory=lambda s: f"sqlite:///{s['home'] / 'oltp.sqlite'}")
    oltp_schema: str | None = _setting("CHINOOK_OLTP_SCHEMA", None)  # None: the database's default (public)
    lake_url: str = _setting("CHINOOK_LAKE_URL", default_factory=lambda s: str(s["home"] / "lake"))
    # The lake's Iceberg SQL catalog: by default beside the OLTP (its PostgreSQL, or a SQLite file in the home).
    lake_catalog_url: str = _setting(
        "CHINOOK_LAKE_CATALOG_URL",
        default_factory=lambda s: default_lake_catalog_url(s["oltp_url"], s["oltp_schema"], s["home"]),
    )
    # Time travel reaches back this many days: the lake's maintenance job expires older snapshots.
    lake_snapshot_retention_days: float = _setting("CHINOOK_LAKE_SNAPSHOT_RETENTION_DAYS", 7.0, ge=0)
    s3_endpoint_url: str = _setting("CHINOOK_S3_ENDPOINT_URL", "")  # MinIO, LocalStack, moto; empty means AWS
    s3_region: str = _setting("AWS_REGION", "us-east-1")
    reports_url: str = _setting("CHINOOK_REPORTS_URL", "")  # an s3:// prefix the dashboard is also published to
    alerts_topic_arn: str = _setting("CHINOOK_ALERTS_TOPIC_ARN", "")  # SNS topic failed runs go to; empty: the log
    alerts_webhook_url: str = _setting("CHINOOK_ALERTS_WEBHOOK_URL", "")  # or an HTTP endpoint they are posted to
    pool_wait_seconds: float = _setting("CHINOOK_POOL_WAIT_SECONDS", 600.0, ge=0)  # `chinook run` on a held pool

    @cached_property
    def warehouse(self) -> WarehouseSettings:
        return _validated(WarehouseSettings)

    @property
    def s3_configured(self) -> bool:
        """True when the landing zone or the lake is an S3 prefix (only then is an S3 client needed)."""
        return self.landing_url.startswith("s3://") or self.lake_url.startswith("s3://")


def _validated(model: type[BaseSettings], **values: Any) -> Any:
    try:
        return model(**values)
    except ValidationError as error:
        problems = [
            f"{problem['loc'][0]}={problem['input']!r}: {problem['msg']}"
            for problem in error.errors(include_url=False)
            if problem["type"] != "default_factory_not_called"  # a default that needed the invalid one
        ]
        raise SettingsError(f"invalid setting: {'; '.join(problems)}") from None


def settings() -> Settings:
    """The settings as the environment gives them now (cheap: build one per command or run and pass it on)."""
    return _validated(Settings)


def warehouse_settings(**values: Any) -> WarehouseSettings:
    """The warehouse settings: ``values`` (by field name, as a resource holds them) over the environment's."""
    return _validated(WarehouseSettings, **by_variable(WarehouseSettings, values))


def by_variable(model: type[BaseSettings], values: dict[str, Any]) -> dict[str, Any]:
    """Values keyed by field name, keyed instead by their variables (the only names the settings accept)."""
    return {variable_of(model, field): value for field, value in values.items()}


def variable_of(model: type[BaseSettings], field: str) -> str:
    """The environment variable a setting is read from."""
    alias = model.model_fields[field].validation_alias
    assert isinstance(alias, str)
    return alias


def variables() -> set[str]:
    """Every variable the settings read."""
    return {variable_of(model, field) for model in (Settings, WarehouseSettings) for field in model.model_fields}


def chinook_home() -> Path:
    """The folder for all local state (``.chinook`` in the working directory unless ``CHINOOK_HOME``)."""
    return settings().home


def reports_dir() -> Path:
    """The dashboard and the read-only copy of the warehouse's analytics schema: ``$CHINOOK_HOME/reports``."""
    return chinook_home() / "reports"


def analytics_copy_path() -> Path:
    """The DuckDB copy of the analytics schema that other programs read while runs write the warehouse."""
    return reports_dir() / "warehouse_copy.duckdb"  # not analytics.duckdb: its catalog would shadow the schema


def oltp_kind() -> str:
    """The OLTP engine's kind tag for the Dagster UI (``postgres`` or ``sqlite``)."""
    return "postgres" if settings().oltp_url.startswith("postgres") else "sqlite"


def warehouse_kind() -> str:
    """The warehouse engine's kind tag for the Dagster UI (``duckdb``, ``postgres`` or ``redshift``)."""
    return warehouse_settings().target


def lake_kind() -> str:
    """The lake's storage kind beside ``iceberg``: ``s3``, or nothing for a local folder."""
    return "s3" if settings().lake_url.startswith("s3://") else ""


def generated_is_current(path: Path, text: str) -> bool:
    """Whether a generated file exists and holds this text."""
    return path.exists() and path.read_text() == text


def write_generated(path: Path, text: str) -> None:
    """A file the platform generates (dbt's profile, Dagster's dagster.yaml, the dbt sources), written when its
    text differs and atomically: the processes of a home (a run, the daemon, the webserver) read and write it at
    the same time."""
    if not generated_is_current(path, text):
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(text)
        partial.replace(path)
