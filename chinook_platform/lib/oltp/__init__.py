"""OLTP: the normalized database's schema (from the contract), its engine, the validated and idempotent load of
landed files (``load``: one ``stage`` interface, a class per database in ``postgres`` and ``sqlite``, and the
load log and quarantine in ``bookkeeping``), and what it holds (``status``)."""
# ruff: noqa: F401  (the imports below are the package's face, re-exported)

from typing import TYPE_CHECKING

from chinook_platform.lib import public_names

if TYPE_CHECKING:
    from chinook_platform.lib.oltp.bookkeeping import LoadResult, loaded_versions
    from chinook_platform.lib.oltp.content_hash import content_hash_of
    from chinook_platform.lib.oltp.database import create_oltp_engine, normalize_url
    from chinook_platform.lib.oltp.load import (
        load_landed_file,
        load_pending,
        pending_files,
        retry_awaiting_parent,
        table_write_transaction,
    )
    from chinook_platform.lib.oltp.schema import (
        CONTRACT_TABLES,
        create_schema,
        load_log,
        quarantine,
        render_postgres_ddl,
        sql_type,
    )
else:
    __all__, __getattr__ = public_names(__name__)
