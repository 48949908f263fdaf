"""``chinook run``: the asset graph materialized in this process, reported as a person reads it.

One line per asset as it finishes, then a summary over every layer; Dagster's and dbt's own logs go to a log file
under ``$CHINOOK_HOME/logs`` (to the console with ``--verbose``). Before it starts, runs of this Dagster instance
whose process is gone give back their pool slots and are marked failed, so a killed run never blocks the next.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

warnings.filterwarnings("ignore", message=r".*is currently in (beta|preview)")  # the libraries' own notices

import dagster as dg  # noqa: E402

from chinook_platform.cli import (  # noqa: E402
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUN_FAILED,
    EXIT_USAGE,
)
from chinook_platform.lib import environment  # noqa: E402
from chinook_platform.lib.errors import explain_error_info  # noqa: E402
from chinook_platform.lib.oltp import status as oltp_status  # noqa: E402
from chinook_platform.lib.orchestration import processes  # noqa: E402
from chinook_platform.lib.orchestration.changed_assets import changed_assets  # noqa: E402

POOLS = ("chinook_oltp", "chinook_warehouse")
PID_TAG, HOST_TAG = "chinook/pid", "chinook/host"
# Checks that report bad input (rejected files, quarantined rows): --fail-on decides what they mean for the exit code.
BAD_INPUT_CHECKS = {"landed_files_loaded", "quarantine_empty"}
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
    last_event: dict[str, float] = field(default_factory=dict)


def _value(metadata: dict[str, Any], key: str) -> Any:
    entry = metadata.get(key)
    return getattr(entry, "value", entry)


def _asset_line(key: dg.AssetKey, metadata: dict[str, Any], seconds: float) -> AssetLine:
    layer, table = key.path[0], key.path[-1]
    get = lambda name: _value(metadata, name)  # noqa: E731
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


def _count(value: int | None) -> str:
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
                    report.out.write(f"interrupted: {step} stopped\n")
                    report.out.flush()
                    return
                reason = explain_error_info(error) or (error.message.strip().splitlines() or [error.cls_name])[0]
                report.failures.append(f"{step}: {reason}")
                report.out.write(f"FAILED {step}: {reason}\n")
                report.out.flush()
            case dg.DagsterEventType.ENGINE_EVENT if "blocked by limit for pool" in (event.message or ""):
                pool = (event.message or "").rsplit(" ", 1)[-1]
                if pool not in report.waiting:
                    report.waiting.add(pool)
                    report.out.write(f"waiting for pool {pool}, held by {pool_holders(pool)}\n")
                    report.out.flush()

    def _print(self, line: AssetLine) -> None:
        done = len(self.report.assets)
        width = len(str(self.report.total_assets))
        self.report.out.write(
            f"[{done:>{width}}/{self.report.total_assets}] {line.layer:<9} {line.table:<27} "
            f"{_count(line.rows_in):>9} {_count(line.rows_out):>9} {line.seconds:>6.1f}s  {line.note}".rstrip()
            + "\n"
        )
        self.report.out.flush()


_INSTANCE: dg.DagsterInstance | None = None


def pool_holders(pool: str) -> str:
    """Who holds a pool's slots: runs of this instance, with their status and recorded pid."""
    if _INSTANCE is None:
        return "another run"
    info = _INSTANCE.event_log_storage.get_concurrency_info(pool)
    holders = []
    for slot in info.claimed_slots:
        run = _INSTANCE.get_run_by_id(slot.run_id)
        status = run.status.value if run else "unknown"
        pid = run.tags.get(PID_TAG) if run else None
        holders.append(f"run {slot.run_id[:8]} ({status}{f', pid {pid}' if pid else ''}, step {slot.step_key})")
    return ", ".join(holders) or "another run"


