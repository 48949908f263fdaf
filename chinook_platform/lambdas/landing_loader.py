"""Landing loader: the Lambda function that loads each CSV landed in S3 into the OLTP database.

S3 invokes it for ``s3:ObjectCreated:*`` on the landing bucket. Each record's object goes through the same
validated, idempotent load as the Dagster OLTP asset (``lib/oltp/load.py``: one transaction per file, bad rows
quarantined, a file that cannot be read as its table rejected whole), then rows awaiting a parent are retried
in every table. A version already loaded is skipped, so a duplicate event changes nothing. A rejected file,
or any other failure, raises: Lambda retries the event and reports the error (its metrics, the log, and the
on-failure destination when one is set).

Settings are the function's environment, the platform's own names: ``CHINOOK_OLTP_URL`` (host and database),
``CHINOOK_OLTP_SECRET_ARN`` (user and password, fetched at cold start), ``CHINOOK_OLTP_SCHEMA``. One load at a
time: on PostgreSQL a session advisory lock serializes concurrent invocations, as Dagster's pool does runs.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import asdict
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

import sqlalchemy as sa

from chinook_platform.lib.contract import TABLES, Table
from chinook_platform.lib.landing import classify
from chinook_platform.lib.oltp import create_oltp_engine, load_landed_file, load_log, retry_awaiting_parent
from chinook_platform.lib.secrets import export_secret_settings

LOAD_LOCK = "chinook-oltp-load"


class LandedFileRejected(Exception):
    """A landed file was rejected whole (it is recorded in the load log; a corrected upload is loaded)."""


@cache
def oltp_engine(url: str, schema: str | None) -> sa.Engine:
    return create_oltp_engine(url, schema=schema)


@cache
def s3_client() -> Any:
    from chinook_platform.lib import s3

    return s3.s3_client()


def log(record: Mapping[str, Any]) -> None:
    """One JSON line per event in the function's log (CloudWatch Logs)."""
    sys.stdout.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def one_load_at_a_time(engine: sa.Engine) -> Iterator[None]:
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"select pg_advisory_lock(hashtext('{LOAD_LOCK}'))")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"select pg_advisory_unlock(hashtext('{LOAD_LOCK}'))")


def recorded_status(engine: sa.Engine, table: Table, source_file: str, version: str) -> tuple[str, str] | None:
    """(status, error) of this file version's load, if it was loaded or rejected before."""
    query = (
        sa.select(load_log.c.status, load_log.c.error)
        .where(
            load_log.c.table_name == table.name,
            load_log.c.source_file == source_file,
            load_log.c.source_version == version,
            load_log.c.status.in_(("loaded", "rejected")),
        )
        .order_by(load_log.c.load_id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return (row.status, row.error) if row else None


def load_record(engine: sa.Engine, record: Mapping[str, Any], s3: Any) -> dict[str, Any]:
    """Load the object one S3 event record names; returns what was done."""
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(record["s3"]["object"]["key"])  # event keys are URL-encoded, spaces as '+'
    version_id = record["s3"]["object"].get("versionId")
    source_file = f"s3://{bucket}/{key}"  # what the landing zone names it: the sensor and the asset agree
    table = classify(key)
    if isinstance(table, str):
        return {"file": source_file, "status": "skipped", "reason": table}
    get = {"Bucket": bucket, "Key": key, **({"VersionId": version_id} if version_id else {})}
    # The landing zone's version of an S3 object is its ETag: the same pair as the Dagster asset records.
    version = record["s3"]["object"].get("eTag") or s3.head_object(**get)["ETag"]
    version = version.strip('"')
    previous = recorded_status(engine, table, source_file, version)
    if previous is not None and previous[0] == "loaded":
        return {"file": source_file, "table": table.name, "status": "already loaded", "version": version}
    if previous is not None:
        raise LandedFileRejected(f"{source_file} (version {version}) was rejected: {previous[1]}")

    def open_body() -> Any:  # closing(body), which the readers enter: not the IO[bytes] load_landed_file names
        return closing(s3.get_object(**get)["Body"])

    result = load_landed_file(engine, table, source_file, version, open_body)
    if result.status == "rejected":
        raise LandedFileRejected(f"{source_file} (version {version}) was rejected: {result.error}")
    return {"file": source_file, **asdict(result), "version": version}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """The Lambda entry point (``chinook_platform.lambdas.landing_loader.handler``)."""
    export_secret_settings()
    engine = oltp_engine(os.environ["CHINOOK_OLTP_URL"], os.environ.get("CHINOOK_OLTP_SCHEMA") or None)
    request_id = getattr(context, "aws_request_id", None)
    results = []
    with one_load_at_a_time(engine):
        for record in event.get("Records", []):
            try:
                results.append(load_record(engine, record, s3_client()))
            except Exception as error:
                log({"message": "landed file not loaded", "error": str(error), "request_id": request_id})
                raise
            log({"message": "landed file processed", **results[-1], "request_id": request_id})
        # Rows that waited for a parent load now if it arrived (a parent table's file, in any earlier event).
        retried = [r for r in (retry_awaiting_parent(engine, t) for t in TABLES) if r is not None]
    summary = {
        "message": "landing event processed",
        "records": len(results),
        "loaded": sum(r["status"] == "loaded" for r in results),
        "rows_resolved_from_quarantine": sum(r.rows_resolved for r in retried),
        "request_id": request_id,
    }
    log(summary)
    return {**summary, "results": results}
