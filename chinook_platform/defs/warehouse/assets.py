"""Warehouse: the dbt star schema and marts (``sql/warehouse``), one Dagster asset per dbt model.

dbt sources are the staging tables, mapped to the ``["staging", <table>]`` assets by their
``meta.dagster.asset_key``, so the lineage runs unbroken from landing to marts. dbt tests become asset checks.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from chinook_platform.defs.resources import WarehouseResource
from chinook_platform.defs.staging.assets import WAREHOUSE_POOL
from chinook_platform.defs.warehouse.project import DBT_EXECUTABLE, warehouse_dbt_project
from chinook_platform.lib.environment import warehouse_kind


class WarehouseTranslator(DagsterDbtTranslator):
    """Models keyed ``["warehouse", <model>]``; marts in their own group."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id) or {}
        if node.get("resource_type") not in ("model", "snapshot", "seed"):
            return spec
        return spec.replace_attributes(key=self._key(node), group_name=self._group(node)).merge_attributes(
            kinds={warehouse_kind()}
        )

    @staticmethod
    def _key(node: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey(["warehouse", node["name"]])

    @staticmethod
    def _group(node: Mapping[str, Any]) -> str:
        return "marts" if node["name"].startswith("mart_") else "warehouse"


@dbt_assets(
    manifest=warehouse_dbt_project().manifest_path,
    project=warehouse_dbt_project(),
    dagster_dbt_translator=WarehouseTranslator(),
    pool=WAREHOUSE_POOL,
)
def warehouse_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """``dbt build`` of the selected models: staging views, dimensions, incremental facts and marts."""
    warehouse.export_dbt_environment()
    # Row counts come from our own query once dbt has exited: dagster-dbt's fetch_row_counts() keeps the dbt
    # adapter's DuckDB connection open in this process, which then refuses every other connection to the file.
    # One target folder per home, not one per invocation: dbt finds its own partial-parse state there next run.
    events = list(dbt.cli(["build"], context=context, target_path=Path(warehouse.dbt_target_path)).stream())
    staging = warehouse.staging()
    for event in events:
        if isinstance(event, dg.Output):
            model = context.asset_key_for_output(event.output_name).path[-1]
            [(rows,)] = staging.query(f"select count(*) from {warehouse.analytics_schema}.{model}")
            event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
        yield event


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[warehouse_dbt_models],
        resources={"dbt": DbtCliResource(project_dir=warehouse_dbt_project(), dbt_executable=DBT_EXECUTABLE)},
    )
