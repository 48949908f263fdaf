"""``chinook lake``: the lake's Iceberg history and time travel, read through the lake's settings."""

from __future__ import annotations

import sys

import click


def _store():  # noqa: ANN202
    from chinook_platform.lib.environment import settings
    from chinook_platform.lib.lake import LakeStore

    chinook = settings()
    return LakeStore(chinook.lake_url, chinook.lake_catalog_url, chinook.s3_endpoint_url or None, chinook.s3_region)


def _table(name: str):  # noqa: ANN202
    from chinook_platform.lib.contract import table

    try:
        return table(name)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="TABLE") from None


@click.group()
def lake() -> None:
    """The lake's Apache Iceberg tables: snapshots and time travel."""


@lake.command("history")
@click.argument("table_name", metavar="TABLE")
def history_command(table_name: str) -> None:
    """List TABLE's snapshots, oldest first: id, time, rows added, OLTP load ids."""
    click.echo(f"{'snapshot_id':<20} {'committed_at (UTC)':<29} {'rows_added':>10}  load_ids")
    for batch in _store().batches(_table(table_name)):
        loads = ",".join(map(str, batch.load_ids))
        click.echo(f"{batch.snapshot_id:<20} {batch.extracted_at:<29} {batch.rows:>10,}  {loads}")


@lake.command("show")
@click.argument("table_name", metavar="TABLE")
@click.option("--as-of", "as_of", required=True, metavar="TIME|SNAPSHOT", help="A snapshot id or an ISO time (UTC).")
def show_command(table_name: str, as_of: str) -> None:
    """Print TABLE as it was at a snapshot or a moment, as CSV."""
    import pyarrow.csv as pacsv

    from chinook_platform.lib.lake import read_as_of

    try:
        rows = read_as_of(_store(), _table(table_name), as_of)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--as-of") from None
    pacsv.write_csv(rows, sys.stdout.buffer)
