"""The lake's Iceberg catalog: a SQL catalog (a SQLite file, or the OLTP's PostgreSQL) that names each table's
current metadata file, so that a commit is one compare-and-swap of that name.

The tables' files live in the lake's folder or S3 prefix (``CHINOOK_LAKE_URL``); the catalog only points at them.
"""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from pyiceberg.catalog.sql import SqlCatalog

CATALOG_NAME = "chinook"
NAMESPACE = "lake"
CATALOG_OPEN_ATTEMPTS = 5  # two runners opening a new catalog at once may both create its tables: one loses


def file_io_properties(s3_endpoint_url: str | None, s3_region: str | None) -> dict[str, str]:
    """pyiceberg's FileIO settings for an S3 lake (credentials: the usual AWS chain)."""
    properties = {"s3.region": s3_region or "us-east-1"}
    if s3_endpoint_url:
        properties["s3.endpoint"] = s3_endpoint_url
    return properties


def open_catalog(catalog_url: str, lake_url: str, **file_io: str) -> SqlCatalog:
    """The SQL catalog at ``catalog_url`` (its tables created when missing), with the lake namespace."""
    if catalog_url.startswith("sqlite:///"):
        Path(catalog_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(CATALOG_OPEN_ATTEMPTS):
        try:
            catalog = SqlCatalog(CATALOG_NAME, uri=catalog_url, warehouse=lake_url, **file_io)
            catalog.create_namespace_if_not_exists(NAMESPACE)
            return catalog
        except sa.exc.DBAPIError:
            if attempt == CATALOG_OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))  # another process was creating the catalog's tables
    raise AssertionError("unreachable")
