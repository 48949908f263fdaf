"""The dbt project's files that the table contract owns, generated from it (``chinook dbt-sources``):

- ``models/staging/_chinook__sources.yml``: the staging tables as dbt sources, each mapped to its Dagster asset,
  every column with its type and a ``not_null`` test where the contract requires a value;
- ``macros/contract_type.sql``: ``contract_type('money')`` and the rest, the contract's type map as dbt casts.

A test fails when the committed files differ from what this module writes, as for ``sql/oltp/schema.sql``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chinook_platform.lib.contract import LOAD_ID_COLUMN, TABLES, Table, dbt_cast_types
from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR
from chinook_platform.lib.lake import LOADED_AT_COLUMN
from chinook_platform.lib.warehouse.ddl import BATCH_ID_COLUMN, METADATA_COLUMNS

GENERATED = "Generated from the table contract (chinook_platform/lib/contract) by `make dbt-sources`: do not edit."
SOURCES_PATH = Path("models") / "staging" / "_chinook__sources.yml"
MACRO_PATH = Path("macros") / "contract_type.sql"
SOURCE_DESCRIPTION = (
    "The warehouse staging tables: every version of every row extracted from the OLTP database through the Parquet"
    " lake (append-only; the latest version of a key has the highest _load_id)."
)

METADATA: dict[str, dict[str, Any]] = {  # the staging DDL's metadata columns, described
    LOAD_ID_COLUMN: {"description": "The OLTP load that wrote this version.", "data_tests": ["not_null"]},
    LOADED_AT_COLUMN: {"description": "When that load ran."},
    BATCH_ID_COLUMN: {"description": "The lake batch this row was staged from."},
}


def _source_table(table: Table) -> dict[str, Any]:
    columns: list[dict[str, Any]] = []
    for column in table.columns:
        entry: dict[str, Any] = {"name": column.name, "data_type": dbt_cast_types()[column.type.value]}
        if column.csv_name == table.primary_key:
            entry["description"] = "Primary key (one row per version: with _load_id)."
        elif column.references:
            entry["description"] = f"References {column.references}."
        if not column.nullable:
            entry["data_tests"] = ["not_null"]
        columns.append(entry)
    for name, kind in METADATA_COLUMNS:
        columns.append({"name": name, "data_type": kind, **METADATA[name]})
    return {
        "name": table.name,
        "description": table.description,
        "meta": {"dagster": {"asset_key": ["staging", table.name]}},
        "columns": columns,
    }


def sources_yaml() -> str:
    """``_chinook__sources.yml``: one source table per contract table, in the contract's order."""
    import yaml

    source = {
        "name": "chinook",
        "description": SOURCE_DESCRIPTION,
        "schema": "{{ env_var('CHINOOK_STAGING_SCHEMA', 'staging') }}",
        "tables": [_source_table(t) for t in TABLES],
    }

    class IndentedLists(yaml.SafeDumper):  # lists indented under their key, as dbt's own YAML is written
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, False)

        def ignore_aliases(self, data: Any) -> bool:  # a value used twice is written twice, not as &id001
            return True

    document = {"version": 2, "sources": [source]}
    body = yaml.dump(document, Dumper=IndentedLists, sort_keys=False, allow_unicode=True, width=110)
    return f"# {GENERATED}\n{body}"


def contract_type_macro() -> str:
    """``contract_type.sql``: the contract's column types as the casts the staging models write."""
    casts = "".join(f"        '{name}': '{cast}',\n" for name, cast in dbt_cast_types().items())
    return (
        f"{{# {GENERATED} #}}\n"
        "{% macro contract_type(name) %}\n"
        "    {#- A contract column type ('integer', 'text', 'money', 'timestamp') as a dbt model casts to it. -#}\n"
        f"    {{%- set casts = {{\n{casts}    }} -%}}\n"
        "    {{- casts[name] -}}\n"
        "{% endmacro %}\n"
    )


def generated_files(project_dir: Path = WAREHOUSE_PROJECT_DIR) -> dict[Path, str]:
    """Each generated file's path in the dbt project, and its text."""
    return {project_dir / SOURCES_PATH: sources_yaml(), project_dir / MACRO_PATH: contract_type_macro()}
