"""A landing zone that is safe to write into: a symbolic link out of it is refused, a file still being written is
left for the next look, and ``chinook land`` writes under a temporary name, then renames."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from chinook_platform.defs.landing.sensors import landing_sensor
from chinook_platform.defs.resources import LandingZoneResource, OltpDatabase
from chinook_platform.lib.landing import LocalLandingZone, landing_zone_at
from chinook_platform_tests.oltp.test_oltp_load import ARTISTS, GENRES


def tick(landing: Path, oltp: OltpDatabase, cursor: str | None = None) -> dg.SensorResult:
    resources = {"landing_zone": LandingZoneResource(url=str(landing)), "oltp": oltp}
    with dg.build_sensor_context(cursor=cursor, resources=resources) as context:
        return landing_sensor(context)


@pytest.fixture
def zone_with_links(tmp_path: Path) -> Path:
    """A landing zone holding Artist.csv, a link to a file outside it, and a link to a file inside it."""
    landing = tmp_path / "landing"
    (landing / "Genre").mkdir(parents=True)
    (landing / "Artist.csv").write_text(ARTISTS)
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text(GENRES)
    (landing / "Genre" / "stolen.csv").symlink_to(secret)
    (landing / "Genre" / "alias.csv").symlink_to(landing / "Artist.csv")
    return landing


def test_a_symbolic_link_to_a_file_outside_the_zone_is_refused_with_a_warning_naming_it(zone_with_links, caplog):
    zone = landing_zone_at(str(zone_with_links))
    with caplog.at_level(logging.WARNING):
        keys = [f.key for f in zone.list_files()]
    assert keys == ["Artist.csv", "Genre/alias.csv"]  # a link inside the zone is as good as its target
    assert zone.refused == [f"symbolic link to {zone_with_links.parent / 'outside' / 'secret.csv'}, outside the "
                            "landing zone, refused: Genre/stolen.csv"]  # fmt: skip
    assert "Genre/stolen.csv" in caplog.text
    with pytest.raises(PermissionError, match="outside the landing zone"):
        zone.open("Genre/stolen.csv")


def test_a_setting_allows_links_outside_the_zone(zone_with_links, monkeypatch):
    monkeypatch.setenv("CHINOOK_LANDING_FOLLOW_OUTSIDE_LINKS", "true")
    zone = landing_zone_at(str(zone_with_links))
    assert "Genre/stolen.csv" in [f.key for f in zone.list_files()]
    with zone.open("Genre/stolen.csv") as stream:
        assert stream.read().decode() == GENRES


def test_the_sensor_requests_no_run_for_a_link_outside_the_zone(zone_with_links, tmp_path, caplog):
    (zone_with_links / "Artist.csv").unlink()
    (zone_with_links / "Genre" / "alias.csv").unlink()
    with caplog.at_level(logging.WARNING):
        result = tick(zone_with_links, OltpDatabase(url=f"sqlite:///{tmp_path / 'oltp.sqlite'}"))
    assert result.run_requests == []
    assert "Genre/stolen.csv" in caplog.text


def test_a_file_still_being_written_is_left_for_the_next_tick(tmp_path, monkeypatch):
    monkeypatch.setenv("CHINOOK_LANDING_SETTLE_SECONDS", "30")
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "Artist.csv").write_text(ARTISTS[:40])  # cut inside a row: the writer is not done
    oltp = OltpDatabase(url=f"sqlite:///{tmp_path / 'oltp.sqlite'}")
    first = tick(landing, oltp)
    assert first.run_requests == []
    assert [f.key for f in LocalLandingZone(landing).list_files()] == ["Artist.csv"]  # no settle time: listed

    (landing / "Artist.csv").write_text(ARTISTS)
    written = time.time() - 31  # the writer finished a while ago
    os.utime(landing / "Artist.csv", (written, written))
    [request] = tick(landing, oltp, first.cursor).run_requests
    assert request.tags["chinook/landed_file"] == "Artist.csv"


def test_land_writes_under_a_temporary_name_and_keeps_the_source_modification_time(tmp_path):
    source = tmp_path / "Artist.csv"
    source.write_text(ARTISTS)
    earlier = time.time() - 3600
    os.utime(source, (earlier, earlier))
    zone = LocalLandingZone(tmp_path / "landing", settle_seconds=2)
    zone.upload(source, "Artist.csv")
    assert [f.key for f in zone.list_files()] == ["Artist.csv"]  # complete, and settled at once
    assert sorted(p.name for p in (tmp_path / "landing").iterdir()) == ["Artist.csv"]  # no partial left behind
    (tmp_path / "landing" / ".Genre.csv.partial").write_text(GENRES)  # what a copy in progress looks like
    assert [f.key for f in zone.list_files()] == ["Artist.csv"]
