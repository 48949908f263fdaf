"""Database credentials from AWS Secrets Manager, fetched when the code location starts.

A deployment sets a secret's ARN instead of a password (``.env.example``): ``CHINOOK_OLTP_SECRET_ARN``,
``CHINOOK_WAREHOUSE_PG_SECRET_ARN``, ``CHINOOK_REDSHIFT_SECRET_ARN``. Each names a secret holding JSON with
``username`` and ``password`` (what RDS and Redshift Serverless keep for their managed master passwords).
``export_secret_settings`` fetches them with boto3 and sets the settings they stand for in this process's
environment only, where the resources' ``dg.EnvVar`` settings and dbt's ``profiles.yml`` read them: no
password is written to a ``.env`` file, an image, the Dagster UI's resource config or Terraform state.

Every process that loads the definitions fetches them anew: each run launched as its own ECS task gets the
current password. A long-lived process (the code location server, a warm Lambda) survives a rotation too:
every SQLAlchemy connection to a database whose credentials came from a secret goes through
``connect_refreshing``, which, when the server refuses the user or password, reads the secret again, puts the
new credentials in the environment (for later engines and dbt's ``profiles.yml``) and connects with them.
The Secrets Manager endpoint is boto3's: ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` overrides it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print a password
        return f"Credentials(username={self.username!r}, password=***)"


def _into_url(variable: str) -> Callable[[MutableMapping[str, str], Credentials], dict[str, str]]:
    def apply(environ: MutableMapping[str, str], credentials: Credentials) -> dict[str, str]:
        if not environ.get(variable):
            raise ValueError(f"a secret ARN gives the user and password only: set {variable} (host, database)")
        url = sa.make_url(environ[variable]).set(username=credentials.username, password=credentials.password)
        return {variable: url.render_as_string(hide_password=False)}

    return apply


def _into(user: str, password: str) -> Callable[[MutableMapping[str, str], Credentials], dict[str, str]]:
    return lambda _environ, credentials: {user: credentials.username, password: credentials.password}


# Each secret ARN setting, and the settings its credentials fill in.
SECRET_SETTINGS: dict[str, Callable[[MutableMapping[str, str], Credentials], dict[str, str]]] = {
    "CHINOOK_OLTP_SECRET_ARN": _into_url("CHINOOK_OLTP_URL"),
    "CHINOOK_WAREHOUSE_PG_SECRET_ARN": _into("CHINOOK_WAREHOUSE_PG_USER", "CHINOOK_WAREHOUSE_PG_PASSWORD"),
    "CHINOOK_REDSHIFT_SECRET_ARN": _into("CHINOOK_REDSHIFT_USER", "CHINOOK_REDSHIFT_PASSWORD"),
}


def secrets_client(arn: str) -> Any:
    """A boto3 Secrets Manager client in the secret's own Region (the ARN's fourth field)."""
    import boto3

    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "secretsmanager":
        raise ValueError(f"not a Secrets Manager secret ARN: {arn!r}")
    return boto3.client("secretsmanager", region_name=parts[3])


def fetch_credentials(arn: str, client: Any = None) -> Credentials:
    """The ``username`` and ``password`` of the secret's current version."""
    client = client or secrets_client(arn)
    value = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    missing = {"username", "password"} - set(value)
    if missing:
        raise ValueError(f"secret {arn} has no {', '.join(sorted(missing))} (expected RDS-style JSON)")
    return Credentials(value["username"], value["password"])


