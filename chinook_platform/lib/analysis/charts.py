"""The charts: one Vega-Lite spec per chart (Vega-Altair), which renders to PNG offline and draws in the dashboard.

Every chart has a title, axis titles with their units, bars sorted by value, USD and percentage formats, and the
one palette below (a customer segment has the same colour in every chart).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import altair as alt

PRIMARY = "#2b6cb0"
SEGMENTS = ("champion", "loyal", "recent", "regular", "at_risk", "hibernating", "prospect")
SEGMENT_COLOURS = ("#2b6cb0", "#4299e1", "#38a169", "#a0aec0", "#dd6b20", "#c53030", "#805ad5")
USD = "$,.0f"
USD_CENTS = "$,.2f"
PERCENT = ".1%"
WIDTH = 420


@dataclass(frozen=True)
class Chart:
    """A chart asset: its name (``["analysis", name]``), title, what it shows, the KPI model it reads."""

    name: str
    title: str
    description: str
    kpi: str
    draw: Callable[[alt.Data], alt.TopLevelMixin]


def _bars(
    data: alt.Data,
    category: str,
    category_title: str,
    value: str,
    value_title: str,
    tooltip: list[alt.Tooltip],
    colour: alt.Color | None = None,
) -> alt.Chart:
    """Horizontal bars, longest first."""
    return (
        alt.Chart(data, width=WIDTH, height=alt.Step(20))
        .mark_bar(color=PRIMARY)
        .encode(
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=USD, tickCount=8)),
            y=alt.Y(f"{category}:N", title=category_title, sort="-x"),
            tooltip=tooltip,
            **({"color": colour} if colour else {}),
        )
    )


def _segment_colour(legend: bool = True) -> alt.Color:
    return alt.Color(
        "segment:N",
        title="Segment",
        scale=alt.Scale(domain=list(SEGMENTS), range=list(SEGMENT_COLOURS)),
        legend=alt.Legend(orient="bottom") if legend else None,
    )


def _sales_tooltip(category: str, title: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip(f"{category}:N", title=title),
        alt.Tooltip("revenue:Q", title="Revenue (USD)", format=USD_CENTS),
        alt.Tooltip("revenue_share:Q", title="Share of revenue", format=PERCENT),
        alt.Tooltip("units:Q", title="Units sold", format=","),
        alt.Tooltip("units_share:Q", title="Share of units", format=PERCENT),
    ]


def _monthly_revenue(data: alt.Data) -> alt.Chart:
    return (
        alt.Chart(data, width=3 * WIDTH, height=260)
        .mark_bar(color=PRIMARY)
        .encode(
            x=alt.X(
                "month_start:T", title="Month", timeUnit="yearmonth", axis=alt.Axis(format="%b %Y", labelAngle=-45)
            ),
            y=alt.Y("revenue:Q", title="Revenue (USD)", axis=alt.Axis(format=USD)),
            tooltip=[
                alt.Tooltip("month_start:T", title="Month", format="%B %Y"),
                alt.Tooltip("revenue:Q", title="Revenue (USD)", format=USD_CENTS),
                alt.Tooltip("revenue_change_mom:Q", title="vs month before", format="+.1%"),
                alt.Tooltip("revenue_change_yoy:Q", title="vs a year before", format="+.1%"),
                alt.Tooltip("invoices:Q", title="Invoices", format=","),
                alt.Tooltip("average_invoice_value:Q", title="Average invoice (USD)", format=USD_CENTS),
            ],
        )
    )


def _top_customers(data: alt.Data) -> alt.Chart:
    # Two customers may share a name: the rank makes each bar's label its own.
    return _bars(
        data,
        "label",
        "Customer",
        "lifetime_value",
        "Lifetime value (USD)",
        [
            alt.Tooltip("customer_name:N", title="Customer"),
            alt.Tooltip("country:N", title="Country"),
            alt.Tooltip("lifetime_value:Q", title="Lifetime value (USD)", format=USD_CENTS),
            alt.Tooltip("invoice_count:Q", title="Invoices"),
            alt.Tooltip("segment:N", title="Segment"),
        ],
        colour=_segment_colour(),
    ).transform_calculate(label="datum.customer_rank + '. ' + datum.customer_name")


def _customer_segments(data: alt.Data) -> alt.HConcatChart:
    def bars(value: str, title: str, number_format: str) -> alt.Chart:
        return (
            alt.Chart(data, width=WIDTH // 2, height=alt.Step(24))
            .mark_bar()
            .encode(
                x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(format=number_format)),
                y=alt.Y("segment:N", title="Segment", sort=alt.EncodingSortField("revenue", order="descending")),
                color=_segment_colour(legend=False),
                tooltip=[
                    alt.Tooltip("segment:N", title="Segment"),
                    alt.Tooltip("customers:Q", title="Customers"),
                    alt.Tooltip("customer_share:Q", title="Share of customers", format=PERCENT),
                    alt.Tooltip("revenue:Q", title="Revenue (USD)", format=USD_CENTS),
                    alt.Tooltip("revenue_share:Q", title="Share of revenue", format=PERCENT),
                    alt.Tooltip("average_lifetime_value:Q", title="Average lifetime value (USD)", format=USD_CENTS),
                ],
            )
        )

    return alt.hconcat(bars("customers", "Customers", ",d"), bars("revenue", "Revenue (USD)", USD))


CHARTS: tuple[Chart, ...] = (
    Chart(
        "monthly_revenue",
        "Revenue per month",
        "Revenue (USD) per calendar month, with the change on the month before and on the year before in the tooltip.",
        "kpi_monthly_revenue",
        _monthly_revenue,
    ),
    Chart(
        "top_customers",
        "Top 10 customers by lifetime value",
        "The ten customers who spent the most (USD), coloured by RFM segment.",
        "kpi_top_customers",
        _top_customers,
    ),
    Chart(
        "genre_sales",
        "Revenue by genre",
        "Revenue (USD) per genre, with units sold and shares.",
        "kpi_genre_sales",
        lambda data: _bars(
            data, "genre_name", "Genre", "revenue", "Revenue (USD)", _sales_tooltip("genre_name", "Genre")
        ),
    ),
    Chart(
        "artist_sales",
        "Top 15 artists by revenue",
        "The fifteen artists with the most revenue (USD).",
        "kpi_artist_sales",
        lambda data: _bars(
            data, "artist_name", "Artist", "revenue", "Revenue (USD)", _sales_tooltip("artist_name", "Artist")
        ),
    ),
    Chart(
        "media_type_sales",
        "Revenue by media type",
        "Revenue (USD) per media type, with units sold and shares.",
        "kpi_media_type_sales",
        lambda data: _bars(
            data,
            "media_type_name",
            "Media type",
            "revenue",
            "Revenue (USD)",
            _sales_tooltip("media_type_name", "Media type"),
        ),
    ),
    Chart(
        "country_sales",
        "Revenue by billing country",
        "Revenue (USD) per billing country, with units sold, invoices and shares.",
        "kpi_country_sales",
        lambda data: _bars(
            data,
            "billing_country",
            "Billing country",
            "revenue",
            "Revenue (USD)",
            _sales_tooltip("billing_country", "Country"),
        ),
    ),
    Chart(
        "customer_segments",
        "Customers and revenue by segment",
        "Customers and lifetime revenue (USD) per RFM segment of the Single Customer View.",
        "kpi_customer_segments",
        _customer_segments,
    ),
)


def chart_spec(chart: Chart, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The chart's Vega-Lite spec with its rows inline: what the PNG and the dashboard both draw."""
    drawn = chart.draw(alt.Data(values=rows)).properties(title=alt.Title(chart.title, anchor="start"))
    styled = (
        drawn.configure(font="Helvetica, Arial, sans-serif", background="white")
        .configure_title(fontSize=15, fontWeight="bold", color="#1a202c", offset=10)
        .configure_axis(
            labelFontSize=11,
            titleFontSize=12,
            labelColor="#2d3748",
            titleColor="#2d3748",
            gridColor="#edf2f7",
            domainColor="#a0aec0",
            labelLimit=220,
        )
        .configure_view(stroke=None)
        .configure_range(category=list(SEGMENT_COLOURS))
    )
    return styled.to_dict(validate=True)


