"""Live mode as the daemon runs it: the landing sensor's ticks and the automation sensor's evaluations, counted.

Runs execute in-process against one Dagster instance, the way the daemon would launch them: each sensor request
is one run, and each automation evaluation's requests are one run. A change must cost what it changed: no lake,
staging or dbt work for files that changed nothing, one chain for a new day.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import pytest

from chinook_platform.defs.landing.sensors import landing_sensor
from chinook_platform.lib.contract import TABLES
from chinook_platform.lib.next_days import existing_sales_in_oltp, generate_next_days
from chinook_platform_tests.conftest import NO_TELEMETRY, SAMPLE_DATA

FACTS = dg.AssetKey(["warehouse", "fct_invoice_line"])


class Platform:
    """The code location configured for a test, one instance, and a count of what it ran."""

    def __init__(self, definitions: dg.Definitions, instance: dg.DagsterInstance, home: Path):
        self.definitions = definitions
        self.instance = instance
        self.home = home
        self.cursor: str | None = None
        self.runs: list[set[str]] = []  # the asset keys of every run, in order
        self.job = definitions.resolve_implicit_global_asset_job_def()
        self.graph = definitions.resolve_asset_graph()
        # The daemon has always ticked before: conditions never fire on their very first evaluation.
        self.automation_cursor = dg.evaluate_automation_conditions(defs=definitions, instance=instance).cursor

    def tick_sensor(self) -> list[dg.RunRequest]:
        resources = {name: self.definitions.resources[name] for name in ("landing_zone", "oltp")}
        with dg.build_sensor_context(cursor=self.cursor, instance=self.instance, resources=resources) as context:
            result = landing_sensor(context)
        self.cursor = result.cursor
        return result.run_requests

    def execute(self, selection: list[dg.AssetKey], tags: dict | None = None) -> None:
        result = self.job.execute_in_process(
            instance=self.instance,
            asset_selection=selection,
            tags=tags or {},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        assert result.success
        self.runs.append({k.to_user_string() for k in selection})

    def run_everything(self) -> None:
        """What `chinook run` (and `make run`) does: one run over the whole graph; then the daemon ticks."""
        self.execute(list(self.graph.get_all_asset_keys()))
        assert self.settle() == []

    def land_and_tick(self) -> int:
        """One landing-sensor tick, its runs executed; returns how many it requested."""
        requests = self.tick_sensor()
        for request in requests:
            self.execute(list(request.asset_selection), request.tags)
        return len(requests)

    def settle(self) -> list[set[str]]:
        """Evaluate the automation conditions and run what they request until nothing is (the daemon's job)."""
        rounds = []
        for _ in range(8):
            evaluation = dg.evaluate_automation_conditions(
                defs=self.definitions, instance=self.instance, cursor=self.automation_cursor
            )
            self.automation_cursor = evaluation.cursor
            requested = [key for key in self.graph.get_all_asset_keys() if evaluation.get_num_requested(key)]
            if not requested:
                return rounds
            rounds.append({k.to_user_string() for k in requested})
            self.execute(requested)
        pytest.fail(f"automation did not settle: {rounds}")

    def materializations(self) -> Counter:
        """Materializations per layer so far."""
        counts: Counter = Counter()
        for key in self.graph.get_all_asset_keys():
            records = self.instance.fetch_materializations(key, limit=1000).records
            counts[key.path[0]] += len(records)
            if key == FACTS:
                counts["dbt builds"] += len(records)
        return counts

    def warehouse(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()


def _platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    monkeypatch.setenv("CHINOOK_HOME", str(tmp_path))
    from chinook_platform.definitions import defs

    with dg.instance_for_test(overrides=NO_TELEMETRY) as instance:
        yield Platform(defs(), instance, tmp_path)


@pytest.fixture
def s3_platform(tmp_path, monkeypatch, s3_endpoint, s3_bucket) -> Iterator[Platform]:
    """Landing zone on the S3 server, lake and warehouse under the test's CHINOOK_HOME."""
    monkeypatch.setenv("CHINOOK_LANDING_URL", f"s3://{s3_bucket}/landing")
    monkeypatch.setenv("CHINOOK_S3_ENDPOINT_URL", s3_endpoint)
    yield from _platform(tmp_path, monkeypatch)


@pytest.fixture
def platform(tmp_path, monkeypatch) -> Iterator[Platform]:
    """Everything under the test's CHINOOK_HOME: the landing folder, SQLite, the Parquet folder, DuckDB."""
    yield from _platform(tmp_path, monkeypatch)


def oltp_engine(platform: Platform):  # noqa: ANN201
    return platform.definitions.resources["oltp"].process_config_and_initialize().engine()


def upload(s3_endpoint: str, bucket: str, key: str, body: bytes) -> None:
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").put_object(
        Bucket=bucket, Key=f"landing/{key}", Body=body
    )


def land_folder(platform: Platform, source: Path) -> None:
    for path in sorted(source.rglob("*.csv")):
        target = platform.home / "landing" / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def test_after_a_whole_run_sensor_ticks_and_automation_start_nothing(platform):
    land_folder(platform, SAMPLE_DATA)
    platform.run_everything()  # `make run`
    before = platform.materializations()
    assert platform.land_and_tick() == 0  # the sensor, with no cursor yet, knows what the run loaded
    assert platform.settle() == []
    assert platform.land_and_tick() == 0
    assert platform.materializations() == before


def test_warehouse_pages_show_columns_with_types_and_descriptions_and_a_preview(platform):
    land_folder(platform, SAMPLE_DATA)
    platform.run_everything()
    event = platform.instance.get_latest_materialization_event(dg.AssetKey(["warehouse", "mart_single_customer_view"]))
    metadata = event.asset_materialization.metadata
    assert metadata["dagster/row_count"].value == 59
    columns = {c.name: c for c in metadata["dagster/column_schema"].schema.columns}
    assert columns["lifetime_value"].type.startswith(("decimal", "numeric"))
    assert all(c.description for c in columns.values()), [n for n, c in columns.items() if not c.description]
    preview = metadata["preview"].value
    assert len(preview.records) == 10 and preview.records[0].data["customer_id"] == 1
    lines = platform.instance.get_latest_materialization_event(FACTS).asset_materialization.metadata
    assert lines["dagster/row_count"].value == 2240


def test_relanding_unchanged_files_loads_them_and_builds_nothing_downstream(platform):
    land_folder(platform, SAMPLE_DATA)
    assert platform.land_and_tick() == 1  # every table's files in one run, parents first
    platform.settle()
    before = platform.materializations()
    time.sleep(0.01)
    land_folder(platform, SAMPLE_DATA)  # the same bytes again: new modification times, new versions
    assert platform.land_and_tick() == 1
    assert platform.settle() == []
    after = platform.materializations()
    assert after["oltp"] == before["oltp"] + len(TABLES)
    assert {layer: after[layer] - before[layer] for layer in ("lake", "staging", "warehouse", "dbt builds")} == {
        "lake": 0,
        "staging": 0,
        "warehouse": 0,
        "dbt builds": 0,
    }


def test_a_new_day_flows_to_the_marts_in_one_chain(platform, tmp_path):
    land_folder(platform, SAMPLE_DATA)
    platform.run_everything()
    day = tmp_path / "next-day"
    counts = generate_next_days(existing_sales_in_oltp(oltp_engine(platform)), day, days=1)
    land_folder(platform, day)
    runs_before, before = len(platform.runs), platform.materializations()

    assert platform.land_and_tick() == 1
    rounds = platform.settle()
    assert len(rounds) == 1, rounds  # lake, staging and dbt in one run
    assert {
        "lake/invoice",
        "lake/invoice_line",
        "staging/invoice",
        "staging/invoice_line",
        "warehouse/fct_invoice_line",
        "warehouse/mart_single_customer_view",
    } <= rounds[0]
    assert not any(key.startswith(("lake/artist", "staging/track", "oltp/")) for key in rounds[0])
    after = platform.materializations()
    assert len(platform.runs) - runs_before == 2
    assert after["dbt builds"] - before["dbt builds"] == 1
    [(facts,)] = platform.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == 2240 + counts["InvoiceLine"]


def test_a_burst_of_days_landed_together_is_one_chain(platform, tmp_path):
    land_folder(platform, SAMPLE_DATA)
    platform.run_everything()
    days = tmp_path / "week"
    counts = generate_next_days(existing_sales_in_oltp(oltp_engine(platform)), days, days=7)
    land_folder(platform, days)
    before = platform.materializations()
    assert platform.land_and_tick() == 1  # 14 files, one run
    assert len(platform.settle()) == 1
    assert platform.materializations()["dbt builds"] - before["dbt builds"] == 1
    [(facts,)] = platform.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == 2240 + counts["InvoiceLine"]


def test_landed_files_flow_to_the_marts_and_only_new_versions_load_again(s3_platform, s3_endpoint, s3_bucket):
    platform = s3_platform
    lines = (SAMPLE_DATA / "InvoiceLine.csv").read_text().splitlines(keepends=True)
    invoices = (SAMPLE_DATA / "Invoice.csv").read_text().splitlines(keepends=True)
    last_invoice = invoices[-1].split(",")[0]
    held_back = [line for line in lines[1:] if line.split(",")[1] == last_invoice]  # they arrive a day later
    for t in TABLES:
        body = (SAMPLE_DATA / f"{t.csv_name}.csv").read_bytes()
        if t.csv_name == "InvoiceLine":
            body = "".join(line for line in lines if line not in held_back).encode()
        if t.csv_name == "Invoice":
            body = "".join(invoices[:-1]).encode()
        upload(s3_endpoint, s3_bucket, f"{t.csv_name}.csv", body)
    upload(s3_endpoint, s3_bucket, "Playlist.csv", b"PlaylistId,Name\n1,Music\n")  # reported once, skipped

    [request] = platform.tick_sensor()
    assert request.tags["chinook/landed_files"] == str(len(TABLES))
    platform.execute(list(request.asset_selection), request.tags)
    platform.settle()
    [(facts,)] = platform.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == len(lines) - 1 - len(held_back)
    assert platform.tick_sensor() == []  # nothing new: no runs

    upload(s3_endpoint, s3_bucket, "InvoiceLine/2025-12-31.csv", (lines[0] + "".join(held_back)).encode())
    upload(s3_endpoint, s3_bucket, "Invoice.csv", "".join(invoices).encode())  # changed: one more invoice
    [request] = platform.tick_sensor()
    assert request.tags["chinook/landed_tables"] == "invoice,invoice_line"
    platform.execute(list(request.asset_selection), request.tags)
    platform.settle()
    [(facts,)] = platform.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == len(lines) - 1  # every line, each once
    [(customers,)] = platform.warehouse("select count(*) from analytics.mart_single_customer_view")
    assert customers == 59


def test_files_that_load_before_their_parents_reach_the_marts_once_the_parents_load(
    s3_platform, s3_endpoint, s3_bucket
):
    """A child table's files may land (and load) before its parents': its rows wait in quarantine, and automation
    loads them once the parents arrive."""
    platform = s3_platform
    children = {"Invoice", "InvoiceLine"}
    for t in TABLES:
        if t.csv_name in children:
            upload(s3_endpoint, s3_bucket, f"{t.csv_name}.csv", (SAMPLE_DATA / f"{t.csv_name}.csv").read_bytes())
    assert platform.land_and_tick() == 1  # every row waits for its customer, track or invoice
    for t in TABLES:
        if t.csv_name not in children:
            upload(s3_endpoint, s3_bucket, f"{t.csv_name}.csv", (SAMPLE_DATA / f"{t.csv_name}.csv").read_bytes())
    assert platform.land_and_tick() == 1
    platform.settle()
    [(facts,)] = platform.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == 2240
    [(customers,)] = platform.warehouse("select count(*) from analytics.mart_single_customer_view")
    assert customers == 59


def test_a_file_with_an_old_modification_time_is_requested(platform):
    """What `cp -p`, `rsync -a` and `tar x` produce: the load log, not a time window, decides."""
    land_folder(platform, SAMPLE_DATA)
    assert platform.land_and_tick() == 1
    old = platform.home / "landing" / "Artist" / "old.csv"
    old.parent.mkdir()
    old.write_text("ArtistId,Name\n9999,Late Arrival\n")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    [request] = platform.tick_sensor()
    assert request.tags["chinook/landed_tables"] == "artist"
    assert platform.tick_sensor() == []  # requested once while its run is pending


def test_a_load_made_outside_dagster_reaches_the_marts(platform, tmp_path):
    """The serverless loader in AWS loads landed files itself: the OLTP change sensor sees the table's data version
    move and the automation carries it on, as after Dagster's own loads."""
    from chinook_platform.defs.oltp.sensors import oltp_changes_sensor
    from chinook_platform.lib.contract import table
    from chinook_platform.lib.oltp import load_landed_file

    land_folder(platform, SAMPLE_DATA)
    platform.run_everything()

    def tick() -> list:
        resources = {"oltp": platform.definitions.resources["oltp"]}
        with dg.build_sensor_context(instance=platform.instance, resources=resources) as context:
            return list(oltp_changes_sensor(context).asset_events)

    assert tick() == []  # Dagster's own loads recorded their versions
    day = tmp_path / "next-day"
    counts = generate_next_days(existing_sales_in_oltp(oltp_engine(platform)), day, days=1)
    for name in ("Invoice", "InvoiceLine"):
        [path] = (day / name).glob("*.csv")
        assert (
            load_landed_file(oltp_engine(platform), table(name), str(path), "v1", lambda p=path: p.open("rb")).status
            == "loaded"
        )
    observed = tick()
    assert sorted(e.asset_key.to_user_string() for e in observed) == ["oltp/invoice", "oltp/invoice_line"]
    for event in observed:  # what the sensor daemon does with a sensor's asset events
        platform.instance.report_runless_asset_event(event)
    assert tick() == []
    rounds = platform.settle()
    assert len(rounds) == 1 and {"lake/invoice_line", "warehouse/fct_invoice_line"} <= rounds[0]
    [(facts,)] = platform.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == 2240 + counts["InvoiceLine"]
