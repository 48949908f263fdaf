"""OLTP: one asset per Chinook table, loaded from the landing zone into the normalized database."""

from typing import Any

import dagster as dg
import sqlalchemy as sa

from chinook_platform.defs.resources import LandingZoneResource, OltpDatabase
from chinook_platform.lib.contract import TABLES, Table
from chinook_platform.lib.environment import oltp_kind
from chinook_platform.lib.landing import LandedFile
from chinook_platform.lib.oltp import LoadResult, load_pending, pending_files
from chinook_platform.lib.oltp import status as oltp_status

OLTP_POOL = "chinook_oltp"  # one writer at a time: SQLite (the default) allows no concurrent writers
# Files logged one line each; beyond, one line says how many more (every file is in the `loads` table, and each
# line is an event Dagster writes: a backlog of daily files would otherwise log thousands).
LOGGED_FILES = 20


def _records_table(rows: list[dict[str, Any]]) -> dg.MetadataValue:
    columns = list(rows[0]) if rows else []
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord({k: (v if isinstance(v, int | float | bool) or v is None else str(v)) for k, v in r.items()})
            for r in rows
        ],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in columns]),
    )


def _load_metadata(results: list[LoadResult]) -> dict[str, Any]:
    files = [r for r in results if r.status != "retried"]
    return {
        "files_loaded": sum(r.status == "loaded" for r in files),
        "files_rejected": sum(r.status == "rejected" for r in files),
        "files_failed": sum(r.status == "failed" for r in files),
        "files_unchanged": sum(r.status == "unchanged" for r in files),
        "rows_read": sum(r.rows_read for r in files),
        "rows_inserted": sum(r.rows_inserted for r in results),
        "rows_updated": sum(r.rows_updated for r in results),
        "rows_unchanged": sum(r.rows_unchanged for r in files),
        "rows_quarantined": sum(r.rows_quarantined for r in files),
        "rows_resolved_from_quarantine": sum(r.rows_resolved for r in results),
    }


def _outcome_line(key: str, result: LoadResult) -> str:
    if result.status == "unchanged":
        return f"{key}: unchanged" + (f" (same content as {result.same_content_as})" if result.same_content_as else "")
    if result.status == "skipped":
        return f"{key}: skipped (another run recorded this version first)"
    return (
        f"{key}: read {result.rows_read}, inserted {result.rows_inserted}, updated {result.rows_updated}, "
        f"unchanged {result.rows_unchanged}, quarantined {result.rows_quarantined}"
    )


def _materialization(engine: sa.Engine, table: Table, results: list[LoadResult]) -> dg.MaterializeResult:
    """What the table holds after its loads, and what each load did."""
    with engine.connect() as conn:
        count = oltp_status.row_count(conn, table)
        open_quarantine = sum(oltp_status.open_quarantine_counts(conn, table).values())
        rows = oltp_status.preview(conn, table)
        latest_load = oltp_status.latest_load_id(conn, table)
    return dg.MaterializeResult(
        # Moves only when a load inserted or changed rows: a load that changed nothing leaves the layers
        # below alone (their automation reacts to data versions, not to runs).
        data_version=dg.DataVersion(f"load-{latest_load}"),
        metadata={
            "dagster/row_count": count,
            **_load_metadata(results),
            "quarantine_open": open_quarantine,
            "latest_load_id": latest_load,
            "loads": _records_table(
                [
                    {
                        "file": r.source_file,
                        "status": r.status,
                        "read": r.rows_read,
                        "inserted": r.rows_inserted,
                        "updated": r.rows_updated,
                        "unchanged": r.rows_unchanged,
                        "quarantined": r.rows_quarantined,
                        "error": r.error,
                    }
                    for r in results
                ]
            ),
            "preview": _records_table(rows),
        },
    )


def build_oltp_asset(table: Table) -> dg.AssetsDefinition:
    @dg.asset(
        key=["oltp", table.name],
        deps=[["landing", table.name], *(["oltp", parent] for parent in table.parents)],
        group_name="oltp",
        kinds={oltp_kind(), "sql"},
        pool=OLTP_POOL,
        description=(
            f"{table.description} The `{table.name}` table of the OLTP database, loaded from the landed "
            f"{table.csv_name} files: validated row by row, upserted by `{table.pk.name}` in one transaction "
            "per file; bad rows go to the `quarantine` table, rows awaiting a parent are retried on every run."
        ),
        metadata={"primary_key": table.pk.name},
    )
    def oltp_table(
        context: dg.AssetExecutionContext, oltp: OltpDatabase, landing_zone: LandingZoneResource
    ) -> dg.MaterializeResult:
        engine = oltp.engine()
        zone = landing_zone.zone()
        pending = pending_files(engine, table, zone)
        context.log.info(f"{len(pending)} new or changed {table.csv_name} file(s) to load")

        def log_outcome(number: int, landed: LandedFile, result: LoadResult) -> None:
            if result.status in ("rejected", "failed"):  # recorded in load_log; the other files still load
                context.log.error(f"{result.source_file}: {result.status}: {result.error}")
                return
            if number <= LOGGED_FILES:
                context.log.info(_outcome_line(landed.key, result))
            if result.dropped_columns:
                context.log.warning(f"{landed.key}: dropped columns outside the contract: {result.dropped_columns}")

        results = load_pending(engine, table, zone, pending, on_loaded=log_outcome)
        if len(pending) > LOGGED_FILES:
            context.log.info(
                f"and {len(pending) - LOGGED_FILES} more file(s): each is in this materialization's `loads`"
            )
        if results and results[-1].status == "retried":
            context.log.info(f"{results[-1].rows_resolved} quarantined row(s) loaded now that their parent exists")
        return _materialization(engine, table, results)

    return oltp_table


oltp_assets = [build_oltp_asset(t) for t in TABLES]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=oltp_assets)
