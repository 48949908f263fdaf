"""Database credentials from AWS Secrets Manager, fetched when the code location starts.

A deployment sets a secret's ARN instead of a password (``.env.example``): ``CHINOOK_OLTP_SECRET_ARN``,
``CHINOOK_WAREHOUSE_PG_SECRET_ARN``, ``CHINOOK_REDSHIFT_SECRET_ARN``. Each names a secret holding JSON with
``username`` and ``password`` (what RDS and Redshift Serverless keep for their managed master passwords).
``export_secret_settings`` fetches them with boto3 and sets the settings they stand for in this process's
environment only, where the resources' ``dg.EnvVar`` settings and dbt's ``profiles.yml`` read them: no
password is written to a ``.env`` file, an image, the Dagster UI's resource config or Terraform state.

Every process that loads the definitions fetches them anew: each run launched as its own ECS task gets the
current password, also after RDS rotates it. The long-lived code location server keeps what it fetched
until it restarts. The Secrets Manager endpoint is boto3's: ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` overrides it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

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


def export_secret_settings(environ: MutableMapping[str, str] | None = None, client: Any = None) -> list[str]:
    """Fill in the settings every ``*_SECRET_ARN`` in the environment stands for; returns the names set."""
    environ = os.environ if environ is None else environ
    updates: dict[str, str] = {}
    for variable, apply in SECRET_SETTINGS.items():
        if arn := environ.get(variable):
            updates.update(apply(environ, fetch_credentials(arn, client)))
    environ.update(updates)
    return sorted(updates)
