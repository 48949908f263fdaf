"""The landing zone on S3 and the landing sensor: run keys per object version, a cursor that stays correct."""

from __future__ import annotations

import boto3
import dagster as dg
import pytest

from chinook_platform.defs.landing.sensors import landing_sensor
from chinook_platform.defs.resources import LandingZoneResource, OltpDatabase
from chinook_platform.lib.contract import table
from chinook_platform.lib.landing import LandedFile, S3LandingZone
from chinook_platform.lib.landing.cursor import RETRY_AFTER_SECONDS, LandingCursor
from chinook_platform.lib.oltp import load_landed_file
from chinook_platform_tests.oltp.test_oltp_load import ARTISTS


def landed(key: str, version: str = "v1", at: float = 1_000_000.0) -> LandedFile:
    return LandedFile(key=key, size=1, version=version, last_modified=at)


def test_the_cursor_requests_what_the_load_log_lacks_once_and_again_after_the_retry_window():
    files = [landed("Artist.csv"), landed("Album.csv", at=1.0), landed("Genre.csv")]  # an ancient mtime too
    loaded: set[str] = {"Genre.csv"}
    due, cursor = LandingCursor().pending(files, lambda f: f.key in loaded, now=100.0)
    assert [f.key for f in due] == ["Album.csv", "Artist.csv"]
    cursor = LandingCursor.parse(cursor.dumps())
    assert cursor.pending(files, lambda f: f.key in loaded, now=110.0)[0] == []  # their run is pending
    reupload = landed("Artist.csv", "v2")
    due, cursor = cursor.pending([*files[1:], reupload], lambda f: f.key in loaded, now=120.0)
    assert due == [reupload]  # a new version of a requested key
    loaded |= {"Album.csv"}
    due, cursor = cursor.pending([*files[1:], reupload], lambda f: f.key in loaded, now=100.0 + RETRY_AFTER_SECONDS)
    assert due == [] and len(cursor.requested) == 1  # loaded versions leave the cursor
    due, _ = cursor.pending([*files[1:], reupload], lambda f: f.key in loaded, now=121.0 + RETRY_AFTER_SECONDS)
    assert due == [reupload]  # its run never loaded it: asked again


def test_the_cursor_stays_small_once_files_are_loaded():
    files = [landed(f"InvoiceLine/{i:05d}.csv", at=1_000_000.0 + i) for i in range(5_000)]
    due, cursor = LandingCursor().pending(files, lambda f: False, now=0.0)
    assert len(due) == 5_000
    due, cursor = LandingCursor.parse(cursor.dumps()).pending(files, lambda f: True, now=1.0)
    assert due == [] and cursor.requested == {}


def test_skipped_files_are_reported_once():
    skipped = [landed("Employee.csv"), landed("notes.txt")]
    new, cursor = LandingCursor().not_reported(skipped)
    assert new == skipped
    assert LandingCursor.parse(cursor.dumps()).not_reported(skipped)[0] == []
    assert LandingCursor.parse(cursor.dumps()).not_reported([landed("Employee.csv", "v2")])[0] != []


@pytest.fixture
def s3_landing(s3_endpoint: str, s3_bucket: str) -> tuple[LandingZoneResource, boto3.client]:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    resource = LandingZoneResource(url=f"s3://{s3_bucket}/landing", s3_endpoint_url=s3_endpoint)
    return resource, client


def tick(resource: LandingZoneResource, cursor: str | None, oltp: OltpDatabase) -> dg.SensorResult:
    with dg.build_sensor_context(cursor=cursor, resources={"landing_zone": resource, "oltp": oltp}) as context:
        return landing_sensor(context)


def test_s3_landing_zone_lists_reads_and_pages_past_a_thousand_objects(s3_landing, s3_bucket):
    resource, client = s3_landing
    for i in range(1_005):
        client.put_object(Bucket=s3_bucket, Key=f"landing/InvoiceLine/{i:05d}.csv", Body=b"x")
    client.put_object(Bucket=s3_bucket, Key="landing/Artist.csv", Body=ARTISTS.encode())
    zone = resource.zone()
    assert isinstance(zone, S3LandingZone)
    files = zone.list_files()
    assert len(files) == 1_006 and {f.key for f in files} >= {"Artist.csv", "InvoiceLine/01004.csv"}
    with zone.open("Artist.csv") as stream:
        assert stream.read().decode() == ARTISTS
    assert zone.location("Artist.csv") == f"s3://{s3_bucket}/landing/Artist.csv"


def test_the_sensor_requests_one_run_for_the_new_object_versions_the_load_log_lacks(s3_landing, s3_bucket, tmp_path):
    resource, client = s3_landing
    oltp = OltpDatabase(url=f"sqlite:///{tmp_path / 'oltp.sqlite'}")
    client.put_object(Bucket=s3_bucket, Key="landing/Artist.csv", Body=ARTISTS.encode())
    client.put_object(Bucket=s3_bucket, Key="landing/InvoiceLine/2021-01-01.csv", Body=b"InvoiceLineId\n")
    client.put_object(Bucket=s3_bucket, Key="landing/Employee.csv", Body=b"EmployeeId\n1\n")
    first = tick(resource, None, oltp)
    [request] = first.run_requests
    assert {k.to_user_string() for k in request.asset_selection} == {
        "landing/artist",
        "oltp/artist",
        "landing/invoice_line",
        "oltp/invoice_line",
    }
    assert tick(resource, first.cursor, oltp).run_requests == []  # requested, not loaded yet: no second run
    client.put_object(Bucket=s3_bucket, Key="landing/Artist.csv", Body=(ARTISTS + "4,Alanis\n").encode())
    [again] = tick(resource, first.cursor, oltp).run_requests
    assert again.tags["chinook/landed_tables"] == "artist"
    assert again.run_key != request.run_key


def test_the_sensor_skips_what_the_load_log_holds(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "Artist.csv").write_text(ARTISTS)
    oltp = OltpDatabase(url=f"sqlite:///{tmp_path / 'oltp.sqlite'}")
    zone = LandingZoneResource(url=str(landing))
    [landed_file] = zone.zone().list_files()
    result = load_landed_file(
        oltp.engine(),
        table("Artist"),
        zone.zone().location("Artist.csv"),
        landed_file.version,
        lambda: (landing / "Artist.csv").open("rb"),
    )
    assert result.status == "loaded"
    assert tick(zone, None, oltp).run_requests == []  # a fresh cursor: the load log decides
