"""The star schema and marts, built by the whole pipeline through Dagster on DuckDB and on PostgreSQL, checked
against the same figures computed independently from the CSVs with pandas."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from chinook_platform.lib.environment import warehouse_settings
from chinook_platform_tests.conftest import SAMPLE_DATA


def read_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(
        SAMPLE_DATA / f"{name}.csv",
        keep_default_na=False,
        na_values=[""],
        dtype={"UnitPrice": str, "Total": str, "PostalCode": str, "BillingPostalCode": str},
    )


class Built:
    """A pipeline built into a fresh warehouse; ``query`` reads the warehouse."""

    def __init__(self, definitions: dg.Definitions, instance: dg.DagsterInstance):
        self.definitions = definitions
        self.instance = instance
        self.warehouse = definitions.resources["warehouse"]
        self.schema = None
        self.run_id = ""
        self.environment_changes: set[str] = set()  # variables the build set, changed or removed in this process

    def materialize_all(self) -> None:
        job = self.definitions.resolve_implicit_global_asset_job_def()
        before = dict(os.environ)
        result = job.execute_in_process(
            instance=self.instance, run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        )
        self.environment_changes |= {k for k in {*before, *os.environ} if before.get(k) != os.environ.get(k)}
        assert result.success
        self.run_id = result.run_id
        failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
        assert failed == [], [(e.asset_key, e.check_name, e.description) for e in failed]

    def query(self, sql: str) -> list[tuple]:
        with self.warehouse.process_config_and_initialize_cm() as warehouse:
            self.schema = warehouse.analytics_schema
            return warehouse.staging().query(sql.replace("analytics.", f"{self.schema}."))


def rewrite_csv(path: Path, key: str, changes: dict[str, str]) -> None:
    """Change some fields of the row whose first field is ``key`` in a landed CSV file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = frame[frame.columns[0]] == key
    for column, value in changes.items():
        frame.loc[row, column] = value
    frame.to_csv(path, index=False)


def build(monkeypatch: pytest.MonkeyPatch, home: Path, landing: Path, engine: str, postgres_url: str | None) -> Built:
    monkeypatch.setenv("CHINOOK_HOME", str(home))
    monkeypatch.setenv("CHINOOK_LANDING_URL", str(landing))
    for variable in (
        "CHINOOK_OLTP_URL",
        "CHINOOK_OLTP_SCHEMA",
        "CHINOOK_WAREHOUSE_TARGET",
        "CHINOOK_STAGING_SCHEMA",
        "CHINOOK_WAREHOUSE_SCHEMA",
        "CHINOOK_WAREHOUSE_DUCKDB_PATH",
    ):
        monkeypatch.delenv(variable, raising=False)  # nothing of another test's warehouse
    if engine == "postgres":
        suffix = uuid.uuid4().hex[:8]
        url = sa.make_url(postgres_url)
        monkeypatch.setenv("CHINOOK_OLTP_URL", postgres_url)
        monkeypatch.setenv("CHINOOK_OLTP_SCHEMA", f"wh_oltp_{suffix}")
        monkeypatch.setenv("CHINOOK_WAREHOUSE_TARGET", "postgres")
        monkeypatch.setenv("CHINOOK_WAREHOUSE_PG_HOST", url.host)
        monkeypatch.setenv("CHINOOK_WAREHOUSE_PG_PORT", str(url.port or 5432))
        monkeypatch.setenv("CHINOOK_WAREHOUSE_PG_USER", url.username or "postgres")
        monkeypatch.setenv("CHINOOK_WAREHOUSE_PG_DBNAME", url.database)
        monkeypatch.setenv("CHINOOK_STAGING_SCHEMA", f"wh_staging_{suffix}")
        monkeypatch.setenv("CHINOOK_WAREHOUSE_SCHEMA", f"wh_analytics_{suffix}")
    from chinook_platform.definitions import defs

    return Built(defs(), dg.DagsterInstance.ephemeral())


