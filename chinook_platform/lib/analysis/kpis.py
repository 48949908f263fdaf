"""The KPI tables (dbt models ``kpi_*`` in ``sql/warehouse/models/analysis``) read as plain rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chinook_platform.lib.warehouse import StagingWarehouse


@dataclass(frozen=True)
class KpiTable:
    """A KPI model: the columns the charts and the dashboard read, in a stable order."""

    model: str
    columns: tuple[str, ...]
    order_by: str


KPI_TABLES: dict[str, KpiTable] = {
    t.model: t
    for t in (
        KpiTable(
            "kpi_monthly_revenue",
            (
                "month_start",
                "year_number",
                "revenue",
                "invoices",
                "customers",
                "units",
                "average_invoice_value",
                "revenue_change_mom",
                "revenue_change_yoy",
            ),
            "month_start",
        ),
        KpiTable(
            "kpi_top_customers",
            (
                "customer_rank",
                "customer_id",
                "customer_name",
                "country",
                "invoice_count",
                "lifetime_value",
                "average_invoice_value",
                "segment",
            ),
            "customer_rank",
        ),
        KpiTable(
            "kpi_genre_sales",
            ("revenue_rank", "genre_id", "genre_name", "revenue", "units", "revenue_share", "units_share"),
            "revenue_rank",
        ),
        KpiTable(
            "kpi_artist_sales",
            ("revenue_rank", "artist_id", "artist_name", "revenue", "units", "revenue_share", "units_share"),
            "revenue_rank",
        ),
        KpiTable(
            "kpi_media_type_sales",
            ("revenue_rank", "media_type_id", "media_type_name", "revenue", "units", "revenue_share", "units_share"),
            "revenue_rank",
        ),
        KpiTable(
            "kpi_country_sales",
            (
                "revenue_rank",
                "billing_country",
                "revenue",
                "units",
                "invoices",
                "customers",
                "average_invoice_value",
                "revenue_share",
                "units_share",
            ),
            "revenue_rank",
        ),
        KpiTable(
            "kpi_customer_segments",
            (
                "segment",
                "customers",
                "invoices",
                "revenue",
                "average_lifetime_value",
                "customer_share",
                "revenue_share",
            ),
            "revenue desc, segment",
        ),
        KpiTable(
            "kpi_headline",
            (
                "revenue",
                "invoices",
                "customers",
                "units",
                "average_invoice_value",
                "first_invoice_date",
                "last_invoice_date",
            ),
            "revenue",
        ),
        KpiTable("kpi_data_issues", ("unreconciled_invoices", "unreconciled_amount"), "unreconciled_invoices"),
    )
}


def plain(value: Any) -> Any:
    """A database value as JSON has it: exact decimals as floats (cents survive), except a decimal with no digits
    after the point (a sum of integers, numeric on PostgreSQL), an int; dates as ISO strings."""
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and int(value.as_tuple().exponent) >= 0 else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def read_kpi(warehouse: StagingWarehouse, schema: str, model: str) -> list[dict[str, Any]]:
    """Every row of one KPI model, as dicts of JSON-ready values."""
    table = KPI_TABLES[model]
    rows = warehouse.query(f"select {', '.join(table.columns)} from {schema}.{model} order by {table.order_by}")
    return [dict(zip(table.columns, map(plain, row), strict=True)) for row in rows]


def headline_kpis(warehouse: StagingWarehouse, schema: str) -> dict[str, Any] | None:
    """The headline KPIs (revenue, invoices, customers, units, average invoice, first and last invoice date) and
    the invoices that do not reconcile (unreconciled_invoices, unreconciled_amount), or None with no sales yet."""
    rows = read_kpi(warehouse, schema, "kpi_headline")
    if not rows or not rows[0]["invoices"]:
        return None
    return rows[0] | read_kpi(warehouse, schema, "kpi_data_issues")[0]


def format_headline(kpis: dict[str, Any] | None) -> str:
    """The headline KPIs as a few lines of text (what ``chinook summary`` prints)."""
    if kpis is None:
        return "No sales in the warehouse yet."
    return "\n".join(
        [
            f"{'revenue':<18}{money(kpis['revenue'])}",
            f"{'invoices':<18}{kpis['invoices']:,}",
            f"{'customers':<18}{kpis['customers']:,}",
            f"{'units sold':<18}{kpis['units']:,}",
            f"{'average invoice':<18}{money(kpis['average_invoice_value'])}",
            f"{'invoice dates':<18}{kpis['first_invoice_date']} to {kpis['last_invoice_date']}",
            *([f"{'data issues':<18}{unreconciled_notice(kpis)}"] if kpis.get("unreconciled_invoices") else []),
        ]
    )


def unreconciled_notice(kpis: dict[str, Any]) -> str:
    """What the headline says of invoices that do not reconcile with their lines (flagged, still counted)."""
    count = kpis["unreconciled_invoices"]
    subject = "1 invoice does not reconcile with its lines" if count == 1 else f"{count:,} invoices do not reconcile"
    return (
        f"{subject} ({money(kpis['unreconciled_amount'])} of the revenue is beyond their lines): "
        "see the warehouse table data_issues and README, Bad input"
    )


def money(value: float) -> str:
    return f"${value:,.2f}"


def headline_report() -> list[str]:
    """The headline KPIs of the configured warehouse, as ``chinook summary`` and ``chinook run`` print them, or one
    line saying why there are none (nothing built yet, or a run holds the DuckDB file)."""
    from chinook_platform.lib.environment import warehouse_settings
    from chinook_platform.lib.warehouse import WarehouseLockedError, staging_warehouse

    settings = warehouse_settings()
    if settings.target == "duckdb" and not settings.duckdb_path.exists():
        return ["", "headline KPIs: none yet (the warehouse has not been built)"]
    try:
        return [
            "",
            "headline KPIs:",
            *format_headline(headline_kpis(staging_warehouse(settings), settings.analytics_schema)).splitlines(),
        ]
    except WarehouseLockedError as error:
        return ["", f"headline KPIs: not readable now ({error})"]
    except Exception as error:  # noqa: BLE001  (no warehouse yet: a missing file, schema or table)
        return ["", f"headline KPIs: none yet ({type(error).__name__}: the warehouse has not been built)"]
