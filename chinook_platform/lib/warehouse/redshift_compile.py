"""Compile every dbt model for Amazon Redshift without a cluster.

``dbt compile --no-introspect --target redshift`` still connects: ``is_incremental()`` asks the adapter which
relations exist (``list_relations_without_caching``, one catalogue query per schema), and the incremental
models' watermark macro asks which columns a model's table has (``get_columns_in_relation``). Here those two
calls are answered offline (the tables the shape says exist, with the columns the model declares in YAML or
names as ``_*load_id``), and everything else is dbt's own compile with the real Redshift adapter and its macros.
Two shapes cover every branch of the models' Jinja: a first build (the schema is empty) and an incremental run
(every model already exists as a table).

Run as ``python -m chinook_platform.lib.warehouse.redshift_compile TARGET_PATH [--incremental]`` (dbt keeps global
state, so each shape is compiled in a process of its own).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR, warehouse_settings

# The warehouse settings' Redshift target; no connection is ever opened, so the host only has to be well formed.
OFFLINE_SETTINGS = {"target": "redshift", "redshift_host": "offline.invalid", "redshift_user": "offline"}


def compile_for_redshift(target_path: Path, incremental: bool) -> list[str]:
    """Compile the project's models with the Redshift target into ``target_path``; returns the model names.

    Args:
        target_path: dbt's target folder (compiled SQL lands in ``compiled/chinook_warehouse/models``).
        incremental: compile as if every model already existed as a table (the ``is_incremental()`` branch).
    """
    from dbt.adapters.redshift import RedshiftAdapter
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest
    from dbt.contracts.graph.nodes import ModelNode

    existing: set[tuple[str, str]] = set()  # (schema, identifier) of the tables the warehouse "has"

    def list_relations_without_caching(self, schema_relation):  # noqa: ANN001, ANN202
        return [
            self.Relation.create(database=schema_relation.database, schema=schema, identifier=name, type="table")
            for schema, name in sorted(existing)
            if schema == schema_relation.schema
        ]

    columns: dict[tuple[str, str], list[str]] = {}  # (schema, identifier) -> the columns its table would have

    def get_columns_in_relation(self, relation):  # noqa: ANN001, ANN202
        names = columns.get((relation.schema, relation.identifier), [])
        return [self.Column.create(name, "bigint") for name in names]

    # The two catalogue calls, answered offline (this process compiles and exits).
    RedshiftAdapter.list_relations_without_caching = list_relations_without_caching  # type: ignore[method-assign]
    RedshiftAdapter.get_columns_in_relation = get_columns_in_relation  # type: ignore[method-assign]
    profiles_dir = warehouse_settings(**OFFLINE_SETTINGS).write_dbt_profile(target_path)
    common = [
        "--project-dir",
        str(WAREHOUSE_PROJECT_DIR),
        "--profiles-dir",
        str(profiles_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
    ]
    runner = dbtRunner()
    parsed = runner.invoke(["parse", "--quiet", *common])
    if not parsed.success:
        raise RuntimeError(f"dbt parse failed: {parsed.exception}")
    manifest = parsed.result
    assert isinstance(manifest, Manifest)  # what `dbt parse` returns
    models = [n for n in manifest.nodes.values() if isinstance(n, ModelNode)]
    if incremental:
        existing.update((n.schema, n.alias) for n in models)
        columns.update(
            {(n.schema, n.alias): [*n.columns, *re.findall(r"\b_[a-z_]*load_id\b", n.raw_code)] for n in models}
        )
    compiled = runner.invoke(
        ["--no-populate-cache", "compile", "--no-introspect", "--quiet", "--select", "resource_type:model", *common]
    )
    if not compiled.success:
        raise RuntimeError(f"dbt compile for Redshift failed: {compiled.exception}")
    return sorted(n.name for n in models)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target_path", type=Path)
    parser.add_argument("--incremental", action="store_true", help="compile the is_incremental() branch")
    args = parser.parse_args()
    for name in compile_for_redshift(args.target_path, args.incremental):
        print(name)


if __name__ == "__main__":
    main()