def drop_postgres_schemas(postgres_url: str, monkeypatch_env: dict[str, str]) -> None:
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for variable in ("CHINOOK_OLTP_SCHEMA", "CHINOOK_STAGING_SCHEMA", "CHINOOK_WAREHOUSE_SCHEMA"):
            conn.exec_driver_sql(f'drop schema if exists "{monkeypatch_env[variable]}" cascade')
    engine.dispose()


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def sample_warehouse(request, tmp_path_factory) -> Iterator[Built]:
    """The committed sample data landed and every asset materialized once."""
    import os

    home = tmp_path_factory.mktemp(f"warehouse_{request.param}")
    shutil.copytree(SAMPLE_DATA, home / "landing")
    postgres_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with pytest.MonkeyPatch.context() as monkeypatch:
        built = build(monkeypatch, home, home / "landing", request.param, postgres_url)
        built.materialize_all()
        yield built
        if postgres_url:
            drop_postgres_schemas(postgres_url, dict(os.environ))


def as_decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def expected() -> dict[str, pd.DataFrame]:
    """The figures, computed from the CSVs alone."""
    invoices, lines = read_csv("Invoice"), read_csv("InvoiceLine")
    tracks, albums, artists, genres = read_csv("Track"), read_csv("Album"), read_csv("Artist"), read_csv("Genre")
    lines["amount"] = [Decimal(p) * q for p, q in zip(lines["UnitPrice"], lines["Quantity"], strict=True)]
    invoices["total"] = invoices["Total"].map(Decimal)
    facts = (
        lines.merge(invoices[["InvoiceId", "CustomerId", "InvoiceDate", "BillingCountry"]], on="InvoiceId")
        .merge(tracks[["TrackId", "AlbumId", "GenreId"]], on="TrackId")
        .merge(albums[["AlbumId", "ArtistId"]], on="AlbumId")
        .merge(artists.rename(columns={"Name": "artist"}), on="ArtistId")
        .merge(genres.rename(columns={"Name": "genre"}), on="GenreId")
    )
    facts["month"] = facts["InvoiceDate"].str[:7]
    return {"facts": facts, "invoices": invoices}


def test_facts_hold_every_line_once_and_the_revenue_of_the_invoices(sample_warehouse, expected):
    [(rows, distinct, revenue)] = sample_warehouse.query(
        "select count(*), count(distinct invoice_line_id), sum(line_amount) from analytics.fct_invoice_line"
    )
    assert rows == distinct == len(expected["facts"])
    assert as_decimal(revenue) == sum(expected["invoices"]["total"])


def test_monthly_revenue_matches_the_csvs(sample_warehouse, expected):
    rows = sample_warehouse.query(
        "select month_start, invoices, lines, revenue, customers from analytics.mart_monthly_revenue"
    )
    actual = {str(m)[:7]: (i, n, as_decimal(r), c) for m, i, n, r, c in rows}
    facts = expected["facts"]
    wanted = {
        month: (group["InvoiceId"].nunique(), len(group), sum(group["amount"]), group["CustomerId"].nunique())
        for month, group in facts.groupby("month")
    }
    assert actual == wanted


def test_country_sales_match_the_csvs(sample_warehouse, expected):
    rows = sample_warehouse.query(
        "select billing_country, revenue, invoices, customers from analytics.mart_country_sales"
    )
    invoices = expected["invoices"]
    wanted = {
        country: (sum(group["total"]), len(group), group["CustomerId"].nunique())
        for country, group in invoices.groupby("BillingCountry")
    }
    assert {c: (as_decimal(r), i, n) for c, r, i, n in rows} == wanted


@pytest.mark.parametrize(
    ("mart", "id_column", "key"),
    [("mart_genre_performance", "genre_id", "GenreId"), ("mart_artist_performance", "artist_id", "ArtistId")],
)
def test_genre_and_artist_performance_match_the_csvs(sample_warehouse, expected, mart, id_column, key):
    rows = sample_warehouse.query(
        f"select {id_column}, revenue, quantity, tracks_sold, customers from analytics.{mart}"
    )
    facts = expected["facts"]
    wanted = {
        name: (sum(g["amount"]), int(g["Quantity"].sum()), g["TrackId"].nunique(), g["CustomerId"].nunique())
        for name, g in facts.groupby(key)
    }
    assert {n: (as_decimal(r), q, t, c) for n, r, q, t, c in rows} == wanted


