"""Read-only views of the OLTP database's state: row counts, open quarantine, rejected files, previews."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chinook_platform.lib.contract import LOAD_ID_COLUMN, TABLES, Table
from chinook_platform.lib.oltp.schema import CONTRACT_TABLES, load_log, quarantine

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
        sa.select(
            quarantine.c.source_file,
            quarantine.c.line_number,
            quarantine.c.column_name,
            quarantine.c.status,
            quarantine.c.reason,
        )
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


# Load-log statuses of a file that is in the database (any other latest status, e.g. rejected or failed, is not).
LOADED_STATUSES = ("loaded", "unchanged")


def files_not_loaded(conn: sa.Connection) -> list[dict[str, Any]]:
    """Files whose latest load attempt did not load them (rejected, failed, ...), with status and problem."""
    latest = (
        sa.select(load_log.c.source_file, sa.func.max(load_log.c.load_id).label("load_id"))
        .where(load_log.c.status != "retried")
        .group_by(load_log.c.table_name, load_log.c.source_file)
        .subquery()
    )
    query = (
        sa.select(load_log.c.table_name, load_log.c.source_file, load_log.c.status, load_log.c.error)
        .join(latest, latest.c.load_id == load_log.c.load_id)
        .where(load_log.c.status.not_in(LOADED_STATUSES))
        .order_by(load_log.c.source_file)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def top_quarantine_reasons(conn: sa.Connection, limit: int = 5) -> list[dict[str, Any]]:
    """Open quarantine grouped by table, status and column, largest first, each with one example reason."""
    query = (
        sa.select(
            quarantine.c.table_name,
            quarantine.c.status,
            quarantine.c.column_name,
            sa.func.count().label("rows"),
            sa.func.min(quarantine.c.reason).label("reason"),
        )
        .where(quarantine.c.status.in_(OPEN_STATUSES))
        .group_by(quarantine.c.table_name, quarantine.c.status, quarantine.c.column_name)
        .order_by(sa.func.count().desc(), quarantine.c.table_name)
        .limit(limit)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def shorten(text: str | None, width: int = 160) -> str:
    """One line of at most ``width`` characters."""
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def summary_lines(engine: sa.Engine) -> list[str]:
    """The OLTP database's state as ``chinook summary`` prints it: rows, open quarantine, files not loaded."""
    with engine.connect() as conn:
        counts = {t.name: row_count(conn, t) for t in TABLES}
        quarantined = open_quarantine_counts(conn)
        reasons = top_quarantine_reasons(conn)
        problems = files_not_loaded(conn)
    lines = [
        f"OLTP database: {engine.url.render_as_string(hide_password=True)}",
        f"{'table':<14}{'rows':>10}{'quarantined':>13}{'awaiting parent':>17}",
    ]
    for t in TABLES:
        lines.append(
            f"{t.name:<14}{counts[t.name]:>10,}{quarantined.get((t.name, 'rejected'), 0):>13,}"
            f"{quarantined.get((t.name, 'awaiting_parent'), 0):>17,}"
        )
    for r in reasons:
        lines.append(
            f"  {r['rows']:>6,} {r['table_name']}.{r['column_name'] or '(row)'} {r['status']}: "
            f"{shorten(r['reason'], 100)}"
        )
    for f in problems:
        lines.append(f"{f['status']} file: {f['source_file']}: {shorten(f['error'])}")
    return lines
