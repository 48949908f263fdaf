"""``chinook run``: the asset graph materialized in this process, reported as a person reads it.

One line per asset as it finishes, then a summary over every layer; Dagster's and dbt's own logs go to a log file
under ``$CHINOOK_HOME/logs`` (to the console with ``--verbose``). Before it starts, runs of this Dagster instance
whose process is gone give back their pool slots and are marked failed, so a killed run never blocks the next;
a pool a living run holds is waited for asleep (``lib/orchestration/pools.py``), for CHINOOK_POOL_WAIT_SECONDS.
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
from datetime import datetime
from pathlib import Path
from typing import IO, Any

warnings.filterwarnings("ignore", message=r".*is currently in (beta|preview)")  # the libraries' own notices

import dagster as dg  # noqa: E402

from chinook_platform.console.exit_codes import (  # noqa: E402
    EXIT_INTERRUPTED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)
from chinook_platform.console.report import HOST_TAG, PID_TAG, RunReport, RunReporter  # noqa: E402
from chinook_platform.console.summary import summarize, verdict  # noqa: E402
from chinook_platform.lib import environment  # noqa: E402
from chinook_platform.lib.oltp import status as oltp_status  # noqa: E402
from chinook_platform.lib.orchestration import processes  # noqa: E402
from chinook_platform.lib.orchestration.changed_assets import changed_assets  # noqa: E402
from chinook_platform.lib.orchestration.pools import PoolWaitTimeout, free_dead_runs, wait_for_pools  # noqa: E402


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
    from chinook_platform.lib.orchestration import ensure_dagster_home

    started = time.monotonic()
    out, err = sys.stdout, sys.stderr
    dagster_home = ensure_dagster_home()
    # dbt colours its output only for a terminal; its log goes to a file unless --verbose.
    os.environ.setdefault("DBT_USE_COLORS", "true" if verbose and out.isatty() else "false")
    log_path = _log_file()
    results: list[dg.ExecuteInProcessResult] = []
    with open(log_path, "w", encoding="utf-8") as log, dg.DagsterInstance.get() as instance:
        for line in free_dead_runs(instance):
            print(line, file=out)
        for pid in processes.stop_orphaned_dbt(environment.warehouse_settings().dbt_target_path):
            print(f"stopped dbt process {pid} left by a killed run", file=out)
        with _quiet(log, verbose):
            report = RunReport(total_assets=0, out=out, instance=instance)
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
                    results.append(_execute(definitions, instance, first, out))
                    # After a failed load too: its table's data version did not move, so nothing below it runs.
                    if incremental and not report.interrupted and not report.unavailable:
                        rest = [k for k in keys if k.path[0] not in FIRST_LAYERS]
                        results += _execute_what_changed(definitions, instance, rest, report)
            except PoolWaitTimeout as timeout:
                print(f"Error: {timeout}", file=err)
                return EXIT_UNAVAILABLE
            except KeyboardInterrupt:
                processes.signal_children(signal.SIGINT)
                canceled = _cancel_own_runs(instance)
                if report.unavailable:
                    return _unavailable(report, err)
                for line in canceled:
                    print(line, file=out)
                print("interrupted: the run was stopped and its pool slots released", file=out)
                return EXIT_INTERRUPTED
            if report.unavailable:
                _cancel_own_runs(instance)
                return _unavailable(report, err)
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
    print(f"result:     {verdict(code)} (exit {code})", file=out)
    return code


def _unavailable(report: RunReport, err: IO[str]) -> int:
    """A server went away mid-run: the run stopped at its first failure; one line names the server."""
    print(f"Error: {report.unavailable}", file=err)
    return EXIT_UNAVAILABLE


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
    return [_execute(definitions, instance, reached, report.out)]


def _execute(
    definitions: dg.Definitions, instance: dg.DagsterInstance, keys: list[dg.AssetKey], out: IO[str]
) -> dg.ExecuteInProcessResult:
    """One run of ``keys``, once the pools their steps use are free."""
    graph = definitions.resolve_asset_graph()
    pools = set().union(*(graph.get(k).pools or set() for k in keys))
    wait_for_pools(instance, pools, environment.settings().pool_wait_seconds, out)
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
