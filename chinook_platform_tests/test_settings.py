"""The settings object: built from the environment, embedded defaults under CHINOOK_HOME, and the one source the
resources are made from (a set variable reaches a resource as a dg.EnvVar, never as its value)."""

from __future__ import annotations

import dagster as dg
import pytest

from chinook_platform.defs.resources import WarehouseResource, build_resources
from chinook_platform.lib.environment import SettingsError, WarehouseSettings, settings, variable_of, variables


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for variable in variables():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CHINOOK_HOME", str(tmp_path))
    return tmp_path


def test_every_default_lives_under_the_home(clean_environment):
    home = clean_environment
    chinook = settings()
    assert (chinook.landing_url, chinook.lake_url) == (str(home / "landing"), str(home / "lake"))
    assert chinook.oltp_url == f"sqlite:///{home / 'oltp.sqlite'}" and chinook.oltp_schema is None
    assert chinook.warehouse.duckdb_path == home / "warehouse.duckdb"
    assert chinook.warehouse.dbt_target_path == home / "dbt" / "target"


def test_an_empty_variable_means_the_default(clean_environment, monkeypatch):
    monkeypatch.setenv("CHINOOK_LANDING_URL", "")
    monkeypatch.setenv("CHINOOK_WAREHOUSE_PG_PORT", "")
    assert settings().landing_url == str(clean_environment / "landing")
    assert settings().warehouse.pg_port == 5432


def test_a_bad_value_is_named_with_its_variable(clean_environment, monkeypatch):
    monkeypatch.setenv("CHINOOK_WAREHOUSE_PG_PORT", "fifty")
    with pytest.raises(SettingsError, match="CHINOOK_WAREHOUSE_PG_PORT='fifty'"):
        settings().warehouse  # noqa: B018


def test_the_warehouse_resource_has_every_warehouse_setting():
    assert set(WarehouseResource.model_fields) == set(WarehouseSettings.model_fields)


def test_a_set_variable_reaches_its_resource_as_an_env_var_and_an_unset_one_as_its_default(
    clean_environment, monkeypatch
):
    monkeypatch.setenv("CHINOOK_WAREHOUSE_PG_PASSWORD", "s3cret-value")
    monkeypatch.setenv("CHINOOK_OLTP_URL", "postgresql://chinook@db.internal/chinook")
    resources = build_resources()
    warehouse, oltp = resources["warehouse"], resources["oltp"]
    assert isinstance(warehouse.pg_password, dg.EnvVar) and warehouse.pg_password.env_var_name == (
        "CHINOOK_WAREHOUSE_PG_PASSWORD"
    )
    assert isinstance(oltp.url, dg.EnvVar) and oltp.url.env_var_name == "CHINOOK_OLTP_URL"
    assert warehouse.pg_host == "127.0.0.1" and warehouse.home == dg.EnvVar("CHINOOK_HOME")
    with warehouse.process_config_and_initialize_cm() as resolved:
        assert resolved.settings.pg_password.get_secret_value() == "s3cret-value"
        assert "s3cret-value" not in repr(resolved.settings)


def test_the_settings_read_only_their_own_variables(clean_environment, monkeypatch):
    """Every field's bare name (HOME, TARGET, DBT_THREADS, PG_PASSWORD, LANDING_URL, ...) set to junk, in both cases,
    changes nothing: a login shell has HOME, and any other name may be set by another tool."""
    expected = settings()
    expected_warehouse = expected.warehouse
    for model in (type(expected), WarehouseSettings):
        for field in model.model_fields:
            variable = variable_of(model, field)
            for name in {field, field.upper(), variable.removeprefix("CHINOOK_")} - {variable}:
                monkeypatch.setenv(name, "/junk" if "url" in name.lower() or "home" in name.lower() else "junk")
    monkeypatch.setenv("HOME", "/junk-home")
    chinook = settings()
    assert chinook.model_dump() == expected.model_dump()
    assert chinook.warehouse.model_dump() == expected_warehouse.model_dump()
    assert chinook.home == clean_environment and chinook.model_fields_set == {"home"}  # CHINOOK_HOME alone
    resources = build_resources()
    assert resources["warehouse"].home == dg.EnvVar("CHINOOK_HOME") and resources["warehouse"].target == "duckdb"
    assert resources["landing_zone"].url == str(clean_environment / "landing")


def test_without_chinook_home_the_home_is_dot_chinook_in_the_working_directory(monkeypatch, tmp_path):
    for variable in variables():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.chdir(tmp_path)
    assert settings().home == tmp_path / ".chinook"
    assert settings().warehouse.duckdb_path == tmp_path / ".chinook" / "warehouse.duckdb"
