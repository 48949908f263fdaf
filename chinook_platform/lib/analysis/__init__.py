"""Analysis: the KPI tables read as rows, one Vega-Lite chart per KPI, the offline dashboard, and a read-only copy
of the warehouse for other programs.

Names load on first use (PEP 562, ``chinook_platform.lib``): ``chinook summary`` reads the headline KPIs without
importing Altair.
"""
# ruff: noqa: F401  (the imports below are the package's face, re-exported)

from typing import TYPE_CHECKING

from chinook_platform.lib import public_names

if TYPE_CHECKING:
    from chinook_platform.lib.analysis.charts import CHARTS, Chart, chart_spec, render_png
    from chinook_platform.lib.analysis.dashboard import (
        dashboard_path,
        publish_dashboard,
        render_dashboard,
        write_dashboard,
    )
    from chinook_platform.lib.analysis.kpis import (
        KPI_TABLES,
        format_headline,
        headline_kpis,
        headline_report,
        read_kpi,
    )
    from chinook_platform.lib.analysis.warehouse_copy import analytics_models, copy_analytics_schema
else:
    __all__, __getattr__ = public_names(__name__)
