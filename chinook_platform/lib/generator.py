"""A deterministic generator of the Chinook tables at any scale.

Scale 1 gives Chinook's own row counts; every table but Genre and MediaType grows linearly with the scale
(scale 1000 is about 2.2 million invoice lines). The same seed gives byte-identical files. Values look real:
names and addresses in many countries (non-ASCII included), track names with commas and quotes, nullable
columns null in places, postal codes with leading zeros, and invoice totals equal to the sum of their lines.
Writing streams: memory holds per-customer and per-track attributes, never the fact tables.
"""

from __future__ import annotations

import _csv
import csv
import random
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from tqdm import tqdm

from chinook_platform.lib.contract import TABLES_BY_CSV_NAME
from chinook_platform.lib.generator_vocabulary import (
    ADJECTIVES,
    BANDS,
    COMPANIES,
    COUNTRIES,
    GENRE_WEIGHTS,
    GENRES,
    MEDIA_TYPES,
    MEDIA_WEIGHTS,
    NOUNS,
    STREETS,
    TRACK_FORMS,
)

BASE_COUNTS = {
    "Artist": 275,
    "Album": 347,
    "Genre": 25,
    "MediaType": 5,
    "Track": 3503,
    "Customer": 59,
    "Invoice": 412,
    "InvoiceLine": 2240,
}
FIXED_TABLES = ("Genre", "MediaType")
VIDEO_MEDIA_TYPE = 3
FIRST_DAY, LAST_DAY = date(2021, 1, 1), date(2025, 12, 31)
LINE_PATTERN = (1, 2, 2, 4, 6, 9, 14)  # Chinook's own repeating pattern of lines per invoice
MAX_LINES = 14


@dataclass(frozen=True)
class Address:
    address: str
    city: str
    state: str | None
    country: str
    postal_code: str | None


def row_counts(scale: float) -> dict[str, int]:
    """The rows per table (CSV name) that ``generate`` writes at a scale."""
    return {name: base if name in FIXED_TABLES else max(1, round(base * scale)) for name, base in BASE_COUNTS.items()}


