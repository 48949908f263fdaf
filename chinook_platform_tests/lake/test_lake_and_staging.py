"""The lake's Iceberg tables (folder and S3): incremental append commits, racing runners, time travel; and the
warehouse staging loads (DuckDB, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from chinook_platform.lib.contract import TABLES, table
from chinook_platform.lib.lake import LakeStore, parquet_schema
from chinook_platform.lib.lake import store as lake_module
from chinook_platform.lib.oltp import load_log
from chinook_platform.lib.warehouse import (
    DuckDBStaging,
    PostgresStaging,
    load_new_batches,
    redshift_load_statements,
)
from chinook_platform_tests.oltp.test_oltp_load import ARTISTS, INVOICE_LINES, PARENTS, load, rows


def folder_lake(tmp_path: Path) -> LakeStore:
    """A folder lake with its SQLite catalog beside it, as the embedded default has."""
    return LakeStore(str(tmp_path / "lake"), f"sqlite:///{tmp_path / 'lake_catalog.sqlite'}")


@pytest.fixture
def loaded_oltp(oltp_engine, tmp_path) -> sa.Engine:
    for name, content in [*PARENTS, ("InvoiceLine", INVOICE_LINES)]:
        load(oltp_engine, tmp_path / "landing", name, content)
    return oltp_engine


def test_the_first_extract_takes_everything_and_the_next_only_changes(loaded_oltp, tmp_path):
    lake = folder_lake(tmp_path)
    first = lake.extract(loaded_oltp, table("Artist"))
    assert first.rows == 3 and lake.extract(loaded_oltp, table("Artist")) is None
    load(loaded_oltp, tmp_path / "landing", "Artist", ARTISTS.replace("Accept", "Accept!") + "4,Alanis\n", version="v2")
    second = lake.extract(loaded_oltp, table("Artist"))
    assert second.rows == 2 and second.min_load_id == first.max_load_id + 1
    rows = lake.read(table("Artist"), second).to_pylist()
    assert [(r["artist_id"], r["name"]) for r in rows] == [(2, "Accept!"), (4, "Alanis")]
    assert lake.batches(table("Artist")) == [first, second]
    assert second.load_ids == (second.max_load_id,)  # the snapshot's summary names the OLTP load it carries


def test_each_extract_is_one_iceberg_snapshot_in_the_lakes_folder(loaded_oltp, tmp_path):
    lake, artist = folder_lake(tmp_path), table("Artist")
    batch = lake.extract(loaded_oltp, artist)
    iceberg = lake.table(artist)
    assert iceberg.current_snapshot().snapshot_id == batch.snapshot_id and len(iceberg.snapshots()) == 1
    assert iceberg.location() == str(tmp_path / "lake" / "artist")
    assert list((tmp_path / "lake" / "artist" / "metadata").glob("*.metadata.json"))
    assert not (tmp_path / "lake" / "artist" / "_batches").exists()
    assert iceberg.scan().to_arrow().num_rows == 3


def test_the_lake_keeps_the_contracts_exact_types(loaded_oltp, tmp_path):
    lake = folder_lake(tmp_path)
    batch = lake.extract(loaded_oltp, table("Invoice"))
    data = lake.read(table("Invoice"), batch)
    assert data.schema.field("total").type == pa.decimal128(10, 2)
    assert data.schema.field("invoice_date").type == pa.timestamp("us")
    assert data.column("total").to_pylist() == [Decimal("1.98")]
    assert data.column("billing_postal_code").to_pylist() == ["01067"]
    assert data.schema.equals(parquet_schema(table("Invoice")), check_metadata=False)


def test_every_value_reaches_the_lake_exactly_across_chunks(oltp_engine, tmp_path, monkeypatch):
    """Nulls that begin only after the first chunk, money at the edges of decimal(10, 2), the load times."""
    monkeypatch.setattr(lake_module, "EXTRACT_CHUNK_ROWS", 4)  # SQLite streams in chunks of this many rows
    customers = ["CustomerId,FirstName,LastName,Company,Address,City,State,Country,PostalCode,Phone,Email"]
    for i in range(1, 31):
        company, state = ("", "") if i <= 20 else (f"Firm {i}", "SP" if i % 2 else "")
        customers.append(f"{i},First{i},Last{i},{company},Street {i},City,{state},Brazil,,,c{i}@example.com")
    invoices = [
        "InvoiceId,CustomerId,InvoiceDate,BillingAddress,BillingCity,BillingState,BillingCountry,"
        "BillingPostalCode,Total"
    ]
    totals = ["0.01", "99999999.99", "1.10", "0.00", "12345.67", "0.99", "3.30", "10.00", "7.77"]
    for i, total in enumerate(totals, start=1):
        invoices.append(f"{i},{i},2021-01-0{i} 13:14:15,Street,City,,Brazil,{'0106' if i % 2 else ''},{total}")
    load(oltp_engine, tmp_path / "landing", "Customer", "\n".join(customers) + "\n")
    load(oltp_engine, tmp_path / "landing", "Invoice", "\n".join(invoices) + "\n")
    lake = folder_lake(tmp_path)
    with oltp_engine.connect() as conn:
        loaded_at = dict(conn.execute(sa.select(load_log.c.load_id, load_log.c.loaded_at)).all())
    for name in ("Customer", "Invoice"):
        batch = lake.extract(oltp_engine, table(name))
        lake_rows = lake.read(table(name), batch).to_pylist()
        without_load_time = [{k: v for k, v in r.items() if k != "_loaded_at"} for r in lake_rows]
        assert without_load_time == rows(oltp_engine, table(name).name)
        assert all(r["_loaded_at"] == loaded_at[r["_load_id"]] for r in lake_rows)
    companies = [r["company"] for r in lake.read(table("Customer"), lake.batches(table("Customer"))[0]).to_pylist()]
    assert companies[:20] == [None] * 20 and companies[20:] == [f"Firm {i}" for i in range(21, 31)]
    totals_in_lake = lake.read(table("Invoice"), lake.batches(table("Invoice"))[0]).column("total").to_pylist()
    assert totals_in_lake == [Decimal(t) for t in totals]


def test_the_lake_works_the_same_on_s3(loaded_oltp, s3_endpoint, s3_bucket, tmp_path):
    catalog = f"sqlite:///{tmp_path / 'lake_catalog.sqlite'}"
    lake = LakeStore(f"s3://{s3_bucket}/lake", catalog, s3_endpoint)
    batch = lake.extract(loaded_oltp, table("Customer"))
    assert batch.rows == 2 and lake.uri(table("Customer"), batch).startswith(f"s3://{s3_bucket}/lake/customer/data/")
    again = LakeStore(f"s3://{s3_bucket}/lake", catalog, s3_endpoint)
    assert again.watermark(table("Customer")) == batch.max_load_id
    assert again.read(table("Customer"), batch).column("city").to_pylist()[1] == "Stuttgart"


@pytest.fixture(params=["folder", "s3"])
def lake_url(request, tmp_path) -> str:
    if request.param == "folder":
        return str(tmp_path / "lake")
    return f"s3://{request.getfixturevalue('s3_bucket')}/lake"


def lake_at(url: str, request: pytest.FixtureRequest, tmp_path: Path) -> LakeStore:
    """A runner's own LakeStore (its own catalog connection and clients), as a second machine would have."""
    catalog = f"sqlite:///{tmp_path / 'lake_catalog.sqlite'}"
    if not url.startswith("s3://"):
        return LakeStore(url, catalog)
    return LakeStore(url, catalog, request.getfixturevalue("s3_endpoint"))


