"""OLTP: the normalized database's schema (from the contract), its engine, the validated and idempotent load of
landed files (``load``: one ``stage`` interface, a class per database in ``postgres`` and ``sqlite``, and the
load log and quarantine in ``bookkeeping``), and what it holds (``status``)."""

from chinook_platform.lib import public_names

_PUBLIC = {  # module: the names it gives the package
    "schema": ("CONTRACT_TABLES", "create_schema", "load_log", "quarantine", "render_postgres_ddl", "sql_type"),
    "database": ("create_oltp_engine", "normalize_url"),
    "bookkeeping": ("LoadResult", "loaded_versions"),
    "content_hash": ("content_hash_of",),
    "load": ("load_landed_file", "load_pending", "pending_files", "retry_awaiting_parent", "table_write_transaction"),
}
__all__ = sorted(name for names in _PUBLIC.values() for name in names)
__getattr__ = public_names(__name__, _PUBLIC)
