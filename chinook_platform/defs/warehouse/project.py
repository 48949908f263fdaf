"""The dbt project (``sql/warehouse``) as dagster-dbt sees it, built once per process.

dbt's artifacts live under ``$CHINOOK_HOME/dbt/target``, not in the source tree, and its profile is the home's
``$CHINOOK_HOME/dbt/profiles.yml``, written from the warehouse settings (``WarehouseSettings.dbt_profile``): one
manifest per home, parsed when missing or older than the project's files or the profile, with the profile every
build then runs with, so dbt's partial parsing holds from run to run.
"""

import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR, warehouse_settings

# The dbt installed beside this Python, by path: found without the virtual environment on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
PROJECT_FILES = ("dbt_project.yml", "models", "macros", "tests")


def _newest_file(paths: list[Path]) -> float:
    files = [f for path in paths for f in (path.rglob("*") if path.is_dir() else [path]) if f.is_file()]
    return max(f.stat().st_mtime for f in files)


def parse_manifest(target_path: Path, profiles_dir: Path, target: str) -> None:
    """``dbt parse`` into ``target_path`` with the profile and target every build uses (dbt's partial parse holds
    only while both stay the same, the ``--target`` flag included)."""
    target_path.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            DBT_EXECUTABLE,
            "parse",
            "--quiet",
            *("--project-dir", str(WAREHOUSE_PROJECT_DIR), "--profiles-dir", str(profiles_dir), "--target", target),
            *("--target-path", str(target_path), "--log-path", str(target_path)),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


@cache
def warehouse_dbt_project() -> DbtProject:
    """The project with this home's profile and manifest, parsed only when missing or stale (a project file or
    the profile changed)."""
    settings = warehouse_settings()
    target_path = settings.dbt_target_path
    profiles_dir = settings.write_dbt_profile()
    project = DbtProject(project_dir=WAREHOUSE_PROJECT_DIR, profiles_dir=profiles_dir, target_path=target_path)
    manifest = Path(project.manifest_path)
    sources = [*(WAREHOUSE_PROJECT_DIR / name for name in PROJECT_FILES), profiles_dir / "profiles.yml"]
    if not manifest.exists() or manifest.stat().st_mtime < _newest_file(sources):
        parse_manifest(target_path, profiles_dir, settings.target)
    return project
