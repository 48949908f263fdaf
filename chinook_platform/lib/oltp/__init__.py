"""OLTP: the normalized database's schema (from the contract), its engine, the validated and idempotent load of
landed files (a stage per database, the load log and quarantine), and what it holds (``status``)."""

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
    "LoadResult": "load",
    "content_hash_of": "load",
    "load_landed_file": "load",
    "loaded_versions": "load",
    "retry_awaiting_parent": "load",
    "table_write_transaction": "load",
}
__all__ = sorted(_HOMES)
__getattr__ = public_names(__name__, _HOMES)
