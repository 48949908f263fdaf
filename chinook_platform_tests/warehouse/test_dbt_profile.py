"""dbt's profile, written from the warehouse settings: every value but the passwords, which dbt reads from their
variables; the hand-run profile in sql/warehouse agrees with the same settings."""

from __future__ import annotations

import re

import pytest
import yaml

from chinook_platform.lib.environment import (
    WAREHOUSE_PROJECT_DIR,
    SettingsError,
    WarehouseSettings,
    variable_of,
    variables,
    warehouse_settings,
)


def test_the_profile_holds_the_settings_but_never_a_password(monkeypatch, tmp_path):
    monkeypatch.setenv("CHINOOK_HOME", str(tmp_path))
    monkeypatch.setenv("CHINOOK_WAREHOUSE_TARGET", "postgres")
    monkeypatch.setenv("CHINOOK_WAREHOUSE_PG_HOST", "warehouse.internal")
    monkeypatch.setenv("CHINOOK_WAREHOUSE_PG_PASSWORD", "s3cret-value")
    monkeypatch.setenv("CHINOOK_DBT_THREADS", "3")
    text = (warehouse_settings().write_dbt_profile() / "profiles.yml").read_text()
    assert "s3cret-value" not in text
    profile = yaml.safe_load(text)["chinook_warehouse"]
    postgres = profile["outputs"]["postgres"]
    assert (profile["target"], postgres["host"], postgres["threads"]) == ("postgres", "warehouse.internal", 3)
    assert postgres["password"] == "{{ env_var('CHINOOK_WAREHOUSE_PG_PASSWORD', '') }}"
    assert profile["outputs"]["duckdb"]["path"] == str(tmp_path / "warehouse.duckdb")


def test_the_profile_is_rewritten_only_when_a_setting_changes(monkeypatch, tmp_path):
    monkeypatch.setenv("CHINOOK_HOME", str(tmp_path))
    path = warehouse_settings().write_dbt_profile() / "profiles.yml"
    written = path.stat().st_mtime_ns
    warehouse_settings().write_dbt_profile()
    assert path.stat().st_mtime_ns == written  # dbt's partial parse and the manifest's staleness check rely on it
    monkeypatch.setenv("CHINOOK_WAREHOUSE_SCHEMA", "reporting")
    warehouse_settings().write_dbt_profile()
    assert "schema: reporting" in path.read_text()


def test_a_setting_that_is_not_a_number_is_named_with_its_value(monkeypatch):
    monkeypatch.setenv("CHINOOK_DBT_THREADS", "many")
    with pytest.raises(SettingsError, match="CHINOOK_DBT_THREADS='many': Input should be a valid integer"):
        warehouse_settings()


def test_a_target_the_platform_does_not_know_is_named_alone(monkeypatch):
    monkeypatch.setenv("CHINOOK_WAREHOUSE_TARGET", "snowflake")
    with pytest.raises(SettingsError) as raised:
        warehouse_settings()
    assert str(raised.value) == (
        "invalid setting: CHINOOK_WAREHOUSE_TARGET='snowflake': Input should be 'duckdb', 'postgres' or 'redshift'"
    )


def test_the_hand_run_profile_has_the_settings_defaults(monkeypatch):
    for variable in variables():
        monkeypatch.delenv(variable, raising=False)
    text = (WAREHOUSE_PROJECT_DIR / "profiles.yml").read_text()
    settings = warehouse_settings()
    defaults = {variable_of(WarehouseSettings, field): str(getattr(settings, field)) for field in settings.model_fields}
    read = re.findall(r"env_var\('(\w+)', '([^']*)'\)", text)
    assert read, "the hand-run profile reads no variable"
    disagree = {(v, d, defaults.get(v)) for v, d in read if d and d != defaults.get(v)}
    assert disagree == set()
