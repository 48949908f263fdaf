"""The one place the platform makes S3 clients (boto3's: the landing zone's listings and reads, uploads, the
dashboard's publication). The lake's Iceberg tables go through pyiceberg's own FileIO (``lib/lake/catalog.py``).

Credentials come from the usual AWS chain (environment, profile, task or instance role); ``endpoint_url`` points
at an S3-compatible server (MinIO, LocalStack, moto) and is empty for AWS. Imports no settings, so the landing
Lambda's package, which carries no pydantic, can use it.
"""

from __future__ import annotations

from typing import Any

DEFAULT_REGION = "us-east-1"


def s3_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """boto3's S3 client; without a region, the AWS chain's (a Lambda's own), else us-east-1."""
    import boto3

    session = boto3.session.Session()
    return session.client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or session.region_name or DEFAULT_REGION
    )


def s3_client_from_settings() -> Any:
    """boto3's S3 client for the settings' endpoint and region (CHINOOK_S3_ENDPOINT_URL, CHINOOK_S3_REGION)."""
    from chinook_platform.lib.environment import settings

    chinook = settings()
    return s3_client(chinook.s3_endpoint_url, chinook.s3_region)
