"""A landed file's content hash (sha256), taken while the load reads it, or before when it may be a copy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import IO, Any

from chinook_platform.lib.landing.record_lines import PassThroughReader


class HashingReader(PassThroughReader):
    """Passes a stream through, hashing its bytes (sha256) on the way: the load's one read hashes the file.

    Takes what an opener returns: a stream, or a context manager around one (``closing(body)`` on S3), entered
    here and exited on close.
    """

    def __init__(self, opened: Any):
        super().__init__(opened.__enter__())
        self._opened = opened
        self._sha256 = hashlib.sha256()
        self.bytes = 0
        self.at_end = False

    def observe(self, data: bytes) -> None:
        self._sha256.update(data)
        self.bytes += len(data)
        self.at_end = self.at_end or not data

    def close(self) -> None:
        if not self.closed:
            self._opened.__exit__(None, None, None)
        super().close()

    @property
    def content_hash(self) -> str | None:
        return f"sha256:{self._sha256.hexdigest()}" if self.at_end else None


def content_hash_of(opener: Callable[[], IO[bytes]]) -> tuple[str, int]:
    """sha256 and size of a file, read once in 1 MiB chunks."""
    with HashingReader(opener()) as reader:
        while reader.read(1 << 20):
            pass
    return reader.content_hash or "", reader.bytes