def race_between_read_and_commit(monkeypatch, meanwhile) -> None:
    """Run ``meanwhile()`` once, after the next extract has read the watermark and its range and before it reads
    and commits the rows."""
    read_range = lake_module.LakeStore._changed_range
    ran = []

    def read_then_let_the_other_runner_commit(self, engine, table, after):
        changed = read_range(self, engine, table, after)
        if not ran:
            ran.append(True)
            meanwhile()
        return changed

    monkeypatch.setattr(lake_module.LakeStore, "_changed_range", read_then_let_the_other_runner_commit)


def test_two_runners_extracting_the_same_change_commit_it_once(loaded_oltp, tmp_path, lake_url, request, monkeypatch):
    """Runner B extracts the same range while runner A is between reading its rows and committing them: A's
    commit fails on the catalog's compare-and-swap, A recomputes from B's watermark and finds nothing left."""
    artist = table("Artist")
    runner_a, runner_b = lake_at(lake_url, request, tmp_path), lake_at(lake_url, request, tmp_path)
    runner_a.table(artist)  # both runners hold the table's metadata before either commits
    outcome = {}
    race_between_read_and_commit(monkeypatch, lambda: outcome.setdefault("b", runner_b.extract(loaded_oltp, artist)))
    outcome["a"] = runner_a.extract(loaded_oltp, artist)
    assert outcome["a"] is None and outcome["b"].rows == 3
    for runner in (runner_a, runner_b, lake_at(lake_url, request, tmp_path)):
        assert runner.batches(artist) == [outcome["b"]]
        assert runner.table(artist).scan().to_arrow().num_rows == 3


