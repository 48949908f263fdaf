"""Helpers for warehouse tests that need staging loaded and dbt run without Dagster: CSVs through a SQLite OLTP
database and a folder lake into a staging warehouse (as a run stages them), and dbt on the same settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from chinook_platform.lib.contract import TABLES
from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR, WarehouseSettings
from chinook_platform.lib.lake import LakeStore
from chinook_platform.lib.oltp import create_oltp_engine, load_landed_file
from chinook_platform.lib.warehouse import StagingWarehouse, load_new_batches


def stage_csvs(csvs: Path, work: Path, staging: StagingWarehouse) -> None:
    """Load the eight CSVs of ``csvs`` into a new SQLite OLTP database, extract them to a lake and stage them."""
    oltp, lake = (
        create_oltp_engine(f"sqlite:///{work / 'oltp.sqlite'}"),
        LakeStore(str(work / "lake"), f"sqlite:///{work / 'lake_catalog.sqlite'}"),
    )
    for table in TABLES:
        path = csvs / f"{table.csv_name}.csv"
        load_landed_file(oltp, table, str(path), "v1", lambda p=path: p.open("rb"))
        lake.extract(oltp, table)
        stream, uri = (lambda b, t=table: lake.stream(t, b)), (lambda b, t=table: lake.uri(t, b))
        load_new_batches(staging, table, lake.batches(table), stream, uri)
    oltp.dispose()


def run_dbt(arguments: list[str], settings: WarehouseSettings, work: Path) -> Path:
    """Run dbt on the project with these settings (its artifacts in ``work/target``); returns the target folder."""
    common = ["--project-dir", str(WAREHOUSE_PROJECT_DIR), "--profiles-dir", str(settings.write_dbt_profile(work))]
    common += ["--target-path", str(work / "target"), "--log-path", str(work)]
    env = {**os.environ, "CHINOOK_STAGING_SCHEMA": settings.staging_schema}  # the generated sources read it
    dbt = str(Path(sys.executable).with_name("dbt"))
    done = subprocess.run([dbt, "--quiet", *arguments, *common], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return work / "target"
