"""Bad data never stops good data: an invoice that does not reconcile with its lines (a wrong total, a line in
quarantine, a line awaiting its parent) is flagged in the warehouse, everything builds, ``chinook run`` exits 3
naming it, and landing the correction clears the flag at the next run. On both OLTP backends."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinook_platform.console.exit_codes import EXIT_CHECK_FAILED, EXIT_OK
from chinook_platform_tests.conftest import SAMPLE_DATA
from chinook_platform_tests.orchestration.test_chinook_command import chinook, land_csv

INVOICE_HEADER = "InvoiceId,CustomerId,InvoiceDate,BillingAddress,BillingCity,BillingState,BillingCountry,"
INVOICE_HEADER += "BillingPostalCode,Total"
LINE_HEADER = "InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity"
TRACK_HEADER = "TrackId,Name,AlbumId,MediaTypeId,GenreId,Composer,Milliseconds,UnitPrice"


def invoice(invoice_id: int, total: str) -> str:
    return f"{INVOICE_HEADER}\n{invoice_id},1,2026-01-05 00:00:00,1 Main St,Lisbon,,Portugal,1000,{total}\n"


def lines(*rows: str) -> str:
    return "\n".join([LINE_HEADER, *rows]) + "\n"


def flagged(home: Path) -> set[int]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        return {i for (i,) in warehouse.execute("select invoice_id from analytics.data_issues").fetchall()}


def headline(home: Path) -> tuple[int, int]:
    """kpi_headline's invoices, and kpi_data_issues' unreconciled invoices."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        [(invoices,)] = warehouse.execute("select invoices from analytics.kpi_headline").fetchall()
        [(unreconciled,)] = warehouse.execute("select unreconciled_invoices from analytics.kpi_data_issues").fetchall()
    return invoices, unreconciled


def dashboard(home: Path) -> str:
    return (home / "reports" / "dashboard.html").read_text()


def assert_flagged_run(done: subprocess.CompletedProcess, home: Path, invoices: set[int], total: int) -> None:
    summary = done.stdout[done.stdout.index("\nsummary\n") :]
    assert done.returncode == EXIT_CHECK_FAILED, summary
    assert "DagsterDbtCliRuntimeError" not in done.stdout + done.stderr
    assert "assert_invoice_totals_match_lines" in summary and f"invoice id {min(invoices)}" in summary
    assert flagged(home) == invoices
    assert headline(home) == (total, len(invoices))  # rebuilt over all the data, flagged invoices included
    assert f"{len(invoices)} invoice" in dashboard(home) and 'id="data-issues"' in dashboard(home)


@pytest.fixture(params=["sqlite", "postgres"])
def oltp_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "sqlite":
        return {}
    return {
        "CHINOOK_OLTP_URL": request.getfixturevalue("postgres_url"),
        "CHINOOK_OLTP_SCHEMA": request.getfixturevalue("postgres_schema"),
    }


def test_invoices_that_do_not_reconcile_are_flagged_and_a_correction_clears_them(tmp_path, oltp_settings):
    home = tmp_path
    done = chinook(home, "run", "--source", str(SAMPLE_DATA), **oltp_settings)
    assert done.returncode == EXIT_OK, done.stdout[-3000:]

    # A wrong total: 9.99 against one line of 0.99.
    land_csv(home, "Invoice/i1001.csv", invoice(1001, "9.99"))
    land_csv(home, "InvoiceLine/l1001.csv", lines("9001,1001,1,0.99,1"))
    assert_flagged_run(chinook(home, "run", **oltp_settings), home, {1001}, 413)

    # One of two lines quarantined (its Quantity is not a number).
    land_csv(home, "Invoice/i1002.csv", invoice(1002, "1.98"))
    land_csv(home, "InvoiceLine/l1002.csv", lines("9002,1002,1,0.99,1", "9003,1002,2,0.99,x"))
    assert_flagged_run(chinook(home, "run", **oltp_settings), home, {1001, 1002}, 414)

    # One of two lines awaiting its parent (a track not landed yet).
    land_csv(home, "Invoice/i1003.csv", invoice(1003, "1.98"))
    land_csv(home, "InvoiceLine/l1003.csv", lines("9004,1003,1,0.99,1", "9005,1003,9999,0.99,1"))
    assert_flagged_run(chinook(home, "run", **oltp_settings), home, {1001, 1002, 1003}, 415)

    # The corrections: the right total, the line again with its quantity, the missing track.
    land_csv(home, "Invoice/fix1001.csv", invoice(1001, "0.99"))
    land_csv(home, "InvoiceLine/fix1002.csv", lines("9003,1002,2,0.99,1"))
    land_csv(home, "Track/t9999.csv", f"{TRACK_HEADER}\n9999,Late Track,1,1,1,,200000,0.99\n")
    done = chinook(home, "run", **oltp_settings)
    assert done.returncode == EXIT_OK, done.stdout[done.stdout.index("\nsummary\n") :]
    assert flagged(home) == set()
    assert headline(home) == (415, 0)
    assert 'id="data-issues"' not in dashboard(home)


