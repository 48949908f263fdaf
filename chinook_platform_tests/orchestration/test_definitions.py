"""The whole code location loads, and its assets, checks, jobs, sensors and schedules are exactly these."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from chinook_platform.definitions import LAYER_FRESHNESS, defs
from chinook_platform.defs.warehouse.project import warehouse_dbt_project
from chinook_platform.lib.contract import TABLES

LAYERS = ("landing", "oltp", "lake", "staging")
DBT_MODELS = {
    *(f"stg_chinook__{t.name}" for t in TABLES),
    "int_genre__current",
    "int_media_type__current",
    "dim_customer",
    "dim_track",
    "dim_date",
    "fct_invoice_line",
    "fct_invoice",
    "data_issues",
    "mart_single_customer_view",
    "mart_monthly_revenue",
    "mart_country_sales",
    "mart_genre_performance",
    "mart_artist_performance",
    "kpi_monthly_revenue",
    "kpi_top_customers",
    "kpi_genre_sales",
    "kpi_artist_sales",
    "kpi_media_type_sales",
    "kpi_country_sales",
    "kpi_customer_segments",
    "kpi_headline",
    "kpi_data_issues",
}
CHARTS = {
    "monthly_revenue",
    "top_customers",
    "genre_sales",
    "artist_sales",
    "media_type_sales",
    "country_sales",
    "customer_segments",
}
ANALYSIS = {*CHARTS, "dashboard", "warehouse_copy"}


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def test_asset_keys_are_every_layer_of_every_table_and_the_dbt_models(definitions):
    keys = {key.to_user_string() for key in definitions.resolve_asset_graph().get_all_asset_keys()}
    expected = {f"{layer}/{t.name}" for layer in LAYERS for t in TABLES} | {f"warehouse/{m}" for m in DBT_MODELS}
    assert keys == expected | {f"analysis/{a}" for a in ANALYSIS}


def test_charts_follow_the_dbt_kpi_models_and_read_in_the_warehouse_pool(definitions):
    graph = definitions.resolve_asset_graph()
    for name in ANALYSIS:
        node = graph.get(dg.AssetKey(["analysis", name]))
        assert node.group_name == "analysis" and node.pools == {"chinook_warehouse"}, name
        for parent in node.parent_keys:
            assert graph.get(parent).is_materializable, f"{name} depends on {parent}, which nothing builds"
    for name in CHARTS:
        [parent] = graph.get(dg.AssetKey(["analysis", name])).parent_keys
        assert parent.path[0] == "warehouse" and parent.path[1].startswith("kpi_")
        assert graph.get(parent).group_name == "analysis"
    dashboard = graph.get(dg.AssetKey(["analysis", "dashboard"]))
    assert {dg.AssetKey(["analysis", c]) for c in CHARTS} < dashboard.parent_keys


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
        dg.AssetKey(["landing", "invoice_line"]),
        dg.AssetKey(["oltp", "invoice"]),
        dg.AssetKey(["oltp", "track"]),
    }


def test_checks_jobs_sensors_and_schedules(definitions):
    graph = definitions.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for t in TABLES:
        assert {
            (f"oltp/{t.name}", "landed_files_loaded"),
            (f"oltp/{t.name}", "quarantine_empty"),
            (f"staging/{t.name}", "reconciles_with_lake_and_oltp"),
        } <= checks
    assert ("oltp/invoice", "invoice_totals_match_lines") in checks
    assert ("warehouse/fct_invoice_line", "revenue_matches_oltp_invoices") in checks
    assert any(asset == "warehouse/dim_customer" and name.startswith("unique") for asset, name in checks)
    assert {name for asset, name in checks if "freshness" in name} == set()  # one mechanism: the policies
    assert {s.name for s in definitions.resolve_all_job_defs()} >= {"full_refresh", "lake_maintenance", "__ASSET_JOB"}
    assert {s.name for s in definitions.sensors} == {
        "landing_sensor",
        "oltp_changes_sensor",
        "chinook_automation",
        "chinook_run_failure_alerts",
    }
    assert {s.name for s in definitions.schedules} == {"daily_full_refresh", "daily_lake_maintenance"}


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


def test_every_dbt_test_is_exactly_one_asset_check_of_an_asset_that_exists(definitions):
    graph = definitions.resolve_asset_graph()
    manifest = json.loads(warehouse_dbt_project().manifest_path.read_text())
    tests = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "test"}
    dbt_checks = [key for key in graph.asset_check_keys if key.name in tests]
    assert sorted(key.name for key in dbt_checks) == sorted(tests)  # every test, each once
    owned = graph.get_all_asset_keys()
    assert {key.asset_key for key in graph.asset_check_keys} <= owned
    assert {parent for node in graph.asset_nodes for parent in node.parent_keys} <= owned
    sources = [key for key in dbt_checks if key.name.startswith("source_")]
    assert sources and {key.asset_key.path[0] for key in sources} == {"staging"}