def free_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Runs of this instance whose process is gone: their pool slots freed, their status failed; one line each."""
    in_progress = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING]
    host = socket.gethostname()
    freed = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=in_progress, tags={HOST_TAG: host})):
        pid = int(run.tags.get(PID_TAG, "0"))
        if not pid or processes.alive(pid):
            continue
        pools = [
            pool
            for pool in POOLS
            if any(s.run_id == run.run_id for s in instance.event_log_storage.get_concurrency_info(pool).claimed_slots)
        ]
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        instance.report_run_failed(run, f"chinook: process {pid} of this run is gone; its pool slots were freed")
        freed.append(
            f"freed run {run.run_id[:8]} (process {pid} is gone): "
            f"{'released pool ' + ', '.join(pools) if pools else 'no pool slots held'}; marked failed"
        )
    # Slots left by runs already finished (e.g. failed by the daemon's run monitoring).
    for pool in POOLS:
        for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots:
            holder = instance.get_run_by_id(slot.run_id)
            if holder is None or holder.is_finished:
                instance.event_log_storage.free_concurrency_slots_for_run(slot.run_id)
                freed.append(f"freed pool {pool} held by finished run {slot.run_id[:8]}")
    return freed


@contextlib.contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """SIGTERM stops the run as Ctrl-C does: it reaches dbt's process too, then unwinds this one."""

    def stop(signum: int, _frame: Any) -> None:
        processes.signal_children(signal.SIGINT)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _selection(definitions: dg.Definitions, select: str | None, err: IO[str]) -> list[dg.AssetKey] | None:
    """The selected asset keys, or None (after printing why) when the selection is not valid."""
    graph = definitions.resolve_asset_graph()
    try:
        if select and "," in select and " " not in select:  # a list of keys, as `dagster asset materialize` takes
            listed = [dg.AssetKey.from_user_string(k) for k in select.split(",")]
            keys = dg.AssetSelection.assets(*listed).resolve(graph)
        else:
            keys = dg.AssetSelection.from_string(select or "*").resolve(graph)
    except Exception as error:
        print(
            f"Error: --select {select!r} matches no asset or is not a selection "
            f"({oltp_status.shorten(str(error), 80)}); e.g. "
            "'oltp/invoice', 'oltp/invoice+' (and downstream), 'group:marts', '*'",
            file=err,
        )
        return None
    materializable = {k for k in keys if graph.get(k).is_materializable}
    if not materializable:
        print(
            f"Error: --select {select!r} matches no asset; asset keys look like landing/invoice, oltp/invoice_line, "
            "warehouse/fct_invoice, warehouse/mart_country_sales ('*' selects everything)",
            file=err,
        )
        return None
    return sorted(materializable)


def _log_file() -> Path:
    folder = environment.chinook_home() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"run-{datetime.now():%Y%m%d-%H%M%S}.log"


FIRST_LAYERS = ("landing", "oltp")  # what an incremental run always loads; the rest follows what changed


def run_pipeline(select: str | None, fail_on: str, verbose: bool, everything: bool = False) -> int:
    """Materialize the selection, print the report and summary; return the exit code.

    With no selection: the landing and OLTP layers, then only the assets their changes reach (every asset when
    ``everything``, or on the first run, when nothing is materialized yet)."""
    global _INSTANCE
    from chinook_platform.lib.orchestration import ensure_dagster_home

    started = time.monotonic()
    out, err = sys.stdout, sys.stderr
    dagster_home = ensure_dagster_home()
    # dbt colours its output only for a terminal; its log goes to a file unless --verbose.
    os.environ.setdefault("DBT_USE_COLORS", "true" if verbose and out.isatty() else "false")
    log_path = _log_file()
    results: list[dg.ExecuteInProcessResult] = []
    with open(log_path, "w", encoding="utf-8") as log, dg.DagsterInstance.get() as instance:
        _INSTANCE = instance
        for line in free_dead_runs(instance):
            print(line, file=out)
        for pid in processes.stop_orphaned_dbt(environment.warehouse_settings().dbt_target_path):
            print(f"stopped dbt process {pid} left by a killed run", file=out)
        with _quiet(log, verbose):
            report = RunReport(total_assets=0, out=out)
            definitions = _reporting_definitions(RunReporter(report, log, verbose))
            keys = _selection(definitions, select, err)
            if keys is None:
                return EXIT_USAGE
            incremental = select is None and not everything
            first = [k for k in keys if k.path[0] in FIRST_LAYERS] if incremental else keys
            report.total_assets = len(first)
            _print_header(out, len(first), len(keys), incremental, log_path)
            try:
                with _stop_on_sigterm():
                    results.append(_execute(definitions, instance, first))
                    # After a failed load too: its table's data version did not move, so nothing below it runs.
                    if incremental and not report.interrupted:
                        rest = [k for k in keys if k.path[0] not in FIRST_LAYERS]
                        results += _execute_what_changed(definitions, instance, rest, report)
            except KeyboardInterrupt:
                processes.signal_children(signal.SIGINT)
                for line in _cancel_own_runs(instance):
                    print(line, file=out)
                print("interrupted: the run was stopped and its pool slots released", file=out)
                return EXIT_INTERRUPTED
    summary, code = summarize(report, success=all(r.success for r in results), fail_on=fail_on)
    if report.interrupted:
        code = EXIT_INTERRUPTED
    for line in summary:
        print(line, file=out)
    runs = ", ".join(r.run_id for r in results)
    print(
        f"time:       {time.monotonic() - started:.1f} s; Dagster run{'s' if len(results) > 1 else ''} {runs} in "
        f"{dagster_home} (browse it with `make dev`)\nlog:        {log_path}",
        file=out,
    )
    print(f"result:     {_verdict(code)} (exit {code})", file=out)
    return code


