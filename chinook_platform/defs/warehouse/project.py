"""The dbt project (``sql/warehouse``) as dagster-dbt sees it, built once per process."""

from functools import cache

from dagster_dbt import DbtProject

from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR


@cache
def warehouse_dbt_project() -> DbtProject:
    """The project with a manifest: re-parsed under ``dagster dev``, parsed once if missing (a fresh clone)."""
    # No fixed target: profiles.yml picks it from CHINOOK_WAREHOUSE_TARGET, which the warehouse resource sets.
    project = DbtProject(project_dir=WAREHOUSE_PROJECT_DIR, profiles_dir=WAREHOUSE_PROJECT_DIR)
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        project.preparer.prepare(project)
    return project
