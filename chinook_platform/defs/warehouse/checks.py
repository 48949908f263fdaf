"""Reconciliation of the star schema with the OLTP database it came from."""

from decimal import Decimal

import dagster as dg
import sqlalchemy as sa

from chinook_platform.defs.resources import OltpDatabase, WarehouseResource
from chinook_platform.lib.oltp.schema import CONTRACT_TABLES
from chinook_platform.lib.warehouse import WAREHOUSE_POOL

FACT_LINES = dg.AssetKey(["warehouse", "fct_invoice_line"])


@dg.asset_check(
    asset=FACT_LINES,
    additional_deps=[dg.AssetKey(["oltp", "invoice_line"])],
    name="revenue_matches_oltp_invoices",
    pool=WAREHOUSE_POOL,  # it reads the warehouse: DuckDB refuses a second process while a run writes
    description="The revenue in fct_invoice_line equals the OLTP invoice lines' amounts (an invoice whose total "
    "differs from its lines is flagged in data_issues, by the checks invoice_totals_match_lines).",
)
def revenue_matches_oltp_invoices(oltp: OltpDatabase, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    fact_table = f"{warehouse.analytics_schema}.fct_invoice_line"
    [(facts,)] = warehouse.staging().query(f"select coalesce(sum(line_amount), 0) from {fact_table}")
    line = CONTRACT_TABLES["invoice_line"]
    line_amounts = sa.select(sa.func.coalesce(sa.func.sum(line.c.unit_price * line.c.quantity), 0))
    with oltp.engine().connect() as conn:
        lines = conn.execute(line_amounts).scalar()
    facts, lines = Decimal(facts), Decimal(lines or 0)  # coalesce(): never null
    return dg.AssetCheckResult(
        passed=facts == lines,
        description=None
        if facts == lines
        else f"fct_invoice_line revenue {facts} differs from oltp.invoice_line amounts {lines} by {facts - lines}",
        metadata={"warehouse_revenue": float(facts), "oltp_revenue": float(lines)},
    )


@dg.asset_check(
    asset=FACT_LINES,
    additional_deps=[dg.AssetKey(["warehouse", name]) for name in ("dim_customer", "dim_track", "dim_date")],
    name="facts_have_dimensions",
    pool=WAREHOUSE_POOL,
    description="Every fct_invoice_line row finds its customer version, track and date in the dimensions.",
)
def facts_have_dimensions(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    schema = warehouse.analytics_schema
    [(customers, tracks, dates)] = warehouse.staging().query(f"""
        select
            sum(case when c.customer_key is null then 1 else 0 end),
            sum(case when t.track_id is null then 1 else 0 end),
            sum(case when d.date_day is null then 1 else 0 end)
        from {schema}.fct_invoice_line as f
        left join {schema}.dim_customer as c on c.customer_key = f.customer_key
        left join {schema}.dim_track as t on t.track_id = f.track_id
        left join {schema}.dim_date as d on d.date_day = f.date_day
    """)
    missing = {"customer": customers or 0, "track": tracks or 0, "date": dates or 0}
    return dg.AssetCheckResult(
        passed=not any(missing.values()),
        description="; ".join(f"{n} fact rows without a {d}" for d, n in missing.items() if n) or None,
        metadata={f"rows_without_{d}": n for d, n in missing.items()},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=[revenue_matches_oltp_invoices, facts_have_dimensions])
