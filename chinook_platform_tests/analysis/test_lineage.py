"""The analysis assets' lineage, read from the dbt project's files without importing the warehouse layer's defs."""

from __future__ import annotations

import json
import subprocess
import sys

import dagster as dg

from chinook_platform.defs.analysis.assets import warehouse_copy
from chinook_platform.defs.warehouse.assets import warehouse_dbt_models
from chinook_platform.lib.analysis import analytics_models


def test_the_warehouse_copy_follows_every_dbt_model_outside_staging():
    models = {key for key in warehouse_dbt_models.keys if not key.path[-1].startswith("stg_")}
    assert set(warehouse_copy.dependency_keys) == models
    assert {dg.AssetKey(["warehouse", name]) for name in analytics_models()} == models


def test_a_model_file_added_to_the_project_is_one_more_analytics_model(tmp_path):
    for path in ("models/staging/stg_chinook__artist.sql", "models/marts/dim_artist.sql", "models/kpi/kpi_x.sql"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("select 1")
    assert analytics_models(tmp_path) == ["dim_artist", "kpi_x"]


def test_the_analysis_defs_import_no_other_layers_defs():
    script = (
        "import json, sys\n"
        "import chinook_platform.defs.analysis.assets\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('chinook_platform.defs.'))))\n"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(found.stdout) == [
        "chinook_platform.defs.analysis",
        "chinook_platform.defs.analysis.assets",
        "chinook_platform.defs.resources",
    ]
