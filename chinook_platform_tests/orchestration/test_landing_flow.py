"""End to end through Dagster: files land in S3, the sensor starts their runs, automation carries them to the marts."""

from __future__ import annotations

import os
import time
from pathlib import Path
from unittest import mock

import boto3
import dagster as dg
import duckdb
import pytest

from chinook_platform.defs.landing.sensors import landing_sensor
from chinook_platform.lib.contract import TABLES
from chinook_platform_tests.conftest import SAMPLE_DATA


class Platform:
    """The code location configured for a test: S3 landing zone, local lake, DuckDB warehouse, one instance."""

    def __init__(self, definitions: dg.Definitions, instance: dg.DagsterInstance, home: Path):
        self.definitions = definitions
        self.instance = instance
        self.home = home
        self.cursor: str | None = None
        self.job = definitions.resolve_implicit_global_asset_job_def()
        # The daemon has always ticked before: conditions never fire on their very first evaluation.
        self.automation_cursor = dg.evaluate_automation_conditions(defs=definitions, instance=instance).cursor

    def tick_sensor(self) -> list[dg.RunRequest]:
        resources = {"landing_zone": self.definitions.resources["landing_zone"]}
        with dg.build_sensor_context(cursor=self.cursor, instance=self.instance, resources=resources) as context:
            result = landing_sensor(context)
        self.cursor = result.cursor
        return result.run_requests

    def execute(self, selection: list[dg.AssetKey], tags: dict | None = None) -> None:
        result = self.job.execute_in_process(
            instance=self.instance, asset_selection=selection, tags=tags or {},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
        assert result.success

    def settle(self) -> list[set[str]]:
        """Evaluate the automation conditions and run what they request until nothing is (the daemon's job)."""
        rounds = []
        for _ in range(8):
            evaluation = dg.evaluate_automation_conditions(
                defs=self.definitions, instance=self.instance, cursor=self.automation_cursor)
            self.automation_cursor = evaluation.cursor
            requested = [key for key in self.definitions.resolve_asset_graph().get_all_asset_keys()
                         if evaluation.get_num_requested(key)]
            if not requested:
                return rounds
            rounds.append({k.to_user_string() for k in requested})
            self.execute(requested)
        pytest.fail(f"automation did not settle: {rounds}")

    def warehouse(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture
def platform(tmp_path, monkeypatch, s3_endpoint, s3_bucket) -> Platform:
    monkeypatch.setenv("CHINOOK_HOME", str(tmp_path))
    monkeypatch.setenv("CHINOOK_LANDING_URL", f"s3://{s3_bucket}/landing")
    monkeypatch.setenv("CHINOOK_S3_ENDPOINT_URL", s3_endpoint)
    from chinook_platform.definitions import defs

    # Materializing dbt exports the warehouse settings to os.environ (for dbt's profiles.yml): restore it after.
    with mock.patch.dict(os.environ), dg.instance_for_test() as instance:
        yield Platform(defs(), instance, tmp_path)


def upload(s3_endpoint: str, bucket: str, key: str, body: bytes) -> None:
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").put_object(
        Bucket=bucket, Key=f"landing/{key}", Body=body)


def test_landed_files_flow_to_the_marts_and_only_new_versions_load_again(platform, s3_endpoint, s3_bucket):
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
    upload(s3_endpoint, s3_bucket, "Playlist.csv", b"PlaylistId,Name\n1,Music\n")  # logged and skipped

    requests = platform.tick_sensor()
    assert len(requests) == len(TABLES)
    for request in requests:
        platform.execute(list(request.asset_selection), request.tags)
    platform.settle()
    [(facts,)] = platform.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == len(lines) - 1 - len(held_back)
    assert platform.tick_sensor() == []  # nothing new: no runs

    time.sleep(1.1)  # S3 timestamps have one-second resolution
    upload(s3_endpoint, s3_bucket, "InvoiceLine/2025-12-31.csv", (lines[0] + "".join(held_back)).encode())
    upload(s3_endpoint, s3_bucket, "Invoice.csv", "".join(invoices).encode())  # changed: one more invoice
    requests = platform.tick_sensor()
    assert sorted(r.tags["chinook/landed_file"] for r in requests) == ["Invoice.csv", "InvoiceLine/2025-12-31.csv"]
    for request in requests:
        platform.execute(list(request.asset_selection), request.tags)
    platform.settle()
    [(facts,)] = platform.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == len(lines) - 1  # every line, each once
    [(customers,)] = platform.warehouse("select count(*) from analytics.mart_single_customer_view")
    assert customers == 59


def test_files_that_load_before_their_parents_reach_the_marts_once_the_parents_load(platform, s3_endpoint, s3_bucket):
    """Queued sensor runs may start in any order: children loaded first wait in quarantine, and automation loads
    them once their parents arrive, even when both loads land within one automation tick."""
    for t in TABLES:
        upload(s3_endpoint, s3_bucket, f"{t.csv_name}.csv", (SAMPLE_DATA / f"{t.csv_name}.csv").read_bytes())
    for request in reversed(platform.tick_sensor()):  # invoice lines first, artists last
        platform.execute(list(request.asset_selection), request.tags)
    platform.settle()
    [(facts,)] = platform.warehouse("select count(*) from analytics.fct_invoice_line")
    assert facts == 2240
    [(customers,)] = platform.warehouse("select count(*) from analytics.mart_single_customer_view")
    assert customers == 59
