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
