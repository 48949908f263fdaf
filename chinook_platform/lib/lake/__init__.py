"""Lake: Parquet batches of each OLTP table's changed rows, in a folder or on S3, registered one entry a batch."""

from chinook_platform.lib import public_names

_HOMES = {
    "LOADED_AT_COLUMN": "store",
    "LakeBatch": "store",
    "LakeStore": "store",
    "parquet_schema": "store",
    "s3_client": "store",
    "s3_filesystem": "store",
}
__all__ = sorted(_HOMES)
__getattr__ = public_names(__name__, _HOMES)
