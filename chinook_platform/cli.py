"""``chinook``: the platform's command line (generate data, land files, run the pipeline, show status)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm


def _generate(args: argparse.Namespace) -> int:
    if args.next_days:
        return _generate_next_days(args)
    from chinook_platform.lib.generator import generate

    counts = generate(Path(args.out), scale=args.scale, seed=args.seed, daily=args.daily, progress=True)
    for name, count in counts.items():
        print(f"{name:<12} {count:>12,}")
    return 0


def _generate_next_days(args: argparse.Namespace) -> int:
    from chinook_platform.lib import next_days

    if args.after == "oltp":
        from chinook_platform.defs.resources import resolved_resource

        with resolved_resource("oltp") as oltp:
            existing = next_days.existing_sales_in_oltp(oltp.engine())
    else:
        existing = next_days.existing_sales_in_folder(Path(args.after))
    counts = next_days.generate_next_days(existing, Path(args.out), args.next_days, seed=args.seed)
    print(f"{args.next_days} day(s) after {existing.last_day} into {args.out}: {counts['Invoice']} invoice(s) "
          f"from id {existing.last_invoice_id + 1}, {counts['InvoiceLine']} line(s)")
    return 0


def _land(args: argparse.Namespace) -> int:
    from chinook_platform.defs.resources import resolved_resource
    from chinook_platform.lib.landing_zone import classify, iter_csv_files, landing_zone_at

    source = Path(args.source)
    with resolved_resource("landing_zone") as landing:
        url = args.to or landing.url
        zone = landing_zone_at(url, landing.s3_client() if url.startswith("s3://") else None)
    files = list(iter_csv_files(source))
    if not files:
        print(f"no CSV files under {source}", file=sys.stderr)
        return 1
    for path in tqdm(files, desc=f"landing into {zone.url}", unit="file", disable=None):
        key = path.relative_to(source).as_posix()
        target = classify(key)
        if isinstance(target, str):
            tqdm.write(f"warning: {target}", file=sys.stderr)
        zone.upload(path, key)
    print(f"landed {len(files)} file(s) into {zone.url}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from chinook_platform.lib.dagster_home import ensure_dagster_home

    if args.source:
        status = _land(argparse.Namespace(source=args.source, to=None))
        if status:
            return status
    dagster_home = ensure_dagster_home()
    import dagster as dg

    from chinook_platform.definitions import defs

    definitions = defs()
    job = definitions.resolve_implicit_global_asset_job_def()
    selection = dg.AssetSelection.from_coercible(args.select or "*")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            asset_selection=list(selection.resolve(definitions.resolve_asset_graph())),
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            raise_on_error=False,
        )
    _summary(argparse.Namespace())
    outcome = "succeeded" if result.success else "FAILED"
    print(f"\ndagster run {result.run_id} {outcome}; history in {dagster_home} (browse it with `make dev`)")
    return 0 if result.success else 1


def _summary(_args: argparse.Namespace) -> int:
    from chinook_platform.defs.resources import resolved_resource
    from chinook_platform.lib import oltp_status
    from chinook_platform.lib.contract import TABLES

    with resolved_resource("oltp") as oltp:
        engine = oltp.engine()
    with engine.connect() as conn:
        counts = {t.name: oltp_status.row_count(conn, t) for t in TABLES}
        quarantined = oltp_status.open_quarantine_counts(conn)
        rejected = oltp_status.rejected_files(conn)
    print(f"\nOLTP database: {engine.url.render_as_string(hide_password=True)}")
    print(f"{'table':<14}{'rows':>10}{'quarantined':>13}{'awaiting parent':>17}")
    for t in TABLES:
        print(f"{t.name:<14}{counts[t.name]:>10,}{quarantined.get((t.name, 'rejected'), 0):>13,}"
              f"{quarantined.get((t.name, 'awaiting_parent'), 0):>17,}")
    for r in rejected:
        print(f"rejected file: {r['source_file']}: {r['error']}")
    return 0


def _schema_sql(_args: argparse.Namespace) -> int:
    from chinook_platform.lib.oltp_schema import render_postgres_ddl

    sys.stdout.write(render_postgres_ddl())
    return 0


def _contract(_args: argparse.Namespace) -> int:
    from chinook_platform.lib.contract import contract_markdown

    print(contract_markdown())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chinook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write the Chinook tables as CSVs at any scale")
    generate.add_argument("--scale", type=float, default=1.0, help="1 = Chinook's own row counts (default)")
    generate.add_argument("--out", required=True, help="output folder")
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--daily", action="store_true", help="split invoices and lines into one file per day")
    generate.add_argument("--next-days", type=int, default=0, metavar="N",
                          help="instead: N new days of sales after the data in --after, one file per day")
    generate.add_argument("--after", default="oltp",
                          help="with --next-days: a folder of Chinook CSVs, or 'oltp' for the OLTP database (default)")
    generate.set_defaults(handler=_generate)

    land = commands.add_parser("land", help="copy a folder of CSVs into the landing zone")
    land.add_argument("source", help="folder of CSV files (e.g. data/)")
    land.add_argument("--to", help="landing zone (default: $CHINOOK_LANDING_URL or .chinook/landing)")
    land.set_defaults(handler=_land)

    run = commands.add_parser("run", help="land a folder (optional) and materialize the asset graph")
    run.add_argument("--source", help="land this folder first (e.g. data/)")
    run.add_argument("--select", help="asset selection (default: everything)")
    run.set_defaults(handler=_run)

    summary = commands.add_parser("summary", help="rows per table, quarantine and rejected files")
    summary.set_defaults(handler=_summary)

    contract = commands.add_parser("contract", help="print the CSV table contract as a Markdown table")
    contract.set_defaults(handler=_contract)

    schema_sql = commands.add_parser("schema-sql", help="print the PostgreSQL DDL of the OLTP schema")
    schema_sql.set_defaults(handler=_schema_sql)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
