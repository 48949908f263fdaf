"""Benchmark: live mode with the daemon running (`make dev`): what each kind of landing costs.

Usage: python benchmarks/live_mode.py [--scales 1 100]

Per scale: generates the dataset, loads it the way `make run` does (`chinook run --source`), starts `make dev` (the
real webserver and daemon) on a free port, then lands, one after another:
  (a) the same files again (fresh copies: new modification times, the same bytes),
  (b) a new day after the data (`chinook generate --next-days 1 --after oltp`),
  (c) a burst of 7 new days at once.
For each it counts the runs started and the materializations per layer (dbt builds: materializations of
fct_invoice_line), and times from the landing to the marts holding every OLTP line (for (a): until the last run
finished and nothing else started within two sensor intervals). Prints a Markdown table with the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
QUIET_SECONDS = 25  # two sensor intervals and then some: nothing more is coming
LIMIT_SECONDS = 900


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Home:
    def __init__(self, path: Path):
        self.path = path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CHINOOK_", "DAGSTER_", "DBT_"))}
        self.env |= {"CHINOOK_HOME": str(path), "DAGSTER_HOME": str(path / "dagster"), "UI_PORT": str(free_port())}

    def run(self, *command: str) -> str:
        done = subprocess.run(command, cwd=REPO, env=self.env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return done.stdout

    def instance(self):  # noqa: ANN201
        import dagster as dg

        return dg.DagsterInstance.from_config(str(self.path / "dagster"))

    def counts(self) -> Counter:
        """Runs so far and materializations per layer."""
        import dagster as dg

        with self.instance() as instance:
            counts: Counter = Counter(runs=len(instance.get_runs()))
            for record in instance.get_asset_records():
                key = record.asset_entry.asset_key
                n = len(instance.fetch_materializations(key, limit=10_000).records)
                counts[key.path[0]] += n
                if key == dg.AssetKey(["warehouse", "fct_invoice_line"]):
                    counts["dbt builds"] += n
        return counts

    def breakdown(self, since: float) -> str:
        """Each run created after ``since``: seconds from the landing to its request, queued, and running."""
        from dagster import RunsFilter

        with self.instance() as instance:
            records = sorted(
                instance.get_run_records(RunsFilter(created_after=datetime.fromtimestamp(since, UTC))),
                key=lambda r: r.create_timestamp,
            )
        parts = []
        for record in records:
            created = record.create_timestamp.timestamp()
            started, ended = record.start_time or created, record.end_time or created
            who = "sensor" if record.dagster_run.tags.get("dagster/sensor_name") == "landing_sensor" else "automation"
            parts.append(f"{who} +{created - since:.0f}: queued {started - created:.0f}, ran {ended - started:.0f}")
        return "; ".join(parts)

    def busy(self) -> bool:
        with self.instance() as instance:
            return not all(r.is_finished for r in instance.get_runs(limit=20))

    def facts_complete(self) -> bool:
        import duckdb

        with sqlite3.connect(self.path / "oltp.sqlite") as con:
            lines = con.execute("select count(*) from invoice_line").fetchone()[0]
        try:
            # The read-only copy refreshed after every build: a reader on warehouse.duckdb would lock runs out.
            with duckdb.connect(str(self.path / "reports" / "warehouse_copy.duckdb"), read_only=True) as con:
                return con.execute("select count(*) from analytics.fct_invoice_line").fetchone()[0] == lines
        except (duckdb.IOException, duckdb.CatalogException):  # no copy yet
            return False


def land(home: Home, folder: Path) -> None:
    home.run(str(BIN / "chinook"), "land", str(folder))


def settle(home: Home, before: Counter, want_new_facts: bool) -> tuple[float, Counter, str]:
    """Seconds from now until the change reached the marts (or nothing more happens), and what it cost."""
    started, last_activity, wall = time.monotonic(), time.monotonic(), time.time()
    while time.monotonic() - started < LIMIT_SECONDS:
        time.sleep(1)
        counts = home.counts()
        if home.busy() or counts["runs"] == 0:
            last_activity = time.monotonic()
            continue
        if want_new_facts and counts["dbt builds"] > before["dbt builds"] and home.facts_complete():
            return time.monotonic() - started, counts - before, home.breakdown(wall)
        if not want_new_facts and time.monotonic() - last_activity > QUIET_SECONDS:
            return last_activity - started, counts - before, home.breakdown(wall)
    raise SystemExit("the change did not settle within the limit")


def bench_scale(scale: float) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix=f"chinook-live-{scale:g}-"))
    data = work / "data"
    home = Home(work / "home")
    home.run(str(BIN / "chinook"), "generate", "--scale", f"{scale:g}", "--out", str(data))
    home.run(str(BIN / "chinook"), "run", "--source", str(data))  # `make run`'s state
    log = (work / "make-dev.log").open("w")
    dev = subprocess.Popen(
        ["make", "dev"],
        cwd=REPO,
        env=home.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    rows = []
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{home.env['UI_PORT']}/server_info", timeout=2)
                break
            except OSError:
                time.sleep(1)
        time.sleep(QUIET_SECONDS)  # the first ticks after `make run`: nothing may start
        start_state = home.counts()
        rows.append(row(scale, "start `make dev` after `make run`", 0, 0.0, home.counts() - start_state, ""))

        again = work / "again"
        shutil.copytree(data, again)
        before = home.counts()
        land(home, again)
        seconds, cost, runs = settle(home, before, want_new_facts=False)
        rows.append(row(scale, "(a) re-land the same files", len(list(again.rglob("*.csv"))), seconds, cost, runs))

        for label, days in (("(b) a new day", 1), ("(c) 7 new days at once", 7)):
            folder = work / f"days-{days}"
            home.run(
                str(BIN / "chinook"), "generate", "--next-days", str(days), "--after", "oltp", "--out", str(folder)
            )
            before = home.counts()
            land(home, folder)
            seconds, cost, runs = settle(home, before, want_new_facts=True)
            rows.append(row(scale, label, 2 * days, seconds, cost, runs))
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        dev.wait(timeout=60)
    shutil.rmtree(work, ignore_errors=True)
    return rows


def row(scale: float, what: str, files: int, seconds: float, cost: Counter, runs: str) -> str:
    load = os.getloadavg()[0]
    return (
        f"| {scale:g} | {what} | {files} | {cost['runs']} | {cost['oltp']} | {cost['lake']} | {cost['staging']} | "
        f"{cost['dbt builds']} | {seconds:.0f} | {load:.1f} | {runs} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 100])
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    print(
        "| scale | landed | files | runs | OLTP materializations | lake | staging | dbt builds "
        "| seconds to the marts | load avg | runs (s after landing: queued, ran) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for scale in args.scales:
        for line in bench_scale(scale):
            print(line, flush=True)


if __name__ == "__main__":
    main()