def test_single_customer_view_matches_the_csvs(sample_warehouse, expected):
    rows = sample_warehouse.query("""
        select customer_id, invoice_count, lifetime_value, first_purchase_at, last_purchase_at, favourite_genre,
               favourite_artist, segment
        from analytics.mart_single_customer_view""")
    customers = read_csv("Customer")
    assert len(rows) == len(customers)
    facts, invoices = expected["facts"], expected["invoices"]

    def favourite(group: pd.DataFrame, column: str) -> str:
        spend = group.groupby(column).agg(spend=("amount", "sum"), quantity=("Quantity", "sum")).reset_index()
        spend["negative_spend"] = [-s for s in spend["spend"]]
        return spend.sort_values(["negative_spend", "quantity", column], ascending=[True, False, True]).iloc[0][column]

    for customer_id, count, value, first, last, genre, artist, _ in rows:
        own = invoices[invoices["CustomerId"] == customer_id]
        mine = facts[facts["CustomerId"] == customer_id]
        assert (count, as_decimal(value)) == (len(own), sum(own["total"]))
        assert (str(first)[:10], str(last)[:10]) == (own["InvoiceDate"].min()[:10], own["InvoiceDate"].max()[:10])
        assert (genre, artist) == (favourite(mine, "genre"), favourite(mine, "artist"))
    segments = {segment for *_, segment in rows}
    assert segments <= {"champion", "loyal", "recent", "at_risk", "hibernating", "regular", "prospect"}
    assert len(segments) >= 3


def test_dimensions_cover_every_fact(sample_warehouse):
    [(current, customers)] = sample_warehouse.query(
        "select sum(case when is_current then 1 else 0 end), count(distinct customer_id) from analytics.dim_customer"
    )
    assert current == customers == 59
    [(orphans,)] = sample_warehouse.query("""
        select count(*) from analytics.fct_invoice_line as f
        left join analytics.dim_date as d on d.date_day = f.date_day
        left join analytics.dim_track as t on t.track_id = f.track_id
        where d.date_day is null or t.track_id is null""")
    assert orphans == 0


