"""The one place S3 clients are made: boto3's (listings, uploads, conditional writes) and pyarrow's (Parquet).

Credentials come from the usual AWS chain (environment, profile, task or instance role); ``endpoint_url`` points
at an S3-compatible server (MinIO, LocalStack, moto) and is empty for AWS. Imports no settings, so the landing
Lambda's package, which carries no pydantic, can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow.fs as pafs

DEFAULT_REGION = "us-east-1"


def s3_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """boto3's S3 client; without a region, the AWS chain's (a Lambda's own), else us-east-1."""
    import boto3

    session = boto3.session.Session()
    return session.client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or session.region_name or DEFAULT_REGION
    )


def s3_filesystem(endpoint_url: str | None = None, region: str | None = None) -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem, for reading and writing Parquet."""
    import pyarrow.fs as pafs

    options: dict = {"region": region or DEFAULT_REGION}
    if endpoint_url:
        scheme, _, host = endpoint_url.partition("://")
        options |= {"endpoint_override": host, "scheme": scheme or "https"}
    return pafs.S3FileSystem(**options)


def s3_client_from_settings() -> Any:
    """boto3's S3 client for the settings' endpoint and region (CHINOOK_S3_ENDPOINT_URL, CHINOOK_S3_REGION)."""
    from chinook_platform.lib.environment import settings

    chinook = settings()
    return s3_client(chinook.s3_endpoint_url, chinook.s3_region)
