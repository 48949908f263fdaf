"""New days of sales that continue existing Chinook data: what ``chinook generate --next-days`` writes.

The days come after the last invoice date of the data they continue (a folder of CSVs, or the OLTP database),
with invoice and line ids after its highest ones, sold to its customers (billed at their address) from its
tracks (at their unit price). Each day is written as ``Invoice/<day>.csv`` and ``InvoiceLine/<day>.csv``, the
layout a landing zone takes a day in. The same data and seed give byte-identical files.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from chinook_platform.lib.contract import TABLES_BY_CSV_NAME, normalize_name
from chinook_platform.lib.generator import (
    LINE_PATTERN,
    Address,
    csv_header,
    csv_writer,
    invoice_row,
    money_text,
)


@dataclass(frozen=True)
class ExistingSales:
    """What new days need to know about the data they continue."""

    last_invoice_id: int
    last_invoice_line_id: int
    last_day: date
    invoices_per_day: float  # the data's average over its span of days
    customers: dict[int, Address]
    track_cents: dict[int, int]  # unit price in cents, per track


def _csv_rows(folder: Path, csv_name: str) -> Iterator[dict[str, str]]:
    """Rows of a table's files in a folder (``Invoice.csv`` and ``Invoice/*.csv`` alike), keyed by normalized
    header names so any spelling the landing zone accepts is read."""
    wanted = normalize_name(csv_name)
    paths = [
        p
        for p in sorted(folder.rglob("*.csv"))
        if normalize_name(p.stem) == wanted or (p.parent != folder and normalize_name(p.parent.name) == wanted)
    ]
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            for row in csv.DictReader(stream):
                yield {normalize_name(k): v for k, v in row.items() if k is not None}


def _cents(text: str) -> int:
    return int((Decimal(text) * 100).to_integral_exact())


def existing_sales_in_folder(folder: Path) -> ExistingSales:
    """Read what new days continue from a folder of Chinook CSVs (streamed: any scale)."""
    customers = {
        int(r["customerid"]): Address(
            r["address"], r["city"], r.get("state") or None, r["country"], r.get("postalcode") or None
        )
        for r in _csv_rows(folder, "Customer")
    }
    tracks = {int(r["trackid"]): _cents(r["unitprice"]) for r in _csv_rows(folder, "Track")}
    last_invoice, invoices, first_day, last_day = 0, 0, None, None
    for r in _csv_rows(folder, "Invoice"):
        invoices += 1
        last_invoice = max(last_invoice, int(r["invoiceid"]))
        day = date.fromisoformat(r["invoicedate"][:10])
        first_day, last_day = min(first_day or day, day), max(last_day or day, day)
    last_line = max((int(r["invoicelineid"]) for r in _csv_rows(folder, "InvoiceLine")), default=0)
    if not customers or not tracks or last_day is None or first_day is None:
        raise ValueError(f"{folder} holds no customers, tracks or invoices to continue (Customer, Track, Invoice CSVs)")
    return ExistingSales(
        last_invoice, last_line, last_day, invoices / ((last_day - first_day).days + 1), customers, tracks
    )


def existing_sales_in_oltp(engine: sa.Engine) -> ExistingSales:
    """Read what new days continue from the OLTP database."""
    from chinook_platform.lib.oltp import CONTRACT_TABLES

    invoice, line = CONTRACT_TABLES["invoice"], CONTRACT_TABLES["invoice_line"]
    customer, track = CONTRACT_TABLES["customer"], CONTRACT_TABLES["track"]
    with engine.connect() as conn:
        last_invoice, invoices, first, last = conn.execute(
            sa.select(
                sa.func.max(invoice.c.invoice_id),
                sa.func.count(),
                sa.func.min(invoice.c.invoice_date),
                sa.func.max(invoice.c.invoice_date),
            )
        ).one()
        last_line = conn.execute(sa.select(sa.func.max(line.c.invoice_line_id))).scalar() or 0
        customers = {
            r.customer_id: Address(r.address, r.city, r.state, r.country, r.postal_code)
            for r in conn.execute(sa.select(customer))
        }
        tracks = {r.track_id: _cents(str(r.unit_price)) for r in conn.execute(sa.select(track))}
    if not customers or not tracks or last is None:
        raise ValueError(f"the OLTP database {engine.url.render_as_string()} holds no customers, tracks or invoices")
    first_day, last_day = _as_date(first), _as_date(last)
    return ExistingSales(
        last_invoice, last_line, last_day, invoices / ((last_day - first_day).days + 1), customers, tracks
    )


def _as_date(value: datetime | date | str) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


def generate_next_days(existing: ExistingSales, out_dir: Path, days: int, seed: int = 42) -> dict[str, int]:
    """Write ``days`` new days of invoices and lines after ``existing``; returns rows written per table."""
    if days < 1:
        raise ValueError("days must be at least 1")
    counts = {"Invoice": 0, "InvoiceLine": 0}
    invoice_id, line_id = existing.last_invoice_id, existing.last_invoice_line_id
    customer_ids, track_ids = sorted(existing.customers), sorted(existing.track_cents)
    for offset in range(1, days + 1):
        day = existing.last_day + timedelta(days=offset)
        rng = random.Random(f"chinook:{seed}:day:{day.isoformat()}:after:{existing.last_invoice_id}")
        per_day = max(1, round(existing.invoices_per_day + rng.uniform(-0.5, 0.5)))
        invoices, lines = [], []
        for _ in range(per_day):
            invoice_id += 1
            customer_id = rng.choice(customer_ids)
            billing = existing.customers[customer_id]
            chosen = rng.sample(track_ids, min(len(track_ids), LINE_PATTERN[invoice_id % len(LINE_PATTERN)]))
            total = 0
            for track_id in chosen:
                line_id += 1
                quantity = 2 if rng.random() < 0.03 else 1
                total += existing.track_cents[track_id] * quantity
                lines.append([line_id, invoice_id, track_id, money_text(existing.track_cents[track_id]), quantity])
            invoices.append(invoice_row(invoice_id, customer_id, day, billing, total))
        for csv_name, rows in (("Invoice", invoices), ("InvoiceLine", lines)):
            folder = out_dir / TABLES_BY_CSV_NAME[csv_name].csv_name
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / f"{day.isoformat()}.csv").open("w", encoding="utf-8", newline="") as stream:
                writer = csv_writer(stream)
                writer.writerow(csv_header(csv_name))
                writer.writerows(rows)
            counts[csv_name] += len(rows)
    return counts
