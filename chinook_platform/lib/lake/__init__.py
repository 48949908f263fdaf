"""Lake: one Apache Iceberg table per OLTP table, in a folder or on S3, each extract one append commit
(``store``) under a SQL catalog (``catalog``), read from the OLTP database by one ``reader`` interface, a class per
database in ``postgres`` and ``sqlite``."""
# ruff: noqa: F401  (the imports below are the package's face, re-exported)

from typing import TYPE_CHECKING

from chinook_platform.lib import public_names

if TYPE_CHECKING:
    from chinook_platform.lib.lake.history import read_as_of, snapshot_id_as_of
    from chinook_platform.lib.lake.reader import LOADED_AT_COLUMN
    from chinook_platform.lib.lake.store import LakeBatch, LakeStore, parquet_schema
else:
    __all__, __getattr__ = public_names(__name__)
