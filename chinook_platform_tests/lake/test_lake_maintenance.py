"""The lake's upkeep keeps the rows: compaction and snapshot expiry change files and history, never contents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from chinook_platform.defs.lake.jobs import lake_maintenance
from chinook_platform.defs.resources import LakeResource
from chinook_platform.lib.contract import table
from chinook_platform.lib.lake.maintenance import compact, data_file_count, expire_snapshots, maintain
from chinook_platform.lib.warehouse import DuckDBStaging, load_new_batches
from chinook_platform_tests.lake.test_lake_and_staging import folder_lake
from chinook_platform_tests.oltp.test_oltp_load import load

ARTIST = table("Artist")


def contents(lake) -> list[tuple]:
    rows = lake.table(ARTIST).scan().to_arrow().sort_by([("_load_id", "ascending"), ("artist_id", "ascending")])
    return list(zip(*(rows.column(name).to_pylist() for name in rows.column_names), strict=True))


def daily_extracts(engine, lake, tmp_path, days: int) -> None:
    """One extract a day, each one new artist: the small files daily landings make."""
    for day in range(1, days + 1):
        artists = "ArtistId,Name\n" + "".join(f"{i},Artist {i}\n" for i in range(1, day + 1))
        load(engine, tmp_path / "landing", "Artist", artists, version=f"v{day}")
        assert lake.extract(engine, ARTIST).rows == 1


def test_compaction_and_expiry_keep_the_rows_and_the_watermark(oltp_engine, tmp_path):
    lake = folder_lake(tmp_path)
    daily_extracts(oltp_engine, lake, tmp_path, days=5)
    before, watermark, rows = contents(lake), lake.watermark(ARTIST), lake.row_count(ARTIST)
    assert data_file_count(lake, ARTIST) == 5
    upkeep = maintain(lake, ARTIST, retention=timedelta(0), from_files=2)
    assert (upkeep.files_before, upkeep.files_after, upkeep.skipped) == (5, 1, "")
    assert upkeep.snapshots_expired >= 5 and len(lake.table(ARTIST).snapshots()) == 1
    assert contents(lake) == before and lake.row_count(ARTIST) == rows == 5
    assert lake.watermark(ARTIST) == watermark  # the next extract starts where it would have
    load(oltp_engine, tmp_path / "landing", "Artist", "ArtistId,Name\n6,Artist 6\n", version="v6")
    assert lake.extract(oltp_engine, ARTIST).rows == 1 and lake.row_count(ARTIST) == 6
    assert [b.rows for b in lake.batches(ARTIST)] == [1]  # the expired extracts left the history


def test_expiry_keeps_the_snapshots_inside_the_window(oltp_engine, tmp_path):
    lake = folder_lake(tmp_path)
    daily_extracts(oltp_engine, lake, tmp_path, days=3)
    assert expire_snapshots(lake, ARTIST, timedelta(days=7)) == 0
    [first, *_] = lake.batches(ARTIST)
    then = lake.table(ARTIST).scan(snapshot_id=first.snapshot_id).to_arrow()
    assert then.column("artist_id").to_pylist() == [1]  # time travel still reaches the first day
    later = datetime.now(UTC) + timedelta(days=8)
    assert expire_snapshots(lake, ARTIST, timedelta(days=7), now=later) == 2  # all but the current one


def test_a_small_table_is_not_rewritten(oltp_engine, tmp_path):
    lake = folder_lake(tmp_path)
    daily_extracts(oltp_engine, lake, tmp_path, days=2)
    snapshots = len(lake.table(ARTIST).snapshots())
    assert maintain(lake, ARTIST, retention=timedelta(days=7)).files_after == 2
    assert len(lake.table(ARTIST).snapshots()) == snapshots


def test_the_maintenance_job_runs_over_every_table(oltp_engine, tmp_path):
    lake = folder_lake(tmp_path)
    daily_extracts(oltp_engine, lake, tmp_path, days=2)
    resource = LakeResource(url=lake.url, catalog_url=lake.catalog_url, snapshot_retention_days="0")
    result = lake_maintenance.execute_in_process(resources={"lake": resource}, instance=dg.DagsterInstance.ephemeral())
    assert result.success and result.output_for_node("maintain_lake_tables") == 1
    assert sorted(r["artist_id"] for r in lake.table(ARTIST).scan().to_arrow().to_pylist()) == [1, 2]
    assert not lake.exists(table("Invoice"))  # a table never extracted is not created by the upkeep


def test_staging_after_compaction_loads_each_extract_exactly(oltp_engine, tmp_path):
    """Compaction moves rows between files: staging still reads each extract's rows, once, by its load ids."""
    lake, staging = folder_lake(tmp_path), DuckDBStaging(str(tmp_path / "warehouse.duckdb"))
    daily_extracts(oltp_engine, lake, tmp_path, days=4)
    assert compact(lake, ARTIST, from_files=2)
    loaded = load_new_batches(
        staging, ARTIST, lake.batches(ARTIST), lambda b: lake.stream(ARTIST, b), lambda b: lake.uri(ARTIST, b)
    )
    assert [rows for _, rows in loaded] == [1, 1, 1, 1]
    assert staging.query(f"select artist_id, _load_id from {staging.schema}.artist order by 1") == [
        (i, b.max_load_id) for i, b in enumerate(lake.batches(ARTIST), start=1)
    ]
