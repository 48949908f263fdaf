"""Connecting to the OLTP database: SQLite by default, PostgreSQL when a URL names one."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from chinook_platform.lib.oltp.schema import create_schema


def normalize_url(url: str) -> sa.URL:
    """PostgreSQL URLs always use psycopg 3 (the loader relies on its COPY support)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_oltp_engine(url: str, schema: str | None = None, create: bool = True) -> sa.Engine:
    """An engine for the OLTP database, with the schema created if missing.

    Args:
        url: a SQLAlchemy URL (``sqlite:///path``, ``postgresql://user@host/db``).
        schema: on PostgreSQL, the schema holding the tables (created if missing); default ``public``.
        create: create missing tables.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

    elif parsed.get_backend_name() == "postgresql":
        engine = sa.create_engine(parsed, pool_pre_ping=True)
        if schema:
            # Registered before the first connection, so every pooled connection gets it.
            @sa.event.listens_for(engine, "connect")
            def _search_path(dbapi_connection, _record):  # noqa: ANN001
                with dbapi_connection.cursor() as cursor:
                    cursor.execute(f'set search_path to "{schema}"')
                dbapi_connection.commit()

            with engine.begin() as conn:
                # "if not exists" does not hold against a runner creating it at the same moment: take turns.
                conn.execute(
                    sa.text("select pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"chinook-oltp-schema:{schema}"},
                )
                conn.execute(sa.text(f'create schema if not exists "{schema}"'))

    else:
        raise ValueError(f"unsupported OLTP database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")
    if create:
        create_schema(engine)
    return engine
