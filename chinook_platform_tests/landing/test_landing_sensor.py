"""The landing zone on S3 and the landing sensor: run keys per object version, a cursor that stays correct."""

from __future__ import annotations

import time

import boto3
import dagster as dg
import pytest

from chinook_platform.defs.landing.sensors import MAX_RUNS_PER_TICK, landing_sensor
from chinook_platform.defs.resources import LandingZoneResource
from chinook_platform.lib.landing_cursor import LOOKBACK_SECONDS, LandingCursor
from chinook_platform.lib.landing_zone import LandedFile, S3LandingZone
from chinook_platform_tests.oltp.test_oltp_load import ARTISTS


def landed(key: str, version: str = "v1", at: float = 1_000_000.0) -> LandedFile:
    return LandedFile(key=key, size=1, version=version, last_modified=at)


def test_the_cursor_returns_each_version_once_including_ties_and_reuploads():
    files = [landed("Artist.csv"), landed("Album.csv"), landed("Genre.csv")]  # one shared timestamp
    fresh, cursor = LandingCursor().new_files(files, limit=10)
    assert [f.key for f in fresh] == ["Album.csv", "Artist.csv", "Genre.csv"]
    cursor = LandingCursor.parse(cursor.dumps())
    assert cursor.new_files(files, limit=10)[0] == []
    reupload = landed("Artist.csv", "v2", at=1_000_050.0)
    fresh, cursor = cursor.new_files([*files[1:], reupload], limit=10)
    assert fresh == [reupload]
    late_multipart = landed("Track.csv", at=1_000_050.0 - LOOKBACK_SECONDS / 2)  # started before newer files
    assert cursor.new_files([*files, reupload, late_multipart], limit=10)[0] == [late_multipart]


def test_the_cursor_stays_correct_and_small_over_many_objects():
    files = [landed(f"InvoiceLine/{i:05d}.csv", at=1_000_000.0 + i) for i in range(5_000)]
    cursor, requested = LandingCursor(), []
    while True:
        fresh, cursor = cursor.new_files(files, limit=MAX_RUNS_PER_TICK)
        if not fresh:
            break
        requested += fresh
        cursor = LandingCursor.parse(cursor.dumps())
    assert [f.key for f in requested] == [f.key for f in files]  # each once, in order, none skipped
    assert len(cursor.seen) <= LOOKBACK_SECONDS + 1  # only the look-back window is kept


@pytest.fixture
def s3_landing(s3_endpoint: str, s3_bucket: str) -> tuple[LandingZoneResource, boto3.client]:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    resource = LandingZoneResource(url=f"s3://{s3_bucket}/landing", s3_endpoint_url=s3_endpoint)
    return resource, client


def tick(resource: LandingZoneResource, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(cursor=cursor, resources={"landing_zone": resource}) as context:
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


def test_the_sensor_requests_one_run_per_new_object_version(s3_landing, s3_bucket):
    resource, client = s3_landing
    client.put_object(Bucket=s3_bucket, Key="landing/Artist.csv", Body=ARTISTS.encode())
    client.put_object(Bucket=s3_bucket, Key="landing/InvoiceLine/2021-01-01.csv", Body=b"InvoiceLineId\n")
    client.put_object(Bucket=s3_bucket, Key="landing/Employee.csv", Body=b"EmployeeId\n1\n")
    first = tick(resource, None)
    assert sorted(r.asset_selection[1].path[-1] for r in first.run_requests) == ["artist", "invoice_line"]
    assert all("@" in r.run_key for r in first.run_requests)
    assert tick(resource, first.cursor).run_requests == []  # nothing new: no runs
    time.sleep(1.1)  # S3 timestamps have one-second resolution
    client.put_object(Bucket=s3_bucket, Key="landing/Artist.csv", Body=(ARTISTS + "4,Alanis\n").encode())
    client.put_object(Bucket=s3_bucket, Key="landing/InvoiceLine/2021-01-02.csv", Body=b"InvoiceLineId\n")
    again = tick(resource, first.cursor)
    assert sorted(r.tags["chinook/landed_file"] for r in again.run_requests) == [
        "Artist.csv", "InvoiceLine/2021-01-02.csv"]
    assert again.run_requests[0].run_key not in {r.run_key for r in first.run_requests}
