"""The dbt project (``sql/warehouse``) as dagster-dbt sees it, built once per process."""

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR

DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
# dagster-dbt also starts `dbt` by name (its preparer under `dagster dev`, @dbt_assets' own resource): make the
# dbt installed beside this Python reachable even when the virtual environment is not activated.
if Path(DBT_EXECUTABLE).exists() and str(Path(DBT_EXECUTABLE).parent) not in os.environ["PATH"].split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([str(Path(DBT_EXECUTABLE).parent), os.environ["PATH"]])


@cache
def warehouse_dbt_project() -> DbtProject:
    """The project with a manifest: re-parsed under ``dagster dev``, parsed once if missing (a fresh clone)."""
    # No fixed target: profiles.yml picks it from CHINOOK_WAREHOUSE_TARGET, which the warehouse resource sets.
    project = DbtProject(project_dir=WAREHOUSE_PROJECT_DIR, profiles_dir=WAREHOUSE_PROJECT_DIR)
    project.prepare_if_dev()
    if not project.manifest_path.exists() or _changed_since_parsed(project):
        # A fresh clone, or models added or changed since the last parse (a pull, an edit): parse once with the dbt
        # installed beside this Python (it need not be on PATH).
        subprocess.run(
            [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(project.project_dir),
             "--profiles-dir", str(project.profiles_dir), "--target-path", str(project.target_path)],
            check=True,
        )
    return project


def _changed_since_parsed(project: DbtProject) -> bool:
    """True when a file dbt parses is newer than the manifest (a stale manifest lacks new models' assets)."""
    parsed = project.manifest_path.stat().st_mtime
    sources = [project.project_dir / "dbt_project.yml",
               *(f for d in ("models", "macros", "tests") for f in (project.project_dir / d).rglob("*") if f.is_file())]
    return any(f.stat().st_mtime > parsed for f in sources)
