"""What ``chinook run`` prints while it runs: one line per asset as it finishes, gathered from Dagster's events by
a logging handler, and the failures, checks and warnings the summary repeats."""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass, field
from typing import IO, Any

import dagster as dg
import sqlalchemy as sa

from chinook_platform.lib.errors import explain_error_info
from chinook_platform.lib.orchestration.run_workers import HOST_TAG, PID_TAG

__all__ = ["HOST_TAG", "PID_TAG", "RunReport", "RunReporter", "pool_holders"]

# How lib/errors explains a server that is gone (a database, S3): the run stops at once and says so in one line.
UNREACHABLE = "cannot reach "
# Warnings worth repeating in the summary come from the platform's own steps, not dbt's.
DBT_STEP_PREFIX = "warehouse_dbt"


@dataclass
class AssetLine:
    layer: str
    table: str
    rows_in: int | None
    rows_out: int | None
    seconds: float
    note: str = ""


@dataclass
class RunReport:
    """What the run did, gathered from its events as they happen."""

    total_assets: int
    out: IO[str]
    assets: list[AssetLine] = field(default_factory=list)
    metadata: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    checks: list[Any] = field(default_factory=list)  # AssetCheckEvaluation
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    waiting: set[str] = field(default_factory=set)
    interrupted: bool = False
    unavailable: str | None = None  # the first step that found its server gone, and why
    last_event: dict[str, float] = field(default_factory=dict)
    instance: dg.DagsterInstance | None = None  # whose pools a waiting step names the holders of


def metadata_value(metadata: dict[str, Any], key: str) -> Any:
    entry = metadata.get(key)
    return getattr(entry, "value", entry)


def _asset_line(key: dg.AssetKey, metadata: dict[str, Any], seconds: float) -> AssetLine:
    layer, table = key.path[0], key.path[-1]
    get = lambda name: metadata_value(metadata, name)  # noqa: E731
    if layer == "landing":
        return AssetLine(layer, table, None, None, seconds, f"{get('files')} file(s), {_size(get('bytes') or 0)}")
    if layer == "oltp":
        quarantined = get("rows_quarantined") or 0
        note = ", ".join(
            p
            for p in (
                f"{get('rows_unchanged'):,} unchanged" if get("rows_unchanged") else "",
                f"{quarantined:,} quarantined" if quarantined else "",
                f"{get('files_rejected')} file(s) rejected" if get("files_rejected") else "",
            )
            if p
        )
        return AssetLine(
            layer, table, get("rows_read"), (get("rows_inserted") or 0) + (get("rows_updated") or 0), seconds, note
        )
    if layer == "lake":
        return AssetLine(
            layer,
            table,
            get("rows_extracted"),
            get("dagster/row_count"),
            seconds,
            "new batch" if get("rows_extracted") else "no change",
        )
    if layer == "staging":
        return AssetLine(
            layer,
            table,
            get("rows_loaded"),
            get("dagster/row_count"),
            seconds,
            f"{get('batches_loaded') or 0} batch(es)",
        )
    duration = get("Execution Duration")
    group = "marts" if table.startswith("mart_") else "analysis" if table.startswith("kpi_") else layer
    return AssetLine(group, table, None, get("dagster/row_count"), float(duration) if duration else seconds)


def _size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return str(size)