def _reporting_definitions(reporter: RunReporter) -> dg.Definitions:
    """The code location's definitions with a logger that hands every event to ``reporter``."""
    from chinook_platform.definitions import defs

    @dg.logger
    def chinook_console(_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.Logger("chinook_run", level=logging.DEBUG)
        logger.addHandler(reporter)
        return logger

    return dg.Definitions.merge(defs(), dg.Definitions(loggers={"chinook_console": chinook_console}))


def _print_header(out: IO[str], first: int, keys: int, incremental: bool, log_path: Path) -> None:
    print(
        f"running {first} asset(s)"
        + (" (landing and OLTP, then what their changes reach)" if incremental else "")
        + f"; Dagster and dbt logs: {log_path}",
        file=out,
    )
    width = 2 * len(str(keys)) + 3
    print(f"{'':<{width}} {'layer':<9} {'table':<27} {'rows in':>9} {'rows out':>9} {'time':>7}", file=out, flush=True)


def _execute_what_changed(
    definitions: dg.Definitions, instance: dg.DagsterInstance, rest: list[dg.AssetKey], report: RunReport
) -> list[dg.ExecuteInProcessResult]:
    """The second step of an incremental run: only the assets below the first layers that their changes reach."""
    reached = changed_assets(definitions.resolve_asset_graph(), instance, rest)
    print(
        f"the changes reach {len(reached)} of {len(rest)} asset(s) downstream"
        + ("" if reached else ": the lake, staging and warehouse are up to date"),
        file=report.out,
        flush=True,
    )
    if not reached:
        return []
    report.total_assets += len(reached)
    return [_execute(definitions, instance, reached)]


def _execute(
    definitions: dg.Definitions, instance: dg.DagsterInstance, keys: list[dg.AssetKey]
) -> dg.ExecuteInProcessResult:
    job = definitions.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        instance=instance,
        asset_selection=keys,
        raise_on_error=False,
        run_config={"loggers": {"chinook_console": {}}},
        tags={PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()},
    )


def _cancel_own_runs(instance: dg.DagsterInstance) -> list[str]:
    """After an interrupt: this process's runs still in progress are canceled and their slots freed."""
    lines = []
    in_progress = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=in_progress, tags={PID_TAG: str(os.getpid())})):
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        instance.report_run_canceled(run, "chinook: interrupted (Ctrl-C or SIGTERM)")
        lines.append(f"canceled run {run.run_id[:8]}")
    return lines


@contextlib.contextmanager
def _quiet(log: IO[str], verbose: bool) -> Iterator[None]:
    """Without --verbose, what libraries print (dbt's event stream, warnings) goes to the log file."""
    if verbose:
        yield
        return
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield


def _verdict(code: int) -> str:
    return {
        EXIT_OK: "OK",
        EXIT_RUN_FAILED: "run FAILED",
        EXIT_CHECK_FAILED: "a check FAILED",
        EXIT_INTERRUPTED: "interrupted: the run stopped and released its pools",
        EXIT_BAD_INPUT: "bad input (see files and quarantine above)",
    }.get(code, "")


def _layer_rows(report: RunReport, layer: str, key: str) -> tuple[int, int]:
    entries = [m for (lay, _), m in report.metadata.items() if lay == layer]
    return len(entries), sum(_value(m, key) or 0 for m in entries)


