"""The KPI models' numbers equal the facts' and the marts' on the sample data, on DuckDB and on PostgreSQL.

The expected figures are worked out here in Python from the fact rows (and the Single Customer View), not by
the SQL under test.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

CENT = Decimal("0.01")


def dec(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def ratio(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.0001"))


@pytest.fixture(scope="module")
def fact_lines(analysed) -> list[dict]:
    columns = (
        "invoice_id",
        "customer_id",
        "invoice_date",
        "billing_country",
        "quantity",
        "line_amount",
        "genre_id",
        "genre_name",
        "artist_id",
        "artist_name",
        "media_type_id",
        "media_type_name",
    )
    rows = analysed.query(f"""
        select {", ".join(f"{'t' if c in columns[6:] else 'f'}.{c}" for c in columns)}
        from analytics.fct_invoice_line as f
        inner join analytics.dim_track as t on t.track_id = f.track_id""")
    return [dict(zip(columns, row, strict=True)) for row in rows]


def sums(lines: list[dict], key: str) -> dict:
    """(revenue, units) per value of ``key``."""
    out: dict = defaultdict(lambda: [Decimal(0), 0])
    for line in lines:
        out[line[key]][0] += Decimal(line["line_amount"])
        out[line[key]][1] += line["quantity"]
    return {k: (dec(r), u) for k, (r, u) in out.items()}


def test_headline_is_the_facts_totals_and_date_range(analysed, fact_lines):
    [(revenue, invoices, customers, units, average, first, last)] = analysed.query(
        "select revenue, invoices, customers, units, average_invoice_value, first_invoice_date, last_invoice_date "
        "from analytics.kpi_headline"
    )
    total = sum(Decimal(line["line_amount"]) for line in fact_lines)
    invoice_ids = {line["invoice_id"] for line in fact_lines}
    assert dec(revenue) == dec(total)
    assert invoices == len(invoice_ids)
    assert customers == len({line["customer_id"] for line in fact_lines})
    assert units == sum(line["quantity"] for line in fact_lines)
    assert dec(average) == dec(total / len(invoice_ids))
    dates = sorted(line["invoice_date"] for line in fact_lines)
    assert (str(first)[:10], str(last)[:10]) == (str(dates[0])[:10], str(dates[-1])[:10])


def test_monthly_revenue_covers_every_month_with_its_changes(analysed, fact_lines):
    rows = analysed.query("""
        select month_start, revenue, invoices, units, average_invoice_value, revenue_change_mom, revenue_change_yoy
        from analytics.kpi_monthly_revenue order by month_start""")
    revenue: dict = defaultdict(Decimal)
    invoices: dict = defaultdict(set)
    for line in fact_lines:
        month = str(line["invoice_date"])[:7]
        revenue[month] += Decimal(line["line_amount"])
        invoices[month].add(line["invoice_id"])
    first, last = min(revenue), max(revenue)
    months = [
        f"{y}-{m:02d}"
        for y in range(int(first[:4]), int(last[:4]) + 1)
        for m in range(1, 13)
        if first <= f"{y}-{m:02d}" <= last
    ]
    assert [str(r[0])[:7] for r in rows] == months  # every month, none missing, in order
    for index, (_, kpi_revenue, kpi_invoices, _, average, mom, yoy) in enumerate(rows):
        month = months[index]
        assert dec(kpi_revenue) == dec(revenue[month])
        assert kpi_invoices == len(invoices[month])
        assert (average is None) == (not invoices[month])
        if invoices[month]:
            assert dec(average) == dec(revenue[month] / len(invoices[month]))
        before = revenue[months[index - 1]] if index else None
        assert (mom is None) == (not before)
        if before:
            assert ratio(mom) == ratio((revenue[month] - before) / before)
        year_before = revenue[months[index - 12]] if index >= 12 else None
        assert (yoy is None) == (not year_before)
        if year_before:
            assert ratio(yoy) == ratio((revenue[month] - year_before) / year_before)
    assert any(r[6] is not None for r in rows), "the sample data spans more than a year"
    mart = analysed.query("select month_start, revenue from analytics.mart_monthly_revenue")
    assert {str(m)[:7]: dec(r) for m, r in mart} == {str(r[0])[:7]: dec(r[1]) for r in rows if r[2]}


@pytest.mark.parametrize(
    ("model", "key", "name"),
    [
        ("kpi_genre_sales", "genre_id", "genre_name"),
        ("kpi_media_type_sales", "media_type_id", "media_type_name"),
        ("kpi_country_sales", "billing_country", "billing_country"),
    ],
)
def test_sales_by_category_are_the_facts_grouped(analysed, fact_lines, model, key, name):
    rows = analysed.query(
        f"select {key}, {name}, revenue, units, revenue_share, units_share, revenue_rank from analytics.{model}"
    )
    wanted = sums(fact_lines, key)
    total_revenue = sum(r for r, _ in wanted.values())
    total_units = sum(u for _, u in wanted.values())
    assert {k: (dec(r), u) for k, _, r, u, *_ in rows} == wanted
    for k, *_, revenue_share, units_share, _ in rows:
        assert float(revenue_share) == pytest.approx(float(wanted[k][0] / total_revenue), abs=1e-6)
        assert float(units_share) == pytest.approx(wanted[k][1] / total_units, abs=1e-6)
    revenue_by_rank = [dec(row[2]) for row in sorted(rows, key=lambda row: row[6])]
    assert revenue_by_rank == sorted(revenue_by_rank, reverse=True)
    assert sorted(row[6] for row in rows) == list(range(1, len(rows) + 1))


def test_country_sales_agree_with_the_country_mart(analysed):
    kpi = analysed.query("select billing_country, revenue, invoices, customers from analytics.kpi_country_sales")
    mart = analysed.query("select billing_country, revenue, invoices, customers from analytics.mart_country_sales")
    assert {c: (dec(r), i, n) for c, r, i, n in kpi} == {c: (dec(r), i, n) for c, r, i, n in mart}


def test_artist_sales_are_the_fifteen_best_selling_artists(analysed, fact_lines):
    rows = analysed.query(
        "select revenue_rank, artist_id, artist_name, revenue, units, revenue_share "
        "from analytics.kpi_artist_sales order by revenue_rank"
    )
    wanted = sums(fact_lines, "artist_id")
    names = {line["artist_id"]: line["artist_name"] for line in fact_lines}
    top = sorted(wanted, key=lambda a: (-wanted[a][0], names[a], a))[:15]
    assert [r[1] for r in rows] == top
    assert [r[0] for r in rows] == list(range(1, 16))
    total = sum(r for r, _ in wanted.values())
    for _, artist, name, revenue, units, share in rows:
        assert (name, dec(revenue), units) == (names[artist], *wanted[artist])
        assert float(share) == pytest.approx(float(wanted[artist][0] / total), abs=1e-6)


def test_top_customers_are_the_ten_highest_lifetime_values(analysed, fact_lines):
    rows = analysed.query("""
        select customer_rank, customer_id, customer_name, country, invoice_count, lifetime_value, segment
        from analytics.kpi_top_customers order by customer_rank""")
    spend: dict = defaultdict(Decimal)
    invoices: dict = defaultdict(set)
    for line in fact_lines:
        spend[line["customer_id"]] += Decimal(line["line_amount"])
        invoices[line["customer_id"]].add(line["invoice_id"])
    top = sorted(spend, key=lambda c: (-spend[c], c))[:10]
    assert [r[1] for r in rows] == top
    assert [r[0] for r in rows] == list(range(1, 11))
    view = {
        c: (f"{f} {la}", country, segment)
        for c, f, la, country, segment in analysed.query(
            "select customer_id, first_name, last_name, country, segment from analytics.mart_single_customer_view"
        )
    }
    for _, customer, name, country, count, value, segment in rows:
        assert (dec(value), count) == (dec(spend[customer]), len(invoices[customer]))
        assert (name, country, segment) == view[customer]


def test_customer_segments_sum_the_single_customer_view(analysed):
    rows = analysed.query(
        "select segment, customers, invoices, revenue, customer_share, revenue_share "
        "from analytics.kpi_customer_segments"
    )
    view = analysed.query("select segment, invoice_count, lifetime_value from analytics.mart_single_customer_view")
    wanted: dict = defaultdict(lambda: [0, 0, Decimal(0)])
    for segment, count, value in view:
        wanted[segment][0] += 1
        wanted[segment][1] += count
        wanted[segment][2] += Decimal(value)
    assert {s: (c, i, dec(r)) for s, c, i, r, _, _ in rows} == {s: (c, i, dec(r)) for s, (c, i, r) in wanted.items()}
    assert sum(r[1] for r in rows) == len(view)
    assert float(sum(Decimal(r[4]) for r in rows)) == pytest.approx(1, abs=1e-5)
    assert float(sum(Decimal(r[5]) for r in rows)) == pytest.approx(1, abs=1e-5)


def test_a_decimal_without_a_fraction_reads_as_an_int_and_money_as_a_float():
    from chinook_platform.lib.analysis.kpis import plain

    assert [(v, type(v)) for v in map(plain, [Decimal("2240"), Decimal("5.00"), Decimal("0.25"), 7])] == [
        (2240, int),
        (5.0, float),
        (0.25, float),
        (7, int),
    ]


def test_counts_and_units_reach_python_as_ints_on_every_engine(analysed):
    from chinook_platform.lib.analysis.kpis import KPI_TABLES, read_kpi

    with analysed.warehouse.process_config_and_initialize_cm() as warehouse:
        staging, schema = warehouse.staging(), warehouse.analytics_schema
        for model, table in KPI_TABLES.items():
            counts = [c for c in table.columns if c in ("units", "invoices", "customers") or c.endswith("_rank")]
            for row in read_kpi(staging, schema, model):
                assert {c: type(row[c]) for c in counts} == dict.fromkeys(counts, int), model
