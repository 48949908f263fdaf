"""Which landed file versions the landing sensor still has to request, kept in a small JSON cursor.

A file version needs a run until the OLTP load log records it (loaded or rejected): the load log, not a time
window, is the truth, so a file whose modification time is old (``cp -p``, ``rsync -a``, ``tar x``) or that
``chinook run`` already loaded is judged by what was loaded. The cursor only remembers what was requested
and has not reached the load log yet (the run is queued or running), so a tick does not request it twice;
an entry that waits longer than ``RETRY_AFTER_SECONDS`` (its run failed before loading it) is requested again.
It also remembers which unusable files it has reported, so each is reported once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from chinook_platform.lib.landing.zone import LandedFile

RETRY_AFTER_SECONDS = 3600.0


def version_id(landed: LandedFile) -> str:
    """A short stable id of one version of one key."""
    return hashlib.sha1(f"{landed.key}\0{landed.version}".encode()).hexdigest()[:16]


@dataclass
class LandingCursor:
    requested: dict[str, float] = field(default_factory=dict)  # version_id -> when its run was requested
    reported: list[str] = field(default_factory=list)  # version ids of skipped files already reported

    @classmethod
    def parse(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(requested=data.get("requested", {}), reported=data.get("reported", []))

    def dumps(self) -> str:
        return json.dumps({"requested": self.requested, "reported": self.reported}, separators=(",", ":"))

    def pending(
        self, files: list[LandedFile], is_loaded: Callable[[LandedFile], bool], now: float
    ) -> tuple[list[LandedFile], LandingCursor]:
        """The file versions to request now (not loaded, not requested within the retry window), and the cursor
        that records them. Entries leave the cursor once loaded or no longer listed."""
        listed = {version_id(f): f for f in files}
        waiting = {v: at for v, at in self.requested.items() if v in listed and not is_loaded(listed[v])}
        due = [
            f
            for v, f in listed.items()
            if not is_loaded(f) and (v not in waiting or now - waiting[v] >= RETRY_AFTER_SECONDS)
        ]
        waiting.update((version_id(f), now) for f in due)
        return sorted(due, key=lambda f: f.key), LandingCursor(waiting, self.reported)

    def not_reported(self, skipped: list[LandedFile]) -> tuple[list[LandedFile], LandingCursor]:
        """The skipped files not reported before, and the cursor that remembers every file still skipped."""
        new = [f for f in skipped if version_id(f) not in self.reported]
        return new, LandingCursor(self.requested, sorted(version_id(f) for f in skipped))
