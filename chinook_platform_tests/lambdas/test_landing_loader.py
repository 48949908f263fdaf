"""The landing loader Lambda handler, given real S3 event payloads for objects on the moto S3 server, loading
into the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa

from chinook_platform.lambdas import landing_loader
from chinook_platform.lib.contract import table
from chinook_platform.lib.landing import S3LandingZone, classify
from chinook_platform.lib.oltp import load_log, quarantine
from chinook_platform.lib.oltp.load import loaded_versions

SAMPLE = Path(__file__).resolve().parents[2] / "data"
pytestmark = pytest.mark.postgres


@pytest.fixture
def landing(s3_bucket: str, s3_endpoint: str, postgres_url: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch):
    """A versioned landing bucket, and the function's environment pointing at a fresh OLTP schema."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("CHINOOK_OLTP_URL", postgres_url)
    monkeypatch.setenv("CHINOOK_OLTP_SCHEMA", postgres_schema)
    monkeypatch.delenv("CHINOOK_OLTP_SECRET_ARN", raising=False)
    landing_loader.s3_client.cache_clear()
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    yield s3, s3_bucket
    landing_loader.s3_client.cache_clear()
    landing_loader.oltp_engine(postgres_url, postgres_schema).dispose()


def land(s3, bucket: str, key: str, body: bytes) -> dict:
    """Put an object; return the S3 event record AWS sends for it (eventVersion 2.1, keys URL-encoded)."""
    put = s3.put_object(Bucket=bucket, Key=key, Body=body)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-12-02T12:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "chinook-landing-loader",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": {
                "key": key.replace(" ", "+"),
                "size": len(body),
                "eTag": put["ETag"].strip('"'),
                "versionId": put["VersionId"],
                "sequencer": "0055AED6DCD90281E5",
            },
        },
    }


def event(*records: dict) -> dict:
    return {"Records": list(records)}


def engine() -> sa.Engine:
    import os

    return landing_loader.oltp_engine(os.environ["CHINOOK_OLTP_URL"], os.environ["CHINOOK_OLTP_SCHEMA"])


def count(sql_table: str) -> int:
    with engine().connect() as conn:
        return conn.execute(sa.text(f"select count(*) from {sql_table}")).scalar_one()


def test_landed_files_load_as_the_oltp_asset_would(landing):
    s3, bucket = landing
    artists = land(s3, bucket, "Artist.csv", (SAMPLE / "Artist.csv").read_bytes())
    albums = land(s3, bucket, "Album/2026-12-02.csv", (SAMPLE / "Album.csv").read_bytes())
    result = landing_loader.handler(event(artists, albums))
    assert [r["status"] for r in result["results"]] == ["loaded", "loaded"]
    assert count("artist") == 275 and count("album") == 347
    # The load log holds the same (file, version) the landing zone lists: the Dagster asset skips these files.
    zone = S3LandingZone(f"s3://{bucket}/", s3)
    for landed in zone.list_files():
        assert (zone.location(landed.key), landed.version) in loaded_versions(engine(), classify(landed.key))


def test_a_duplicate_event_changes_nothing(landing):
    s3, bucket = landing
    record = land(s3, bucket, "Genre.csv", (SAMPLE / "Genre.csv").read_bytes())
    landing_loader.handler(event(record))
    with engine().connect() as conn:
        before = conn.execute(sa.select(load_log)).all(), conn.execute(sa.text("select * from genre")).all()
    again = landing_loader.handler(event(record))
    assert [r["status"] for r in again["results"]] == ["already loaded"]
    with engine().connect() as conn:
        assert (conn.execute(sa.select(load_log)).all(), conn.execute(sa.text("select * from genre")).all()) == before


def test_a_bad_file_raises_and_loads_nothing_of_it(landing):
    s3, bucket = landing
    landing_loader.handler(event(land(s3, bucket, "Genre.csv", b"GenreId,Name\n1,Rock\n")))
    body = b'GenreId,Name\n2,Jazz\n3,Metal\n4,"Blues\n'  # an unterminated quote on the last line
    record = land(s3, bucket, "Genre.csv", body)
    with pytest.raises(landing_loader.LandedFileRejected, match="unterminated quoted field"):
        landing_loader.handler(event(record))
    with engine().connect() as conn:
        assert conn.execute(sa.text("select genre_id from genre")).scalars().all() == [1]
        assert conn.execute(sa.select(quarantine)).all() == []
    # Lambda's retry of the same event fails the same way, and still loads nothing.
    with pytest.raises(landing_loader.LandedFileRejected, match="was rejected"):
        landing_loader.handler(event(record))
    assert count("genre") == 1
    # A corrected upload is a new version, and loads.
    landing_loader.handler(event(land(s3, bucket, "Genre.csv", b"GenreId,Name\n2,Jazz\n")))
    assert count("genre") == 2


def test_bad_rows_are_quarantined_and_rows_awaiting_a_parent_load_when_it_arrives(landing):
    s3, bucket = landing
    albums = b"AlbumId,Title,ArtistId\n1,First,1\n2,Second,2\nx,Broken,1\n"
    result = landing_loader.handler(event(land(s3, bucket, "Album.csv", albums)))
    assert result["results"][0]["rows_quarantined"] == 3 and count("album") == 0
    result = landing_loader.handler(event(land(s3, bucket, "Artist.csv", b"ArtistId,Name\n1,One\n2,Two\n")))
    assert result["rows_resolved_from_quarantine"] == 2
    assert count("album") == 2
    with engine().connect() as conn:
        statuses = conn.execute(sa.select(quarantine.c.status).order_by(quarantine.c.quarantine_id)).scalars()
        assert sorted(statuses) == ["rejected", "resolved", "resolved"]


def test_keys_naming_no_table_are_skipped(landing):
    s3, bucket = landing
    result = landing_loader.handler(event(land(s3, bucket, "notes/read me.txt", b"hello")))
    assert result["results"][0]["status"] == "skipped" and result["loaded"] == 0
    assert loaded_versions(engine(), table("Genre")) == set()
