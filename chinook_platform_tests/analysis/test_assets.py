"""The analysis assets, read back through Dagster's API: each chart's materialization carries its image and its
numbers; the dashboard is written, and published to S3; the warehouse copy reads while the warehouse is locked."""

from __future__ import annotations

import base64
import re
import struct
import subprocess
import sys
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import pytest

from chinook_platform.defs.analysis.assets import dashboard
from chinook_platform.defs.resources import ReportsResource
from chinook_platform.lib.analysis import CHARTS, KPI_TABLES, dashboard_path, read_kpi
from chinook_platform.lib.environment import analytics_copy_path
from chinook_platform.lib.warehouse import DuckDBStaging, WarehouseLockedError
from chinook_platform.lib.warehouse import staging as warehouse_staging

PNG_DATA_URI = re.compile(r"!\[[^\]]+\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)")


def latest_metadata(instance: dg.DagsterInstance, key: list[str]) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(key))
    assert event is not None, f"{key} was never materialized"
    return event.asset_materialization.metadata


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_each_chart_materialization_carries_its_image_and_its_numbers(analysed, chart):
    metadata = latest_metadata(analysed.instance, ["analysis", chart.name])
    image = metadata["chart"]
    assert isinstance(image, dg.MarkdownMetadataValue)
    [encoded] = PNG_DATA_URI.findall(image.md_str)
    png = base64.b64decode(encoded)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 300 and height > 150

    table = metadata["numbers"]
    assert isinstance(table, dg.TableMetadataValue)
    with analysed.warehouse.process_config_and_initialize_cm() as warehouse:
        rows = read_kpi(warehouse.staging(), warehouse.analytics_schema, chart.kpi)
    assert rows, f"{chart.kpi} is empty"
    assert [c.name for c in table.schema.columns] == list(KPI_TABLES[chart.kpi].columns)
    assert [record.data for record in table.records] == rows
    assert metadata["dagster/row_count"].value == len(rows)


def test_the_dashboard_is_written_under_chinook_home_with_every_chart(analysed):
    metadata = latest_metadata(analysed.instance, ["analysis", "dashboard"])
    path = Path(metadata["path"].path)
    assert path == dashboard_path() == analysed.home / "reports" / "dashboard.html"
    page = path.read_text()
    assert metadata["bytes"].value == path.stat().st_size
    for chart in CHARTS:
        assert f'id="chart-{chart.name}"' in page
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?https?:""", page)
    [(first, last)] = analysed.query("select first_invoice_date, last_invoice_date from analytics.kpi_headline")
    assert f"Invoices from {str(first)[:10]} to {str(last)[:10]}" in page


ON_DUCKDB = pytest.mark.parametrize("analysed", ["duckdb"], indirect=True)  # the same on every engine


@ON_DUCKDB
def test_the_dashboard_is_published_to_an_s3_reports_prefix(analysed, s3_endpoint, s3_bucket):
    reports = ReportsResource(url=f"s3://{s3_bucket}/team/reports", s3_endpoint_url=s3_endpoint)
    result = dg.materialize(
        [dashboard], instance=analysed.instance, resources={"warehouse": analysed.warehouse, "reports": reports}
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node("analysis__dashboard")
    assert materialization.metadata["published"].url == f"s3://{s3_bucket}/team/reports/dashboard.html"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    uploaded = s3.get_object(Bucket=s3_bucket, Key="team/reports/dashboard.html")
    assert uploaded["ContentType"].startswith("text/html")
    assert uploaded["Body"].read() == dashboard_path().read_bytes()


@pytest.mark.parametrize("analysed", ["postgres"], indirect=True)
def test_a_postgres_warehouse_needs_no_copy(analysed):
    metadata = latest_metadata(analysed.instance, ["analysis", "warehouse_copy"])
    assert "none needed" in metadata["copy"].value
    assert not analytics_copy_path().exists()


@ON_DUCKDB
def test_the_warehouse_copy_reads_while_another_process_holds_the_warehouse(analysed, monkeypatch):
    monkeypatch.setattr(warehouse_staging, "LOCK_WAIT_SECONDS", 0.5)  # a writer would wait out a brief hold
    with analysed.warehouse.process_config_and_initialize_cm() as warehouse:
        path = warehouse.duckdb_path
        [(revenue,)] = warehouse.staging().query("select revenue from analytics.kpi_headline")
    assert Path(latest_metadata(analysed.instance, ["analysis", "warehouse_copy"])["path"].path) == (
        analytics_copy_path()
    )
    # A writer in another process, as a Dagster run (or a user's DuckDB shell) would be.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
            path,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(WarehouseLockedError) as locked:
            DuckDBStaging(path).query("select 1")
        message = str(locked.value)
        assert path in message and "another process" in message
        assert str(analytics_copy_path()) in message and "CHINOOK_WAREHOUSE_TARGET=postgres" in message
        with duckdb.connect(str(analytics_copy_path()), read_only=True) as copy:
            assert copy.execute("select revenue from analytics.kpi_headline").fetchone() == (revenue,)
            tables = {t for (t,) in copy.execute("select table_name from information_schema.tables").fetchall()}
        assert {"fct_invoice_line", "dim_customer", "mart_single_customer_view", "kpi_headline"} <= tables
        assert not any(t.startswith("stg_") for t in tables)
    finally:
        holder.communicate("")
