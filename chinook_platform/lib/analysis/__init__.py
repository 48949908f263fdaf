"""Analysis: the KPI tables read as rows, one Vega-Lite chart per KPI, the offline dashboard, and a read-only copy
of the warehouse for other programs.

Names load on first use (PEP 562): ``chinook summary`` reads the headline KPIs without importing Altair.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "CHARTS": "charts",
    "Chart": "charts",
    "chart_spec": "charts",
    "render_png": "charts",
    "dashboard_path": "dashboard",
    "publish_dashboard": "dashboard",
    "render_dashboard": "dashboard",
    "write_dashboard": "dashboard",
    "KPI_TABLES": "kpis",
    "format_headline": "kpis",
    "headline_kpis": "kpis",
    "headline_report": "kpis",
    "read_kpi": "kpis",
    "copy_analytics_schema": "warehouse_copy",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
