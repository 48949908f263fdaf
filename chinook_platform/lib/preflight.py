"""What ``chinook run`` checks before it starts Dagster: each service it needs is reachable, the DuckDB file is free.

A missing server or credential then costs a second and one line naming the cause and the fix, not a failed run.
"""

from __future__ import annotations

import sqlalchemy as sa

from chinook_platform.lib import environment
from chinook_platform.lib.errors import NO_AWS_CREDENTIALS, explain_exception


class Unavailable(Exception):
    """A service or file the pipeline needs cannot be used; the message says why and what to do."""


def _explained(what: str, error: Exception) -> Unavailable:
    return Unavailable(f"{what}: {explain_exception(error) or f'{type(error).__name__}: {error}'.splitlines()[0]}")


def check_oltp() -> None:
    from chinook_platform.lib.oltp import create_oltp_engine

    chinook = environment.settings()
    url = chinook.oltp_url
    try:
        engine = create_oltp_engine(url, schema=chinook.oltp_schema)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:
        raise _explained(f"OLTP database {sa.make_url(url).render_as_string(hide_password=True)}", error) from error


def check_s3_credentials() -> None:
    if not environment.settings().s3_configured:
        return
    import boto3

    if boto3.Session().get_credentials() is None:
        raise Unavailable(NO_AWS_CREDENTIALS)


def check_warehouse() -> None:
    settings = environment.warehouse_settings()
    if settings.target == "duckdb":
        path = settings.duckdb_path
        if not path.exists():
            return
        import duckdb

        try:
            duckdb.connect(str(path)).close()
        except Exception as error:
            raise _explained("warehouse", error) from error
    elif settings.target == "postgres":
        url = sa.URL.create(
            "postgresql+psycopg",
            username=settings.pg_user or None,
            password=settings.pg_password.get_secret_value() or None,
            host=settings.pg_host,
            port=settings.pg_port,
            database=settings.pg_dbname,
        )
        engine = sa.create_engine(url, connect_args={"connect_timeout": 10})
        try:
            with engine.connect():
                pass
        except Exception as error:
            raise _explained(f"warehouse {url.render_as_string(hide_password=True)}", error) from error
        finally:
            engine.dispose()


def check_services() -> None:
    """Raise ``Unavailable`` for the first service the run could not use."""
    check_oltp()
    check_s3_credentials()
    check_warehouse()