def test_two_runners_extracting_different_changes_commit_each_once(
    loaded_oltp, tmp_path, lake_url, request, monkeypatch
):
    """B commits the first load while A holds it, then a second load lands: A's retry commits only the second."""
    artist = table("Artist")
    runner_a, runner_b = lake_at(lake_url, request, tmp_path), lake_at(lake_url, request, tmp_path)

    def b_commits_then_a_new_load_lands() -> None:
        runner_b.extract(loaded_oltp, artist)
        load(loaded_oltp, tmp_path / "landing", "Artist", ARTISTS + "4,Alanis\n", version="v2")

    race_between_read_and_commit(monkeypatch, b_commits_then_a_new_load_lands)
    committed_by_a = runner_a.extract(loaded_oltp, artist)
    assert committed_by_a.rows == 1
    assert [b.rows for b in runner_b.batches(artist)] == [3, 1]
    ids = runner_b.table(artist).scan().to_arrow().column("artist_id").to_pylist()
    assert sorted(ids) == [1, 2, 3, 4]


def test_a_column_added_to_the_contract_is_a_schema_update_not_a_rewrite(loaded_oltp, tmp_path):
    """A lake table written before the contract had ``name``: the next extract adds the column to its schema and
    appends; the earlier file stays and reads the new column as null."""
    lake, artist = folder_lake(tmp_path), table("Artist")
    before = parquet_schema(artist).remove(parquet_schema(artist).get_field_index("name"))
    old = lake.catalog.create_table(
        (lake_module.NAMESPACE, artist.name),
        schema=before,
        location=lake.location(artist),
        properties=lake_module.TABLE_PROPERTIES,
    )
    old.append(pa.table({"artist_id": [9], "_load_id": [0], "_loaded_at": [datetime(2020, 1, 1)]}, schema=before))
    batch = lake.extract(loaded_oltp, artist)
    iceberg = lake.table(artist)
    assert len(iceberg.schemas()) == 2 and "name" in iceberg.schema().column_names
    assert batch.rows == 3 and len(iceberg.snapshots()) == 2  # the old snapshot kept: nothing rewritten
    rows = {r["artist_id"]: r["name"] for r in iceberg.scan().to_arrow().to_pylist()}
    assert rows == {9: None, 1: "AC/DC", 2: "Accept", 3: "Aerosmith"}


def test_time_travel_returns_the_earlier_rows(loaded_oltp, tmp_path):
    lake, artist = folder_lake(tmp_path), table("Artist")
    first = lake.extract(loaded_oltp, artist)
    load(loaded_oltp, tmp_path / "landing", "Artist", ARTISTS.replace("Accept", "Accept!") + "4,Alanis\n", version="v2")
    lake.extract(loaded_oltp, artist)
    then = lake.table(artist).scan(snapshot_id=first.snapshot_id).to_arrow()
    assert sorted(then.column("name").to_pylist()) == ["AC/DC", "Accept", "Aerosmith"]
    assert lake.table(artist).scan().to_arrow().num_rows == 5  # every version stays in the lake