def test_a_home_where_nothing_loadable_landed_builds_empty_kpis_and_says_so(tmp_path):
    land_csv(tmp_path, "Employee/employees.csv", "EmployeeId,LastName\n1,Adams\n")  # a table outside the contract
    done = chinook(tmp_path, "run")
    assert done.returncode == EXIT_OK, done.stdout[-3000:]
    assert "nothing was loaded" in done.stdout
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as warehouse:
        kpis = warehouse.execute("select revenue, invoices, units from analytics.kpi_headline")
        assert kpis.fetchall() == [(0, 0, 0)]
        issues = warehouse.execute("select unreconciled_invoices, unreconciled_amount from analytics.kpi_data_issues")
        assert issues.fetchall() == [(0, 0)]


KINDS = ("good", "wrong_total", "quarantined_line")


def landed_invoices(invoice_id: int, kind: str) -> tuple[str, list[str]]:
    """An invoice of two lines (ids 10 x invoice + 1, + 2) as landed: its CSV row and its lines' rows."""
    total = "9.99" if kind == "wrong_total" else "1.98"
    quantity = "x" if kind == "quarantined_line" else "1"
    first, second = invoice_id * 10 + 1, invoice_id * 10 + 2
    return invoice(invoice_id, total).splitlines()[1], [
        f"{first},{invoice_id},1,0.99,1",
        f"{second},{invoice_id},2,0.99,{quantity}",
    ]


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=4))
def test_the_flagged_invoices_are_exactly_the_injected_ones_and_the_good_ones_all_arrive(sample_home, kinds):
    home, state = sample_home
    # This example's invoices, and the previous example's bad ones landed again corrected.
    first_id = state["next_id"]
    state["next_id"] += len(kinds)
    new = dict(zip(range(first_id, first_id + len(kinds)), kinds, strict=True))
    rows = {i: landed_invoices(i, k) for i, k in new.items()} | {i: landed_invoices(i, "good") for i in state["bad"]}
    land_csv(home, f"Invoice/from_{first_id}.csv", "\n".join([INVOICE_HEADER, *(r for r, _ in rows.values())]) + "\n")
    land_csv(home, f"InvoiceLine/from_{first_id}.csv", lines(*(line for _, ls in rows.values() for line in ls)))
    done = chinook(home, "run")
    injected = {i for i, k in new.items() if k != "good"}
    assert done.returncode == (EXIT_CHECK_FAILED if injected else EXIT_OK), done.stdout[-2000:]
    assert flagged(home) == injected
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        facts = {i for (i,) in warehouse.execute("select invoice_id from analytics.fct_invoice").fetchall()}
        [(customer_invoices,)] = warehouse.execute(
            "select sum(invoice_count) from analytics.mart_single_customer_view"
        ).fetchall()
    assert set(new) <= facts and customer_invoices == len(facts)  # every invoice, good or flagged, in facts and marts
    state["bad"] = injected


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A home with the sample data loaded once, and the property test's state across its examples."""
    home = tmp_path_factory.mktemp("property")
    assert chinook(home, "run", "--source", str(SAMPLE_DATA)).returncode == EXIT_OK
    return home, {"next_id": 2001, "bad": set()}
