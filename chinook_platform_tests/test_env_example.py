"""`.env.example` documents every setting: each CHINOOK_* variable the code reads is there, and each one there is
read by the code or its tests."""

from __future__ import annotations

import re

from chinook_platform.lib.environment import variables
from chinook_platform_tests.conftest import REPO

VARIABLE = r"CHINOOK_[A-Z0-9_]+"


def _named_in(folder: str) -> set[str]:
    return {name for path in (REPO / folder).rglob("*.py") for name in re.findall(rf'"({VARIABLE})"', path.read_text())}


def test_every_setting_is_documented_and_every_documented_one_is_read():
    documented = set(re.findall(rf"^#?\s*({VARIABLE})=", (REPO / ".env.example").read_text(), re.MULTILINE))
    read = _named_in("chinook_platform") | {v for v in variables() if v.startswith("CHINOOK_")}
    assert read - documented == set(), "read by the code but missing from .env.example"
    assert documented - read - _named_in("chinook_platform_tests") == set(), "in .env.example but read by nothing"
