"""Analysis: one asset per chart over the KPI models, the offline dashboard, and a read-only copy of the warehouse.

Each chart's materialization carries the chart as a PNG the Dagster UI shows (markdown with the image embedded)
and the numbers behind it as a table. Every asset here reads the warehouse, so it waits in the warehouse pool:
DuckDB takes one writer, and no reader while it writes.
"""

import base64
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from chinook_platform.defs.resources import ReportsResource, WarehouseResource
from chinook_platform.lib.analysis import (
    CHARTS,
    Chart,
    analytics_models,
    chart_spec,
    copy_analytics_schema,
    dashboard_path,
    headline_kpis,
    publish_dashboard,
    read_kpi,
    render_dashboard,
    render_png,
    write_dashboard,
)
from chinook_platform.lib.environment import analytics_copy_path
from chinook_platform.lib.warehouse import WAREHOUSE_POOL

HEADLINE = dg.AssetKey(["warehouse", "kpi_headline"])
DATA_ISSUES = dg.AssetKey(["warehouse", "kpi_data_issues"])  # the notice of invoices that do not reconcile
COLUMN_TYPES = {bool: "bool", int: "int", float: "float", str: "string"}


def numbers_table(rows: list[dict[str, Any]]) -> dg.TableMetadataValue:
    """The rows behind a chart as a Dagster table (column types from the values)."""
    columns = list(rows[0]) if rows else []
    types = {
        c: next((COLUMN_TYPES.get(type(r[c]), "string") for r in rows if r[c] is not None), "string") for c in columns
    }
    return dg.MetadataValue.table(
        records=[dg.TableRecord(row) for row in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, types[c]) for c in columns]),
    )


def image_markdown(title: str, png: bytes) -> dg.MarkdownMetadataValue:
    """The PNG embedded in markdown as a data URI, which the asset page shows."""
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{base64.b64encode(png).decode()})")


def build_chart_asset(chart: Chart) -> dg.AssetsDefinition:
    @dg.asset(
        key=["analysis", chart.name],
        deps=[["warehouse", chart.kpi]],
        group_name="analysis",
        kinds={"altair"},
        pool=WAREHOUSE_POOL,
        description=f"Chart: {chart.title}. {chart.description} Reads `{chart.kpi}`.",
    )
    def chart_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        rows = read_kpi(warehouse.staging(), warehouse.analytics_schema, chart.kpi)
        png = render_png(chart_spec(chart, rows))
        return dg.MaterializeResult(
            metadata={
                "chart": image_markdown(chart.title, png),
                "numbers": numbers_table(rows),
                "dagster/row_count": len(rows),
                "image_bytes": len(png),
            }
        )

    return chart_asset


chart_assets = [build_chart_asset(c) for c in CHARTS]


@dg.asset(
    key=["analysis", "dashboard"],
    deps=[HEADLINE, DATA_ISSUES, *(a.key for a in chart_assets)],
    group_name="analysis",
    kinds={"html"},
    pool=WAREHOUSE_POOL,
    description=(
        "The dashboard: one self-contained HTML page (`$CHINOOK_HOME/reports/dashboard.html`) with the headline "
        "KPIs, a notice when invoices do not reconcile with their lines, every chart, the data's date range and "
        "when it was built. No network needed: open it from disk. "
        "Also uploaded to `CHINOOK_REPORTS_URL` when that names an `s3://` prefix."
    ),
)
def dashboard(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, reports: ReportsResource
) -> dg.MaterializeResult:
    staging, schema = warehouse.staging(), warehouse.analytics_schema
    headline = headline_kpis(staging, schema)
    charts = [(chart, chart_spec(chart, read_kpi(staging, schema, chart.kpi))) for chart in CHARTS]
    path = write_dashboard(render_dashboard(headline, charts, datetime.now(UTC)), dashboard_path())
    metadata: dict[str, Any] = {
        "path": dg.MetadataValue.path(str(path)),
        "bytes": path.stat().st_size,
        "charts": len(charts),
    }
    if headline:
        metadata["invoice_dates"] = f"{headline['first_invoice_date']} to {headline['last_invoice_date']}"
    if reports.url:
        metadata["published"] = dg.MetadataValue.url(publish_dashboard(path, reports.url, reports.s3_client()))
    context.log.info(f"dashboard written to {path}")
    return dg.MaterializeResult(metadata=metadata)


ANALYTICS_TABLES = [dg.AssetKey(["warehouse", model]) for model in analytics_models()]


@dg.asset(
    key=["analysis", "warehouse_copy"],
    deps=ANALYTICS_TABLES,
    group_name="analysis",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    description=(
        "A read-only copy of the DuckDB warehouse's analytics schema (dimensions, facts, marts, KPIs) in "
        "`$CHINOOK_HOME/reports/warehouse_copy.duckdb`, for other programs to read while runs write the warehouse "
        "(DuckDB locks the warehouse file while a run writes). On a PostgreSQL or Redshift warehouse nothing is "
        "copied: they serve readers during runs."
    ),
)
def warehouse_copy(warehouse: WarehouseResource) -> dg.MaterializeResult:
    if warehouse.target != "duckdb":
        return dg.MaterializeResult(
            metadata={"copy": f"none needed: the {warehouse.target} warehouse serves readers while runs write"}
        )
    rows = copy_analytics_schema(warehouse.duckdb_path, warehouse.analytics_schema, analytics_copy_path())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(analytics_copy_path())),
            "tables": len(rows),
            "dagster/row_count": sum(rows.values()),
            "read_with": f"duckdb -readonly {analytics_copy_path()}",
        }
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[*chart_assets, dashboard, warehouse_copy])