def vega_lite_version() -> str:
    """The Vega-Lite version Altair writes ("6.4"), for vl-convert."""
    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def render_png(spec: dict[str, Any], scale: float = 2) -> bytes:
    """The spec drawn as a PNG, with no browser and no network (vl-convert; no URL may be fetched)."""
    import vl_convert

    png = vl_convert.vegalite_to_png(spec, vl_version=vega_lite_version(), scale=scale, allowed_base_urls=[])
    return _recompressed(png)


def _recompressed(png: bytes) -> bytes:
    """The same PNG with its pixels deflated at the highest level: vl-convert's fast deflate makes a chart about
    ten times larger, and the image travels base64-encoded in every materialization's metadata."""
    chunks, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        chunks.append((png[position + 4 : position + 8], png[position + 8 : position + 8 + length]))
        position += 12 + length
    pixels = zlib.compress(zlib.decompress(b"".join(data for kind, data in chunks if kind == b"IDAT")), 9)
    out, written = [png[:8]], False
    for kind, data in chunks:
        if kind == b"IDAT":
            if written:
                continue
            kind, data, written = b"IDAT", pixels, True
        out.append(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)))
    return b"".join(out)


@cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (assigns ``window.vegaEmbed``); no CDN.

    Bundling takes vl-convert about 1.6 s, so the script is kept under ``$CHINOOK_HOME/cache``, one file per
    vl-convert and Vega-Lite version, and built again only when either changes."""
    from importlib.metadata import version

    from chinook_platform.lib.environment import chinook_home

    path = chinook_home() / "cache" / f"vega-embed-{version('vl-convert-python')}-vl{vega_lite_version()}.js"
    if path.exists():
        return path.read_text(encoding="utf-8")
    import vl_convert

    bundle = vl_convert.javascript_bundle(vl_version=vega_lite_version())  # type: ignore[call-arg]  # snippet: optional
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(bundle, encoding="utf-8")
    os.replace(partial, path)  # whole or absent, whoever writes it
    return bundle
