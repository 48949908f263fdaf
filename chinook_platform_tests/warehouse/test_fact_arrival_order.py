"""Facts complete in any arrival order: staging batches of invoices and lines (several days, a changed invoice and
a changed line among them) arrive in random orders and groupings, with dbt builds at random points between
them; after the last build the facts hold every line once, with the OLTP's amounts and totals (DuckDB)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chinook_platform.lib.contract import table
from chinook_platform.lib.environment import WAREHOUSE_PROJECT_DIR
from chinook_platform.lib.lake import LakeBatch, parquet_schema
from chinook_platform.lib.warehouse import DuckDBStaging

DBT = str(Path(sys.executable).with_name("dbt"))
FACTS = "+fct_invoice_line +fct_invoice"  # the facts and their parents: all a build here needs
LOADED_AT = datetime(2024, 1, 1)

# The OLTP's loads, in its own order (a parent before its children): load id -> (table, rows written).
DIMENSIONS = {
    1: ("artist", [{"artist_id": 1, "name": "AC/DC"}]),
    2: ("album", [{"album_id": 1, "title": "Back in Black", "artist_id": 1}]),
    3: ("genre", [{"genre_id": 1, "name": "Rock"}]),
    4: ("media_type", [{"media_type_id": 1, "name": "MPEG audio file"}]),
    5: (
        "track",
        [
            {
                "track_id": t,
                "name": f"Track {t}",
                "album_id": 1,
                "media_type_id": 1,
                "genre_id": 1,
                "composer": None,
                "milliseconds": 1000,
                "unit_price": Decimal("0.99"),
            }
            for t in (1, 2)
        ],
    ),
    6: (
        "customer",
        [
            {
                "customer_id": c,
                "first_name": "A",
                "last_name": "B",
                "company": None,
                "address": "x",
                "city": "y",
                "state": None,
                "country": "Z",
                "postal_code": None,
                "phone": None,
                "email": f"c{c}@example.com",
            }
            for c in (1, 2)
        ],
    ),
}


def invoice(invoice_id: int, day: int, total: str, customer: int = 1) -> dict:
    return {
        "invoice_id": invoice_id,
        "customer_id": customer,
        "invoice_date": datetime(2021, 1, day),
        "billing_address": "x",
        "billing_city": "y",
        "billing_state": None,
        "billing_country": "Z",
        "billing_postal_code": None,
        "total": Decimal(total),
    }


def line(line_id: int, invoice_id: int, quantity: int = 1) -> dict:
    return {
        "invoice_line_id": line_id,
        "invoice_id": invoice_id,
        "track_id": 1 + line_id % 2,
        "unit_price": Decimal("0.99"),
        "quantity": quantity,
    }


INVOICE_LOADS = {  # three days of two invoices, then invoice 2 changed (a new total, another customer)
    7: [invoice(1, 1, "1.98"), invoice(2, 1, "1.98")],
    9: [invoice(3, 2, "1.98"), invoice(4, 2, "1.98")],
    11: [invoice(5, 3, "1.98"), invoice(6, 3, "1.98")],
    13: [invoice(2, 1, "2.97", customer=2)],
}
LINE_LOADS = {  # two lines per invoice, each day after its invoices; then line 3 of invoice 2 changed
    8: [line(1, 1), line(2, 1), line(3, 2), line(4, 2)],
    10: [line(5, 3), line(6, 3), line(7, 4), line(8, 4)],
    12: [line(9, 5), line(10, 5), line(11, 6), line(12, 6)],
    14: [line(3, 2, quantity=2)],
}


def latest(loads: dict[int, list[dict]], key: str) -> dict[int, dict]:
    rows: dict[int, dict] = {}
    for load_id in sorted(loads):
        rows.update({r[key]: r for r in loads[load_id]})
    return rows


@st.composite
def arrivals(draw) -> list[tuple[str, list[int], bool]]:
    """Staging batches in a random order: (table, the OLTP loads it holds, build after it?). Each table's batches
    arrive in load order (the lake extracts and staging loads them so); the tables interleave freely."""
    batches = {}
    for name, loads in (("invoice", sorted(INVOICE_LOADS)), ("invoice_line", sorted(LINE_LOADS))):
        cuts = draw(st.lists(st.booleans(), min_size=len(loads) - 1, max_size=len(loads) - 1))
        groups, current = [], [loads[0]]
        for load_id, cut in zip(loads[1:], cuts, strict=True):
            if cut:
                groups.append(current)
                current = []
            current.append(load_id)
        batches[name] = [*groups, current]
    labels = ["invoice"] * len(batches["invoice"]) + ["invoice_line"] * len(batches["invoice_line"])
    order = draw(st.permutations(labels))
    # At most one build before the last: dbt builds take seconds, and the example below covers the known case.
    builds = draw(st.sets(st.integers(0, len(order) - 2), max_size=1))
    taken = {"invoice": 0, "invoice_line": 0}
    plan = []
    for position, name in enumerate(order):
        plan.append((name, batches[name][taken[name]], position in builds))
        taken[name] += 1
    return plan


def stage(warehouse: DuckDBStaging, table_name: str, load_ids: list[int], loads: dict[int, list[dict]]) -> None:
    """One lake batch into staging, through the staging loader."""
    contract = table(table_name)
    rows = [{**r, "_load_id": load_id, "_loaded_at": LOADED_AT} for load_id in load_ids for r in loads[load_id]]
    data = pa.Table.from_pylist(rows, schema=parquet_schema(contract))
    batch = LakeBatch(
        max(load_ids),  # a snapshot id of its own
        len(rows),
        min(load_ids),
        max(load_ids),
        "2024-01-01T00:00:00",
    )
    warehouse.loaded_batches(contract)
    assert warehouse.load_batch(
        contract, batch, lambda: pa.RecordBatchReader.from_batches(data.schema, data.to_batches()), ""
    ) == len(rows)


def dbt(command: str, environment: dict[str, str], target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            DBT,
            command,
            "--select",
            *FACTS.split(),
            "--project-dir",
            str(WAREHOUSE_PROJECT_DIR),
            "--profiles-dir",
            str(WAREHOUSE_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target),
            "--quiet",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


# Every line staged and built while the invoice change (load 13) has not arrived yet: a fact watermark that combines
# both tables is then past 13 (the changed line's 14), and the changed invoice would never reach the facts.
LATE_INVOICE_CHANGE = [
    ("invoice", [7, 9, 11], False),
    ("invoice_line", [8, 10, 12, 14], True),
    ("invoice", [13], False),
]


@settings(max_examples=3, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(plan=LATE_INVOICE_CHANGE)
@given(plan=arrivals())
def test_facts_hold_every_oltp_line_once_whatever_the_arrival_order(plan, tmp_path_factory):
    folder = tmp_path_factory.mktemp("arrival")
    path = folder / f"warehouse-{uuid.uuid4().hex[:6]}.duckdb"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHINOOK_", "DBT_"))}
    environment |= {
        "CHINOOK_WAREHOUSE_TARGET": "duckdb",
        "CHINOOK_WAREHOUSE_DUCKDB_PATH": str(path),
        "CHINOOK_STAGING_SCHEMA": "staging",
        "CHINOOK_WAREHOUSE_SCHEMA": "analytics",
        "DBT_INDIRECT_SELECTION": "cautious",
    }
    warehouse = DuckDBStaging(str(path))
    for load_id, (table_name, rows) in DIMENSIONS.items():
        stage(warehouse, table_name, [load_id], {load_id: rows})
    for table_name, load_ids, build_after in plan:
        stage(warehouse, table_name, load_ids, INVOICE_LOADS if table_name == "invoice" else LINE_LOADS)
        if build_after:
            # `run`, not `build`: the models are built even where a staging test would stop a build (lines whose
            # invoice has not arrived), the harder case for the facts, and it takes half the time.
            dbt("run", environment, folder / "target")
    final = dbt("build", environment, folder / "target")
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]

    invoices, lines = latest(INVOICE_LOADS, "invoice_id"), latest(LINE_LOADS, "invoice_line_id")
    with duckdb.connect(str(path), read_only=True) as con:
        fact_lines = con.execute(
            "select invoice_line_id, invoice_id, quantity, line_amount "
            "from analytics.fct_invoice_line order by invoice_line_id"
        ).fetchall()
        fact_invoices = con.execute(
            "select invoice_id, customer_id, line_count, quantity, total from analytics.fct_invoice order by invoice_id"
        ).fetchall()
    assert fact_lines == [
        (i, r["invoice_id"], r["quantity"], r["unit_price"] * r["quantity"]) for i, r in sorted(lines.items())
    ]
    assert fact_invoices == [
        (
            i,
            r["customer_id"],
            sum(1 for x in lines.values() if x["invoice_id"] == i),
            sum(x["quantity"] for x in lines.values() if x["invoice_id"] == i),
            r["total"],
        )
        for i, r in sorted(invoices.items())
    ]
    assert sum(amount for *_, amount in fact_lines) == sum(r["total"] for r in invoices.values())  # revenue
