"""The landing -> OLTP load on SQLite and on the real PostgreSQL server: bad input, idempotency, late parents."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from chinook_platform.lib.contract import table
from chinook_platform.lib.landing import csv_reader
from chinook_platform.lib.oltp import CONTRACT_TABLES, create_oltp_engine, load_log, quarantine
from chinook_platform.lib.oltp import bookkeeping as oltp_bookkeeping
from chinook_platform.lib.oltp import stage as oltp_stage
from chinook_platform.lib.oltp import status as oltp_status
from chinook_platform.lib.oltp.load import LoadResult, load_landed_file, retry_awaiting_parent

ARTISTS = "ArtistId,Name\n1,AC/DC\n2,Accept\n3,Aerosmith\n"
GENRES = "GenreId,Name\n1,Rock\n"
MEDIA_TYPES = "MediaTypeId,Name\n1,MPEG audio file\n"
ALBUMS = "AlbumId,Title,ArtistId\n1,For Those About To Rock,1\n2,Balls to the Wall,2\n"
TRACKS = (
    "TrackId,Name,AlbumId,MediaTypeId,GenreId,Composer,Milliseconds,UnitPrice\n"
    '1,"For Those About To Rock (We Salute You)",1,1,1,"Angus Young, Malcolm Young, Brian Johnson",343719,0.99\n'
    '2,"Say ""Hello"", Goodbye",2,1,1,,342562,0.99\n'
)
CUSTOMERS = (
    "CustomerId,FirstName,LastName,Company,Address,City,State,Country,PostalCode,Phone,Email\n"
    "1,Luís,Gonçalves,Embraer,Av. Brigadeiro Faria Lima 2170,São José dos Campos,SP,Brazil,12227-000,"
    "+55 (12) 3923-5555,luisg@embraer.com.br\n"
    "2,Leonie,Köhler,,Theodor-Heuss-Straße 34,Stuttgart,,Germany,01067,,leonekohler@surfeu.de\n"
)
INVOICES = (
    "InvoiceId,CustomerId,InvoiceDate,BillingAddress,BillingCity,BillingState,BillingCountry,BillingPostalCode,Total\n"
    "1,2,2021-01-01 00:00:00,Theodor-Heuss-Straße 34,Stuttgart,,Germany,01067,1.98\n"
)
INVOICE_LINES = "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,1,1,0.99,1\n2,1,2,0.99,1\n"
PARENTS = [
    ("Artist", ARTISTS),
    ("Genre", GENRES),
    ("MediaType", MEDIA_TYPES),
    ("Album", ALBUMS),
    ("Track", TRACKS),
    ("Customer", CUSTOMERS),
    ("Invoice", INVOICES),
]


def load(
    engine: sa.Engine,
    tmp_path: Path,
    table_name: str,
    content: str | bytes,
    name: str | None = None,
    version: str = "v1",
) -> LoadResult:
    """Land a file in tmp_path and load it, as the OLTP asset does."""
    path = tmp_path / (name or f"{table_name}.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    result = load_landed_file(engine, table(table_name), str(path), version, lambda: path.open("rb"))
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    return result


def load_parents(engine: sa.Engine, tmp_path: Path) -> None:
    for name, content in PARENTS:
        assert load(engine, tmp_path, name, content).status == "loaded"


def rows(engine: sa.Engine, table_name: str) -> list[dict]:
    target = CONTRACT_TABLES[table_name]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(target).order_by(*target.primary_key.columns))]


def quarantined(engine: sa.Engine, status: str | None = None) -> list[dict]:
    query = sa.select(quarantine).order_by(quarantine.c.quarantine_id)
    if status:
        query = query.where(quarantine.c.status == status)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def test_sample_tables_load_with_exact_types(oltp_engine, tmp_path):
    load_parents(oltp_engine, tmp_path)
    result = load(oltp_engine, tmp_path, "InvoiceLine", INVOICE_LINES)
    assert (result.rows_read, result.rows_inserted, result.rows_quarantined) == (2, 2, 0)
    customers = rows(oltp_engine, "customer")
    assert customers[1]["postal_code"] == "01067"  # text: the leading zero survives
    assert customers[1]["company"] is None and customers[1]["state"] is None  # an empty field is NULL
    assert customers[0]["city"] == "São José dos Campos"
    assert rows(oltp_engine, "track")[1]["name"] == 'Say "Hello", Goodbye'
    invoice = rows(oltp_engine, "invoice")[0]
    assert invoice["total"] == Decimal("1.98") and isinstance(invoice["total"], Decimal)
    assert invoice["invoice_date"].isoformat() == "2021-01-01T00:00:00"
    with oltp_engine.connect() as conn:
        line = CONTRACT_TABLES["invoice_line"]
        assert conn.execute(sa.select(sa.func.sum(line.c.unit_price * line.c.quantity))).scalar_one() == Decimal("1.98")


def test_loading_the_same_file_twice_changes_nothing(oltp_engine, tmp_path):
    first = load(oltp_engine, tmp_path, "Artist", ARTISTS)
    before = rows(oltp_engine, "artist")
    again = load(oltp_engine, tmp_path, "Artist", ARTISTS, version="v2")
    assert (first.rows_inserted, again.status, again.rows_inserted, again.rows_updated) == (3, "unchanged", 0, 0)
    assert rows(oltp_engine, "artist") == before  # _load_id untouched too


def test_a_file_with_the_same_rows_in_other_bytes_loads_them_as_unchanged(oltp_engine, tmp_path):
    load(oltp_engine, tmp_path, "Artist", ARTISTS)
    again = load(oltp_engine, tmp_path, "Artist", ARTISTS.replace("\n", "\r\n"), version="v2")
    assert (again.status, again.rows_inserted, again.rows_updated, again.rows_unchanged) == ("loaded", 0, 0, 3)


def test_changed_rows_are_updated_and_unchanged_rows_untouched(oltp_engine, tmp_path):
    first = load(oltp_engine, tmp_path, "Artist", ARTISTS)
    changed = load(
        oltp_engine, tmp_path, "Artist", "ArtistId,Name\n1,AC/DC\n2,Accept!\n4,Alanis Morissette\n", version="v2"
    )
    assert (changed.rows_inserted, changed.rows_updated, changed.rows_unchanged) == (1, 1, 1)
    by_id = {r["artist_id"]: r for r in rows(oltp_engine, "artist")}
    assert by_id[2]["name"] == "Accept!" and by_id[2]["_load_id"] == changed.load_id
    assert by_id[1]["_load_id"] == first.load_id  # unchanged rows keep the load that wrote them
    assert by_id[3]["name"] == "Aerosmith"  # absent from the new file: not deleted


def test_a_file_without_an_optional_column_leaves_that_column_alone(oltp_engine, tmp_path):
    load(oltp_engine, tmp_path, "Customer", CUSTOMERS)
    partial = (
        "CustomerId,FirstName,LastName,Address,City,Country,Email\n"
        "1,Luís,Gonçalves,New Street 1,Porto,Portugal,l@x.pt\n"
    )
    result = load(oltp_engine, tmp_path, "Customer", partial, name="Customer/2024-01-02.csv")
    assert result.missing_optional_columns == ["Company", "State", "PostalCode", "Phone"]
    luis = rows(oltp_engine, "customer")[0]
    assert (luis["city"], luis["company"], luis["phone"]) == ("Porto", "Embraer", "+55 (12) 3923-5555")


@pytest.mark.parametrize(
    ("content", "column", "reason"),
    [
        ("InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,1,1,0.99,-1\n", "Quantity", "Quantity: -1 is not > 0"),
        (
            "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n,1,1,0.99,1\n",
            "InvoiceLineId",
            "InvoiceLineId: required value is missing",
        ),
        (
            "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,1,1,cheap,1\n",
            "UnitPrice",
            "UnitPrice: 'cheap' is not a decimal amount with at most 2 decimals",
        ),
        (
            "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,one,1,0.99,1\n",
            "InvoiceId",
            "InvoiceId: 'one' is not a whole number",
        ),
        (
            "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,1,1,0.999,1\n",
            "UnitPrice",
            "UnitPrice: '0.999' is not a decimal amount with at most 2 decimals",
        ),
        (
            "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,1,1,-0.99,1\n",
            "UnitPrice",
            "UnitPrice: -0.99 is not >= 0",
        ),
        (
            "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,1,1,0.99,1,extra\n",
            None,
            "expected 5 fields, found 6",
        ),
    ],
    ids=[
        "negative-quantity",
        "null-primary-key",
        "wrong-type-money",
        "wrong-type-integer",
        "too-many-decimals",
        "negative-price",
        "too-many-fields",
    ],
)
def test_bad_rows_are_quarantined_with_line_column_and_reason(oltp_engine, tmp_path, content, column, reason):
    load_parents(oltp_engine, tmp_path)
    good_line = "5,1,2,0.99,1\n"
    result = load(oltp_engine, tmp_path, "InvoiceLine", content + good_line)
    assert (result.status, result.rows_read, result.rows_inserted, result.rows_quarantined) == ("loaded", 2, 1, 1)
    [entry] = quarantined(oltp_engine)
    assert (entry["line_number"], entry["column_name"], entry["reason"], entry["status"]) == (
        2,
        column,
        reason,
        "rejected",
    )
    assert entry["source_file"].endswith("InvoiceLine.csv")
    raw = content.splitlines()[1]
    assert entry["raw_row"] == raw if column is None else json.loads(entry["raw_row"])["UnitPrice"] in raw
    assert [r["invoice_line_id"] for r in rows(oltp_engine, "invoice_line")] == [5]  # the good row is not lost


def test_invalid_calendar_dates_are_quarantined(oltp_engine, tmp_path):
    load(oltp_engine, tmp_path, "Customer", CUSTOMERS)
    content = (
        INVOICES
        + "2,1,2021-02-30,Somewhere 1,Lisbon,,Portugal,,0.99\n"
        + "3,1,last tuesday,Somewhere 1,Lisbon,,Portugal,,0.99\n"
    )
    result = load(oltp_engine, tmp_path, "Invoice", content)
    assert (result.rows_inserted, result.rows_quarantined) == (1, 2)
    reasons = {q["line_number"]: q["reason"] for q in quarantined(oltp_engine)}
    assert reasons == {
        3: "InvoiceDate: '2021-02-30' is not a real calendar date or time",
        4: "InvoiceDate: 'last tuesday' is not a date (YYYY-MM-DD, optionally with a time)",
    }


def test_duplicate_primary_key_rows_are_quarantined_and_the_first_kept(oltp_engine, tmp_path):
    result = load(oltp_engine, tmp_path, "Artist", ARTISTS + "2,Accept (again)\n2,Accept (third)\n")
    assert (result.rows_inserted, result.rows_quarantined) == (3, 2)
    assert rows(oltp_engine, "artist")[1]["name"] == "Accept"
    entries = quarantined(oltp_engine)
    assert [(q["line_number"], q["column_name"]) for q in entries] == [(5, "ArtistId"), (6, "ArtistId")]
    assert entries[0]["reason"] == "ArtistId: duplicate key 2 in this file (first on line 3; that row was kept)"
    assert json.loads(entries[0]["raw_row"]) == {"ArtistId": "2", "Name": "Accept (again)"}


def test_rows_whose_parent_has_not_arrived_load_once_it_does(oltp_engine, tmp_path):
    for name, content in PARENTS[:-1]:  # everything but the invoice
        load(oltp_engine, tmp_path, name, content)
    early = load(oltp_engine, tmp_path, "InvoiceLine", INVOICE_LINES)
    assert (early.rows_inserted, early.rows_quarantined) == (0, 2)
    waiting = quarantined(oltp_engine, "awaiting_parent")
    assert waiting[0]["reason"] == "InvoiceId: Invoice 1 does not exist (yet): the row loads once it arrives"
    assert retry_awaiting_parent(oltp_engine, table("InvoiceLine")).rows_resolved == 0  # still no parent
    load(oltp_engine, tmp_path, "Invoice", INVOICES)
    retried = retry_awaiting_parent(oltp_engine, table("InvoiceLine"))
    assert (retried.rows_resolved, retried.rows_inserted) == (2, 2)
    assert len(rows(oltp_engine, "invoice_line")) == 2
    assert [q["status"] for q in quarantined(oltp_engine)] == ["resolved", "resolved"]
    assert retry_awaiting_parent(oltp_engine, table("InvoiceLine")) is None


def test_a_waiting_row_never_overwrites_a_newer_load_of_its_key(oltp_engine, tmp_path):
    load_parents(oltp_engine, tmp_path)
    load(oltp_engine, tmp_path, "InvoiceLine", "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,99,1,0.99,1\n")
    newer = load(oltp_engine, tmp_path, "InvoiceLine", INVOICE_LINES, name="InvoiceLine/2021-01-02.csv")
    assert newer.rows_inserted == 2
    load(oltp_engine, tmp_path, "Invoice", INVOICES.replace("\n1,2,", "\n99,2,"), name="Invoice/2021-01-03.csv")
    retried = retry_awaiting_parent(oltp_engine, table("InvoiceLine"))
    assert (retried.rows_resolved, retried.rows_updated) == (0, 0)
    assert quarantined(oltp_engine)[0]["status"] == "superseded"
    assert rows(oltp_engine, "invoice_line")[0]["invoice_id"] == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty (no header row)"),
        (
            b'InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,1,1,0.99,1\n2,1,"2,0.99,1\n3,1,1,0.99,1\n',
            "unterminated quoted field starting on line 3",
        ),
        (
            b"InvoiceLineId,InvoiceId,TrackId,Quantity\n1,1,1,1\n",
            "missing required column(s) UnitPrice for table InvoiceLine "
            "(header has: InvoiceLineId, InvoiceId, TrackId, Quantity)",
        ),
        (
            b"InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n1,1,1,0.99,1\n2,1,1,0.99,\xff\xfe1\n",
            "not UTF-8 text on line 3 (save the file as UTF-8)",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "the header is not UTF-8 text (invalid start byte at byte 0)"),
        (b"\n\n", "the first line is empty (no header row)"),
    ],
    ids=["empty-file", "unterminated-quote", "missing-column", "not-utf8", "not-csv", "blank-first-line"],
)
def test_unreadable_files_are_rejected_whole_naming_the_problem(oltp_engine, tmp_path, content, problem):
    load_parents(oltp_engine, tmp_path)
    result = load(oltp_engine, tmp_path, "InvoiceLine", content)
    assert (result.status, result.error, result.rows_loaded) == ("rejected", problem, 0)
    assert rows(oltp_engine, "invoice_line") == [] and quarantined(oltp_engine) == []
    with oltp_engine.connect() as conn:
        logged = conn.execute(sa.select(load_log).where(load_log.c.table_name == "invoice_line")).one()
    assert (logged.status, logged.error) == ("rejected", problem)


def test_a_rejection_late_in_a_large_file_loads_nothing_of_it(oltp_engine, tmp_path, monkeypatch):
    monkeypatch.setattr(csv_reader, "BLOCK_SIZE", 1024)  # many blocks: some are staged before the error
    load_parents(oltp_engine, tmp_path)
    body = "".join(f"{i},1,1,0.99,1\n" for i in range(1, 2001))
    content = "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n" + body + '2001,1,1,"0.99,1\n'
    result = load(oltp_engine, tmp_path, "InvoiceLine", content)
    assert (result.status, result.error) == ("rejected", "unterminated quoted field starting on line 2002")
    assert rows(oltp_engine, "invoice_line") == []


def test_line_numbers_stay_exact_across_blocks(oltp_engine, tmp_path, monkeypatch):
    monkeypatch.setattr(csv_reader, "BLOCK_SIZE", 1024)
    load_parents(oltp_engine, tmp_path)
    lines = [f"{i},1,1,0.99,1" if i % 97 else f"{i},1,1,0.99" for i in range(1, 1001)]
    lines[499] = "500,1,1,0.99,-3"
    result = load(
        oltp_engine,
        tmp_path,
        "InvoiceLine",
        "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n" + "\n".join(lines) + "\n",
    )
    expected = {i + 1 for i in range(97, 1001, 97)} | {501}
    assert {q["line_number"] for q in quarantined(oltp_engine)} == expected
    assert result.rows_inserted == 1000 - len(expected)


def test_bom_header_case_and_extra_columns_of_real_chinook_exports(oltp_engine, tmp_path):
    export = (
        "\ufeffcustomerid,FIRSTNAME,LastName,Company,Address,City,State,Country,PostalCode,Phone,Fax,Email,SupportRepId\n"
        "1,Luís,Gonçalves,Embraer,Av. Brigadeiro Faria Lima 2170,São José dos Campos,SP,Brazil,12227-000,"
        "+55 (12) 3923-5555,+55 (12) 3923-5566,luisg@embraer.com.br,3\n"
    )
    result = load(oltp_engine, tmp_path, "Customer", export)
    assert (result.status, result.rows_inserted, result.dropped_columns) == ("loaded", 1, ["Fax", "SupportRepId"])
    assert rows(oltp_engine, "customer")[0]["first_name"] == "Luís"


def test_header_only_file_loads_nothing_without_error(oltp_engine, tmp_path):
    result = load(oltp_engine, tmp_path, "Artist", "ArtistId,Name\n")
    assert (result.status, result.rows_read, result.error) == ("loaded", 0, None)


def test_a_new_version_of_a_file_replaces_its_open_quarantine(oltp_engine, tmp_path):
    load(oltp_engine, tmp_path, "Artist", ARTISTS + "x,Broken\n")
    assert [q["status"] for q in quarantined(oltp_engine)] == ["rejected"]
    load(oltp_engine, tmp_path, "Artist", ARTISTS + "4,Fixed\n", version="v2")
    assert [q["status"] for q in quarantined(oltp_engine)] == ["superseded"]
    assert rows(oltp_engine, "artist")[-1]["name"] == "Fixed"


def test_bulk_loads_keep_foreign_keys_and_indexes(oltp_engine, tmp_path, monkeypatch):
    monkeypatch.setattr(oltp_stage, "BULK_ROWS", 1)  # take the bulk path (on PostgreSQL) even for two rows
    load_parents(oltp_engine, tmp_path)
    early = load(oltp_engine, tmp_path, "InvoiceLine", INVOICE_LINES + "3,77,1,0.99,1\n")
    assert (early.rows_inserted, early.rows_quarantined) == (2, 1)
    foreign_keys = sa.inspect(oltp_engine).get_foreign_keys("invoice_line")
    assert sorted(fk["referred_table"] for fk in foreign_keys) == ["invoice", "track"]
    indexes = {i["name"] for i in sa.inspect(oltp_engine).get_indexes("invoice_line")}
    assert indexes == {i.name for i in CONTRACT_TABLES["invoice_line"].indexes}  # rebuilt after the bulk insert
    with pytest.raises(sa.exc.IntegrityError), oltp_engine.begin() as conn:
        conn.execute(
            CONTRACT_TABLES["invoice_line"]
            .insert()
            .values(invoice_line_id=9, invoice_id=77, track_id=1, unit_price=Decimal("0.99"), quantity=1, _load_id=1)
        )


def test_rejected_rows_written_between_copy_segments_lose_no_good_row(oltp_engine, tmp_path, monkeypatch):
    monkeypatch.setattr(csv_reader, "BLOCK_SIZE", 1024)  # many blocks ...
    # ... the COPY ended to quarantine every 5 rejections
    monkeypatch.setattr(oltp_bookkeeping, "QUARANTINE_CHUNK_ROWS", 5)
    load_parents(oltp_engine, tmp_path)
    lines = [f"{i},1,1,0.99,{-1 if i % 7 == 0 else 1}" for i in range(1, 601)]
    result = load(
        oltp_engine,
        tmp_path,
        "InvoiceLine",
        "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n" + "\n".join(lines) + "\n",
    )
    bad = [i for i in range(1, 601) if i % 7 == 0]
    assert (result.rows_inserted, result.rows_quarantined) == (600 - len(bad), len(bad))
    assert [r["invoice_line_id"] for r in rows(oltp_engine, "invoice_line")] == [i for i in range(1, 601) if i % 7]
    assert [q["line_number"] for q in quarantined(oltp_engine)] == [i + 1 for i in bad]


def test_a_key_repeated_in_a_file_and_already_loaded_is_updated_once_from_its_first_line(oltp_engine, tmp_path):
    load(oltp_engine, tmp_path, "Artist", ARTISTS)
    result = load(oltp_engine, tmp_path, "Artist", "ArtistId,Name\n2,Accept II\n2,Accept III\n", name="again.csv")
    assert (result.rows_updated, result.rows_quarantined) == (1, 1)
    assert rows(oltp_engine, "artist")[1]["name"] == "Accept II"
    assert quarantined(oltp_engine)[0]["reason"].startswith("ArtistId: duplicate key 2 in this file (first on line 2")


# --- bytes no database stores, bounded messages, unforeseen failures ---------------------------------------


def test_a_nul_in_a_field_is_a_row_rejection_naming_line_and_column(oltp_engine, tmp_path):
    content = b"ArtistId,Name\n1,AC\x00DC\n2,Accept\n3,Aero\x00smith,extra\n"
    result = load(oltp_engine, tmp_path, "Artist", content)
    assert (result.status, result.rows_inserted, result.rows_quarantined) == ("loaded", 1, 2)
    entries = {q["line_number"]: q for q in quarantined(oltp_engine)}
    assert (entries[2]["column_name"], entries[2]["reason"]) == (
        "Name",
        "Name: holds a NUL character (byte 0), which the database cannot store: 'AC\\x00DC'",
    )
    assert json.loads(entries[2]["raw_row"]) == {"ArtistId": "1", "Name": "AC\x00DC"}  # whole, as JSON escapes it
    assert entries[4]["raw_row"] == "3,Aero\\x00smith,extra"  # raw text: the NUL written as \x00
    assert [r["name"] for r in rows(oltp_engine, "artist")] == ["Accept"]


def test_a_reason_quotes_a_long_value_briefly_while_quarantine_keeps_it_whole(oltp_engine, tmp_path):
    name = "x" * 1_000_000
    load(oltp_engine, tmp_path, "Artist", f"ArtistId,Name\n1,{name}\n2,Accept\n")
    [entry] = quarantined(oltp_engine)
    assert entry["reason"] == f"Name: longer than 120 characters: '{'x' * 199}... (1,000,000 characters)"
    assert json.loads(entry["raw_row"])["Name"] == name


def test_numbers_too_large_for_their_column_are_out_of_range(oltp_engine, tmp_path):
    load_parents(oltp_engine, tmp_path)
    content = (
        "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n"
        "1,1,1,0.99,12345678901234567890123\n2,1,1,123456789.00,1\n3,1,1,0.99,1\n"
    )
    result = load(oltp_engine, tmp_path, "InvoiceLine", content)
    assert (result.rows_inserted, result.rows_quarantined) == (1, 2)
    assert [q["reason"] for q in quarantined(oltp_engine)] == [
        "Quantity: 12345678901234567890123 is out of range (the limit is ±2147483647)",
        "UnitPrice: 123456789.00 is out of range (the limit is ±99999999.99)",
    ]


class BreakingStream(io.RawIOBase):
    """A landed file whose connection drops after some bytes (what an S3 read that is reset looks like)."""

    def __init__(self, data: bytes, after: int):
        self.data, self.after, self.position = data, after, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.position >= self.after:
            raise ConnectionResetError("connection reset by peer")
        chunk = self.data[self.position : min(self.after, self.position + len(buffer))]
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


def test_a_file_whose_load_breaks_is_recorded_as_failed_and_only_a_new_version_is_tried(oltp_engine, tmp_path):
    content = ("ArtistId,Name\n" + "".join(f"{i},Artist {i}\n" for i in range(1, 5000))).encode()
    path = tmp_path / "Artist.csv"
    path.write_bytes(content)
    artist = table("Artist")
    failed = load_landed_file(oltp_engine, artist, str(path), "v1", lambda: BreakingStream(content, 30_000))
    assert (failed.status, failed.error) == ("failed", "ConnectionResetError: connection reset by peer")
    assert rows(oltp_engine, "artist") == [] and quarantined(oltp_engine) == []
    assert (str(path), "v1") in oltp_bookkeeping.loaded_versions(oltp_engine, artist)  # not retried in a loop
    with oltp_engine.connect() as conn:
        assert oltp_status.rejected_files(conn, artist) == [
            {"table_name": "artist", "source_file": str(path), "status": "failed", "error": failed.error}
        ]
    again = load_landed_file(oltp_engine, artist, str(path), "v2", lambda: path.open("rb"))
    assert (again.status, again.rows_inserted) == ("loaded", 4999)
    with oltp_engine.connect() as conn:
        assert oltp_status.rejected_files(conn, artist) == []


# --- identical content ------------------------------------------------------------------------------------


def counting_opener(path: Path, opened: list[str]):
    def opener():
        opened.append(path.name)
        return path.open("rb")

    return opener


def test_identical_content_after_touch_or_under_a_new_name_is_unchanged_and_read_once(oltp_engine, tmp_path):
    artist = table("Artist")
    first, opened = tmp_path / "Artist" / "a.csv", []
    first.parent.mkdir()
    first.write_text(ARTISTS)
    loaded = load_landed_file(
        oltp_engine, artist, str(first), "v1", counting_opener(first, opened), size=first.stat().st_size
    )
    assert (loaded.status, opened) == ("loaded", ["a.csv"])  # a new size: hashed while it loads, one read
    assert loaded.content_hash == "sha256:" + hashlib.sha256(ARTISTS.encode()).hexdigest()
    copy = tmp_path / "Artist" / "b.csv"
    copy.write_text(ARTISTS)
    for source, version in ((first, "v2-touched"), (copy, "v1")):
        opened.clear()
        result = load_landed_file(
            oltp_engine, artist, str(source), version, counting_opener(source, opened), size=source.stat().st_size
        )
        assert (result.status, result.same_content_as, opened) == ("unchanged", str(first), [source.name])
        assert result.rows_read == result.rows_inserted == result.rows_updated == 0
    assert {r["_load_id"] for r in rows(oltp_engine, "artist")} == {loaded.load_id}
    with oltp_engine.connect() as conn:
        statuses = conn.execute(sa.select(load_log.c.status).order_by(load_log.c.load_id)).scalars().all()
    assert statuses == ["loaded", "unchanged", "unchanged"]


def test_an_s3_etag_that_is_the_md5_recognises_identical_content_without_reading(oltp_engine, tmp_path):
    artist, path = table("Artist"), tmp_path / "Artist.csv"
    path.write_text(ARTISTS)
    checksum = "md5:" + hashlib.md5(ARTISTS.encode()).hexdigest()
    load_landed_file(oltp_engine, artist, "s3://b/Artist.csv", "etag1", lambda: path.open("rb"), checksum=checksum)
    opened: list[str] = []
    again = load_landed_file(
        oltp_engine, artist, "s3://b/Artist/copy.csv", "etag1", counting_opener(path, opened), checksum=checksum
    )
    assert (again.status, opened) == ("unchanged", [])


def test_content_reverted_to_an_earlier_version_is_loaded_again(oltp_engine, tmp_path):
    load(oltp_engine, tmp_path, "Artist", ARTISTS)
    load(oltp_engine, tmp_path, "Artist", ARTISTS.replace("Accept", "Accept!"), version="v2")
    reverted = load(oltp_engine, tmp_path, "Artist", ARTISTS, version="v3")
    assert (reverted.status, reverted.rows_updated) == ("loaded", 1)
    assert rows(oltp_engine, "artist")[1]["name"] == "Accept"


# --- several runners ---------------------------------------------------------------------------------------


def test_concurrent_loads_of_one_file_version_load_it_once(oltp_url_and_schema, tmp_path):
    """Two runners (separate engines, as two machines have) load the same file at the same moment."""
    url, schema = oltp_url_and_schema
    engines = [create_oltp_engine(url, schema=schema) for _ in range(2)]
    path = tmp_path / "Artist.csv"
    path.write_text("ArtistId,Name\n" + "".join(f"{i},Artist {i}\n" for i in range(1, 20_001)))
    start = threading.Barrier(2)

    def runner(engine: sa.Engine) -> LoadResult:
        start.wait()
        return load_landed_file(engine, table("Artist"), str(path), "v1", lambda: path.open("rb"))

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(runner, engines))
    assert sorted(r.status for r in results) == ["loaded", "skipped"]
    assert len(rows(engines[0], "artist")) == 20_000
    with engines[0].connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(load_log)).scalar_one() == 1
    for engine in engines:
        engine.dispose()


# --- upgrading a database made by an earlier version -----------------------------------------------------

OLD_SQLITE_LOAD_LOG = """
CREATE TABLE load_log (
    load_id INTEGER NOT NULL, table_name VARCHAR(40) NOT NULL, source_file VARCHAR(1024) NOT NULL,
    source_version VARCHAR(200), status VARCHAR(20) NOT NULL, error TEXT,
    rows_read INTEGER DEFAULT '0' NOT NULL, rows_inserted INTEGER DEFAULT '0' NOT NULL,
    rows_updated INTEGER DEFAULT '0' NOT NULL, rows_unchanged INTEGER DEFAULT '0' NOT NULL,
    rows_quarantined INTEGER DEFAULT '0' NOT NULL, rows_resolved INTEGER DEFAULT '0' NOT NULL,
    loaded_at DATETIME NOT NULL,
    CONSTRAINT pk_load_log PRIMARY KEY (load_id),
    CONSTRAINT ck_load_log_status CHECK (status in ('loaded', 'rejected', 'retried'))
)"""


def test_a_database_from_an_earlier_version_gains_the_new_columns_and_statuses(oltp_url_and_schema, tmp_path):
    url, schema = oltp_url_and_schema
    engine = create_oltp_engine(url, schema=schema)
    load(engine, tmp_path, "Artist", ARTISTS + "x,Broken\n")
    with engine.begin() as conn:  # make it what an earlier version created
        conn.exec_driver_sql("drop index ix_load_log_table_name_content_hash")
        conn.exec_driver_sql("drop index ix_load_log_table_name_content_bytes")
        conn.exec_driver_sql("alter table load_log drop column content_hash")
        conn.exec_driver_sql("alter table load_log drop column content_bytes")
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("alter table load_log drop constraint ck_load_log_status")
            conn.exec_driver_sql(
                "alter table load_log add constraint ck_load_log_status "
                "check (status in ('loaded', 'rejected', 'retried'))"
            )
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            dbapi = conn.connection.driver_connection
            dbapi.execute("pragma foreign_keys = off")
            old_shape = OLD_SQLITE_LOAD_LOG.replace("TABLE load_log", "TABLE old_log")
            names = (
                "load_id, table_name, source_file, source_version, status, error, rows_read, rows_inserted, "
                "rows_updated, rows_unchanged, rows_quarantined, rows_resolved, loaded_at"
            )
            dbapi.executescript(
                f"begin; {old_shape}; insert into old_log select {names} from load_log; "
                "drop table load_log; alter table old_log rename to load_log; commit;"
            )
            dbapi.execute("pragma foreign_keys = on")
    engine.dispose()
    for _ in range(2):  # idempotent
        engine = create_oltp_engine(url, schema=schema)
        engine.dispose()
    engine = create_oltp_engine(url, schema=schema)
    with engine.connect() as conn:
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("load_log")}
    assert {"ix_load_log_table_name_content_hash", "ix_load_log_table_name_content_bytes"} <= indexes
    failed = load_landed_file(engine, table("Artist"), "Artist.csv", "v2", lambda: BreakingStream(b"ArtistId", 4))
    assert failed.status == "failed"
    again = load(engine, tmp_path, "Artist", ARTISTS + "4,Fixed\n", version="v3")
    assert again.content_hash is not None and [q["status"] for q in quarantined(engine)] == ["superseded"]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # quarantine still refers to load_log
        conn.execute(
            quarantine.insert().values(
                table_name="artist", source_file="f", reason="r", raw_row="{}", status="rejected", load_id=999
            )
        )
    engine.dispose()
