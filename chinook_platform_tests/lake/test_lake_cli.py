"""``chinook lake history`` and ``chinook lake show --as-of``: time travel from the command line, on the lake
and catalog the settings name."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from chinook_platform.console.cli import cli
from chinook_platform.lib.contract import table
from chinook_platform.lib.environment import settings
from chinook_platform.lib.lake import LakeStore
from chinook_platform.lib.oltp import create_oltp_engine
from chinook_platform_tests.oltp.test_oltp_load import ARTISTS, load


@pytest.fixture
def two_snapshots(tmp_path, monkeypatch):
    """The Artist table extracted twice: three artists, then one renamed and one added."""
    monkeypatch.setenv("CHINOOK_HOME", str(tmp_path / "home"))
    chinook = settings()
    engine = create_oltp_engine(chinook.oltp_url)
    lake = LakeStore(chinook.lake_url, chinook.lake_catalog_url)
    load(engine, tmp_path / "landing", "Artist", ARTISTS, version="v1")
    first = lake.extract(engine, table("Artist"))
    load(engine, tmp_path / "landing", "Artist", ARTISTS.replace("Accept", "Accept!") + "4,Alanis\n", version="v2")
    second = lake.extract(engine, table("Artist"))
    engine.dispose()
    return first, second


def test_history_lists_each_snapshot_with_its_rows_and_load_ids(two_snapshots):
    first, second = two_snapshots
    done = CliRunner().invoke(cli, ["lake", "history", "Artist"])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()[1:]
    assert [line.split()[0] for line in lines] == [str(first.snapshot_id), str(second.snapshot_id)]
    assert [line.split()[2] for line in lines] == ["3", "2"]
    assert lines[1].split()[-1] == str(second.max_load_id)


@pytest.mark.parametrize("by", ["snapshot", "time"])
def test_show_as_of_an_earlier_snapshot_returns_the_earlier_rows(two_snapshots, by):
    first, _ = two_snapshots
    as_of = str(first.snapshot_id) if by == "snapshot" else first.extracted_at
    done = CliRunner().invoke(cli, ["lake", "show", "artist", "--as-of", as_of])
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.output)))
    assert sorted(r["name"] for r in rows) == ["AC/DC", "Accept", "Aerosmith"]


def test_show_refuses_a_time_before_the_first_snapshot(two_snapshots):
    done = CliRunner().invoke(cli, ["lake", "show", "Artist", "--as-of", "2000-01-01T00:00:00"])
    assert done.exit_code != 0 and "no snapshot at or before" in done.output