def generate(
    out_dir: Path, scale: float = 1.0, seed: int = 42, daily: bool = False, progress: bool = False
) -> dict[str, int]:
    """Write the 8 Chinook tables as CSVs into ``out_dir``; returns rows written per table (CSV name).

    Args:
        out_dir: the folder to write (created if missing).
        scale: 1 gives Chinook's row counts.
        seed: the same seed gives byte-identical files.
        daily: write Invoice and InvoiceLine as one file per invoice day (``Invoice/YYYY-MM-DD.csv``).
        progress: show a progress bar on stderr.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = row_counts(scale)
    bar = tqdm(total=sum(counts.values()), unit="row", unit_scale=True, desc="generating", disable=not progress)
    with bar:
        _write("Artist", out_dir, _artists(seed, counts), bar)
        _write("Album", out_dir, _albums(seed, counts), bar)
        _write("Genre", out_dir, ([i, name] for i, name in enumerate(GENRES, 1)), bar)
        _write("MediaType", out_dir, ([i, name] for i, name in enumerate(MEDIA_TYPES, 1)), bar)
        prices = bytearray(counts["Track"] + 1)  # 1 where a track is a video (1.99), 0 for audio (0.99)
        _write("Track", out_dir, _tracks(seed, counts, prices), bar)
        addresses: list[Address] = []
        _write("Customer", out_dir, _customers(seed, counts, addresses), bar)
        _write_invoices(out_dir, seed, counts, addresses, prices, daily, bar)
    return counts


def csv_header(table_name: str) -> list[str]:
    return [c.csv_name for c in TABLES_BY_CSV_NAME[table_name].columns]


def csv_writer(stream: IO[str]) -> _csv.Writer:
    return csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)


def _write(table_name: str, out_dir: Path, rows: Iterator[list], bar: tqdm) -> None:
    written = 0
    with (out_dir / f"{table_name}.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv_writer(stream)
        writer.writerow(csv_header(table_name))
        for written, row in enumerate(rows, 1):
            writer.writerow(["" if v is None else v for v in row])
            if written % 10_000 == 0:
                bar.update(10_000)
    bar.update(written % 10_000)


def _rng(seed: int, table_name: str) -> random.Random:
    return random.Random(f"chinook:{seed}:{table_name}")


def _artists(seed: int, counts: dict[str, int]) -> Iterator[list]:
    rng = _rng(seed, "Artist")
    first = [n for c in COUNTRIES.values() for n in c[3][0]]
    last = [n for c in COUNTRIES.values() for n in c[3][1]]
    for artist_id in range(1, counts["Artist"] + 1):
        form = rng.randrange(5)
        if form == 0:
            name = f"The {rng.choice(ADJECTIVES)} {rng.choice(BANDS)}"
        elif form == 1:
            name = f"{rng.choice(first)} {rng.choice(last)}"
        elif form == 2:
            name = f"{rng.choice(first)} {rng.choice(last)} & The {rng.choice(BANDS)}"
        elif form == 3:
            name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        else:
            name = f"{rng.choice(NOUNS)}, {rng.choice(NOUNS)} and {rng.choice(NOUNS)}"
        yield [artist_id, name]


def _albums(seed: int, counts: dict[str, int]) -> Iterator[list]:
    rng = _rng(seed, "Album")
    artists = counts["Artist"]
    for album_id in range(1, counts["Album"] + 1):
        artist_id = album_id if album_id <= artists else rng.randint(1, artists)  # every artist has an album
        form = rng.randrange(4)
        title = (
            f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}",
            f"The {rng.choice(NOUNS)} Sessions",
            f"Live at {rng.choice(list(COUNTRIES))} {rng.randint(1970, 2024)}",
            f"Greatest Hits, Vol. {rng.randint(1, 4)}",
        )[form]
        yield [album_id, title, artist_id]


def _tracks(seed: int, counts: dict[str, int], video: bytearray) -> Iterator[list]:
    rng = _rng(seed, "Track")
    composers = [f"{f} {last}" for c in COUNTRIES.values() for f in c[3][0][:2] for last in c[3][1][:2]]
    albums = counts["Album"]
    for track_id in range(1, counts["Track"] + 1):
        album_id = track_id if track_id <= albums else rng.randint(1, albums)  # every album has a track
        media_type = rng.choices(range(1, 6), MEDIA_WEIGHTS)[0]
        genre = rng.choices(range(1, 26), GENRE_WEIGHTS)[0]
        is_video = media_type == VIDEO_MEDIA_TYPE
        video[track_id] = is_video
        name = rng.choice(TRACK_FORMS).format(
            a=rng.choice(ADJECTIVES),
            a2=rng.choice(ADJECTIVES),
            n=rng.choice(NOUNS),
            n2=rng.choice(NOUNS),
            i=rng.randint(2, 4),
        )
        composer = None if rng.random() < 0.28 else ", ".join(rng.sample(composers, rng.randint(1, 3)))
        milliseconds = rng.randint(1_200_000, 3_000_000) if is_video else rng.randint(120_000, 480_000)
        yield [track_id, name, album_id, media_type, genre, composer, milliseconds, "1.99" if is_video else "0.99"]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O").replace("ł", "l").replace("Ł", "L"))
    return "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in ".-")).lower()


def _customers(seed: int, counts: dict[str, int], addresses: list[Address]) -> Iterator[list]:
    rng = _rng(seed, "Customer")
    countries = list(COUNTRIES)
    weights = [COUNTRIES[c][0] for c in countries]
    for customer_id in range(1, counts["Customer"] + 1):
        country = rng.choices(countries, weights)[0]
        _, has_states, cities, (firsts, lasts), phone_prefix, domain = COUNTRIES[country]
        city, state, postal = rng.choice(cities)
        first, last = rng.choice(firsts), rng.choice(lasts)
        address = Address(
            f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
            city,
            state if has_states else None,
            country,
            None if rng.random() < 0.05 else postal,
        )
        addresses.append(address)
        company = rng.choice(COMPANIES) if rng.random() < 0.2 else None
        phone = (
            None
            if rng.random() < 0.02
            else f"{phone_prefix} ({rng.randint(10, 99)}) {rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        )
        email = f"{_ascii(first)}.{_ascii(last)}{customer_id}@{domain}"
        yield [
            customer_id,
            first,
            last,
            company,
            address.address,
            address.city,
            address.state,
            address.country,
            address.postal_code,
            phone,
            email,
        ]


def _lines_per_invoice(rng: random.Random, invoices: int, lines: int) -> list[int]:
    """Chinook's pattern of lines per invoice, nudged at random invoices until the total is exact."""
    counts = [LINE_PATTERN[i % len(LINE_PATTERN)] for i in range(invoices)]
    difference = lines - sum(counts)
    if not invoices <= lines <= invoices * MAX_LINES:
        raise ValueError(f"{lines} lines cannot spread over {invoices} invoices")
    step = 1 if difference > 0 else -1
    while difference:
        i = rng.randrange(invoices)
        if 1 <= counts[i] + step <= MAX_LINES:
            counts[i] += step
            difference -= step
    return counts


