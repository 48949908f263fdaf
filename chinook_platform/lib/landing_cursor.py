"""Which landed file versions a sensor has already requested runs for, kept in a small JSON cursor.

The cursor holds a watermark (the newest ``last_modified`` handled) and the versions seen within a look-back
window behind it. The window matters on S3, where a multipart upload carries the time it *started*: a large
file can appear after smaller, newer ones. Files at the same timestamp, re-uploads (a new version of a key)
and any number of objects are handled; the cursor's size is bounded by the files inside the window.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from chinook_platform.lib.landing_zone import LandedFile

LOOKBACK_SECONDS = 3600.0


def version_id(landed: LandedFile) -> str:
    """A short stable id of one version of one key (also the sensor's run key suffix)."""
    return hashlib.sha1(f"{landed.key}\0{landed.version}".encode()).hexdigest()[:16]


@dataclass
class LandingCursor:
    watermark: float = 0.0
    seen: dict[str, float] = field(default_factory=dict)  # version_id -> last_modified

    @classmethod
    def parse(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(watermark=data["watermark"], seen=data["seen"])

    def dumps(self) -> str:
        return json.dumps({"watermark": self.watermark, "seen": self.seen}, separators=(",", ":"))

    def new_files(self, files: list[LandedFile], limit: int) -> tuple[list[LandedFile], LandingCursor]:
        """Up to ``limit`` file versions not seen yet, oldest first, and the cursor that records them."""
        horizon = self.watermark - LOOKBACK_SECONDS
        fresh = sorted(
            (f for f in files if f.last_modified >= horizon and version_id(f) not in self.seen),
            key=lambda f: (f.last_modified, f.key),
        )[:limit]
        seen = dict(self.seen)
        seen.update((version_id(f), f.last_modified) for f in fresh)
        watermark = max([self.watermark, *(f.last_modified for f in fresh)])
        kept = {v: t for v, t in seen.items() if t >= watermark - LOOKBACK_SECONDS}
        return fresh, LandingCursor(watermark, kept)
