"""``chinook``'s commands for the project's own files and tools: dbt on the warehouse project and its docs, the
contract and what is generated from it (the OLTP DDL, the dbt sources), and a deployment's ``.env``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


def _dbt(args: list[str]) -> int:
    """dbt on the warehouse project (``sql/warehouse``) with this home's profile, target folder and log."""
    import subprocess

    from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR, warehouse_settings

    settings = warehouse_settings()
    target = settings.dbt_target_path
    target.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        "DBT_PROJECT_DIR": str(WAREHOUSE_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(settings.write_dbt_profile()),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
    }
    return subprocess.run([str(Path(sys.executable).with_name("dbt")), *args], env=environment, check=False).returncode


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def dbt(args: tuple[str, ...]) -> None:
    """Run dbt on the warehouse project with this home's settings, e.g. `chinook dbt debug`.

    The project is sql/warehouse; the profile (written from the warehouse settings) and the target folder are this
    CHINOOK_HOME's, from any working directory.
    """
    raise SystemExit(_dbt([*args]))


@click.command()
def docs() -> None:
    """Generate dbt's documentation site for the warehouse and say where it is."""
    from chinook_platform.lib.environment import warehouse_settings

    status = _dbt(["docs", "generate", "--quiet"])
    if status:
        raise SystemExit(status)
    site = warehouse_settings().dbt_target_path / "index.html"
    click.echo(f"dbt docs: {site} (to browse it: chinook dbt docs serve --port 8081)")


@click.command()
def contract() -> None:
    """Print the CSV table contract as a Markdown table."""
    from chinook_platform.lib.contract import contract_markdown

    click.echo(contract_markdown())


@click.command()
@click.option(
    "--from-terraform",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default="terraform",
    show_default=True,
    help="The Terraform root whose `terraform output -json` describes the deployment.",
)
@click.option(
    "--through-ssm-tunnels",
    is_flag=True,
    help="Point the databases at the local ends of the bastion's SSM port forwards (from a laptop).",
)
def env(directory: Path, through_ssm_tunnels: bool) -> None:
    """Print the complete .env for a deployment: every setting the code location reads, secrets as ARNs."""
    from chinook_platform.lib.terraform_env import env_from_terraform

    click.echo(env_from_terraform(directory, through_ssm_tunnels), nl=False)


@click.command("schema-sql")
def schema_sql() -> None:
    """Print the PostgreSQL DDL of the OLTP schema."""
    from chinook_platform.lib.oltp import render_postgres_ddl

    sys.stdout.write(render_postgres_ddl())


@click.command("dbt-sources")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a committed file differs from the contract.")
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: sql/warehouse.")
def dbt_sources(check: bool, project_dir: Path | None) -> None:
    """Write the dbt project's sources and type casts from the table contract."""
    from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR, generated_is_current, write_generated
    from chinook_platform.lib.warehouse.dbt_sources import generated_files

    files = generated_files(project_dir or WAREHOUSE_PROJECT_DIR)
    stale = [path for path, text in files.items() if not generated_is_current(path, text)]
    if check:
        for path in stale:
            click.echo(f"stale: {path} (run `make dbt-sources`)", err=True)
        raise SystemExit(1 if stale else 0)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_generated(path, text)
        click.echo(f"{'wrote' if path in stale else 'unchanged'} {path}")


def _dagster_environment() -> dict[str, str]:
    """This process's environment with DAGSTER_HOME made absolute (Dagster refuses a relative one): the home's
    instance folder unless DAGSTER_HOME is set, its dagster.yaml written."""
    from chinook_platform.lib.orchestration.home import ensure_dagster_home

    ensure_dagster_home()
    return dict(os.environ)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def dagster(args: tuple[str, ...]) -> None:
    """Run Dagster's CLI on this home's instance, e.g. `chinook dagster run list`.

    DAGSTER_HOME is $CHINOOK_HOME/dagster (absolute) unless it is set.
    """
    import subprocess

    from chinook_platform.lib.orchestration.dev_server import dagster_command

    environment = _dagster_environment()
    raise SystemExit(subprocess.run(dagster_command(*args), env=environment, check=False).returncode)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The webserver's address.")
@click.option("--port", type=int, default=3000, show_default=True, help="The webserver's port.")
def dev(host: str, port: int) -> None:
    """The Dagster UI, daemon (sensors, automation, schedules) and code server for this home (`make dev`).

    Ctrl-C or SIGTERM stops all of it within seconds (exit 130), leaving no process behind.
    """
    from chinook_platform.lib.orchestration.dev_server import WORKSPACE, dagster_command, serve

    environment = _dagster_environment()
    command = dagster_command("dev", "-w", str(WORKSPACE), "-h", host, "-p", str(port))
    click.echo(f"Dagster UI at http://{host}:{port} (instance: {environment['DAGSTER_HOME']}); Ctrl-C stops it")
    raise SystemExit(serve(command, environment))
