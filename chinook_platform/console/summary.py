"""The summary ``chinook run`` prints when it ends, over every layer, and the exit code it returns."""

from __future__ import annotations

from typing import Any

import dagster as dg

from chinook_platform.console.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUN_FAILED,
)
from chinook_platform.console.report import RunReport, count_text, metadata_value
from chinook_platform.lib import environment
from chinook_platform.lib.oltp import status as oltp_status
from chinook_platform.lib.warehouse.data_issues import ROW_ISSUE_CHECKS

# Checks that report bad input (rejected files, quarantined rows): --fail-on decides what they mean for the exit code.
BAD_INPUT_CHECKS = {"landed_files_loaded", "quarantine_empty"}


def verdict(code: int) -> str:
    return {
        EXIT_OK: "OK",
        EXIT_RUN_FAILED: "run FAILED",
        EXIT_CHECK_FAILED: "a check FAILED",
        EXIT_INTERRUPTED: "interrupted: the run stopped and released its pools",
        EXIT_BAD_INPUT: "bad input (see files and quarantine above)",
    }.get(code, "")


def _layer_rows(report: RunReport, layer: str, key: str) -> tuple[int, int]:
    entries = [m for (lay, _), m in report.metadata.items() if lay == layer]
    return len(entries), sum(metadata_value(m, key) or 0 for m in entries)


def summarize(report: RunReport, success: bool, fail_on: str) -> tuple[list[str], int]:
    """The summary over every layer, and the exit code."""
    oltp, not_loaded, quarantined = _oltp_lines(report)
    checks, failed = _check_lines(report)
    # A row-issue check (data that do not reconcile, flagged in the warehouse) warns and blocks nothing, yet exits 3.
    flagged = [c for c in report.checks if not c.passed and c.check_name in ROW_ISSUE_CHECKS]
    lines = ["", "summary", *oltp, *_downstream_lines(report), *checks, *analysis_lines()]
    return lines, _exit_code(success, [*failed, *flagged], not_loaded, quarantined, fail_on)


def _oltp_lines(report: RunReport) -> tuple[list[str], list[dict], int]:
    """The OLTP database's rows, its open quarantine and the files not loaded; also those files and the rows held."""
    from chinook_platform.lib.oltp import create_oltp_engine

    chinook = environment.settings()
    engine = create_oltp_engine(chinook.oltp_url, schema=chinook.oltp_schema)
    with engine.connect() as conn:
        counts = {t.name: oltp_status.row_count(conn, t) for t in oltp_status.TABLES}
        open_counts = oltp_status.open_quarantine_counts(conn)
        reasons = oltp_status.top_quarantine_reasons(conn, limit=3)
        not_loaded = oltp_status.files_not_loaded(conn)
    engine.dispose()
    rejected_rows = sum(n for (_, s), n in open_counts.items() if s == "rejected")
    awaiting = sum(n for (_, s), n in open_counts.items() if s == "awaiting_parent")
    _, files_loaded = _layer_rows(report, "oltp", "files_loaded")
    skipped = _skipped_landed_files()
    lines = [
        f"oltp:       {sum(counts.values()):,} rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()),
        f"quarantine: {rejected_rows:,} rejected row(s), {awaiting:,} awaiting a parent",
        *(
            f"            {r['rows']:,} {r['table_name']}.{r['column_name'] or '(row)'} {r['status']}: "
            f"{oltp_status.shorten(r['reason'], 90)}"
            for r in reasons
        ),
        f"files:      {files_loaded} loaded this run, {len(not_loaded)} not loaded, {len(skipped)} skipped",
        *(f"  WARNING   {f['status']}: {f['source_file']}: {oltp_status.shorten(f['error'], 120)}" for f in not_loaded),
        *(f"  WARNING   skipped: {reason}" for _, reason in skipped),
    ]
    if not any(counts.values()):
        lines.append("nothing was loaded: no landed file of the eight tables yet; the warehouse and its KPIs are empty")
    return lines, not_loaded, rejected_rows + awaiting


def _downstream_lines(report: RunReport) -> list[str]:
    """What reached the lake, staging and the warehouse's facts, dimensions and marts."""
    layer = report.metadata
    batches = sum(1 for (lay, _), m in layer.items() if lay == "lake" and metadata_value(m, "rows_extracted"))
    _, extracted = _layer_rows(report, "lake", "rows_extracted")
    tables, staged = _layer_rows(report, "staging", "rows_loaded")
    lines = [
        f"lake:       {batches} new batch(es), {extracted:,} rows",
        f"staging:    {staged:,} rows loaded into {tables} table(s)",
    ]
    models = {t: metadata_value(m, "dagster/row_count") for (lay, t), m in layer.items() if lay == "warehouse"}
    for label, prefix in (("facts", "fct_"), ("dimensions", "dim_"), ("marts", "mart_")):
        built = {t: n for t, n in models.items() if t.startswith(prefix)}
        if built:
            lines.append(f"{label + ':':<12}" + ", ".join(f"{t} {count_text(n)}" for t, n in sorted(built.items())))
    return lines


def _check_lines(report: RunReport) -> tuple[list[str], list[Any]]:
    """The checks' tally, each failed or warned one, the steps' warnings and failures; also the failed checks."""
    failed = [c for c in report.checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    warned = [c for c in report.checks if not c.passed and c.severity != dg.AssetCheckSeverity.ERROR]
    passed = len(report.checks) - len(failed) - len(warned)
    lines = [
        f"checks:     {passed} passed, {len(warned)} warned, {len(failed)} failed",
        *(
            f"  {'FAILED' if c in failed else 'WARNING':<9} {c.asset_key.to_user_string()} {c.check_name}: "
            f"{oltp_status.shorten(c.description, 120)}"
            for c in [*failed, *warned]
        ),
        *(f"  WARNING   {oltp_status.shorten(w, 150)}" for w in list(dict.fromkeys(report.warnings))[:10]),
        *(f"  FAILED    {f}" for f in report.failures),
    ]
    return lines, failed


def analysis_lines() -> list[str]:
    """The analysis layer: the headline KPIs and where the dashboard is."""
    from chinook_platform.lib.analysis import dashboard_path, headline_report

    path = dashboard_path()
    return [*headline_report(), f"dashboard:  {path}" if path.exists() else "dashboard:  not built"]


def _skipped_landed_files() -> list[tuple[str, str]]:
    """Files in the landing zone that belong to no contract table (the run skips them)."""
    from chinook_platform.lib.landing import files_by_table, landing_zone_at

    url = environment.settings().landing_url
    client = None
    if url.startswith("s3://"):
        from chinook_platform.lib.s3 import s3_client_from_settings

        client = s3_client_from_settings()
    zone = landing_zone_at(url, client)
    _, skipped = files_by_table(zone.list_files())
    return skipped + [("", reason) for reason in getattr(zone, "refused", [])]  # links outside, files being written


def _exit_code(success: bool, failed_checks: list[Any], not_loaded: list[dict], quarantined: int, fail_on: str) -> int:
    if not success:
        return EXIT_RUN_FAILED
    if any(c.check_name not in BAD_INPUT_CHECKS for c in failed_checks):
        return EXIT_CHECK_FAILED
    bad_input = {"rejected": bool(not_loaded), "quarantine": bool(not_loaded) or quarantined > 0, "never": False}
    if bad_input[fail_on]:
        return EXIT_BAD_INPUT
    return EXIT_OK
