"""Where state lives and which engines are used: the one module that reads the environment.

Every setting has an embedded default (folders and SQLite/DuckDB files under ``CHINOOK_HOME``), and an
environment variable that switches it to a server or the cloud. See ``.env.example``.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_VARIABLE = "CHINOOK_HOME"


def chinook_home() -> Path:
    """The folder for all local state (``.chinook`` in the working directory unless ``CHINOOK_HOME``)."""
    return Path(os.environ.get(HOME_VARIABLE, ".chinook")).resolve()


def default_landing_url() -> str:
    return str(chinook_home() / "landing")


def default_lake_url() -> str:
    return str(chinook_home() / "lake")


def default_oltp_url() -> str:
    return f"sqlite:///{chinook_home() / 'oltp.sqlite'}"


def default_warehouse_path() -> str:
    return str(chinook_home() / "warehouse.duckdb")


def default_duckdb_memory_limit() -> str:
    """A quarter of the machine's memory, at least 512 MB (DuckDB's own default is 80%): the warehouse shares the
    machine with Dagster, dbt and the OLTP database, and past its limit DuckDB spills to disk instead."""
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return f"{max(512, physical // 4 // 2**20)}MB"  # at scale 1000, 256 MB runs out (dbt: 2 x 2 threads)


def default_threads() -> str:
    """One per core (at least two: dbt's model threads wait on the database more than they compute)."""
    return str(max(2, os.cpu_count() or 2))


def oltp_url() -> str:
    return os.environ.get("CHINOOK_OLTP_URL") or default_oltp_url()


def oltp_schema() -> str | None:
    return os.environ.get("CHINOOK_OLTP_SCHEMA") or None


def landing_url() -> str:
    return os.environ.get("CHINOOK_LANDING_URL") or default_landing_url()


def lake_url() -> str:
    return os.environ.get("CHINOOK_LAKE_URL") or default_lake_url()


def s3_endpoint_url() -> str:
    """An S3-compatible server's endpoint (MinIO, LocalStack, moto); empty means AWS."""
    return os.environ.get("CHINOOK_S3_ENDPOINT_URL", "")


def s3_region() -> str:
    return os.environ.get("AWS_REGION") or "us-east-1"


def s3_configured() -> bool:
    """True when the landing zone or the lake is an S3 prefix (only then is an S3 client needed)."""
    return landing_url().startswith("s3://") or lake_url().startswith("s3://")


def warehouse_settings() -> dict[str, tuple[str, str]]:
    """Each warehouse setting, the environment variable that overrides it (dbt's profiles.yml reads the same
    variables), and its default."""
    return {
        "target": ("CHINOOK_WAREHOUSE_TARGET", "duckdb"),
        "duckdb_path": ("CHINOOK_WAREHOUSE_DUCKDB_PATH", default_warehouse_path()),
        "duckdb_memory_limit": ("CHINOOK_WAREHOUSE_DUCKDB_MEMORY_LIMIT", default_duckdb_memory_limit()),
        "duckdb_threads": ("CHINOOK_WAREHOUSE_DUCKDB_THREADS", default_threads()),
        "dbt_threads": ("CHINOOK_DBT_THREADS", default_threads()),
        "pg_host": ("CHINOOK_WAREHOUSE_PG_HOST", "127.0.0.1"),
        "pg_port": ("CHINOOK_WAREHOUSE_PG_PORT", "5432"),
        "pg_user": ("CHINOOK_WAREHOUSE_PG_USER", "postgres"),
        "pg_password": ("CHINOOK_WAREHOUSE_PG_PASSWORD", ""),
        "pg_dbname": ("CHINOOK_WAREHOUSE_PG_DBNAME", "postgres"),
        "redshift_host": ("CHINOOK_REDSHIFT_HOST", ""),
        "redshift_port": ("CHINOOK_REDSHIFT_PORT", "5439"),
        "redshift_user": ("CHINOOK_REDSHIFT_USER", ""),
        "redshift_password": ("CHINOOK_REDSHIFT_PASSWORD", ""),
        "redshift_dbname": ("CHINOOK_REDSHIFT_DBNAME", "dev"),
        "redshift_iam_role": ("CHINOOK_REDSHIFT_IAM_ROLE", ""),
        "staging_schema": ("CHINOOK_STAGING_SCHEMA", "staging"),
        "analytics_schema": ("CHINOOK_WAREHOUSE_SCHEMA", "analytics"),
    }


def warehouse_values() -> dict[str, str]:
    """Each warehouse setting's value: its variable's, or the default."""
    return {field: os.environ.get(variable) or default for field, (variable, default) in warehouse_settings().items()}


DBT_PROFILE = "chinook_warehouse"  # dbt_project.yml's `profile:`
PROFILE_GENERATED = (
    "# Written by chinook_platform from the warehouse settings (lib/environment.py) for each dbt command."
)
PASSWORDS = ("pg_password", "redshift_password")  # read by dbt from their variables, never written to the profile


def dbt_profile(values: dict[str, str] | None = None) -> str:
    """dbt's ``profiles.yml`` for resolved warehouse settings (default: the environment's): every value written
    out, the DuckDB path absolute, except the passwords, which dbt reads from their own variables.

    The platform hands dbt its settings this way, not through ``os.environ``; dbt hashes the profile into its
    partial-parse state, so the manifest's parse and every build in a home read the same file.
    """
    import yaml

    settings = warehouse_settings()
    values = values or warehouse_values()

    def number(field: str) -> int:
        try:
            return int(values[field])
        except ValueError:
            raise ValueError(f"{settings[field][0]}={values[field]!r} is not a whole number") from None

    def password(field: str) -> str:
        return "{{ env_var('" + settings[field][0] + "', '') }}"  # dbt reads it; never written out

    server = {"schema": values["analytics_schema"], "threads": number("dbt_threads")}
    outputs = {
        "duckdb": {
            "type": "duckdb",
            "path": str(Path(values["duckdb_path"]).resolve()),
            **server,
            "settings": {
                "preserve_insertion_order": False,
                "memory_limit": values["duckdb_memory_limit"],
                "threads": number("duckdb_threads"),
            },
        },
        "postgres": {
            "type": "postgres",
            "host": values["pg_host"],
            "port": number("pg_port"),
            "user": values["pg_user"],
            "password": password("pg_password"),
            "dbname": values["pg_dbname"],
            **server,
        },
        "redshift": {
            "type": "redshift",
            "host": values["redshift_host"],
            "port": number("redshift_port"),
            "user": values["redshift_user"],
            "password": password("redshift_password"),
            "dbname": values["redshift_dbname"],
            **server,
            "threads": 4,  # a remote warehouse: dbt's threads wait on its queries, not on this machine's cores
        },
    }
    profile = {DBT_PROFILE: {"target": values["target"], "outputs": outputs}}
    return f"{PROFILE_GENERATED}\n{yaml.safe_dump(profile, sort_keys=False)}"


def write_generated(path: Path, text: str) -> None:
    """A file the platform generates (dbt's profile, Dagster's dagster.yaml), written when its text differs and
    atomically: the processes of a home (a run, the daemon, the webserver) read and write it at the same time."""
    if not path.exists() or path.read_text() != text:
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(text)
        partial.replace(path)


def dbt_profiles_dir() -> Path:
    """The folder of the home's dbt profile, beside dbt's target folder."""
    return chinook_home() / "dbt"


def write_dbt_profile(values: dict[str, str] | None = None, folder: Path | None = None) -> Path:
    """``dbt_profile()`` written to ``folder/profiles.yml`` (default: the home's); returns the folder, dbt's
    ``--profiles-dir``."""
    folder = folder or dbt_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    write_generated(folder / "profiles.yml", dbt_profile(values))
    return folder


def dbt_target_path() -> Path:
    """dbt's artifacts (manifest, partial-parse state, run results) and its log, per ``CHINOOK_HOME``."""
    return chinook_home() / "dbt" / "target"


def reports_dir() -> Path:
    """The dashboard and the read-only copy of the warehouse's analytics schema: ``$CHINOOK_HOME/reports``."""
    return chinook_home() / "reports"


def analytics_copy_path() -> Path:
    """The DuckDB copy of the analytics schema that other programs read while runs write the warehouse."""
    return reports_dir() / "warehouse_copy.duckdb"  # not analytics.duckdb: its catalog would shadow the schema


def is_set(variable: str) -> bool:
    """True when the variable is set to a non-empty value (an empty value means: use the default)."""
    return bool(os.environ.get(variable))


def oltp_kind() -> str:
    """The OLTP engine's kind tag for the Dagster UI (``postgres`` or ``sqlite``)."""
    return "postgres" if os.environ.get("CHINOOK_OLTP_URL", "").startswith("postgres") else "sqlite"


def warehouse_kind() -> str:
    """The warehouse engine's kind tag for the Dagster UI (``duckdb``, ``postgres`` or ``redshift``)."""
    return os.environ.get("CHINOOK_WAREHOUSE_TARGET") or "duckdb"


def lake_kind() -> str:
    return "s3" if os.environ.get("CHINOOK_LAKE_URL", "").startswith("s3://") else "parquet"


WAREHOUSE_PROJECT_DIR = Path(__file__).resolve().parents[2] / "sql" / "warehouse"
