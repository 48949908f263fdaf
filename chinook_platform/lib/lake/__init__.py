"""Lake: Parquet batches of each OLTP table's changed rows, in a folder or on S3, registered one entry a batch."""

from chinook_platform.lib import public_names

_PUBLIC: dict[str, tuple[str, ...]] = {  # module: the names it gives the package
    "store": ("LOADED_AT_COLUMN", "LakeBatch", "LakeStore", "parquet_schema", "s3_client", "s3_filesystem"),
}
__all__ = sorted(name for names in _PUBLIC.values() for name in names)
__getattr__ = public_names(__name__, _PUBLIC)
