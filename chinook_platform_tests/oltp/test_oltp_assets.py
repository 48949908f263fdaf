"""The landing and OLTP assets, materialized through Dagster against a temporary landing zone and database."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from chinook_platform.defs.landing.assets import landing_assets
from chinook_platform.defs.oltp.assets import oltp_assets
from chinook_platform.defs.oltp.checks import oltp_checks
from chinook_platform.defs.resources import LandingZoneResource, OltpDatabase
from chinook_platform_tests.oltp.test_oltp_load import INVOICE_LINES, PARENTS

ALL = [*landing_assets, *oltp_assets, *oltp_checks]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    for name, content in PARENTS:
        (folder / f"{name}.csv").parent.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.csv").write_text(content)
    (folder / "InvoiceLine").mkdir()
    (folder / "InvoiceLine" / "2021-01-01.csv").write_text(INVOICE_LINES)
    (folder / "Employee.csv").write_text("EmployeeId,LastName\n1,Adams\n")  # outside the contract: skipped
    return folder


def run(landing: Path, oltp_url_and_schema: tuple[str, str | None]) -> dg.ExecuteInProcessResult:
    url, schema = oltp_url_and_schema
    return dg.materialize(
        ALL,
        resources={
            "oltp": OltpDatabase(url=url, db_schema=schema or ""),
            "landing_zone": LandingZoneResource(url=str(landing)),
        },
        raise_on_error=True,
    )


def metadata(result: dg.ExecuteInProcessResult, *key: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(list(key))]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def checks(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], bool]:
    return {(e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()}


def test_materializing_loads_every_table_with_metadata_and_passing_checks(landing, oltp_url_and_schema):
    result = run(landing, oltp_url_and_schema)
    assert result.success
    lines = metadata(result, "oltp", "invoice_line")
    assert (lines["dagster/row_count"], lines["rows_read"], lines["rows_inserted"], lines["files_loaded"]) == (
        2,
        2,
        2,
        1,
    )
    assert metadata(result, "landing", "invoice_line")["files"] == 1
    assert metadata(result, "oltp", "customer")["preview"].records[1].data["postal_code"] == "01067"
    outcome = checks(result)
    assert len(outcome) == 17 and all(outcome.values()), outcome


def test_a_second_run_loads_nothing_again(landing, oltp_url_and_schema):
    run(landing, oltp_url_and_schema)
    again = run(landing, oltp_url_and_schema)
    for table_name in ("artist", "invoice_line"):
        meta = metadata(again, "oltp", table_name)
        assert (meta["files_loaded"], meta["rows_inserted"], meta["rows_updated"]) == (0, 0, 0)
        assert meta["dagster/row_count"] > 0


def test_bad_landed_files_fail_the_checks_that_name_them(landing, oltp_url_and_schema):
    (landing / "InvoiceLine" / "2021-01-02.csv").write_text(
        "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n3,1,1,0.99,0\n2,1,2,0.99,1\n"
    )
    (landing / "Genre").mkdir()
    (landing / "Genre" / "2021-01-02.csv").write_bytes(b"GenreId,Name\n1,Rock\n2,Metal\xff\n")
    result = run(landing, oltp_url_and_schema)
    outcome = checks(result)
    assert not outcome[("invoice_line", "quarantine_empty")]
    assert not outcome[("genre", "landed_files_loaded")]
    assert outcome[("invoice_line", "landed_files_loaded")] and outcome[("invoice", "invoice_totals_match_lines")]
    [genre_check] = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path[-1] == "genre" and e.check_name == "landed_files_loaded"
    ]
    assert "2021-01-02.csv: not UTF-8 text on line 3" in genre_check.description
    assert metadata(result, "oltp", "invoice_line")["rows_quarantined"] == 1
    assert metadata(result, "oltp", "genre")["files_rejected"] == 1


def test_an_invoice_whose_lines_do_not_add_up_fails_the_totals_check(landing, oltp_url_and_schema):
    (landing / "InvoiceLine" / "2021-01-02.csv").write_text(
        "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n3,1,1,0.99,2\n"
    )
    result = run(landing, oltp_url_and_schema)
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "invoice_totals_match_lines"]
    assert not check.passed
    assert check.description == "invoice 1: total 1.98 but lines sum to 3.96"


def test_a_file_whose_load_breaks_is_reported_and_the_other_files_and_tables_load(
    landing, oltp_url_and_schema, monkeypatch
):
    """The first of two artist files breaks mid-read (its connection drops): it is recorded as failed and named by
    the check; the other artist file and every child table still load; a second run does not retry it."""
    from chinook_platform.lib.landing import LocalLandingZone
    from chinook_platform_tests.oltp.test_oltp_load import BreakingStream

    (landing / "Artist.csv").unlink()
    (landing / "Artist").mkdir()
    (landing / "Artist" / "1-broken.csv").write_text("ArtistId,Name\n9,Broken\n")
    (landing / "Artist" / "2-good.csv").write_text("ArtistId,Name\n1,AC/DC\n2,Accept\n3,Aerosmith\n")
    opened = LocalLandingZone.open

    def open_breaking(zone, key):
        return BreakingStream(b"ArtistId,Name\n9,Bro", 16) if key.endswith("1-broken.csv") else opened(zone, key)

    monkeypatch.setattr(LocalLandingZone, "open", open_breaking)
    result = run(landing, oltp_url_and_schema)
    artists = metadata(result, "oltp", "artist")
    assert (artists["files_failed"], artists["files_loaded"], artists["dagster/row_count"]) == (1, 1, 3)
    assert metadata(result, "oltp", "invoice_line")["dagster/row_count"] == 2  # children are not held back
    [check] = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path[-1] == "artist" and e.check_name == "landed_files_loaded"
    ]
    assert not check.passed
    assert check.description.endswith("1-broken.csv: load failed: ConnectionResetError: connection reset by peer")
    again = metadata(run(landing, oltp_url_and_schema), "oltp", "artist")
    assert (again["files_failed"], again["files_loaded"]) == (0, 0)  # the same version is not retried


def test_a_backlog_of_files_logs_the_first_ones_and_keeps_every_file_in_the_loads_table(landing, oltp_url_and_schema):
    from chinook_platform.defs.oltp.assets import LOGGED_FILES

    days = LOGGED_FILES + 5
    for day in range(2, days + 1):  # one more line a day, on top of the fixture's first day
        (landing / "InvoiceLine" / f"2021-01-{day:02d}.csv").write_text(
            f"InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n{day + 1},1,1,0.99,1\n"
        )
    url, schema = oltp_url_and_schema
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        ALL,
        instance=instance,
        resources={
            "oltp": OltpDatabase(url=url, db_schema=schema or ""),
            "landing_zone": LandingZoneResource(url=str(landing)),
        },
        selection=[*landing_assets, *oltp_assets],
    )
    loads = metadata(result, "oltp", "invoice_line")["loads"].records
    assert len(loads) == days and {r.data["status"] for r in loads} == {"loaded"}
    messages = [
        e.user_message
        for e in instance.all_logs(result.run_id)
        if e.step_key == "oltp__invoice_line" and e.user_message
    ]
    per_file = [m for m in messages if m.startswith("InvoiceLine/")]
    assert len(per_file) == LOGGED_FILES
    assert "and 5 more file(s): each is in this materialization's `loads`" in messages
