"""The ``chinook`` command as a user runs it: its output, its exit codes, its start-up, dbt through it, and a run
killed with ``kill -9`` never blocking the next one."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from chinook_platform.console.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)
from chinook_platform.lib.orchestration import processes
from chinook_platform_tests.conftest import REPO, SAMPLE_DATA

BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[")


def environment(home: Path, **extra: str) -> dict[str, str]:
    """The command's environment: its own home; files a test lands are complete when written (no settle time)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHINOOK_", "DAGSTER_", "DBT_"))}
    return (
        env
        | {"CHINOOK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "PATH": f"{BIN}{os.pathsep}{env['PATH']}"}
        | {"CHINOOK_LANDING_SETTLE_SECONDS": "0"}
        | extra
    )


def chinook(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """``chinook ARGS`` in its own home, output piped (not a terminal)."""
    return subprocess.run(
        [str(BIN / "chinook"), *args],
        cwd=REPO,
        env=environment(home, **extra),
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def land_csv(home: Path, key: str, text: str) -> None:
    path = home / "landing" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """A scale-1 run of everything: the sample data, Customer.csv with an extra column, a file of another table."""
    home = tmp_path_factory.mktemp("clean")
    source = home / "source"
    shutil.copytree(SAMPLE_DATA, source)
    customers = (source / "Customer.csv").read_text().splitlines()
    (source / "Customer.csv").write_text("\n".join([customers[0] + ",Fax", *(f"{r}," for r in customers[1:])]) + "\n")
    (source / "Employee.csv").write_text("EmployeeId,LastName\n1,Adams\n")
    return home, chinook(home, "run", "--source", str(source))


def test_a_clean_run_exits_0_with_a_short_report_of_every_layer(clean_run):
    home, done = clean_run
    assert done.returncode == EXIT_OK, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    # The first run: the landing and OLTP layers, then everything downstream (nothing is materialized yet).
    first = int(re.search(r"running (\d+) asset", done.stdout).group(1))
    rest = re.search(r"the changes reach (\d+) of (\d+) asset", done.stdout)
    assert rest and rest.group(1) == rest.group(2), done.stdout
    assets = first + int(rest.group(1))
    assert len(lines) < assets + 40, done.stdout  # one line per asset, and a summary of a few dozen
    assert not ANSI.search(done.stdout + done.stderr)
    for section in (
        "oltp:",
        "quarantine:",
        "files:",
        "lake:",
        "staging:",
        "facts:",
        "marts:",
        "checks:",
        "time:",
        "log:",
        "result:",
    ):
        assert any(line.startswith(section) for line in lines), section
    summary = done.stdout[done.stdout.index("\nsummary\n") :]
    assert "dropped columns outside the contract: ['Fax']" in summary
    assert "Employee.csv" in summary and "skipped" in summary
    assert "fct_invoice_line 2,240" in summary
    assert re.search(r"checks: +\d+ passed, 0 warned, 0 failed", summary)
    assert re.search(rf"\[{assets}/{assets}\] ", done.stdout)
    log = Path(re.search(r"^log: +(\S+)", done.stdout, re.M).group(1))
    assert log.is_relative_to(home) and "dbt build" in log.read_text()


def test_dbt_builds_with_a_partial_parse_in_its_home(clean_run):
    home, done = clean_run
    dbt_log = (home / "dbt" / "target" / "dbt.log").read_text()
    assert "profile has changed" not in dbt_log
    build = dbt_log[dbt_log.rindex('"invocation_command": "dbt build') :]
    assert "Unable to do partial parsing" not in build
    assert "Partial parsing enabled" in build


def _built(stdout: str) -> set[str]:
    """The assets a run's report lists, as ``layer/table``."""
    return {f"{m.group(1)}/{m.group(2)}" for m in re.finditer(r"^\[ *\d+/\d+\] (\S+) +(\S+)", stdout, re.M)}


def test_a_run_after_a_new_day_builds_only_what_the_day_reaches(clean_run):
    home, _ = clean_run
    again = chinook(home, "run")
    assert again.returncode == EXIT_OK, again.stdout[-3000:]
    assert "the changes reach 0 of" in again.stdout  # nothing new: the loads, and nothing downstream
    assert {a.split("/")[0] for a in _built(again.stdout)} == {"landing", "oltp"}

    day = home / "next-day"
    assert chinook(home, "generate", "--next-days", "1", "--after", "oltp", "--out", str(day)).returncode == 0
    done = chinook(home, "run", "--source", str(day))
    assert done.returncode == EXIT_OK, done.stdout[-3000:]
    built = _built(done.stdout)
    assert {
        "lake/invoice",
        "lake/invoice_line",
        "staging/invoice",
        "staging/invoice_line",
        "warehouse/fct_invoice_line",
        "marts/mart_single_customer_view",
        "analysis/dashboard",
    } <= built
    untouched = {f"{layer}/{table}" for layer in ("lake", "staging") for table in ("artist", "customer", "track")}
    assert not built & (untouched | {"warehouse/dim_customer", "warehouse/dim_track"}), sorted(built)
    with sqlite3.connect(home / "oltp.sqlite") as oltp:
        [(lines,)] = oltp.execute("select count(*) from invoice_line").fetchall()
    assert lines > 2240
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        assert warehouse.execute("select count(*) from analytics.fct_invoice_line").fetchone() == (lines,)

    everything = chinook(home, "run", "--all")
    assert everything.returncode == EXIT_OK, everything.stdout[-3000:]
    assert "warehouse/dim_customer" in _built(everything.stdout) and "changes reach" not in everything.stdout
    assert chinook(home, "run", "--all", "--select", "oltp/genre").returncode == EXIT_USAGE


def test_bad_input_and_failed_checks_set_the_exit_code(tmp_path):
    oltp_tables = "*oltp/invoice_line"  # every landing and OLTP asset upstream of the invoice lines
    done = chinook(tmp_path, "run", "--source", str(SAMPLE_DATA), "--select", oltp_tables)
    assert done.returncode == EXIT_OK, done.stdout[-3000:]

    land_csv(tmp_path, "Genre/bad.csv", "GenreId,Name\nnot-a-number,Bad\n")  # one quarantined row
    assert chinook(tmp_path, "run", "--select", "landing/genre,oltp/genre").returncode == EXIT_OK
    done = chinook(tmp_path, "run", "--select", "landing/genre,oltp/genre", "--fail-on", "quarantine")
    assert done.returncode == EXIT_BAD_INPUT, done.stdout
    assert "quarantine: 1 rejected row(s)" in done.stdout

    land_csv(tmp_path, "Genre/no_name.csv", "GenreId\n99\n")  # rejected whole: a required column is missing
    done = chinook(tmp_path, "run", "--select", "landing/genre,oltp/genre")
    assert done.returncode == EXIT_BAD_INPUT, done.stdout
    assert "no_name.csv" in done.stdout[done.stdout.index("\nsummary\n") :]
    assert chinook(tmp_path, "run", "--select", "landing/genre,oltp/genre", "--fail-on", "never").returncode == EXIT_OK

    invoices = (SAMPLE_DATA / "Invoice.csv").read_text().splitlines()
    first = invoices[1].rsplit(",", 1)[0] + ",999.99"  # invoice 1's total no longer matches its lines
    land_csv(tmp_path, "Invoice/changed.csv", f"{invoices[0]}\n{first}\n")
    done = chinook(tmp_path, "run", "--select", "landing/invoice,oltp/invoice", "--fail-on", "never")
    assert done.returncode == EXIT_CHECK_FAILED, done.stdout
    assert "invoice_totals_match_lines" in done.stdout


def test_a_bad_selection_is_a_usage_error_in_one_line(tmp_path):
    done = chinook(tmp_path, "run", "--select", "oltp/no_such_table")
    assert done.returncode == EXIT_USAGE
    assert "matches no asset" in done.stderr and "Traceback" not in done.stderr
    assert chinook(tmp_path, "generate", "--scale", "0", "--out", str(tmp_path / "g")).returncode == EXIT_USAGE
    assert chinook(tmp_path, "generate", "--scale", "-1", "--out", str(tmp_path / "g")).returncode == EXIT_USAGE


def test_a_bad_setting_is_a_usage_error_naming_its_variable(tmp_path):
    for command in (["run"], ["summary"]):
        done = chinook(tmp_path, *command, CHINOOK_WAREHOUSE_TARGET="bogus", CHINOOK_WAREHOUSE_PG_PORT="fifty")
        assert done.returncode == EXIT_USAGE, (command, done.stderr)
        assert "CHINOOK_WAREHOUSE_TARGET='bogus'" in done.stderr or "CHINOOK_WAREHOUSE_PG_PORT" in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.postgres
def test_a_missing_database_is_named_with_its_fix(tmp_path, postgres_url):
    missing = sa.make_url(postgres_url).set(database="chinook_no_such_database").render_as_string(False)
    for command in ("run", "summary"):
        done = chinook(tmp_path, command, CHINOOK_OLTP_URL=missing)
        assert done.returncode == EXIT_UNAVAILABLE, done.stderr
        assert 'the database "chinook_no_such_database" does not exist' in done.stderr
        assert "createdb chinook_no_such_database" in done.stderr and "CHINOOK_OLTP_URL" in done.stderr


def test_an_unreachable_database_is_named_with_its_fix(tmp_path):
    done = chinook(tmp_path, "run", CHINOOK_OLTP_URL="postgresql://postgres@127.0.0.1:1/test")
    assert done.returncode == EXIT_UNAVAILABLE
    assert "cannot reach the database server" in done.stderr and "CHINOOK_OLTP_URL" in done.stderr
    assert "Traceback" not in done.stderr
    done = chinook(tmp_path, "summary", CHINOOK_OLTP_URL="postgresql://postgres@127.0.0.1:1/test")
    assert done.returncode == EXIT_UNAVAILABLE and "cannot reach the database server" in done.stderr
    done = chinook(tmp_path, "--debug", "summary", CHINOOK_OLTP_URL="postgresql://postgres@127.0.0.1:1/test")
    assert "Traceback" in done.stderr


def test_missing_s3_credentials_are_named_with_their_fix(tmp_path):
    done = chinook(
        tmp_path,
        "run",
        CHINOOK_LANDING_URL="s3://bucket/landing",
        AWS_ACCESS_KEY_ID="",
        AWS_SECRET_ACCESS_KEY="",
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    assert done.returncode == EXIT_UNAVAILABLE, done.stderr
    assert "no AWS credentials" in done.stderr


def test_a_locked_duckdb_file_is_named_with_its_holder(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(120)",
            str(tmp_path / "warehouse.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        done = chinook(tmp_path, "run")
        assert done.returncode == EXIT_UNAVAILABLE
        assert "is in use by another process" in done.stderr and f"PID {holder.pid}" in done.stderr
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("command", [["--help"], ["summary"], ["land", "data"], ["contract"]])
def test_commands_that_run_no_pipeline_import_neither_dagster_nor_dbt(tmp_path, command):
    probe = (
        "import sys; from chinook_platform.console.cli import main; code = main(sys.argv[1:]); "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'dagster_dbt', 'dagster_aws', "
        "'dbt'}); "
        "print('HEAVY', heavy, file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *command],
        cwd=REPO,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stderr


def test_dbt_debug_and_docs_work_from_the_repository_root(tmp_path):
    done = chinook(tmp_path, "dbt", "debug")
    assert done.returncode == 0, done.stdout[-3000:]
    assert str(tmp_path / "warehouse.duckdb") in done.stdout
    done = chinook(tmp_path, "docs")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    index = tmp_path / "dbt" / "target" / "index.html"
    assert str(index) in done.stdout and index.exists()
    assert (tmp_path / "dbt" / "target" / "catalog.json").exists()


def _claimed_step(home: Path, pool: str) -> str | None:
    index = home / "dagster" / "history" / "runs" / "index.db"
    if not index.exists():
        return None
    try:
        with sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute(
                "select step_key from concurrency_slots where concurrency_key = ? "
                "and run_id is not null and deleted = 0",
                (pool,),
            ).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _wait_for_dbt(home: Path, run: subprocess.Popen) -> None:
    """Until the run holds the warehouse pool and its dbt process has started (at most a minute for the latter)."""
    _wait_for_claim(home, "chinook_warehouse", "warehouse_dbt", run)
    deadline = time.monotonic() + 60
    while not _dbt_processes(home) and time.monotonic() < deadline:
        time.sleep(0.1)


def _start_run(home: Path, *args: str, **extra: str) -> subprocess.Popen:
    """`chinook run ARGS` in the background, its output piped."""
    return subprocess.Popen(
        [str(BIN / "chinook"), "run", *args],
        cwd=REPO,
        env=environment(home, **extra),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def _wait_for_claim(home: Path, pool: str, step_prefix: str, run: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        step = _claimed_step(home, pool)
        if step and step.startswith(step_prefix):
            return
        assert run.poll() is None, "the run ended before it claimed the pool"
        time.sleep(0.1)
    pytest.fail(f"no step {step_prefix}* claimed {pool} within {seconds} s")


def _dbt_processes(home: Path) -> list[int]:
    target = str(home / "dbt" / "target")
    return [p for p in processes._pids() if processes._environment(p).get("DBT_TARGET_PATH") == target]


@pytest.mark.parametrize(("pool", "step"), [("chinook_oltp", "oltp__"), ("chinook_warehouse", "warehouse_dbt")])
def test_a_run_killed_while_it_holds_a_pool_does_not_block_the_next(tmp_path, pool, step):
    assert chinook(tmp_path, "land", str(SAMPLE_DATA)).returncode == 0
    killed = _start_run(tmp_path)
    try:
        _wait_for_claim(tmp_path, pool, step, killed)
        if pool == "chinook_warehouse":
            deadline = time.monotonic() + 60
            while not _dbt_processes(tmp_path) and time.monotonic() < deadline:
                time.sleep(0.1)
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        assert _claimed_step(tmp_path, pool), "the killed run should still hold its slot"
        done = chinook(tmp_path, "run")  # bounded by chinook()'s timeout
        assert done.returncode == EXIT_OK, done.stdout[-3000:] + done.stderr[-3000:]
        assert f"freed run {killed_run_prefix(done.stdout)}" in done.stdout
        assert f"released pool {pool}" in done.stdout
        with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as warehouse:
            assert warehouse.execute("select count(*) from analytics.fct_invoice_line").fetchone() == (2240,)
    finally:
        killed.kill()
        for pid in _dbt_processes(tmp_path):
            os.kill(pid, signal.SIGKILL)


def killed_run_prefix(stdout: str) -> str:
    match = re.search(r"freed run (\w{8})", stdout)
    assert match, stdout
    return match.group(1)


def test_sigterm_stops_a_run_and_its_dbt_process(tmp_path):
    assert chinook(tmp_path, "land", str(SAMPLE_DATA)).returncode == 0
    run = _start_run(tmp_path)
    try:
        _wait_for_dbt(tmp_path, run)
        run.send_signal(signal.SIGTERM)
        output, _ = run.communicate(timeout=60)
        assert run.returncode == EXIT_INTERRUPTED, output
        assert "interrupted: warehouse_dbt_models stopped" in output and "Traceback" not in output
        deadline = time.monotonic() + 30
        while _dbt_processes(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _dbt_processes(tmp_path) == []
        assert _claimed_step(tmp_path, "chinook_warehouse") is None
        assert chinook(tmp_path, "run").returncode == EXIT_OK
    finally:
        run.kill()
        for pid in _dbt_processes(tmp_path):
            os.kill(pid, signal.SIGKILL)