# The database host each secret ARN setting's credentials are for (the setting naming it).
SECRET_HOSTS = {
    "CHINOOK_OLTP_SECRET_ARN": lambda environ: urlsplit(environ.get("CHINOOK_OLTP_URL", "")).hostname,
    "CHINOOK_WAREHOUSE_PG_SECRET_ARN": lambda environ: environ.get("CHINOOK_WAREHOUSE_PG_HOST"),
    "CHINOOK_REDSHIFT_SECRET_ARN": lambda environ: environ.get("CHINOOK_REDSHIFT_HOST"),
}
# Messages of a refused login: wrong password, a user rotated away (alternating users), an expired IAM token.
REFUSED_LOGIN = ("password authentication failed", "is not permitted to log in", "does not exist", "PAM authentication")
# (host, user) -> (secret ARN setting, ARN), for the connections connect_refreshing may re-authenticate, and the
# credentials last read from each secret (an engine made before a rotation still names the old ones).
_from_secrets: dict[tuple[str, str], tuple[str, str]] = {}
_latest: dict[str, Credentials] = {}


def export_secret_settings(environ: MutableMapping[str, str] | None = None, client: Any = None) -> list[str]:
    """Fill in the settings every ``*_SECRET_ARN`` in the environment stands for; returns the names set. From
    then on, connections with those credentials re-read their secret when refused (``connect_refreshing``)."""
    environ = os.environ if environ is None else environ
    updates: dict[str, str] = {}
    for variable, apply in SECRET_SETTINGS.items():
        if arn := environ.get(variable):
            credentials = fetch_credentials(arn, client)
            updates.update(apply(environ, credentials))
            if environ is os.environ and (host := SECRET_HOSTS[variable]({**environ, **updates})):
                _from_secrets[(host, credentials.username)] = (variable, arn)
                _latest[arn] = credentials
    environ.update(updates)
    refreshes = environ is os.environ and _from_secrets  # the refresh writes to this process's environment
    if refreshes and not sa.event.contains(sa.engine.Engine, "do_connect", connect_refreshing):
        sa.event.listen(sa.engine.Engine, "do_connect", connect_refreshing)
    return sorted(updates)


def connect_refreshing(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
    """SQLAlchemy's ``do_connect`` hook: connect; when a login with a secret's credentials is refused, read the
    secret again (it was rotated), update the environment, and connect once more with the new credentials."""
    source = _from_secrets.get((str(cparams.get("host")), str(cparams.get("user"))))
    if source is None:
        return None  # not from a secret: SQLAlchemy connects as usual
    variable, arn = source
    if latest := _latest.get(arn):
        cparams.update(user=latest.username, password=latest.password)
    try:
        return dialect.connect(*cargs, **cparams)
    except dialect.loaded_dbapi.OperationalError as error:
        if not any(message in str(error) for message in REFUSED_LOGIN):
            raise
    credentials = _latest[arn] = fetch_credentials(arn)
    os.environ.update(SECRET_SETTINGS[variable](os.environ, credentials))
    _from_secrets[(str(cparams["host"]), credentials.username)] = source
    cparams.update(user=credentials.username, password=credentials.password)
    return dialect.connect(*cargs, **cparams)


def dagster_storage_login_refused(environ: MutableMapping[str, str] | None = None) -> bool:
    """Whether the Dagster storage database (``DAGSTER_PG_*``, as ECS injects them) refuses this login. Only a
    refused login counts: an unreachable server is not something a new task would fix."""
    import psycopg

    environ = os.environ if environ is None else environ
    try:
        psycopg.connect(
            host=environ["DAGSTER_PG_HOST"],
            port=int(environ.get("DAGSTER_PG_PORT", "5432")),
            dbname=environ["DAGSTER_PG_DB"],
            user=environ["DAGSTER_PG_USER"],
            password=environ.get("DAGSTER_PG_PASSWORD", ""),
            connect_timeout=10,
        ).close()
    except psycopg.OperationalError as error:
        return any(message in str(error) for message in REFUSED_LOGIN)
    return False


if __name__ == "__main__":
    # The Dagster services' container health check (modules/dagster_ecs): unhealthy once the password rotated.
    import sys

    if sys.argv[1:] != ["--check-dagster-storage"]:
        raise SystemExit("usage: python -m chinook_platform.lib.secrets --check-dagster-storage")
    raise SystemExit(1 if dagster_storage_login_refused() else 0)
