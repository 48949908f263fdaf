"""Warehouse: the dbt star schema and marts (``sql/warehouse``), one Dagster asset per dbt model.

dbt sources are the staging tables, mapped to the ``["staging", <table>]`` assets by their
``meta.dagster.asset_key``, so the lineage runs unbroken from landing to marts. dbt tests become asset checks.
"""

from collections.abc import Iterator, Mapping
from functools import cached_property
from importlib.metadata import version
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from chinook_platform.defs.resources import WarehouseResource, warehouse_target
from chinook_platform.defs.warehouse.project import DBT_EXECUTABLE, warehouse_dbt_project
from chinook_platform.lib.environment import warehouse_kind, warehouse_settings
from chinook_platform.lib.warehouse import (
    ROW_ISSUE_CHECKS,
    WAREHOUSE_POOL,
    StagingWarehouse,
    issues_description,
    open_invoice_issues,
)
from chinook_platform.lib.warehouse.build_lock import dbt_build_lock
from chinook_platform.lib.warehouse.tables import describe_models


class WarehouseTranslator(DagsterDbtTranslator):
    """Models keyed ``["warehouse", <model>]``; marts (``mart_*``) and KPI models (``kpi_*``) in groups of their own."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id) or {}
        if node.get("resource_type") not in ("model", "snapshot", "seed"):
            return spec
        return spec.replace_attributes(key=self._key(node), group_name=self._group(node)).merge_attributes(
            kinds={self._warehouse_kind}
        )

    @cached_property
    def _warehouse_kind(self) -> str:
        """Read from the settings once per translator, not once per dbt node."""
        return warehouse_kind()

    @staticmethod
    def _key(node: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey(["warehouse", node["name"]])

    @staticmethod
    def _group(node: Mapping[str, Any]) -> str:
        return {"mart": "marts", "kpi": "analysis"}.get(node["name"].split("_")[0], "warehouse")


class WarehouseDbt(DbtCliResource):
    """dbt as dagster-dbt runs it, minus two fixed costs of every build (measured at scale 1):

    - its version known without asking: ``dbt_executable`` is the dbt installed beside this Python, so its version is
      the installed dbt-core's (dagster-dbt otherwise starts ``dbt --version`` once per run: 2.7 s);
    - no dbt adapter opened in this process (2.7 s: dbt's adapter plugin, profile and macros loaded before the build
      starts). dagster-dbt uses it only for ``fetch_row_counts()`` and ``fetch_column_metadata()``, which this
      project replaces with its own queries (``describe_models``), and runs without one for dbt Fusion already.
    """

    @cached_property
    def _cli_version(self) -> Any:
        from packaging.version import parse

        return parse(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> None:  # type: ignore[override]  # dagster-dbt accepts None
        return None


@dbt_assets(
    manifest=warehouse_dbt_project().manifest_path,
    project=warehouse_dbt_project(),
    # Every dbt test is an asset check: the sources' tests check the staging assets.
    dagster_dbt_translator=WarehouseTranslator(DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)),
    pool=WAREHOUSE_POOL,
)
def warehouse_dbt_models(
    context: dg.AssetExecutionContext, dbt: WarehouseDbt, warehouse: WarehouseResource
) -> Iterator[Any]:
    """``dbt build`` of the selected models: staging views, dimensions, incremental facts and marts."""
    staging = warehouse.staging()
    staging.wait_until_writable()  # a reader's brief hold on the DuckDB file would fail dbt's connection
    # dbt reads this run's warehouse settings from the profile they render, in the folder the dbt resource names.
    warehouse.write_dbt_profile()
    # Runners on one server warehouse (separate Dagster homes, no shared pool) build it one at a time.
    with dbt_build_lock(staging, warehouse.settings.analytics_schema, context.log):
        yield from _build(context, dbt, warehouse, staging)


def _build(context: dg.AssetExecutionContext, dbt: WarehouseDbt, warehouse: WarehouseResource, staging: Any) -> Any:
    # One target folder per home, not one per invocation: dbt finds its own partial-parse state there next run.
    events = dbt.cli(["build"], context=context, target_path=warehouse.settings.dbt_target_path).stream()
    descriptions = {key.path[-1]: _column_descriptions(spec) for key, spec in context.assets_def.specs_by_key.items()}
    # Row counts, column types and previews come from our own queries (describe_models), not dagster-dbt's
    # fetch_row_counts()/fetch_column_metadata(), which would open a dbt adapter in this process. A model's are
    # read as soon as dbt reports it built, and its event passes on at once, except on DuckDB: dbt's process holds
    # the file's write lock until it exits, so there the events wait for the whole build.
    batches = [list(events)] if warehouse.settings.target == "duckdb" else ([event] for event in events)
    for batch in batches:
        models = {
            e.output_name: context.asset_key_for_output(e.output_name).path[-1]
            for e in batch
            if isinstance(e, dg.Output)
        }
        described = describe_models(
            staging, warehouse.settings.analytics_schema, sorted(set(models.values())), descriptions
        )
        for event in batch:
            if isinstance(event, dg.Output):
                event = event.with_metadata({**event.metadata, **described[models[event.output_name]]})
            elif isinstance(event, dg.AssetCheckResult) and event.check_name in ROW_ISSUE_CHECKS and not event.passed:
                event = _with_flagged_invoices(event, staging, warehouse.settings.analytics_schema)
            yield event


def _with_flagged_invoices(result: dg.AssetCheckResult, staging: StagingWarehouse, schema: str) -> dg.AssetCheckResult:
    """A failed row-issue check (a dbt warning) naming the invoices flagged in ``data_issues``: the first ids in
    its metadata and description."""
    count, sample = open_invoice_issues(staging, schema)
    metadata: dict[str, Any] = {
        **result.metadata,
        "flagged_invoices": count,
        "invoice_ids": dg.MetadataValue.json([i.invoice_id for i in sample]),
    }
    return dg.AssetCheckResult(
        passed=False,
        asset_key=result.asset_key,
        check_name=result.check_name,
        metadata=metadata,
        severity=result.severity,
        description=issues_description(count, sample),
    )


def _column_descriptions(spec: dg.AssetSpec) -> dict[str, str]:
    schema = spec.metadata.get("dagster/column_schema")
    return {c.name: c.description for c in schema.columns if c.description} if schema else {}


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[warehouse_dbt_models],
        resources={
            # dbt's profile folder and target are the warehouse settings' (the run rewrites the profile from its own).
            "dbt": WarehouseDbt(
                project_dir=warehouse_dbt_project(),  # type: ignore[arg-type]  # a DbtProject, as dagster-dbt documents
                dbt_executable=DBT_EXECUTABLE,
                profiles_dir=str(warehouse_settings().write_dbt_profile()),
                target=warehouse_target(),
            )
        },
    )
