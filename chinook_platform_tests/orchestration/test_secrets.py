"""Credentials given as Secrets Manager ARNs, fetched from moto's Secrets Manager over HTTP."""

from __future__ import annotations

import json
import os
import uuid

import boto3
import dagster as dg
import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError

from chinook_platform.defs.resources import build_resources
from chinook_platform.lib.secrets import export_secret_settings, fetch_credentials

FILLED = (
    "CHINOOK_OLTP_URL",
    "CHINOOK_WAREHOUSE_PG_USER",
    "CHINOOK_WAREHOUSE_PG_PASSWORD",
    "CHINOOK_REDSHIFT_USER",
    "CHINOOK_REDSHIFT_PASSWORD",
    "CHINOOK_OLTP_SECRET_ARN",
    "CHINOOK_WAREHOUSE_PG_SECRET_ARN",
    "CHINOOK_REDSHIFT_SECRET_ARN",
)


@pytest.fixture
def secrets_manager(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    """A Secrets Manager client on the moto server; boto3 everywhere in the process uses the same endpoint."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", s3_endpoint)
    for variable in FILLED:  # restored afterwards whatever the code under test sets
        monkeypatch.delenv(variable, raising=False)
    return boto3.client("secretsmanager", region_name="eu-west-1")


def rds_style_secret(client, username: str, password: str) -> str:
    """A secret shaped like the one RDS keeps a managed master password in; returns its ARN."""
    created = client.create_secret(
        Name=f"rds!db-{uuid.uuid4()}", SecretString=json.dumps({"username": username, "password": password})
    )
    return created["ARN"]


@pytest.mark.postgres
def test_the_oltp_resource_connects_as_the_secrets_user(
    secrets_manager, postgres_url: str, monkeypatch: pytest.MonkeyPatch
):
    url = sa.make_url(postgres_url).set(username="nobody", password=None)
    monkeypatch.setenv("CHINOOK_OLTP_URL", url.render_as_string(hide_password=False))
    # The test server trusts local connections: the user name is what shows the secret was used.
    monkeypatch.setenv("CHINOOK_OLTP_SECRET_ARN", rds_style_secret(secrets_manager, "postgres", "s3cr3t-pw"))

    resources = build_resources()

    # The resource's config holds the variable's name, never the password (the Dagster UI shows config).
    assert isinstance(resources["oltp"].url, dg.EnvVar)
    with resources["oltp"].process_config_and_initialize_cm() as oltp, oltp.engine().connect() as conn:
        assert conn.execute(sa.text("select current_user")).scalar() == "postgres"
    assert sa.make_url(oltp.url).password == "s3cr3t-pw"


def test_warehouse_and_redshift_secrets_fill_user_and_password(secrets_manager):
    environ = {
        "CHINOOK_WAREHOUSE_PG_SECRET_ARN": rds_style_secret(secrets_manager, "chinook_admin", "pg-pw"),
        "CHINOOK_REDSHIFT_SECRET_ARN": rds_style_secret(secrets_manager, "admin", "rs-pw"),
        "CHINOOK_WAREHOUSE_PG_USER": "someone-else",
    }
    assert export_secret_settings(environ) == [
        "CHINOOK_REDSHIFT_PASSWORD",
        "CHINOOK_REDSHIFT_USER",
        "CHINOOK_WAREHOUSE_PG_PASSWORD",
        "CHINOOK_WAREHOUSE_PG_USER",
    ]
    assert (environ["CHINOOK_WAREHOUSE_PG_USER"], environ["CHINOOK_WAREHOUSE_PG_PASSWORD"]) == (
        "chinook_admin",
        "pg-pw",
    )
    assert (environ["CHINOOK_REDSHIFT_USER"], environ["CHINOOK_REDSHIFT_PASSWORD"]) == ("admin", "rs-pw")


def test_no_secret_arn_changes_nothing(secrets_manager):
    environ = {"CHINOOK_WAREHOUSE_PG_PASSWORD": "given"}
    assert export_secret_settings(environ) == [] and environ == {"CHINOOK_WAREHOUSE_PG_PASSWORD": "given"}


def test_a_rotated_secret_is_read_at_its_current_version(secrets_manager):
    arn = rds_style_secret(secrets_manager, "chinook_admin", "before")
    secrets_manager.put_secret_value(
        SecretId=arn, SecretString=json.dumps({"username": "chinook_admin", "password": "after"})
    )
    assert fetch_credentials(arn).password == "after"
    assert "after" not in repr(fetch_credentials(arn))


def test_a_missing_or_malformed_secret_fails_loudly(secrets_manager):
    arn = rds_style_secret(secrets_manager, "only-a-user", "x")
    malformed = secrets_manager.create_secret(Name=f"bad-{uuid.uuid4()}", SecretString='{"username": "u"}')["ARN"]
    with pytest.raises(ValueError, match="has no password"):
        fetch_credentials(malformed)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        fetch_credentials(arn.replace("rds!db-", "rds!db-gone-"))
    with pytest.raises(ValueError, match="set CHINOOK_OLTP_URL"):
        export_secret_settings({"CHINOOK_OLTP_SECRET_ARN": arn})
    with pytest.raises(ValueError, match="not a Secrets Manager secret ARN"):
        fetch_credentials("arn:aws:s3:::bucket")


@pytest.mark.postgres
def test_a_new_connection_after_the_secret_rotates_succeeds(
    secrets_manager, postgres_url: str, monkeypatch: pytest.MonkeyPatch
):
    """Rotation while connected: the next connection re-reads the secret when its login is refused."""
    suffix = uuid.uuid4().hex[:8]
    before, after = f"chinook_rot_{suffix}_a", f"chinook_rot_{suffix}_b"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as conn:
        for role in (before, after):
            conn.execute(sa.text(f"create role {role} login password 'pw-{role}'"))
    try:
        arn = rds_style_secret(secrets_manager, before, f"pw-{before}")
        url = sa.make_url(postgres_url).set(username=None, password=None)
        monkeypatch.setenv("CHINOOK_OLTP_URL", url.render_as_string(hide_password=False))
        monkeypatch.setenv("CHINOOK_OLTP_SECRET_ARN", arn)
        export_secret_settings()
        engine = sa.create_engine(os.environ["CHINOOK_OLTP_URL"])
        with engine.connect() as conn:
            assert conn.execute(sa.text("select current_user")).scalar() == before

        # Secrets Manager's alternating-users rotation: the secret names the other user, the old one may no longer
        # log in. (The test server trusts local connections, so a refused user is the refusal it can show.)
        new_value = json.dumps({"username": after, "password": f"pw-{after}"})
        secrets_manager.put_secret_value(SecretId=arn, SecretString=new_value)
        with admin.begin() as conn:
            conn.execute(sa.text(f"alter role {before} nologin"))
        engine.dispose()  # a pooled connection outlives a rotation; a new one is what a rotation breaks

        with engine.connect() as conn:
            assert conn.execute(sa.text("select current_user")).scalar() == after
        assert sa.make_url(os.environ["CHINOOK_OLTP_URL"]).username == after  # later engines and dbt too
        engine.dispose()
    finally:
        with admin.begin() as conn:
            for role in (before, after):
                conn.execute(sa.text(f"drop role if exists {role}"))
        admin.dispose()


@pytest.mark.postgres
def test_the_dagster_services_health_check_fails_once_their_login_is_refused(postgres_url: str):
    """ECS replaces a service task whose check fails, and the new task gets the rotated password from the secret."""
    import subprocess
    import sys

    role = f"chinook_hc_{uuid.uuid4().hex[:8]}"
    url = sa.make_url(postgres_url)
    environ = {
        **os.environ,
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_DB": url.database,
        "DAGSTER_PG_USER": role,
        "DAGSTER_PG_PASSWORD": "injected-at-start",
    }
    check = [sys.executable, "-m", "chinook_platform.lib.secrets", "--check-dagster-storage"]
    admin = sa.create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"create role {role} login password 'injected-at-start'"))
    try:
        assert subprocess.run(check, env=environ, capture_output=True).returncode == 0
        with admin.begin() as conn:  # rotated away (the test server trusts local logins: the role is refused)
            conn.execute(sa.text(f"alter role {role} nologin"))
        assert subprocess.run(check, env=environ, capture_output=True).returncode == 1
        # An unreachable server is not a refused login: no restart for it.
        assert subprocess.run(check, env={**environ, "DAGSTER_PG_PORT": "1"}, capture_output=True).returncode == 0
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"drop role if exists {role}"))
        admin.dispose()
