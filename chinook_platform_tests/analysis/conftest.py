"""The sample data built once per engine through the whole Dagster graph, down to the charts and the dashboard."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from unittest import mock

import pytest

from chinook_platform_tests.conftest import SAMPLE_DATA
from chinook_platform_tests.warehouse.test_warehouse import Built, build, drop_postgres_schemas


@pytest.fixture(scope="package", params=["duckdb", "postgres"])
def analysed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str
) -> Iterator[Built]:
    """Every asset materialized once over the committed sample data, on DuckDB and on PostgreSQL.

    The S3 server (session-wide) starts before os.environ is patched here: it sets the AWS credentials every later
    S3 test relies on, which restoring os.environ at the end of this package would otherwise take away."""
    home = tmp_path_factory.mktemp(f"analysis_{request.param}")
    shutil.copytree(SAMPLE_DATA, home / "landing")
    postgres_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    # dbt's settings are exported to os.environ by the run: restore it for the tests after these.
    with mock.patch.dict(os.environ), pytest.MonkeyPatch.context() as monkeypatch:
        built = build(monkeypatch, home, home / "landing", request.param, postgres_url)
        built.engine, built.home = request.param, home
        built.materialize_all()
        yield built
        if postgres_url:
            drop_postgres_schemas(postgres_url, dict(os.environ))
