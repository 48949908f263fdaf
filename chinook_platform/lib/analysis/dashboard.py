"""The dashboard: one self-contained HTML page (KPI tiles and every chart) that works from ``file://`` offline.

Vega, Vega-Lite and Vega-Embed are inlined (no CDN); the data are the KPI tables' aggregated rows, inlined in each
chart's spec, so the page stays small at any scale. The page marks ``<body data-charts-drawn="N">`` once every
chart has drawn, and ``data-charts-failed`` with the error if one could not.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from chinook_platform.lib.analysis.charts import Chart, javascript_bundle
from chinook_platform.lib.analysis.kpis import money, unreconciled_notice
from chinook_platform.lib.environment import chinook_home

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; background: #f7fafc; color: #1a202c; }
header { padding: 20px 32px 8px; }
h1 { font-size: 24px; margin: 0 0 4px; }
header p { margin: 0; color: #4a5568; font-size: 14px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 16px; padding: 16px 32px; }
.tile { background: white; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 14px 20px;
        min-width: 140px; border-top: 4px solid #2b6cb0; }
.tile .label { font-size: 13px; color: #4a5568; }
.tile .value { font-size: 26px; font-weight: bold; margin-top: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(660px, 1fr)); align-items: start;
          gap: 16px; padding: 8px 32px 32px; }
#chart-monthly_revenue { grid-column: 1 / -1; }
.chart { background: white; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 16px; }
.chart p { margin: 8px 0 0; color: #4a5568; font-size: 13px; max-width: 760px; }
.notice { margin: 8px 32px 0; padding: 10px 16px; background: #fffbea; border-left: 4px solid #d69e2e; }
"""

DRAW_SCRIPT = """
const specs = JSON.parse(document.getElementById("chart-specs").textContent);
Promise.all(Object.entries(specs).map(([name, spec]) =>
    vegaEmbed(`#chart-${name} .vis`, spec, {renderer: "svg", actions: false})))
  .then((drawn) => { document.body.dataset.chartsDrawn = String(drawn.length); })
  .catch((error) => { document.body.dataset.chartsFailed = String(error); console.error(error); });
"""


def dashboard_path() -> Path:
    """Where the dashboard is written: ``$CHINOOK_HOME/reports/dashboard.html``."""
    return chinook_home() / "reports" / "dashboard.html"


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element (a name containing "</script>" cannot end it)."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")


def _tiles(headline: dict[str, Any] | None) -> list[tuple[str, str]]:
    if headline is None:
        return [("Revenue", money(0)), ("Invoices", "0")]
    return [
        ("Revenue", money(headline["revenue"])),
        ("Invoices", f"{headline['invoices']:,}"),
        ("Customers", f"{headline['customers']:,}"),
        ("Units sold", f"{headline['units']:,}"),
        ("Average invoice", money(headline["average_invoice_value"])),
        ("First invoice", str(headline["first_invoice_date"])),
        ("Last invoice", str(headline["last_invoice_date"])),
    ]


def render_dashboard(
    headline: dict[str, Any] | None, charts: list[tuple[Chart, dict[str, Any]]], built_at: datetime
) -> str:
    """The page: a tile per headline KPI, each chart's spec drawn by Vega-Embed, the data's date range and the
    time it was built."""
    period = (
        f"Invoices from {headline['first_invoice_date']} to {headline['last_invoice_date']}"
        if headline
        else "No invoices yet"
    )
    tiles = "\n".join(
        f'<div class="tile"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(value)}</div></div>'
        for label, value in _tiles(headline)
    )
    sections = "\n".join(
        f'<section class="chart" id="chart-{chart.name}"><div class="vis"></div>'
        f"<p>{html.escape(chart.description)}</p></section>"
        for chart, _ in charts
    )
    specs = {chart.name: spec for chart, spec in charts}
    notice = (
        f'<p class="notice" id="data-issues">{html.escape(unreconciled_notice(headline))}.</p>'
        if headline and headline.get("unreconciled_invoices")
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chinook dashboard</title>
<style>{STYLE}</style>
<script>{javascript_bundle()}</script>
</head>
<body>
<header>
<h1>Chinook sales</h1>
<p id="period">{html.escape(period)} · built {built_at.strftime("%Y-%m-%d %H:%M UTC")}</p>
</header>
{notice}
<div class="tiles">
{tiles}
</div>
<div class="charts">
{sections}
</div>
<script type="application/json" id="chart-specs">{_script_json(specs)}</script>
<script>{DRAW_SCRIPT}</script>
</body>
</html>
"""


def write_dashboard(page: str, path: Path | None = None) -> Path:
    """Write the page atomically (a browser reloading it never sees half a file); returns its path."""
    path = path or dashboard_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as out:
        out.write(page)
    os.replace(out.name, path)
    return path


def publish_dashboard(path: Path, url: str, s3_client: Any) -> str:
    """Upload the page to an ``s3://bucket/prefix`` (as ``<prefix>/dashboard.html``); returns its S3 URI."""
    if not url.startswith("s3://"):
        raise ValueError(f"CHINOOK_REPORTS_URL must be an s3:// prefix, not {url!r}")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    key = f"{prefix.strip('/')}/{path.name}".lstrip("/")
    s3_client.upload_file(
        str(path), bucket, key, ExtraArgs={"ContentType": "text/html; charset=utf-8", "CacheControl": "no-cache"}
    )
    return f"s3://{bucket}/{key}"
