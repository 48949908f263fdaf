"""``chinook``: the platform's command line (generate data, land files, run the pipeline, show status, dbt).

Only ``run`` (and ``dbt``/``docs``) import Dagster or dbt; every other command reads its settings from the
environment directly and starts in a fraction of a second.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chinook_platform.console.exit_codes import (
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUN_FAILED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)


class UnavailableError(click.ClickException):
    """A service or file the command needs is not there: one line naming the cause and the fix."""

    exit_code = EXIT_UNAVAILABLE


class BadSettingError(click.ClickException):
    """A variable holds a value its setting cannot take: a usage error, named with its variable."""

    exit_code = EXIT_USAGE


class ChinookGroup(click.Group):
    """Turns the errors a user can fix into one line (``--debug`` shows the traceback)."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as error:
            if ctx.meta.get("chinook.debug"):
                raise
            from chinook_platform.lib.errors import explain_exception, settings_error_in

            bad_setting = settings_error_in(error)
            if bad_setting:
                raise BadSettingError(str(bad_setting)) from error
            explanation = explain_exception(error)
            if explanation:
                raise UnavailableError(explanation) from error
            click.echo(f"Error: {type(error).__name__}: {error}".splitlines()[0], err=True)
            click.echo("(run `chinook --debug ...` for the traceback)", err=True)
            ctx.exit(EXIT_RUN_FAILED)


@click.group(
    cls=ChinookGroup,
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)
@click.version_option(package_name="chinook_platform", prog_name="chinook")
@click.option("--debug", is_flag=True, envvar="CHINOOK_DEBUG", help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Chinook Platform: generate Chinook data, land it, run the pipeline, show what loaded.

    \b
    Settings come from the environment (see .env.example); state lives under $CHINOOK_HOME (.chinook).
    Shell completion: eval "$(_CHINOOK_COMPLETE=bash_source chinook)" (zsh_source, fish_source).
    """
    ctx.meta["chinook.debug"] = debug


@cli.command()
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Scale factor; 1 = Chinook's own row counts (must be positive).",
)
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--daily", is_flag=True, help="Split invoices and their lines into one file per day.")
@click.option(
    "--next-days",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Instead: N new days of sales after the data in --after, one file per day.",
)
@click.option(
    "--after",
    default="oltp",
    show_default=True,
    help="With --next-days: a folder of Chinook CSVs, or 'oltp' for the OLTP database.",
)
def generate(scale: float, out: Path, seed: int, daily: bool, next_days: int, after: str) -> None:
    """Write the Chinook tables as CSVs at any scale (or the next days of sales)."""
    if next_days:
        _generate_next_days(out, next_days, after, seed)
        return
    from chinook_platform.lib.generator import generate as generate_tables

    counts = generate_tables(out, scale=scale, seed=seed, daily=daily, progress=True)
    for name, count in counts.items():
        click.echo(f"{name:<12} {count:>12,}")


def _generate_next_days(out: Path, days: int, after: str, seed: int) -> None:
    from chinook_platform.lib import next_days

    if after == "oltp":
        from chinook_platform.lib.environment import settings
        from chinook_platform.lib.oltp import create_oltp_engine

        chinook = settings()
        engine = create_oltp_engine(chinook.oltp_url, schema=chinook.oltp_schema)
        existing = next_days.existing_sales_in_oltp(engine)
        engine.dispose()
    else:
        existing = next_days.existing_sales_in_folder(Path(after))
    counts = next_days.generate_next_days(existing, out, days, seed=seed)
    click.echo(
        f"{days} day(s) after {existing.last_day} into {out}: {counts['Invoice']} invoice(s) "
        f"from id {existing.last_invoice_id + 1}, {counts['InvoiceLine']} line(s)"
    )


def land_folder(source: Path, to: str | None) -> int:
    """Copy a folder's CSVs into the landing zone, with a progress bar in bytes; returns the files landed."""
    from tqdm import tqdm

    from chinook_platform.lib import environment
    from chinook_platform.lib.landing import classify, iter_csv_files, landing_zone_at
    from chinook_platform.lib.s3 import s3_client_from_settings

    url = to or environment.settings().landing_url
    zone = landing_zone_at(url, s3_client_from_settings() if url.startswith("s3://") else None)
    files = list(iter_csv_files(source))
    if not files:
        raise click.UsageError(f"no CSV files under {source}: point at a folder of Chinook CSVs, e.g. data/")
    with tqdm(
        total=sum(p.stat().st_size for p in files),
        desc=f"landing into {zone.url}",
        unit="B",
        unit_scale=True,
        disable=None,
        file=sys.stderr,
    ) as progress:
        for path in files:
            key = path.relative_to(source).as_posix()
            target = classify(key)
            if isinstance(target, str):
                tqdm.write(f"warning: {target}", file=sys.stderr)
            zone.upload(path, key)
            progress.update(path.stat().st_size)
    click.echo(f"landed {len(files)} file(s) into {zone.url}")
    return len(files)


@cli.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--to", help="Landing zone (default: $CHINOOK_LANDING_URL or $CHINOOK_HOME/landing).")
def land(source: Path, to: str | None) -> None:
    """Copy a folder of CSVs into the landing zone."""
    land_folder(source, to)


@cli.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Land this folder first (e.g. data/).",
)
@click.option(
    "--select",
    help="Asset selection, e.g. 'oltp/invoice+' or 'group:marts' (default: the landing and "
    "OLTP layers, then every asset their changes reach).",
)
@click.option("--all", "everything", is_flag=True, help="Materialize every asset, changed or not.")
@click.option(
    "--fail-on",
    type=click.Choice(["rejected", "quarantine", "never"]),
    default="rejected",
    show_default=True,
    help="Bad input that makes the exit code 4: a rejected file, also quarantined rows, or never.",
)
@click.option("-v", "--verbose", is_flag=True, help="Print Dagster's and dbt's full logs (default: to a log file).")
def run(source: Path | None, select: str | None, everything: bool, fail_on: str, verbose: bool) -> None:
    """Land a folder (optional) and materialize the asset graph, printing one line per asset and a summary.

    By default the landing and OLTP layers load what landed, and then only the assets downstream of tables whose
    rows changed are built (everything on the first run): an unchanged run costs its loads alone.
    """
    from chinook_platform.lib import preflight

    if select and everything:
        raise click.UsageError("--select and --all exclude each other")
    if source:
        land_folder(source, None)
    preflight.check_services()
    from chinook_platform.console import run as run_console

    raise SystemExit(run_console.run_pipeline(select=select, fail_on=fail_on, verbose=verbose, everything=everything))


@cli.command()
def summary() -> None:
    """Rows per OLTP table, open quarantine, files not loaded, and the headline KPIs."""
    from chinook_platform.lib.analysis import headline_report
    from chinook_platform.lib.environment import settings
    from chinook_platform.lib.oltp import create_oltp_engine
    from chinook_platform.lib.oltp import status as oltp_status

    chinook = settings()
    engine = create_oltp_engine(chinook.oltp_url, schema=chinook.oltp_schema)
    try:
        for line in [*oltp_status.summary_lines(engine), *headline_report()]:
            click.echo(line)
    finally:
        engine.dispose()


from chinook_platform.console.lake import lake  # noqa: E402
from chinook_platform.console.tools import contract, dagster, dbt, dbt_sources, dev, docs, env, schema_sql  # noqa: E402

for command in (dbt, docs, dev, dagster, contract, env, schema_sql, dbt_sources, lake):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """The ``chinook`` entry point; returns the exit code."""
    try:
        cli.main(args=argv, prog_name="chinook", standalone_mode=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
