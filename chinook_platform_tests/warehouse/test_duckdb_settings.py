"""DuckDB's memory limit and threads come from the settings, for dbt's connection and the staging loads alike."""

import json
import os
import subprocess
import sys
from pathlib import Path

from chinook_platform.lib.environment import default_duckdb_memory_limit, warehouse_settings
from chinook_platform.lib.warehouse import staging_warehouse

CHINOOK = Path(sys.executable).with_name("chinook")
SETTINGS = "select current_setting('memory_limit') as memory_limit, current_setting('threads') as threads"


def dbt_sees(env: dict[str, str]) -> dict:
    shown = subprocess.run(
        [CHINOOK, "dbt", "show", "--inline", SETTINGS, "--output", "json", "--log-format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    [preview] = [json.loads(line)["data"]["preview"] for line in shown.stdout.splitlines() if '"preview"' in line]
    return json.loads(preview)[0]


def test_the_limits_set_reach_dbt_and_the_staging_connection(tmp_path, monkeypatch):
    env = {**os.environ, "CHINOOK_HOME": str(tmp_path), "CHINOOK_WAREHOUSE_TARGET": "duckdb"}
    env |= {"CHINOOK_WAREHOUSE_DUCKDB_MEMORY_LIMIT": "300MB", "CHINOOK_WAREHOUSE_DUCKDB_THREADS": "3"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    [[staging_limit, staging_threads]] = staging_warehouse(warehouse_settings()).query(SETTINGS)
    assert dbt_sees(env) == {"memory_limit": staging_limit, "threads": staging_threads}
    assert staging_threads == 3 and staging_limit == "286.1 MiB"  # DuckDB reports 300 MB in MiB


def test_by_default_duckdb_gets_a_quarter_of_the_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("CHINOOK_HOME", str(tmp_path))
    for name in (
        "CHINOOK_WAREHOUSE_DUCKDB_MEMORY_LIMIT",
        "CHINOOK_WAREHOUSE_DUCKDB_THREADS",
        "CHINOOK_WAREHOUSE_TARGET",
    ):
        monkeypatch.delenv(name, raising=False)
    physical_mib = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    assert int(default_duckdb_memory_limit().removesuffix("MB")) == max(512, int(physical_mib // 4))
    [[limit, threads]] = staging_warehouse(warehouse_settings()).query(SETTINGS)
    value, unit = limit.split()
    assert abs(float(value) * {"MiB": 1, "GiB": 1024}[unit] - physical_mib / 4 * 1e6 / 2**20) < physical_mib * 0.01
    assert threads == max(2, os.cpu_count() or 2)
