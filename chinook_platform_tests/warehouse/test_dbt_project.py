"""The dbt project itself: its sources are the contract's tables, and it parses for Redshift too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from chinook_platform.lib.contract import TABLES
from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR


def test_dbt_sources_are_the_contract_tables_mapped_to_staging_assets():
    sources = yaml.safe_load((WAREHOUSE_PROJECT_DIR / "models" / "staging" / "_chinook__sources.yml").read_text())
    tables = {t["name"]: t for t in sources["sources"][0]["tables"]}
    assert list(tables) == [t.name for t in TABLES]
    for table in TABLES:
        declared = tables[table.name]
        assert declared["meta"]["dagster"]["asset_key"] == ["staging", table.name]
        assert [c["name"] for c in declared["columns"]] == [
            *(c.name for c in table.columns),
            "_load_id",
            "_loaded_at",
            "_batch_id",
        ]


def test_the_project_parses_for_redshift(tmp_path: Path):
    env = {
        **os.environ,
        "CHINOOK_WAREHOUSE_TARGET": "redshift",
        "CHINOOK_REDSHIFT_HOST": "example.invalid",
        "CHINOOK_REDSHIFT_USER": "admin",
    }
    subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "parse",
            "--project-dir",
            str(WAREHOUSE_PROJECT_DIR),
            "--profiles-dir",
            str(WAREHOUSE_PROJECT_DIR),
            "--target",
            "redshift",
            "--target-path",
            str(tmp_path),
            "--log-path",
            str(tmp_path),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "redshift"
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert {"dim_customer", "fct_invoice_line", "mart_single_customer_view"} <= models
    assert len(models) == 8 + 2 + 5 + 5 + 8  # staging, intermediate, dims and facts, marts, analysis