def summarize(report: RunReport, success: bool, fail_on: str) -> tuple[list[str], int]:
    """The summary over every layer, and the exit code."""
    from chinook_platform.lib.oltp import create_oltp_engine

    lines = ["", "summary"]
    chinook = environment.settings()
    engine = create_oltp_engine(chinook.oltp_url, schema=chinook.oltp_schema)
    with engine.connect() as conn:
        counts = {t.name: oltp_status.row_count(conn, t) for t in oltp_status.TABLES}
        open_counts = oltp_status.open_quarantine_counts(conn)
        reasons = oltp_status.top_quarantine_reasons(conn, limit=3)
        not_loaded = oltp_status.files_not_loaded(conn)
    engine.dispose()
    lines.append(f"oltp:       {sum(counts.values()):,} rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    rejected_rows = sum(n for (_, s), n in open_counts.items() if s == "rejected")
    awaiting = sum(n for (_, s), n in open_counts.items() if s == "awaiting_parent")
    lines.append(f"quarantine: {rejected_rows:,} rejected row(s), {awaiting:,} awaiting a parent")
    lines += [
        f"            {r['rows']:,} {r['table_name']}.{r['column_name'] or '(row)'} {r['status']}: "
        f"{oltp_status.shorten(r['reason'], 90)}"
        for r in reasons
    ]
    files_loaded = sum(_value(m, "files_loaded") or 0 for (lay, _), m in report.metadata.items() if lay == "oltp")
    skipped = _skipped_landed_files()
    lines.append(f"files:      {files_loaded} loaded this run, {len(not_loaded)} not loaded, {len(skipped)} skipped")
    lines += [
        f"  WARNING   {f['status']}: {f['source_file']}: {oltp_status.shorten(f['error'], 120)}" for f in not_loaded
    ]
    lines += [f"  WARNING   skipped: {reason}" for _, reason in skipped]
    batches = sum(1 for (lay, _), m in report.metadata.items() if lay == "lake" and _value(m, "rows_extracted"))
    _, extracted = _layer_rows(report, "lake", "rows_extracted")
    lines.append(f"lake:       {batches} new batch(es), {extracted:,} rows")
    tables, staged = _layer_rows(report, "staging", "rows_loaded")
    lines.append(f"staging:    {staged:,} rows loaded into {tables} table(s)")
    models = {t: _value(m, "dagster/row_count") for (lay, t), m in report.metadata.items() if lay == "warehouse"}
    facts = {t: n for t, n in models.items() if t.startswith("fct_")}
    marts = {t: n for t, n in models.items() if t.startswith("mart_")}
    dims = {t: n for t, n in models.items() if t.startswith("dim_")}
    for label, built in (("facts", facts), ("dimensions", dims), ("marts", marts)):
        if built:
            lines.append(f"{label + ':':<12}" + ", ".join(f"{t} {_count(n)}" for t, n in built.items()))
    failed = [c for c in report.checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    warned = [c for c in report.checks if not c.passed and c.severity != dg.AssetCheckSeverity.ERROR]
    passed = len(report.checks) - len(failed) - len(warned)
    lines.append(f"checks:     {passed} passed, {len(warned)} warned, {len(failed)} failed")
    lines += [
        f"  {'FAILED' if c in failed else 'WARNING':<9} {c.asset_key.to_user_string()} {c.check_name}: "
        f"{oltp_status.shorten(c.description, 120)}"
        for c in [*failed, *warned]
    ]
    important = list(dict.fromkeys(report.warnings))
    lines += [f"  WARNING   {oltp_status.shorten(w, 150)}" for w in important[:10]]
    lines += [f"  FAILED    {f}" for f in report.failures]
    lines += analysis_lines()
    return lines, _exit_code(success, failed, not_loaded, rejected_rows + awaiting, fail_on)


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
        from chinook_platform.cli import _s3_client

        client = _s3_client()
    _, skipped = files_by_table(landing_zone_at(url, client).list_files())
    return skipped


def _exit_code(success: bool, failed_checks: list[Any], not_loaded: list[dict], quarantined: int, fail_on: str) -> int:
    if not success:
        return EXIT_RUN_FAILED
    if any(c.check_name not in BAD_INPUT_CHECKS for c in failed_checks):
        return EXIT_CHECK_FAILED
    bad_input = {"rejected": bool(not_loaded), "quarantine": bool(not_loaded) or quarantined > 0, "never": False}
    if bad_input[fail_on]:
        return EXIT_BAD_INPUT
    return EXIT_OK
