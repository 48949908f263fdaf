"""The landing zone: where raw CSV files arrive. A local folder by default, an S3 prefix when configured.

Both kinds list files with a *version* (size and mtime for a folder, the ETag for S3) so that a loader or
a sensor can tell a new or changed file from one it has already seen, and both open files as binary streams.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from chinook_platform.lib.contract import KNOWN_OTHER_TABLES, Table, normalize_name, table

LOG = logging.getLogger(__name__)

CSV_SUFFIXES = (".csv",)


@dataclass(frozen=True)
class LandedFile:
    """One file in the landing zone."""

    key: str  # path relative to the landing zone's root, with forward slashes
    size: int
    version: str  # changes whenever the content may have changed
    last_modified: float = 0.0  # seconds since the epoch
    checksum: str | None = None  # a content hash known from the listing (S3: the ETag, when it is the MD5)


def classify(key: str) -> Table | str:
    """The contract table a landed file belongs to, or the reason it is skipped.

    The table is known from the file name (``Invoice.csv``, ``invoice_line.csv``) or else from its folder
    (``InvoiceLine/2024-01-02.csv``), case-insensitively.
    """
    path = PurePosixPath(key)
    if path.suffix.lower() not in CSV_SUFFIXES:
        return f"not a CSV file (expected a .csv suffix): {key}"
    candidates = [path.stem] + ([path.parent.name] if path.parent.name else [])
    for candidate in candidates:
        try:
            return table(candidate)
        except KeyError:
            continue
    if any(normalize_name(c) in KNOWN_OTHER_TABLES for c in candidates):
        return f"Chinook table outside this platform's eight tables, skipped: {key}"
    return f"no Chinook table named by the file or its folder, skipped: {key}"


def landed_files_of(table: Table, files: list[LandedFile]) -> list[LandedFile]:
    """The files of one contract table, in the listing's order."""
    return [f for f in files if getattr(classify(f.key), "name", None) == table.name]


class LandingZone(Protocol):
    """What the loader and the sensor need from a landing zone."""

    url: str

    def list_files(self) -> list[LandedFile]: ...

    def open(self, key: str) -> IO[bytes]: ...

    def location(self, key: str) -> str:
        """A full path or URL naming the file, for messages and the load log."""
        ...


class LocalLandingZone:
    """A folder on the local disk. Its listing leaves out, each with a warning, a symbolic link to a file outside
    the folder (unless ``follow_outside_links``), and a file modified less than ``settle_seconds`` ago, which
    may still be being written (``refused``: the reasons, as the last listing found them)."""

    def __init__(self, root: str | Path, settle_seconds: float = 0.0, follow_outside_links: bool = False):
        self.root = Path(root)
        self.url = str(self.root)
        self.settle_seconds = settle_seconds
        self.follow_outside_links = follow_outside_links
        self.refused: list[str] = []

    def list_files(self) -> list[LandedFile]:
        self.refused = []
        if not self.root.exists():
            return []
        files = []
        now = time.time()
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            key = path.relative_to(self.root).as_posix()
            stat = path.stat()
            reason = self._outside_link(path) or self._unsettled(stat.st_mtime, now)
            if reason:
                self.refused.append(f"{reason}: {key}")
                LOG.warning("landing zone: %s: %s", reason, self.location(key))
                continue
            files.append(
                LandedFile(
                    key=key,
                    size=stat.st_size,
                    version=f"{stat.st_size}-{stat.st_mtime_ns}",
                    last_modified=stat.st_mtime,
                )
            )
        return files

    def _outside_link(self, path: Path) -> str | None:
        if self.follow_outside_links or path.resolve().is_relative_to(self.root.resolve()):
            return None
        return f"symbolic link to {path.resolve()}, outside the landing zone, refused"

    def _unsettled(self, mtime: float, now: float) -> str | None:
        age = now - mtime
        if age >= self.settle_seconds:
            return None
        return f"modified {max(age, 0):.1f} s ago, perhaps still being written: left for the next look"

    def open(self, key: str) -> IO[bytes]:
        path = self.root / key
        reason = self._outside_link(path)
        if reason:
            raise PermissionError(f"{reason}: {self.location(key)}")
        return path.open("rb")

    def location(self, key: str) -> str:
        return str(self.root / key)

    def upload(self, source: Path, key: str) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copy to a temporary name first so a reader never sees half a file.
        # The source's modification time is kept: a file that was complete before it was landed is settled.
        partial = target.with_name(f".{target.name}.partial")
        shutil.copy2(source, partial)
        partial.replace(target)


class S3LandingZone:
    """An S3 prefix (``s3://bucket/prefix``), on AWS or any S3-compatible server; versions are ETags."""

    def __init__(self, url: str, client: Any):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        self.url = url.rstrip("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client

    def list_files(self) -> list[LandedFile]:
        from dagster_aws.s3.sensor import get_objects

        return [
            LandedFile(
                key=obj["Key"].removeprefix(self.prefix),
                size=obj["Size"] or 0,  # S3 lists every object with its size and ETag; typed as optional
                version=(etag := obj["ETag"] or "").strip('"'),
                last_modified=obj["LastModified"].timestamp(),
                checksum=etag_checksum(etag),
            )
            for obj in get_objects(self.bucket, self.prefix, client=self.client)
            if not obj["Key"].endswith("/") and not PurePosixPath(obj["Key"]).name.startswith(".")
        ]

    def open(self, key: str) -> IO[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"]
        return closing(body)  # type: ignore[return-value]

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def upload(self, source: Path, key: str) -> None:
        self.client.upload_file(str(source), self.bucket, self.prefix + key)


def etag_checksum(etag: str) -> str | None:
    """``md5:<hex>`` when an S3 ETag is the MD5 of the object's bytes (a single-part upload without SSE-KMS),
    else None (a multipart ETag, ``<hex>-<parts>``, is not a hash of the content)."""
    value = etag.strip('"')
    return f"md5:{value}" if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None


def landing_zone_at(url: str, s3_client: Any = None) -> LocalLandingZone | S3LandingZone:
    """The landing zone a URL names: ``s3://bucket/prefix`` or a folder (with the settings' settle time and
    link policy)."""
    if url.startswith("s3://"):
        if s3_client is None:
            from chinook_platform.lib.s3 import s3_client as make_s3_client

            s3_client = make_s3_client()
        return S3LandingZone(url, s3_client)
    # Imported here: the landing Lambda's package (S3 only) carries no pydantic.
    from chinook_platform.lib.environment import settings

    chinook = settings()
    return LocalLandingZone(url, chinook.landing_settle_seconds, chinook.landing_follow_outside_links)


def files_by_table(files: list[LandedFile]) -> tuple[dict[str, list[LandedFile]], list[tuple[str, str]]]:
    """Group landed files by contract table name; also return the (key, reason) of skipped files."""
    grouped: dict[str, list[LandedFile]] = {}
    skipped: list[tuple[str, str]] = []
    for landed in files:
        target = classify(landed.key)
        if isinstance(target, str):
            skipped.append((landed.key, target))
        else:
            grouped.setdefault(target.name, []).append(landed)
    return grouped, skipped


def iter_csv_files(folder: Path) -> Iterator[Path]:
    """CSV files under a folder, in a stable order (what ``chinook land`` uploads)."""
    yield from sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in CSV_SUFFIXES)
