"""Analysis: the KPI tables read as rows, one Vega-Lite chart per KPI, the offline dashboard, and a read-only copy
of the warehouse for other programs.

Names load on first use (PEP 562): ``chinook summary`` reads the headline KPIs without importing Altair.
"""

from chinook_platform.lib import public_names

_PUBLIC = {  # module: the names it gives the package
    "charts": ("CHARTS", "Chart", "chart_spec", "render_png"),
    "dashboard": ("dashboard_path", "publish_dashboard", "render_dashboard", "write_dashboard"),
    "kpis": ("KPI_TABLES", "format_headline", "headline_kpis", "headline_report", "read_kpi"),
    "warehouse_copy": ("copy_analytics_schema",),
}
__all__ = sorted(name for names in _PUBLIC.values() for name in names)
__getattr__ = public_names(__name__, _PUBLIC)
