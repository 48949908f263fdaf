"""Two dbt builds of one server warehouse take turns: the second enters its build once the first has left it, on
PostgreSQL's advisory lock and on the lock table used for Redshift (here on PostgreSQL, which has `lock` too)."""

from __future__ import annotations

import logging
import threading

import pytest

from chinook_platform.lib.warehouse import PostgresStaging
from chinook_platform.lib.warehouse.build_lock import dbt_build_lock

LOG = logging.getLogger("test_build_lock")


@pytest.mark.parametrize("engine", ["postgres", "redshift"])
def test_a_second_build_waits_until_the_first_has_finished(postgres_url, postgres_schema, engine):
    staging = PostgresStaging(postgres_url, postgres_schema)
    staging.engine = engine  # the Redshift branch's SQL (a locked table) runs on PostgreSQL as well
    with staging.sql.begin() as conn:
        conn.exec_driver_sql(f'create schema "{postgres_schema}"')
    steps: list[str] = []
    first_inside, second_started = threading.Event(), threading.Event()

    def second() -> None:
        second_started.set()
        with dbt_build_lock(staging, postgres_schema, LOG):
            steps.append("second builds")

    with dbt_build_lock(staging, postgres_schema, LOG):
        first_inside.set()
        waiting = threading.Thread(target=second)
        waiting.start()
        second_started.wait(10)
        waiting.join(2)  # it cannot enter while the first holds the lock
        steps.append("first finished")
    waiting.join(30)
    assert steps == ["first finished", "second builds"]
    staging.sql.dispose()


def test_builds_of_different_analytics_schemas_do_not_wait_for_each_other(postgres_url, postgres_schema):
    staging = PostgresStaging(postgres_url, postgres_schema)
    with dbt_build_lock(staging, f"{postgres_schema}_a", LOG), dbt_build_lock(staging, f"{postgres_schema}_b", LOG):
        with staging.sql.connect() as conn:
            held = conn.exec_driver_sql("select count(*) from pg_locks where locktype = 'advisory'").scalar()
        assert held >= 2
    staging.sql.dispose()