def money_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def invoice_row(invoice_id: int, customer_id: int, day: date, billing: Address, total_cents: int) -> list:
    """An Invoice.csv row: billed to the customer's address on ``day``, totalling its lines."""
    return [
        invoice_id,
        customer_id,
        f"{day.isoformat()} 00:00:00",
        billing.address,
        billing.city,
        billing.state or "",
        billing.country,
        billing.postal_code or "",
        money_text(total_cents),
    ]


def _write_invoices(
    out_dir: Path, seed: int, counts: dict[str, int], addresses: list[Address], video: bytearray, daily: bool, bar: tqdm
) -> None:
    rng = _rng(seed, "Invoice")
    invoices, tracks = counts["Invoice"], counts["Track"]
    lines_per_invoice = _lines_per_invoice(rng, invoices, counts["InvoiceLine"])
    span = (LAST_DAY - FIRST_DAY).days + 1
    invoice_line_id = 0
    with ExitStack() as files:
        current_day: date | None = None
        writers: tuple[_csv.Writer, _csv.Writer] | None = None if daily else _open_pair(files, out_dir, None)
        for index in range(invoices):
            day = FIRST_DAY + timedelta(days=index * span // invoices)  # non-decreasing with the id
            if daily and day != current_day:
                files.close()
                writers = _open_pair(files, out_dir, day)
                current_day = day
            assert writers is not None  # opened above, or for this invoice's day
            invoice_writer, line_writer = writers
            customer_id = rng.randint(1, len(addresses))
            billing = addresses[customer_id - 1]
            total = 0
            start_track = rng.randint(1, tracks)
            for n in range(lines_per_invoice[index]):
                invoice_line_id += 1
                track_id = (start_track + n * 37 - 1) % tracks + 1  # distinct tracks within an invoice
                price = 199 if video[track_id] else 99
                quantity = 2 if rng.random() < 0.03 else 1
                total += price * quantity
                line_writer.writerow([invoice_line_id, index + 1, track_id, money_text(price), quantity])
            invoice_writer.writerow(invoice_row(index + 1, customer_id, day, billing, total))
            bar.update(1 + lines_per_invoice[index])


def _open_pair(files: ExitStack, out_dir: Path, day: date | None) -> tuple[_csv.Writer, _csv.Writer]:
    writers = []
    for table_name in ("Invoice", "InvoiceLine"):
        if day is None:
            path = out_dir / f"{table_name}.csv"
        else:
            (out_dir / table_name).mkdir(exist_ok=True)
            path = out_dir / table_name / f"{day.isoformat()}.csv"
        writer = csv_writer(files.enter_context(path.open("w", encoding="utf-8", newline="")))
        writer.writerow(csv_header(table_name))
        writers.append(writer)
    return writers[0], writers[1]
