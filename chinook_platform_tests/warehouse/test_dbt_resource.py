"""The dbt resource overrides two private methods of dagster-dbt's DbtCliResource (``_cli_version`` and
``_initialize_dbt_core_adapter``) to save two fixed costs per build. An upgrade that renames or stops calling
either would silently bring the costs back: this test fails then."""

from __future__ import annotations

import subprocess
from importlib.metadata import version
from typing import Any

import dagster_dbt.core.resource
import pytest
from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging.version import parse

from chinook_platform.defs.warehouse.assets import WarehouseDbt
from chinook_platform.defs.warehouse.project import DBT_EXECUTABLE, warehouse_dbt_project

OVERRIDDEN = ("_cli_version", "_initialize_dbt_core_adapter")


def test_the_resource_overrides_methods_dagster_dbt_still_has():
    for name in OVERRIDDEN:
        assert name in vars(WarehouseDbt), f"WarehouseDbt no longer overrides {name}"
        assert hasattr(DbtCliResource, name), f"dagster-dbt's DbtCliResource has no {name} any more"


def test_a_build_calls_both_overrides_and_never_asks_dbt_its_version(monkeypatch: pytest.MonkeyPatch):
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(DbtCliInvocation, "run", classmethod(lambda cls, **kwargs: started.append(kwargs)))
    adapter_calls: list[Any] = []
    override = WarehouseDbt._initialize_dbt_core_adapter
    monkeypatch.setattr(
        WarehouseDbt,
        "_initialize_dbt_core_adapter",
        lambda self, args: adapter_calls.append(args) or override(self, args),
    )

    def no_version_subprocess(command: Any, *args: Any, **kwargs: Any) -> bytes:
        raise AssertionError(f"dagster-dbt started {command}: the _cli_version override is no longer used")

    monkeypatch.setattr(subprocess, "check_output", no_version_subprocess)
    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_version_subprocess, raising=False)

    project = warehouse_dbt_project()
    WarehouseDbt(project_dir=str(project.project_dir), dbt_executable=DBT_EXECUTABLE).cli(
        ["build"], manifest=project.manifest_path
    )

    assert adapter_calls, "dagster-dbt no longer calls _initialize_dbt_core_adapter"
    assert len(started) == 1
    assert started[0]["adapter"] is None  # no dbt adapter opened in this process
    assert started[0]["cli_version"] == parse(version("dbt-core"))
