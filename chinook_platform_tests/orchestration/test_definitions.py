"""The whole code location loads, and its assets, checks, jobs, sensors and schedules are exactly these."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from chinook_platform.definitions import LAYER_FRESHNESS, defs
from chinook_platform.lib.contract import TABLES

LAYERS = ("landing", "oltp", "lake", "staging")
DBT_MODELS = {
    *(f"stg_chinook__{t.name}" for t in TABLES),
    "dim_customer", "dim_track", "dim_date", "fct_invoice_line", "fct_invoice",
    "mart_single_customer_view", "mart_monthly_revenue", "mart_country_sales", "mart_genre_performance",
    "mart_artist_performance",
}


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def test_asset_keys_are_every_layer_of_every_table_and_the_dbt_models(definitions):
    keys = {key.to_user_string() for key in definitions.resolve_asset_graph().get_all_asset_keys()}
    expected = {f"{layer}/{t.name}" for layer in LAYERS for t in TABLES} | {f"warehouse/{m}" for m in DBT_MODELS}
    assert keys == expected


def test_lineage_runs_unbroken_from_landing_to_the_marts(definitions):
    graph = definitions.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(["warehouse", "mart_single_customer_view"]))
    seen, frontier = set(), [upstream.key]
    while frontier:
        key = frontier.pop()
        seen.add(key)
        frontier += [parent for parent in graph.get(key).parent_keys if parent not in seen]
    assert {dg.AssetKey(["landing", name]) for name in ("customer", "invoice", "invoice_line", "track")} <= seen
    assert graph.get(dg.AssetKey(["oltp", "invoice_line"])).parent_keys == {
        dg.AssetKey(["landing", "invoice_line"]), dg.AssetKey(["oltp", "invoice"]), dg.AssetKey(["oltp", "track"])}


def test_checks_jobs_sensors_and_schedules(definitions):
    graph = definitions.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for t in TABLES:
        assert {(f"oltp/{t.name}", "landed_files_loaded"), (f"oltp/{t.name}", "quarantine_empty"),
                (f"staging/{t.name}", "reconciles_with_lake_and_oltp")} <= checks
    assert ("oltp/invoice", "invoice_totals_match_lines") in checks
    assert ("warehouse/fct_invoice_line", "revenue_matches_oltp_invoices") in checks
    assert any(asset == "warehouse/dim_customer" and name.startswith("unique") for asset, name in checks)
    assert {name for asset, name in checks if name.startswith("freshness")} != set()
    assert {s.name for s in definitions.resolve_all_job_defs()} >= {"full_refresh", "__ASSET_JOB"}
    assert {s.name for s in definitions.sensors} == {"landing_sensor", "freshness_checks_sensor", "chinook_automation"}
    assert {s.name for s in definitions.schedules} == {"daily_full_refresh"}


def test_every_check_that_reads_the_warehouse_waits_for_the_warehouse_pool(definitions):
    """DuckDB takes one process at a time: a check outside the pool fails while a warehouse run writes."""
    readers = [c for c in definitions.asset_checks if "warehouse" in c.required_resource_keys]
    assert len(readers) == len(TABLES) + 2
    for check in readers:
        assert check.node_def.pool == "chinook_warehouse", [k.name for k in check.check_keys]


def test_every_layer_has_its_freshness_policy_and_later_layers_automate(definitions):
    for node in definitions.resolve_asset_graph().asset_nodes:
        assert node.group_name in LAYER_FRESHNESS, node.key
        assert node.freshness_policy == LAYER_FRESHNESS[node.group_name], node.key
        assert (node.automation_condition is not None) == (node.group_name != "landing"), node.key
        assert node.description, f"{node.key} has no description"


def test_every_asset_has_an_owner_and_a_link_to_its_code(definitions):
    for node in definitions.resolve_asset_graph().asset_nodes:
        assert "team:chinook-platform" in node.owners, node.key
        references = node.metadata["dagster/code_references"].code_references
        assert references and all(Path(r.file_path).exists() for r in references), node.key