def test_the_dbt_unit_tests_run_in_the_build_and_pass(sample_warehouse):
    """dbt build runs the project's unit tests (models/marts/_marts__unit_tests.yml) before their models, on
    DuckDB and PostgreSQL alike: a failing one fails the build, and none is left out by the selection."""
    target = warehouse_settings().dbt_target_path
    declared = json.loads((target / "manifest.json").read_text())["unit_tests"]
    results = json.loads((target / "run_results.json").read_text())["results"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert len(declared) >= 3
    assert ran == dict.fromkeys(declared, "pass")


def test_a_build_hands_dbt_its_settings_without_touching_the_process_environment(sample_warehouse):
    assert sample_warehouse.environment_changes == set()
    profile = (warehouse_settings().dbt_dir / "profiles.yml").read_text()
    schema = os.environ.get("CHINOOK_WAREHOUSE_SCHEMA", "analytics")
    assert f"schema: {schema}" in profile  # dbt's settings, written to the home's profile


def test_models_reach_dagster_as_dbt_builds_them_except_on_duckdb(sample_warehouse):
    """On PostgreSQL each model's materialization (with its row count) is written while dbt is still running; on
    DuckDB, whose file dbt's process holds, they all follow the end of the build."""
    records = sample_warehouse.instance.get_records_for_run(sample_warehouse.run_id).records
    entries = [r.event_log_entry for r in records]
    finished = next(e.timestamp for e in entries if e.user_message.startswith("Finished dbt command"))
    built = [
        e
        for e in entries
        if e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        and e.asset_materialization.asset_key.path[0] == "warehouse"
    ]
    assert all("dagster/row_count" in e.asset_materialization.metadata for e in built)
    if sample_warehouse.warehouse.target == "duckdb":
        assert min(e.timestamp for e in built) > finished
    else:
        assert sum(e.timestamp < finished for e in built) >= len(built) // 2


def test_building_again_with_nothing_new_changes_nothing(sample_warehouse):
    """The second build runs the incremental models' incremental SQL (on DuckDB and PostgreSQL alike)."""
    checks = {
        "dim_customer": "count(*), count(distinct customer_key)",
        "dim_track": "count(*), sum(album_id), count(distinct artist_name)",
        "fct_invoice_line": "count(*), sum(line_amount), sum(track_id)",
        "fct_invoice": "count(*), sum(line_count), sum(total)",
        "mart_single_customer_view": "count(*), sum(invoice_count), count(distinct favourite_artist)",
        "mart_artist_performance": "count(*), sum(customers), sum(revenue_rank)",
    }

    def figures() -> dict[str, list[tuple]]:
        return {model: sample_warehouse.query(f"select {sql} from analytics.{model}") for model, sql in checks.items()}

    before = figures()
    sample_warehouse.materialize_all()
    assert figures() == before


def test_a_new_day_a_changed_customer_and_a_renamed_artist_build_incrementally(tmp_path, monkeypatch):
    """Land all but the last day; build; land the last day, a customer who moved, a renamed artist and a track in
    another genre; build again."""
    from chinook_platform.lib.generator import generate

    generate(tmp_path / "daily", scale=1, daily=True)
    landing = tmp_path / "landing"
    last_day = sorted((tmp_path / "daily" / "Invoice").glob("*.csv"))[-1].name
    for path in (tmp_path / "daily").rglob("*.csv"):
        if path.name != last_day:
            (landing / path.relative_to(tmp_path / "daily")).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, landing / path.relative_to(tmp_path / "daily"))
    built = build(monkeypatch, tmp_path, landing, "duckdb", None)
    built.materialize_all()
    [(facts_before,)] = built.query("select count(*) from analytics.fct_invoice_line")
    # A sentinel in an old fact row: a full rebuild would overwrite it, an incremental one leaves it.
    import duckdb

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("update analytics.fct_invoice_line set billing_country = 'SENTINEL' where invoice_line_id = 1")
        con.execute("update analytics.dim_track set composer = 'SENTINEL' where track_id = 2")  # artist 2, genre 3

    new_lines = (tmp_path / "daily" / "InvoiceLine" / last_day).read_text().count("\n") - 1
    for table_name in ("Invoice", "InvoiceLine"):
        shutil.copyfile(tmp_path / "daily" / table_name / last_day, landing / table_name / last_day)
    customers = (landing / "Customer.csv").read_text().splitlines(keepends=True)
    moved = customers[1].split(",")
    moved[5] = "Reykjavík"  # City
    customers[1] = ",".join(moved)
    (landing / "Customer.csv").write_text("".join(customers))
    rewrite_csv(landing / "Artist.csv", "1", {"Name": "Kathy Hansen Renamed"})
    rewrite_csv(landing / "Track.csv", "1", {"GenreId": "3"})  # was 6
    built.materialize_all()

    [(facts_after, distinct)] = built.query(
        "select count(*), count(distinct invoice_line_id) from analytics.fct_invoice_line"
    )
    assert facts_after == distinct == facts_before + new_lines
    versions = built.query(
        "select city, is_current, valid_from, valid_to from analytics.dim_customer where customer_id = 1 "
        "order by version_number"
    )
    assert [current for _, current, _, _ in versions] == [False, True]
    assert versions[0][0] != "Reykjavík" and versions[1][0] == "Reykjavík"
    assert versions[0][3] == versions[1][2]  # the old version ends where the new one begins
    [(sentinel,)] = built.query("select billing_country from analytics.fct_invoice_line where invoice_line_id = 1")
    assert sentinel == "SENTINEL"  # the old fact was not rebuilt
    [(current_city,)] = built.query("select city from analytics.mart_single_customer_view where customer_id = 1")
    assert current_city == "Reykjavík"

    # dim_track rebuilt the tracks of artist 1's albums and track 1, and only those.
    albums = pd.read_csv(landing / "Album.csv")
    album_ids = ", ".join(str(a) for a in albums.loc[albums["ArtistId"] == 1, "AlbumId"])
    assert built.query(f"select distinct artist_name from analytics.dim_track where album_id in ({album_ids})") == [
        ("Kathy Hansen Renamed",)
    ]
    assert built.query("select genre_id from analytics.dim_track where track_id = 1") == [(3,)]
    assert built.query("select composer from analytics.dim_track where track_id = 2") == [("SENTINEL",)]
    [(artist_in_mart,)] = built.query("select artist_name from analytics.mart_artist_performance where artist_id = 1")
    assert artist_in_mart == "Kathy Hansen Renamed"
