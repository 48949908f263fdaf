"""The dashboard opened from disk in real headless Chromium: it draws every chart, logs no error and requests
nothing beyond its own file. The screenshot is kept as a test artifact."""

from __future__ import annotations

import shutil

import pytest

from chinook_platform.lib.analysis import CHARTS, dashboard_path
from chinook_platform.lib.analysis.browser import open_in_chromium
from chinook_platform_tests.conftest import server_missing


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        server_missing(
            "Debian's chromium (the dashboard test's browser)",
            "Install it with `make browser` (as root: apt-get install -y chromium).",
        )
    return found


@pytest.mark.parametrize("analysed", ["duckdb"], indirect=True)  # the page is the same on every engine
def test_the_dashboard_draws_offline_in_chromium(analysed, chromium, tmp_path):
    report = open_in_chromium(dashboard_path(), chromium=chromium)
    screenshot = tmp_path / "dashboard.png"
    screenshot.write_bytes(report.screenshot)
    print(f"dashboard screenshot: {screenshot}")

    assert report.errors == []
    assert report.charts_failed is None
    assert report.charts_drawn == len(CHARTS)
    assert set(report.chart_marks) == {c.name for c in CHARTS}
    assert all(marks > 0 for marks in report.chart_marks.values()), report.chart_marks
    assert report.requests and report.requests[0] == dashboard_path().as_uri()
    assert report.remote_requests == []
    assert report.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
