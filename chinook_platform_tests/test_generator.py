"""The dataset generator: exact counts, determinism, referential integrity, the contract, realistic values."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from chinook_platform.lib.contract import TABLES, ColumnType, Table
from chinook_platform.lib.generator import generate, row_counts
from chinook_platform_tests.conftest import SAMPLE_DATA

CHINOOK = {
    "Artist": 275,
    "Album": 347,
    "Genre": 25,
    "MediaType": 5,
    "Track": 3503,
    "Customer": 59,
    "Invoice": 412,
    "InvoiceLine": 2240,
}


def read(folder: Path, name: str) -> list[dict[str, str]]:
    files = [folder / f"{name}.csv"] if (folder / f"{name}.csv").exists() else sorted((folder / name).glob("*.csv"))
    return [row for f in files for row in csv.DictReader(f.open(encoding="utf-8", newline=""))]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scale1")
    generate(folder, scale=1)
    return folder


def test_scale_one_has_chinooks_row_counts(sample):
    assert {name: len(read(sample, name)) for name in CHINOOK} == CHINOOK
    assert row_counts(1000)["InvoiceLine"] == 2_240_000 and row_counts(1000)["Genre"] == 25
    assert row_counts(0.01) == {**{k: max(1, round(v * 0.01)) for k, v in CHINOOK.items()}, "Genre": 25, "MediaType": 5}


def test_the_committed_data_is_the_generators_scale_one(sample):
    for t in TABLES:
        assert (SAMPLE_DATA / f"{t.csv_name}.csv").read_bytes() == (sample / f"{t.csv_name}.csv").read_bytes()


def test_the_same_seed_gives_identical_bytes_and_another_seed_differs(sample, tmp_path):
    generate(tmp_path / "again", scale=1)
    generate(tmp_path / "other", scale=1, seed=7)
    for t in TABLES:
        assert (tmp_path / "again" / f"{t.csv_name}.csv").read_bytes() == (sample / f"{t.csv_name}.csv").read_bytes()
    assert (tmp_path / "other" / "Customer.csv").read_bytes() != (sample / "Customer.csv").read_bytes()


def _check_value(table: Table, row: dict[str, str]) -> None:
    for column in table.columns:
        value = row[column.csv_name]
        if value == "":
            assert column.nullable, (table.csv_name, column.csv_name, row)
            continue
        if column.type is ColumnType.INTEGER:
            number = int(value)
            assert column.minimum is None or (
                number > column.minimum if column.exclusive_minimum else number >= column.minimum
            )
        elif column.type is ColumnType.MONEY:
            assert Decimal(value) >= 0 and Decimal(value).as_tuple().exponent == -2, value
        elif column.type is ColumnType.TEXT:
            assert len(value) <= column.max_length, (column.csv_name, value)
            if column.pattern:
                assert re.match(column.pattern, value), value


def test_every_value_satisfies_the_contract(sample):
    for t in TABLES:
        for row in read(sample, t.csv_name):
            _check_value(t, row)


def test_every_foreign_key_resolves(sample):
    for t in TABLES:
        for column in t.foreign_keys:
            parents = {r[f"{column.references}Id"] for r in read(sample, column.references)}
            assert {r[column.csv_name] for r in read(sample, t.csv_name)} <= parents, (t.csv_name, column.csv_name)


def test_every_invoice_total_is_the_sum_of_its_lines(sample):
    sums: dict[str, Decimal] = defaultdict(Decimal)
    prices = {r["TrackId"]: r["UnitPrice"] for r in read(sample, "Track")}
    for line in read(sample, "InvoiceLine"):
        sums[line["InvoiceId"]] += Decimal(line["UnitPrice"]) * int(line["Quantity"])
        assert line["UnitPrice"] == prices[line["TrackId"]]
    assert all(Decimal(i["Total"]) == sums[i["InvoiceId"]] for i in read(sample, "Invoice"))


def test_values_look_real(sample):
    customers, tracks = read(sample, "Customer"), read(sample, "Track")
    assert len({c["Country"] for c in customers}) >= 15
    assert any(not c["FirstName"].isascii() or not c["City"].isascii() for c in customers)
    assert any("," in t["Name"] and '"' in t["Name"] for t in tracks) or (
        any("," in t["Name"] for t in tracks) and any('"' in t["Name"] for t in tracks)
    )
    assert any(c["PostalCode"].startswith("0") for c in customers)
    for table_name, column in [("Customer", "Company"), ("Customer", "State"), ("Track", "Composer")]:
        assert 0 < sum(r[column] == "" for r in read(sample, table_name)) < len(read(sample, table_name))
    assert {t["UnitPrice"] for t in tracks} == {"0.99", "1.99"}
    dates = [i["InvoiceDate"] for i in read(sample, "Invoice")]
    assert dates == sorted(dates) and dates[0][:4] == "2021" and dates[-1][:4] == "2025"


def test_the_daily_split_holds_the_same_rows_with_each_invoices_lines_on_its_day(sample, tmp_path):
    generate(tmp_path / "daily", scale=1, daily=True)
    for name in CHINOOK:
        assert read(tmp_path / "daily", name) == read(sample, name)
    day_of_invoice = {}
    for path in (tmp_path / "daily" / "Invoice").glob("*.csv"):
        day_of_invoice |= {r["InvoiceId"]: path.stem for r in read_file(path)}
    assert all(
        r["InvoiceDate"].startswith(path.stem)
        for path in (tmp_path / "daily" / "Invoice").glob("*.csv")
        for r in read_file(path)
    )
    for path in (tmp_path / "daily" / "InvoiceLine").glob("*.csv"):
        assert Counter(day_of_invoice[r["InvoiceId"]] for r in read_file(path)) == Counter(
            {path.stem: len(read_file(path))}
        )


def read_file(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8", newline="")))


def test_next_days_continue_a_folder_after_its_last_day_with_new_ids_and_its_customers_and_tracks(tmp_path):
    from chinook_platform.lib.next_days import existing_sales_in_folder, generate_next_days

    existing = existing_sales_in_folder(SAMPLE_DATA)
    invoices = read(SAMPLE_DATA, "Invoice")
    assert existing.last_day.isoformat() == max(r["InvoiceDate"] for r in invoices)[:10]
    generate_next_days(existing, tmp_path / "a", days=3)
    generate_next_days(existing, tmp_path / "b", days=3)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    assert [f.as_posix() for f in files[:3]] == [f"Invoice/{d}.csv" for d in ("2025-12-28", "2025-12-29", "2025-12-30")]
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)  # deterministic
    new_invoices, new_lines = read(tmp_path / "a", "Invoice"), read(tmp_path / "a", "InvoiceLine")
    assert min(int(r["InvoiceId"]) for r in new_invoices) == 413
    assert min(int(r["InvoiceLineId"]) for r in new_lines) == 2241
    customers = {r["CustomerId"] for r in read(SAMPLE_DATA, "Customer")}
    tracks = {r["TrackId"]: r["UnitPrice"] for r in read(SAMPLE_DATA, "Track")}
    assert {r["CustomerId"] for r in new_invoices} <= customers
    assert all(tracks[r["TrackId"]] == r["UnitPrice"] for r in new_lines)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in new_lines:
        totals[r["InvoiceId"]] += Decimal(r["UnitPrice"]) * int(r["Quantity"])
    assert {r["InvoiceId"]: Decimal(r["Total"]) for r in new_invoices} == dict(totals)


def test_next_days_continue_the_oltp_database(tmp_path, oltp_engine):
    from chinook_platform.lib.contract import TABLES as tables
    from chinook_platform.lib.next_days import existing_sales_in_folder, existing_sales_in_oltp
    from chinook_platform.lib.oltp import load_landed_file

    for t in tables:
        path = SAMPLE_DATA / f"{t.csv_name}.csv"
        assert load_landed_file(oltp_engine, t, str(path), "v1", lambda p=path: p.open("rb")).status == "loaded"
    assert existing_sales_in_oltp(oltp_engine) == existing_sales_in_folder(SAMPLE_DATA)
