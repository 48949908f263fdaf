"""A read-only copy of the DuckDB warehouse's analytics schema, for other programs to read while runs write.

DuckDB lets one process open a file for writing and no other process open it meanwhile; the copy is a file of
its own, replaced atomically, so a reader keeps the version it opened and the next reader gets the new one.
"""

from __future__ import annotations

import os
from pathlib import Path

from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR
from chinook_platform.lib.warehouse import connect_duckdb

COPY_CATALOG = "analytics_copy"


def analytics_models(project_dir: Path = WAREHOUSE_PROJECT_DIR) -> list[str]:
    """The dbt models the copy is built from: every model of the project outside staging (``stg_*``), by name.

    Read from the project's model files (dbt names a model after its file), not its manifest: the assets that
    depend on them are defined before dbt has parsed the project.
    """
    names = {path.stem for path in (project_dir / "models").rglob("*.sql")}
    return sorted(name for name in names if not name.startswith("stg_"))


def copy_analytics_schema(warehouse_path: str, schema: str, target: Path) -> dict[str, int]:
    """Copy every table (not the views over staging) of ``schema`` into the DuckDB file ``target``, replacing the
    previous copy in one rename; returns the rows per table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial")
    partial.unlink(missing_ok=True)
    quoted = str(partial).replace("'", "''")
    with connect_duckdb(warehouse_path, config={"preserve_insertion_order": False}) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = current_database() "
                "and table_schema = ? and table_type = 'BASE TABLE' order by table_name",
                [schema],
            ).fetchall()
        ]
        con.execute(f"attach '{quoted}' as {COPY_CATALOG}")
        con.execute(f"create schema {COPY_CATALOG}.{schema}")
        rows = {}
        for table in tables:
            con.execute(f"create table {COPY_CATALOG}.{schema}.{table} as select * from {schema}.{table}")
            [(rows[table],)] = con.execute(f"select count(*) from {COPY_CATALOG}.{schema}.{table}").fetchall()
        con.execute(f"detach {COPY_CATALOG}")
    os.replace(partial, target)
    return rows
