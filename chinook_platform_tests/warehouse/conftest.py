"""Warehouse tests share one process with the others: keep what they hand dbt out of everyone else's way."""

from __future__ import annotations

import os
from collections.abc import Iterator
from unittest import mock

import pytest


@pytest.fixture(autouse=True, scope="module")
def restore_environment() -> Iterator[None]:
    """Materializing dbt exports the warehouse settings to ``os.environ`` for dbt's profiles.yml; without this,
    a later test in the session would find this module's DuckDB path there and build into it."""
    with mock.patch.dict(os.environ):
        yield
