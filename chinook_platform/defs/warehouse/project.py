"""The dbt project (``sql/warehouse``) as dagster-dbt sees it, built once per process.

dbt's artifacts live under ``$CHINOOK_HOME/dbt/target``, not in the source tree: one manifest per home, parsed
when missing or older than the project's files, with the same settings every build then runs with, so dbt's
partial parsing holds from run to run.
"""

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR, dbt_environment, dbt_target_path

DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
# dagster-dbt also starts `dbt` by name (@dbt_assets' own resource): make the dbt installed beside this Python
# reachable even when the virtual environment is not activated.
if Path(DBT_EXECUTABLE).exists() and str(Path(DBT_EXECUTABLE).parent) not in os.environ["PATH"].split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([str(Path(DBT_EXECUTABLE).parent), os.environ["PATH"]])

PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")


def _newest_project_file() -> float:
    newest = 0.0
    for name in PROJECT_FILES:
        path = WAREHOUSE_PROJECT_DIR / name
        paths = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def dbt_command(args: list[str], target_path: Path) -> list[str]:
    """A dbt command line on this project, its artifacts and log in ``target_path``."""
    return [
        DBT_EXECUTABLE,
        *args,
        "--project-dir",
        str(WAREHOUSE_PROJECT_DIR),
        "--profiles-dir",
        str(WAREHOUSE_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
    ]


def parse_manifest(target_path: Path) -> None:
    """``dbt parse`` into ``target_path`` with the warehouse settings every build uses."""
    target_path.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        dbt_command(["parse", "--quiet"], target_path),
        env={**os.environ, **dbt_environment()},
        check=True,
        stdout=subprocess.DEVNULL,
    )


@cache
def warehouse_dbt_project() -> DbtProject:
    """The project with this home's manifest, parsed only when missing or stale (a project file changed)."""
    target_path = dbt_target_path()
    project = DbtProject(project_dir=WAREHOUSE_PROJECT_DIR, profiles_dir=WAREHOUSE_PROJECT_DIR, target_path=target_path)
    manifest = Path(project.manifest_path)
    if not manifest.exists() or manifest.stat().st_mtime < _newest_project_file():
        parse_manifest(target_path)
    return project
