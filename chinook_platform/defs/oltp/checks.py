"""Data-quality checks on the OLTP tables: landed files all readable, quarantine empty, invoice totals."""

import dagster as dg
import sqlalchemy as sa

from chinook_platform.defs.resources import OltpDatabase
from chinook_platform.lib.contract import TABLES, Table
from chinook_platform.lib.oltp import CONTRACT_TABLES
from chinook_platform.lib.oltp import status as oltp_status


def build_landed_files_loaded_check(table: Table) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["oltp", table.name]),
        name="landed_files_loaded",
        description=f"Every landed {table.csv_name} file was readable as the table and loaded (none rejected whole, "
        "none failed).",
    )
    def landed_files_loaded(oltp: OltpDatabase) -> dg.AssetCheckResult:
        with oltp.engine().connect() as conn:
            rejected = oltp_status.rejected_files(conn, table)
        return dg.AssetCheckResult(
            passed=not rejected,
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(
                f"{r['source_file']}: {'' if r['status'] == 'rejected' else 'load failed: '}{r['error']}"
                for r in rejected
            )
            or None,
            metadata={
                "rejected_files": sum(r["status"] == "rejected" for r in rejected),
                "failed_files": sum(r["status"] == "failed" for r in rejected),
            },
        )

    return landed_files_loaded


def build_quarantine_empty_check(table: Table) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["oltp", table.name]),
        name="quarantine_empty",
        description=f"No {table.csv_name} row is waiting in quarantine (rejected, or awaiting its parent).",
    )
    def quarantine_empty(oltp: OltpDatabase) -> dg.AssetCheckResult:
        with oltp.engine().connect() as conn:
            counts = oltp_status.open_quarantine_counts(conn, table)
            sample = oltp_status.open_quarantine_sample(conn, table, limit=5)
        total = sum(counts.values())
        return dg.AssetCheckResult(
            passed=total == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(f"{s['source_file']} line {s['line_number']}: {s['reason']}" for s in sample) or None,
            metadata={
                "rejected": counts.get((table.name, "rejected"), 0),
                "awaiting_parent": counts.get((table.name, "awaiting_parent"), 0),
            },
        )

    return quarantine_empty


@dg.asset_check(
    asset=dg.AssetKey(["oltp", "invoice"]),
    additional_deps=[dg.AssetKey(["oltp", "invoice_line"])],
    name="invoice_totals_match_lines",
    description="Every invoice's total equals the sum of unit price x quantity over its lines (non-blocking: the "
    "warehouse builds and flags the invoice in data_issues).",
)
def invoice_totals_match_lines(oltp: OltpDatabase) -> dg.AssetCheckResult:
    invoice, line = CONTRACT_TABLES["invoice"], CONTRACT_TABLES["invoice_line"]
    sums = (
        sa.select(line.c.invoice_id, sa.func.sum(line.c.unit_price * line.c.quantity).label("lines_total"))
        .group_by(line.c.invoice_id)
        .subquery()
    )
    query = (
        sa.select(invoice.c.invoice_id, invoice.c.total, sums.c.lines_total)
        .join(sums, sums.c.invoice_id == invoice.c.invoice_id)
        .where(invoice.c.total != sums.c.lines_total)
        .order_by(invoice.c.invoice_id)
    )
    with oltp.engine().connect() as conn:
        mismatched = conn.execute(query).all()
    return dg.AssetCheckResult(
        passed=not mismatched,
        metadata={
            "invoices_mismatched": len(mismatched),
            "invoice_ids": dg.MetadataValue.json([int(i) for i, _, _ in mismatched[:20]]),
        },
        description="; ".join(f"invoice {i}: total {t} but lines sum to {s}" for i, t, s in mismatched[:10]) or None,
    )


oltp_checks = [
    *(build_landed_files_loaded_check(t) for t in TABLES),
    *(build_quarantine_empty_check(t) for t in TABLES),
    invoice_totals_match_lines,
]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=oltp_checks)