@pytest.fixture(params=["duckdb", "postgres"])
def staging_warehouse(request, tmp_path):
    if request.param == "duckdb":
        yield DuckDBStaging(str(tmp_path / "warehouse.duckdb"))
        return
    schema = request.getfixturevalue("postgres_schema") + "_staging"  # apart from the OLTP tables' schema
    warehouse = PostgresStaging(request.getfixturevalue("postgres_url"), schema)
    yield warehouse
    with warehouse.sql.begin() as conn:
        conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
    warehouse.sql.dispose()


def test_staging_loads_each_batch_once_and_keeps_every_version(loaded_oltp, tmp_path, staging_warehouse):
    lake = folder_lake(tmp_path)
    artist = table("Artist")

    def stage() -> list:
        return load_new_batches(
            staging_warehouse,
            artist,
            lake.batches(artist),
            lambda b: lake.stream(artist, b),
            lambda b: lake.uri(artist, b),
        )

    lake.extract(loaded_oltp, artist)
    assert [rows for _, rows in stage()] == [3]
    assert stage() == []  # loading again changes nothing
    load(loaded_oltp, tmp_path / "landing", "Artist", ARTISTS.replace("Accept", "Accept!"), version="v2")
    lake.extract(loaded_oltp, artist)
    assert [rows for _, rows in stage()] == [1]
    versions = staging_warehouse.query(
        f"select name, _load_id from {staging_warehouse.schema}.artist where artist_id = 2 order by _load_id"
    )
    assert [name for name, _ in versions] == ["Accept", "Accept!"]
    assert staging_warehouse.row_count(artist) == 4


def test_staging_loads_only_what_it_has_not_loaded_in_any_order_of_snapshots(loaded_oltp, tmp_path, staging_warehouse):
    lake, artist = folder_lake(tmp_path), table("Artist")
    first = lake.extract(loaded_oltp, artist)
    load(loaded_oltp, tmp_path / "landing", "Artist", ARTISTS + "4,Alanis\n", version="v2")
    second = lake.extract(loaded_oltp, artist)

    def stage(batches: list) -> list:
        return load_new_batches(
            staging_warehouse, artist, batches, lambda b: lake.stream(artist, b), lambda b: lake.uri(artist, b)
        )

    assert stage([second]) == [(second, 1)]  # the newer snapshot first
    assert stage(lake.batches(artist)) == [(first, 3)]  # then only the one it has not loaded
    assert stage(lake.batches(artist)) == []
    assert staging_warehouse.row_count(artist) == 4


def test_a_batch_another_runner_staged_meanwhile_is_skipped(loaded_oltp, tmp_path, staging_warehouse):
    lake, artist = folder_lake(tmp_path), table("Artist")
    batch = lake.extract(loaded_oltp, artist)
    assert staging_warehouse.loaded_batches(artist) == set()
    assert staging_warehouse.load_batch(artist, batch, lambda: lake.stream(artist, batch), "") == 3  # runner B
    # Runner A listed the ledger before B loaded, and a lake from before registration was race-free may list
    # the batch twice: neither loads it again.
    staging_warehouse.loaded_batches = lambda _table: set()
    assert (
        load_new_batches(
            staging_warehouse,
            artist,
            [batch, batch],
            lambda b: lake.stream(artist, b),
            lambda b: lake.uri(artist, b),
        )
        == []
    )
    assert staging_warehouse.row_count(artist) == 3


def test_every_table_stages_with_its_contract_types(loaded_oltp, tmp_path, staging_warehouse):
    lake = folder_lake(tmp_path)
    for t in TABLES:
        lake.extract(loaded_oltp, t)
        load_new_batches(
            staging_warehouse, t, lake.batches(t), lambda b, t=t: lake.stream(t, b), lambda b, t=t: lake.uri(t, b)
        )
    [(total, postal)] = staging_warehouse.query(
        f"select total, billing_postal_code from {staging_warehouse.schema}.invoice"
    )
    assert (Decimal(total), postal) == (Decimal("1.98"), "01067")


