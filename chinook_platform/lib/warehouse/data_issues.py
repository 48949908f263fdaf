"""The rows the warehouse flags instead of stopping its build (the dbt model ``data_issues``): what a failed
row-issue check reports and the dashboard states."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chinook_platform.lib.warehouse.staging import StagingWarehouse

# dbt tests of row-confined problems (sql/warehouse/tests/row_issues): warnings in dbt, non-blocking checks in
# Dagster, and exit code 3 for ``chinook run`` when they fail.
ROW_ISSUE_CHECKS = frozenset({"assert_invoice_totals_match_lines"})
SAMPLE_SIZE = 10


@dataclass(frozen=True)
class InvoiceIssue:
    invoice_id: int
    issue: str
    invoice_total: Decimal
    lines_total: Decimal

    def describe(self) -> str:
        return f"invoice {self.invoice_id}: total {self.invoice_total} but lines sum to {self.lines_total}"


def open_invoice_issues(
    warehouse: StagingWarehouse, schema: str, limit: int = SAMPLE_SIZE
) -> tuple[int, list[InvoiceIssue]]:
    """How many invoices are flagged in ``data_issues``, and the first ``limit`` of them by id."""
    [(count,)], rows = warehouse.queries(
        [
            f"select count(distinct invoice_id) from {schema}.data_issues",
            f"select invoice_id, issue, invoice_total, lines_total from {schema}.data_issues "
            f"order by invoice_id, issue limit {int(limit)}",
        ]
    )
    return int(count), [InvoiceIssue(int(i), r, Decimal(t), Decimal(s)) for i, r, t, s in rows]


def issues_description(count: int, sample: list[InvoiceIssue]) -> str:
    """One line: how many invoices do not reconcile and the first ids, then what each one's amounts are."""
    subject = "1 invoice does not reconcile with its lines" if count == 1 else f"{count} invoices do not reconcile"
    ids = ", ".join(str(i.invoice_id) for i in sample) + (", ..." if count > len(sample) else "")
    return f"{subject}: invoice id {ids} (data_issues); " + "; ".join(i.describe() for i in sample)
