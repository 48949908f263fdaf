"""The image's entrypoint: create Dagster's storage database if it is missing, then run the command.

``python -m chinook_platform.lib.orchestration.storage CMD ...`` (the Dockerfile's ENTRYPOINT; ECS passes the service's
command, EcsRunLauncher a run's). RDS creates one database per instance, so the ``dagster`` database that
``deploy/dagster.yaml`` names is created here on first start, from the same ``DAGSTER_PG_*`` settings; the
schema inside it is Dagster's own (dagster-postgres creates and migrates it).
"""

from __future__ import annotations

import os
import sys

import sqlalchemy as sa


def storage_url(environ: dict[str, str] | os._Environ = os.environ, database: str | None = None) -> sa.URL:
    return sa.URL.create(
        "postgresql+psycopg",
        username=environ["DAGSTER_PG_USER"],
        password=environ.get("DAGSTER_PG_PASSWORD") or None,
        host=environ["DAGSTER_PG_HOST"],
        port=int(environ.get("DAGSTER_PG_PORT") or 5432),
        database=database or environ["DAGSTER_PG_DB"],
    )


def create_dagster_schema(environ: dict[str, str] | os._Environ = os.environ) -> None:
    """Dagster's run, event-log and schedule tables in the new database. Done here, under the lock, because the
    webserver and the daemon start together on a fresh database and would otherwise both create them, one failing
    on `type "event_logs" already exists`."""
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    url = storage_url(environ).render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql", 1)
    for storage in (PostgresRunStorage, PostgresEventLogStorage, PostgresScheduleStorage):
        storage(url).dispose()


def ensure_database(environ: dict[str, str] | os._Environ = os.environ) -> bool:
    """Create the storage database and Dagster's tables in it unless it exists; True when it was created."""
    name = environ["DAGSTER_PG_DB"]
    engine = sa.create_engine(storage_url(environ, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("select pg_advisory_lock(hashtext('chinook-dagster-storage'))")  # tasks start together
            exists = conn.execute(sa.text("select 1 from pg_database where datname = :name"), {"name": name}).first()
            if not exists:
                quoted = conn.dialect.identifier_preparer.quote(name)
                conn.exec_driver_sql(f"create database {quoted}")
                create_dagster_schema(environ)  # still under the lock: the other services wait for it
            return not exists
    finally:
        engine.dispose()


def main() -> None:
    if ensure_database():
        print(f"created Dagster's storage database {os.environ['DAGSTER_PG_DB']}", file=sys.stderr)
    if len(sys.argv) > 1:
        os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
