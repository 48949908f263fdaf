"""Analysis: the KPI tables read as rows, one Vega-Lite chart per KPI, the offline dashboard, and a read-only copy
of the warehouse for other programs."""

from chinook_platform.lib.analysis.charts import CHARTS, Chart, chart_spec, render_png
from chinook_platform.lib.analysis.dashboard import dashboard_path, publish_dashboard, render_dashboard, write_dashboard
from chinook_platform.lib.analysis.kpis import KPI_TABLES, format_headline, headline_kpis, read_kpi
from chinook_platform.lib.analysis.warehouse_copy import copy_analytics_schema

__all__ = [
    "CHARTS",
    "KPI_TABLES",
    "Chart",
    "chart_spec",
    "copy_analytics_schema",
    "dashboard_path",
    "format_headline",
    "headline_kpis",
    "publish_dashboard",
    "read_kpi",
    "render_dashboard",
    "render_png",
    "write_dashboard",
]
