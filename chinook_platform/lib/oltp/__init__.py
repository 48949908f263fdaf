"""OLTP: the normalized database's schema (from the contract), its engine, the validated and idempotent load of
landed files (``load``: one ``stage`` interface, a class per database in ``postgres`` and ``sqlite``, and the
load log and quarantine in ``bookkeeping``), and what it holds (``status``)."""

from chinook_platform.lib import public_names

_HOMES = {
    "CONTRACT_TABLES": "schema",
    "create_schema": "schema",
    "load_log": "schema",
    "quarantine": "schema",
    "render_postgres_ddl": "schema",
    "sql_type": "schema",
    "create_oltp_engine": "database",
    "normalize_url": "database",
    "LoadResult": "bookkeeping",
    "loaded_versions": "bookkeeping",
    "content_hash_of": "content_hash",
    "load_landed_file": "load",
    "load_pending": "load",
    "pending_files": "load",
    "retry_awaiting_parent": "load",
    "table_write_transaction": "load",
}
__all__ = sorted(_HOMES)
__getattr__ = public_names(__name__, _HOMES)