def count_text(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


class RunReporter(logging.Handler):
    """Dagster's run logger: every record to the log file (and the console when verbose); progress to the console."""

    def __init__(self, report: RunReport, log: IO[str], verbose: bool):
        super().__init__()
        self.report, self.log, self.verbose = report, log, verbose
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        self.log.write(line + "\n")
        self.log.flush()
        if self.verbose:
            self.report.out.write(line + "\n")
        meta = getattr(record, "dagster_meta", None) or {}
        event, step = meta.get("dagster_event"), meta.get("step_key") or ""
        if event is None:
            if record.levelno >= logging.WARNING and not step.startswith(DBT_STEP_PREFIX):
                self.report.warnings.append(f"{step}: {meta.get('orig_message', record.getMessage())}")
            return
        try:
            self._on_event(event, step)
        except Exception as error:  # a report must never break the run it reports on
            self.log.write(f"(report) {type(error).__name__}: {error}\n")

    def _on_event(self, event: Any, step: str) -> None:
        report, now = self.report, time.monotonic()
        match event.event_type:
            case dg.DagsterEventType.STEP_START:
                report.last_event[step] = now
            case dg.DagsterEventType.ASSET_MATERIALIZATION:
                materialization = event.event_specific_data.materialization
                metadata = dict(materialization.metadata)
                key = materialization.asset_key
                report.metadata[(key.path[0], key.path[-1])] = metadata
                line = _asset_line(key, metadata, now - report.last_event.get(step, now))
                report.last_event[step] = now
                report.assets.append(line)
                self._print(line)
            case dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                report.checks.append(event.event_specific_data)
            case dg.DagsterEventType.STEP_FAILURE:
                error = event.event_specific_data.error
                if error.cls_name == "DagsterExecutionInterruptedError":  # Ctrl-C or SIGTERM, dbt told to stop too
                    report.interrupted = True
                    if report.unavailable is None:
                        report.out.write(f"interrupted: {step} stopped\n")
                        report.out.flush()
                    return
                reason = explain_error_info(error) or (error.message.strip().splitlines() or [error.cls_name])[0]
                if reason.startswith(UNREACHABLE):
                    if report.unavailable is None:
                        report.unavailable = f"{step} lost {server_of(step)}: {reason}"
                        os.kill(os.getpid(), signal.SIGINT)  # Dagster stops before the next step, as on Ctrl-C
                    return
                report.failures.append(f"{step}: {reason}")
                report.out.write(f"FAILED {step}: {reason}\n")
                report.out.flush()
            case dg.DagsterEventType.ENGINE_EVENT if "blocked by limit for pool" in (event.message or ""):
                pool = (event.message or "").rsplit(" ", 1)[-1]
                if pool not in report.waiting:
                    report.waiting.add(pool)
                    report.out.write(f"waiting for pool {pool}, held by {pool_holders(report.instance, pool)}\n")
                    report.out.flush()

    def _print(self, line: AssetLine) -> None:
        done = len(self.report.assets)
        width = len(str(self.report.total_assets))
        self.report.out.write(
            f"[{done:>{width}}/{self.report.total_assets}] {line.layer:<9} {line.table:<27} "
            f"{count_text(line.rows_in):>9} {count_text(line.rows_out):>9} {line.seconds:>6.1f}s  {line.note}".rstrip()
            + "\n"
        )
        self.report.out.flush()


def server_of(step: str) -> str:
    """The server a step talks to, by its layer: the OLTP database (its loads and the lake's extracts) or the
    warehouse (staging, dbt, analysis); S3 for the rest."""
    from chinook_platform.lib.environment import settings

    current = settings()
    if step.startswith(("oltp__", "lake__")) and "://" in current.oltp_url and "sqlite" not in current.oltp_url:
        url = sa.make_url(current.oltp_url)
        return f"the OLTP database server {url.host}:{url.port or 5432}"
    warehouse = current.warehouse
    if warehouse.target == "postgres":
        return f"the warehouse server {warehouse.pg_host}:{warehouse.pg_port}"
    if warehouse.target == "redshift":
        return f"the Redshift warehouse {warehouse.redshift_host}:{warehouse.redshift_port}"
    return f"S3 at {current.s3_endpoint_url or 'AWS'}"


def pool_holders(instance: dg.DagsterInstance | None, pool: str) -> str:
    """Who holds a pool's slots: runs of this instance, with their status and recorded pid."""
    if instance is None:
        return "another run"
    info = instance.event_log_storage.get_concurrency_info(pool)
    holders = []
    for slot in info.claimed_slots:
        run = instance.get_run_by_id(slot.run_id)
        status = run.status.value if run else "unknown"
        pid = run.tags.get(PID_TAG) if run else None
        holders.append(f"run {slot.run_id[:8]} ({status}{f', pid {pid}' if pid else ''}, step {slot.step_key})")
    return ", ".join(holders) or "another run"
