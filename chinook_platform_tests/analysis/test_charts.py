"""Vega's JavaScript is bundled once per home and version, then read from the cache."""

from __future__ import annotations

import pytest

from chinook_platform.lib.analysis import charts


def test_the_vega_bundle_is_built_once_then_read_from_the_home(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHINOOK_HOME", str(tmp_path))
    charts.javascript_bundle.cache_clear()
    try:
        bundle = charts.javascript_bundle()
        (cached,) = (tmp_path / "cache").glob("vega-embed-*.js")
        assert "vegaEmbed" in bundle and cached.read_text(encoding="utf-8") == bundle
        assert not list((tmp_path / "cache").glob("*.partial"))

        cached.write_text("/* cached */" + bundle, encoding="utf-8")  # a later process reads the file, not vl-convert
        charts.javascript_bundle.cache_clear()
        assert charts.javascript_bundle().startswith("/* cached */")
    finally:
        charts.javascript_bundle.cache_clear()
