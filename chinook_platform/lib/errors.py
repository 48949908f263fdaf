"""One-line explanations of the failures a user can fix: cause and fix, instead of a traceback.

Matched on the exception's class name and message, so that neither boto3, a database driver nor Dagster needs to
be imported to recognise their errors (a Dagster step failure arrives as a serialized error with the same two).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from chinook_platform.lib import environment

NO_AWS_CREDENTIALS = (
    "no AWS credentials for S3 (the landing zone or the lake is an s3:// URL): set AWS_ACCESS_KEY_ID "
    "and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run where an instance role applies"
)


def _refused(message: str) -> bool:
    return any(
        s in message.lower()
        for s in (
            "connection refused",
            "could not translate host name",
            "timeout expired",
            "name or service not known",
            "no route to host",
            "connection timed out",
            "server closed the connection unexpectedly",  # the server went away mid-query
            "terminating connection due to administrator command",
        )
    )


def _missing_database(message: str) -> str | None:
    """PostgreSQL's 'database "x" does not exist', with the fix."""
    missing = re.search(r'database "([^"]+)" does not exist', message)
    if not missing:
        return None
    name = missing.group(1)
    return (
        f'the database "{name}" does not exist on the PostgreSQL server: create it (`createdb {name}`, or '
        f'`create database "{name}"` in psql), or correct CHINOOK_OLTP_URL / CHINOOK_WAREHOUSE_PG_DBNAME'
    )


def explain(cls_name: str, message: str) -> str | None:
    """Cause and fix of one error, or None when it is not one the user can fix."""
    first_line = message.strip().splitlines()[0] if message.strip() else cls_name
    if cls_name in ("Unavailable", "SettingsError"):  # preflight's and the settings' own, already explained
        return message
    if cls_name in ("NoCredentialsError", "PartialCredentialsError") or "Unable to locate credentials" in message:
        return NO_AWS_CREDENTIALS
    if cls_name == "EndpointConnectionError" or "Could not connect to the endpoint URL" in message:
        endpoint = environment.settings().s3_endpoint_url or "AWS"
        return f"cannot reach S3 at {endpoint}: start the server or fix CHINOOK_S3_ENDPOINT_URL ({first_line})"
    if "Could not set lock on file" in message or "Conflicting lock" in message:
        holder = re.search(r"\(PID (\d+)\)", message)
        path = re.search(r'lock on file "([^"]+)"', message)
        return (
            f"the DuckDB file {path.group(1) if path else ''} is in use by another process"
            f"{f' (PID {holder.group(1)})' if holder else ''}: stop it (a `dagster dev`, a DuckDB shell, a stuck "
            "run) and try again"
        )
    if "database is locked" in message:
        return (
            "the OLTP SQLite file is locked by another writer: wait for it (or stop it: a `dagster dev`, a stuck "
            "run) and try again"
        )
    if cls_name == "OperationalError" and _missing_database(message):
        return _missing_database(message)
    if cls_name == "OperationalError" and _refused(message):
        return (
            f"cannot reach the database server ({first_line}): start it, or fix CHINOOK_OLTP_URL / "
            "CHINOOK_WAREHOUSE_PG_HOST and _PORT"
        )
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__  # type: ignore[assignment]


def settings_error_in(error: BaseException) -> BaseException | None:
    """The settings' own error along an exception's chain (a usage error: the user set a bad value)."""
    return next((link for link in _chain(error) if type(link).__name__ == "SettingsError"), None)


def explain_exception(error: BaseException) -> str | None:
    """The first explanation found along an exception's chain of causes."""
    for link in _chain(error):
        explanation = explain(type(link).__name__, str(link))
        if explanation:
            return explanation
    return None


def explain_error_info(info: Any) -> str | None:
    """The same for Dagster's serialized error (``SerializableErrorInfo``: cls_name, message, cause, context)."""
    while info is not None:
        explanation = explain(info.cls_name or "", info.message or "")
        if explanation:
            return explanation
        info = info.cause or info.context
    return None
