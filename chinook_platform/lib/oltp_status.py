"""Read-only views of the OLTP database's state: row counts, open quarantine, rejected files, previews."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chinook_platform.lib.contract import LOAD_ID_COLUMN, TABLES, Table
from chinook_platform.lib.oltp_schema import CONTRACT_TABLES, load_log, quarantine

OPEN_STATUSES = ("rejected", "awaiting_parent")


def row_count(conn: sa.Connection, table: Table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(CONTRACT_TABLES[table.name])).scalar_one()


def latest_load_id(conn: sa.Connection, table: Table) -> int:
    """The newest load that inserted or changed a row of the table (0 when empty): it moves only when rows do."""
    target = CONTRACT_TABLES[table.name]
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(target.c[LOAD_ID_COLUMN]), 0))).scalar_one()


def row_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: row_count(conn, t) for t in TABLES}


def open_quarantine_counts(conn: sa.Connection, table: Table | None = None) -> dict[tuple[str, str], int]:
    """Open quarantine rows by (table, status)."""
    query = (
        sa.select(quarantine.c.table_name, quarantine.c.status, sa.func.count())
        .where(quarantine.c.status.in_(OPEN_STATUSES))
        .group_by(quarantine.c.table_name, quarantine.c.status)
    )
    if table is not None:
        query = query.where(quarantine.c.table_name == table.name)
    return {(t, s): n for t, s, n in conn.execute(query)}


def open_quarantine_sample(conn: sa.Connection, table: Table, limit: int = 20) -> list[dict[str, Any]]:
    query = (
        sa.select(quarantine.c.source_file, quarantine.c.line_number, quarantine.c.column_name,
                  quarantine.c.status, quarantine.c.reason)
        .where(quarantine.c.table_name == table.name, quarantine.c.status.in_(OPEN_STATUSES))
        .order_by(quarantine.c.quarantine_id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def rejected_files(conn: sa.Connection, table: Table | None = None) -> list[dict[str, Any]]:
    """Files whose latest load attempt was rejected or failed, with the problem (and the status)."""
    latest = (
        sa.select(load_log.c.table_name, load_log.c.source_file, sa.func.max(load_log.c.load_id).label("load_id"))
        .where(load_log.c.status.notin_(("retried", "unchanged")))
        .group_by(load_log.c.table_name, load_log.c.source_file)
        .subquery()
    )
    query = (
        sa.select(load_log.c.table_name, load_log.c.source_file, load_log.c.status, load_log.c.error)
        .join(latest, latest.c.load_id == load_log.c.load_id)
        .where(load_log.c.status.in_(("rejected", "failed")))
        .order_by(load_log.c.source_file)
    )
    if table is not None:
        query = query.where(load_log.c.table_name == table.name)
    return [dict(r._mapping) for r in conn.execute(query)]


def preview(conn: sa.Connection, table: Table, limit: int = 10) -> list[dict[str, Any]]:
    target = CONTRACT_TABLES[table.name]
    rows = conn.execute(sa.select(target).order_by(target.c[table.pk.name]).limit(limit))
    return [dict(r._mapping) for r in rows]
