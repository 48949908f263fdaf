"""The OLTP schema: generated from the contract, committed as sql/oltp/schema.sql, enforced by the database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from chinook_platform.lib.contract import TABLES, TABLES_BY_CSV_NAME
from chinook_platform.lib.oltp import CONTRACT_TABLES, render_postgres_ddl
from chinook_platform_tests.conftest import REPO

SCHEMA_SQL = REPO / "sql" / "oltp" / "schema.sql"


def test_committed_schema_sql_matches_the_contract():
    assert SCHEMA_SQL.read_text() == render_postgres_ddl(), "stale: run `make schema-sql` and commit the result"


def test_schema_sql_builds_the_same_tables_on_postgres(postgres_url, postgres_schema):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'create schema "{postgres_schema}"')
        conn.exec_driver_sql(f'set search_path to "{postgres_schema}"')
        conn.exec_driver_sql(SCHEMA_SQL.read_text())
    inspector = sa.inspect(engine)
    for table in TABLES:
        columns = {c["name"]: c for c in inspector.get_columns(table.name, schema=postgres_schema)}
        assert list(columns) == [*(c.name for c in table.columns), "_load_id"]
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (table.name, column.name)
        assert inspector.get_pk_constraint(table.name, schema=postgres_schema)["constrained_columns"] == [table.pk.name]
        fks = {
            fk["constrained_columns"][0]: fk["referred_table"]
            for fk in inspector.get_foreign_keys(table.name, schema=postgres_schema)
        }
        assert fks == {c.name: TABLES_BY_CSV_NAME[c.references].name for c in table.foreign_keys}
    assert {
        c["type"].__class__.__name__
        for c in inspector.get_columns("invoice", schema=postgres_schema)
        if c["name"] == "total"
    } == {"NUMERIC"}
    engine.dispose()


def _insert_line(conn: sa.Connection, **overrides) -> None:
    row = {
        "invoice_line_id": 1,
        "invoice_id": 1,
        "track_id": 1,
        "unit_price": Decimal("0.99"),
        "quantity": 1,
        "_load_id": 1,
    }
    conn.execute(CONTRACT_TABLES["invoice_line"].insert().values(**{**row, **overrides}))


@pytest.fixture
def engine_with_one_invoice_and_track(oltp_engine):
    now = datetime(2021, 1, 1)
    rows = {
        "artist": {"artist_id": 1, "name": "A"},
        "genre": {"genre_id": 1, "name": "Rock"},
        "media_type": {"media_type_id": 1, "name": "MP3"},
        "album": {"album_id": 1, "title": "T", "artist_id": 1},
        "track": {
            "track_id": 1,
            "name": "T",
            "album_id": 1,
            "media_type_id": 1,
            "genre_id": 1,
            "milliseconds": 1,
            "unit_price": Decimal("0.99"),
        },
        "customer": {
            "customer_id": 1,
            "first_name": "A",
            "last_name": "B",
            "address": "x",
            "city": "y",
            "country": "z",
            "email": "a@b.cd",
        },
        "invoice": {
            "invoice_id": 1,
            "customer_id": 1,
            "invoice_date": now,
            "billing_address": "x",
            "billing_city": "y",
            "billing_country": "z",
            "total": Decimal("0.99"),
        },
    }
    with oltp_engine.begin() as conn:
        for name, row in rows.items():
            conn.execute(CONTRACT_TABLES[name].insert().values(**row, _load_id=1))
    return oltp_engine


@pytest.mark.parametrize(
    "overrides",
    [{"quantity": 0}, {"unit_price": Decimal("-0.01")}, {"invoice_id": 2}, {"track_id": None}],
    ids=["quantity-zero", "negative-price", "orphan-invoice", "null-track"],
)
def test_the_database_itself_enforces_keys_and_checks(engine_with_one_invoice_and_track, overrides):
    with pytest.raises(sa.exc.IntegrityError), engine_with_one_invoice_and_track.begin() as conn:
        _insert_line(conn, **overrides)


def test_money_round_trips_exactly(engine_with_one_invoice_and_track):
    engine = engine_with_one_invoice_and_track
    with engine.begin() as conn:
        for i in range(2, 12):
            _insert_line(conn, invoice_line_id=i, unit_price=Decimal("0.10"))
        line = CONTRACT_TABLES["invoice_line"]
        total = conn.execute(sa.select(sa.func.sum(line.c.unit_price)).where(line.c.invoice_line_id > 1)).scalar()
    assert Decimal(total) == Decimal("1.00")  # ten floats of 0.1 would not sum to exactly 1


def test_runners_creating_a_new_schema_at_the_same_moment_both_get_it(postgres_url):
    """Two runners (threads here: the race is the server's) open a new OLTP schema together; PostgreSQL's
    ``create schema if not exists`` alone lets one of them fail on pg_namespace's unique index."""
    import threading
    import uuid

    from chinook_platform.lib.oltp import create_oltp_engine

    url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    schemas = [f"race_schema_{uuid.uuid4().hex[:8]}" for _ in range(20)]
    errors: list[BaseException] = []

    def open_engine(schema: str, barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            create_oltp_engine(url, schema=schema, create=False).dispose()
        except BaseException as error:  # noqa: BLE001  (collected and asserted below)
            errors.append(error)

    try:
        for schema in schemas:
            barrier = threading.Barrier(2)
            threads = [threading.Thread(target=open_engine, args=(schema, barrier)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert errors == []
    finally:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for schema in schemas:
                conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
        engine.dispose()
