"""The dbt project itself: its sources are the contract's tables, and it parses for Redshift too."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from chinook_platform.lib.contract import TABLES
from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR
from chinook_platform.lib.warehouse.dbt_sources import generated_files


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


def test_the_committed_sources_and_casts_are_the_contract_s():
    for path, text in generated_files().items():
        assert path.read_text() == text, f"stale: {path.name}; run `make dbt-sources` and commit the result"


def test_no_model_spells_a_contract_type_by_hand():
    """Casts to a contract type go through contract_type(), the generated macro."""
    models = (WAREHOUSE_PROJECT_DIR / "models").rglob("*.sql")
    spelled = [p.name for p in models if re.search(r"numeric\(\s*10\s*,\s*2\s*\)|decimal\(", p.read_text())]
    assert spelled == []


def test_dbt_sources_check_says_whether_the_files_are_stale(tmp_path: Path):
    def dbt_sources(*args: str) -> subprocess.CompletedProcess:
        command = [Path(sys.executable).with_name("chinook"), "dbt-sources", "--project-dir", tmp_path, *args]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    missing = dbt_sources("--check")
    assert missing.returncode == 1 and "stale:" in missing.stderr and "_chinook__sources.yml" in missing.stderr
    assert not any(tmp_path.iterdir()), "--check wrote a file"
    assert dbt_sources().returncode == 0
    assert dbt_sources("--check").returncode == 0
    [macro] = tmp_path.glob("macros/*.sql")
    macro.write_text(macro.read_text().replace("numeric(10, 2)", "float"))
    assert dbt_sources("--check").returncode == 1


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
    assert len(models) == 8 + 2 + 5 + 6 + 9  # staging, intermediate, dims and facts, marts and data_issues, analysis