def test_a_batch_of_many_chunks_stages_whole_and_once(oltp_engine, tmp_path, staging_warehouse, monkeypatch):
    monkeypatch.setattr(lake_module, "EXTRACT_CHUNK_ROWS", 2)  # read from the OLTP two rows at a time
    artists = "ArtistId,Name\n" + "".join(f"{i},Artist {i}\n" for i in range(1, 12))
    load(oltp_engine, tmp_path / "landing", "Artist", artists)
    lake, artist = folder_lake(tmp_path), table("Artist")
    batch = lake.extract(oltp_engine, artist)
    assert lake.stream(artist, batch).read_all().num_rows == 11
    loaded = load_new_batches(
        staging_warehouse,
        artist,
        lake.batches(artist),
        lambda b: lake.stream(artist, b),
        lambda b: lake.uri(artist, b),
    )
    assert loaded == [(batch, 11)]
    schema = staging_warehouse.schema
    assert staging_warehouse.query(
        f"select count(*), count(distinct artist_id), min(_batch_id), max(_batch_id) from {schema}.artist"
    ) == [(11, 11, batch.batch_id, batch.batch_id)]
    assert staging_warehouse.query(f"select row_count from {schema}._batches") == [(11,)]


def test_redshift_staging_copies_parquet_from_s3_with_the_iam_role():
    statements = redshift_load_statements(
        table("InvoiceLine"),
        "staging",
        "s3://lake/invoice_line/loads-000000001-000000009.parquet",
        "arn:aws:iam::123456789012:role/copy",
        "loads-000000001-000000009",
        2240,
    )
    assert statements[1] == (
        "copy incoming_invoice_line from 's3://lake/invoice_line/loads-000000001-000000009.parquet' "
        "iam_role 'arn:aws:iam::123456789012:role/copy' format as parquet"
    )
    assert statements[0].startswith("create temporary table incoming_invoice_line (invoice_line_id integer, ")
    assert "unit_price decimal(10, 2)" in statements[0] and "_batch_id" not in statements[0]
    assert statements[2] == (
        "insert into staging.invoice_line select *, 'loads-000000001-000000009' from incoming_invoice_line"
    )
    assert "2240" in statements[3]


def test_an_extract_in_several_files_reaches_redshift_through_a_copy_manifest(
    loaded_oltp, s3_endpoint, s3_bucket, tmp_path, monkeypatch
):
    """An extract larger than one data file (512 MiB of rows; here one row) is several files: Redshift's COPY gets
    a manifest listing each with its size, as COPY of Parquet requires."""
    import json

    import boto3

    from chinook_platform.lib.lake import store

    monkeypatch.setattr(store, "TABLE_PROPERTIES", store.TABLE_PROPERTIES | {"write.target-file-size-bytes": "1"})
    for reader in store.READERS.values():  # one row per Arrow batch, so one per file, from either database
        read = reader.batches
        monkeypatch.setattr(
            reader,
            "batches",
            lambda self, *args, read=read: (b.slice(i, 1) for b in read(self, *args) for i in range(b.num_rows)),
        )
    lake = LakeStore(f"s3://{s3_bucket}/lake", f"sqlite:///{tmp_path / 'lake_catalog.sqlite'}", s3_endpoint)
    customer = table("Customer")
    batch = lake.extract(loaded_oltp, customer)
    files = lake.data_files(customer, batch)
    assert len(files) == batch.rows > 1

    manifest = lake.uri(customer, batch)
    assert manifest == f"s3://{s3_bucket}/lake/customer/metadata/copy-{batch.snapshot_id}.manifest"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    entries = json.loads(s3.get_object(Bucket=s3_bucket, Key=manifest.split("/", 3)[3])["Body"].read())["entries"]
    assert [e["url"] for e in entries] == files and all(e["mandatory"] for e in entries)
    sizes = [s3.head_object(Bucket=s3_bucket, Key=f.split("/", 3)[3])["ContentLength"] for f in files]
    assert [e["meta"]["content_length"] for e in entries] == sizes
    copy = redshift_load_statements(customer, "staging", manifest, "arn:aws:iam::1:role/copy", batch.batch_id, 2)[1]
    assert copy.endswith("format as parquet manifest")
