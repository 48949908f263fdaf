"""Landing notifier: tags every object created in the Chinook landing bucket with the table it holds.

S3 invokes this function for ``s3:ObjectCreated:*`` on the landing bucket. For each record the key is
classified the way the platform's loader does it (``chinook_platform.lib.landing.zone.classify``): a
``.csv`` file whose name (``Invoice.csv``, ``invoice_line.csv``) or else whose folder
(``InvoiceLine/2024-01-02.csv``) names one of the eight Chinook tables, case-insensitively. The object is
then tagged ``chinook:table=<Table>``, or ``chinook:status=unknown`` when the key names no table, and one
JSON line per object is written to the function's log.

Only the standard library and boto3 (part of the Lambda runtime) are used. ``handler`` takes an optional
``s3_client`` so tests can pass a stub; in Lambda one boto3 client is created lazily and reused across
invocations. The role needs nothing but ``s3:GetObject`` (which authorises HeadObject) and
``s3:PutObjectTagging`` on the landing bucket, plus writing to its own log group. PutObjectTagging
replaces the object's whole tag set and tags the current version; the tag depends on the key only, so
every version of a key gets the same tag.
"""

from __future__ import annotations

import functools
import json
import re
import sys
import time
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any, Protocol
from urllib.parse import unquote_plus

TABLES: tuple[str, ...] = (
    "Artist",
    "Album",
    "Genre",
    "MediaType",
    "Track",
    "Customer",
    "Invoice",
    "InvoiceLine",
)
CSV_SUFFIX = ".csv"
TABLE_TAG = "chinook:table"
STATUS_TAG = "chinook:status"
UNKNOWN = "unknown"
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Client(Protocol):
    """The two S3 calls the handler makes (a boto3 S3 client satisfies it)."""

    def head_object(self, **kwargs: Any) -> Mapping[str, Any]: ...

    def put_object_tagging(self, **kwargs: Any) -> Mapping[str, Any]: ...


def normalize_name(name: str) -> str:
    """A spelling-insensitive key: ``InvoiceLine``, ``invoice_line`` and ``INVOICE-LINE`` agree."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


_TABLES_BY_NORMALIZED_NAME = {normalize_name(name): name for name in TABLES}


def table_for_key(key: str) -> str | None:
    """The Chinook table an object key holds, or None when the key is not a Chinook table CSV.

    The file name wins over the folder: ``Invoice/InvoiceLine.csv`` holds ``InvoiceLine``.
    """
    if not key or key.endswith("/"):
        return None
    path = PurePosixPath(key)
    if path.suffix.lower() != CSV_SUFFIX:
        return None
    candidates = [path.stem]
    if path.parent.name:
        candidates.append(path.parent.name)
    for candidate in candidates:
        table = _TABLES_BY_NORMALIZED_NAME.get(normalize_name(candidate))
        if table is not None:
            return table
    return None


def tags_for_key(key: str) -> dict[str, str]:
    """The tags an object with this key gets."""
    table = table_for_key(key)
    return {TABLE_TAG: table} if table is not None else {STATUS_TAG: UNKNOWN}


def log_event(record: Mapping[str, Any]) -> None:
    """Write one structured JSON line to the function's log (stdout goes to CloudWatch Logs)."""
    sys.stdout.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


@functools.cache
def default_s3_client() -> S3Client:
    import boto3  # in the Lambda runtime; imported lazily so the pure functions need no AWS SDK

    return boto3.client("s3")


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code"))
    return None


def process_record(record: Mapping[str, Any], s3: S3Client, request_id: str | None = None) -> dict[str, Any]:
    """Classify and tag the object one S3 event record names; returns (and logs) what was done."""
    s3_part = record["s3"]
    bucket = s3_part["bucket"]["name"]
    key = unquote_plus(s3_part["object"]["key"])  # event keys are URL-encoded, spaces as '+'
    tags = tags_for_key(key)
    result: dict[str, Any] = {
        "message": "landing object classified",
        "bucket": bucket,
        "key": key,
        "version_id": s3_part["object"].get("versionId"),
        "event_name": record.get("eventName"),
        "event_time": record.get("eventTime"),
        "table": tags.get(TABLE_TAG),
        "status": "tagged",
        "tags": tags,
        "request_id": request_id,
    }
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except Exception as error:
        if _error_code(error) not in NOT_FOUND_CODES:
            raise
        # Deleted (or moved) before this notification was processed: nothing left to tag.
        result.update(message="landing object gone before it could be tagged", status="gone", tags={})
        log_event(result)
        return result
    result["size"] = head.get("ContentLength")
    result["content_type"] = head.get("ContentType")
    s3.put_object_tagging(
        Bucket=bucket,
        Key=key,
        Tagging={"TagSet": [{"Key": name, "Value": value} for name, value in tags.items()]},
    )
    log_event(result)
    return result


def handler(event: Mapping[str, Any], context: Any = None, s3_client: S3Client | None = None) -> dict[str, Any]:
    """The Lambda entry point (``handler.handler``). ``s3_client`` is for tests; Lambda passes two args."""
    started = time.monotonic()
    s3 = s3_client if s3_client is not None else default_s3_client()
    request_id = getattr(context, "aws_request_id", None)
    results = [process_record(record, s3, request_id) for record in event.get("Records", [])]
    summary = {
        "message": "landing notification processed",
        "records": len(results),
        "tagged": sum(r["status"] == "tagged" for r in results),
        "unknown": sum(r["tags"].get(STATUS_TAG) == UNKNOWN for r in results),
        "gone": sum(r["status"] == "gone" for r in results),
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
        "request_id": request_id,
    }
    log_event(summary)
    return {**summary, "results": results}
