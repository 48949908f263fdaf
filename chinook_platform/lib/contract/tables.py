"""The Chinook table contract: the one place that says which tables, columns, types and keys exist.

Everything else derives from it: the OLTP DDL (SQLAlchemy metadata and ``sql/oltp/schema.sql``),
CSV validation, the lake's Parquet schema and the dbt sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from chinook_platform.lib.contract.types import ColumnType, readme_type


@dataclass(frozen=True)
class Column:
    """One column: its CSV header name (Chinook's own), its type and its rules."""

    csv_name: str
    type: ColumnType
    nullable: bool = False
    max_length: int | None = None
    minimum: Decimal | int | None = None
    exclusive_minimum: bool = False
    pattern: str | None = None  # a regular expression every non-null value must match
    references: str | None = None  # the csv_name of the parent table, for a foreign key

    def __post_init__(self) -> None:
        if self.type is ColumnType.TEXT and self.max_length is None:  # varchar(n) and the length check need one
            raise ValueError(f"text column {self.csv_name} needs a max_length")

    @cached_property
    def name(self) -> str:
        """The snake_case name used inside databases, files and dbt."""
        return to_snake_case(self.csv_name)

    @property
    def check_description(self) -> str | None:
        if self.minimum is None:
            return None
        return f"{self.name} {'>' if self.exclusive_minimum else '>='} {self.minimum}"


@dataclass(frozen=True)
class Table:
    """One table: its CSV name (``InvoiceLine``), columns in file order, and primary key."""

    csv_name: str
    columns: tuple[Column, ...]
    primary_key: str
    description: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @cached_property
    def name(self) -> str:
        return to_snake_case(self.csv_name)

    @cached_property
    def pk(self) -> Column:
        return self.column(self.primary_key)

    @cached_property
    def foreign_keys(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.references)

    @cached_property
    def parents(self) -> tuple[str, ...]:
        """The snake_case names of the tables this one references."""
        return tuple(dict.fromkeys(TABLES_BY_CSV_NAME[c.references].name for c in self.foreign_keys if c.references))

    def column(self, name: str) -> Column:
        """A column by CSV or snake_case name."""
        for c in self.columns:
            if name in (c.csv_name, c.name):
                return c
        raise KeyError(f"{self.csv_name} has no column {name!r}")


def to_snake_case(name: str) -> str:
    """``InvoiceLineId`` -> ``invoice_line_id``; ``MediaType`` -> ``media_type``."""
    return re.sub(r"(?<!^)(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def normalize_name(name: str) -> str:
    """A spelling-insensitive key: ``InvoiceLine``, ``invoice_line`` and ``invoice-line`` agree."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _id(csv_name: str, references: str | None = None, nullable: bool = False) -> Column:
    return Column(
        csv_name, ColumnType.INTEGER, nullable=nullable, minimum=0, exclusive_minimum=True, references=references
    )


def _text(csv_name: str, max_length: int, nullable: bool = False, pattern: str | None = None) -> Column:
    return Column(csv_name, ColumnType.TEXT, nullable=nullable, max_length=max_length, pattern=pattern)


def _money(csv_name: str) -> Column:
    return Column(csv_name, ColumnType.MONEY, minimum=Decimal("0"))


# Lengths follow the original Chinook schema; nullability follows its data.
TABLES: tuple[Table, ...] = (
    Table("Artist", (_id("ArtistId"), _text("Name", 120)), "ArtistId", "A recording artist."),
    Table(
        "Album",
        (_id("AlbumId"), _text("Title", 160), _id("ArtistId", references="Artist")),
        "AlbumId",
        "An album, released by one artist.",
    ),
    Table("Genre", (_id("GenreId"), _text("Name", 120)), "GenreId", "A musical genre."),
    Table("MediaType", (_id("MediaTypeId"), _text("Name", 120)), "MediaTypeId", "A file format a track is sold in."),
    Table(
        "Track",
        (
            _id("TrackId"),
            _text("Name", 200),
            _id("AlbumId", references="Album"),
            _id("MediaTypeId", references="MediaType"),
            _id("GenreId", references="Genre"),
            _text("Composer", 220, nullable=True),
            Column("Milliseconds", ColumnType.INTEGER, minimum=0, exclusive_minimum=True),
            _money("UnitPrice"),
        ),
        "TrackId",
        "A track for sale: on one album, in one genre and one media type.",
    ),
    Table(
        "Customer",
        (
            _id("CustomerId"),
            _text("FirstName", 40),
            _text("LastName", 20),
            _text("Company", 80, nullable=True),
            _text("Address", 70),
            _text("City", 40),
            _text("State", 40, nullable=True),
            _text("Country", 40),
            _text("PostalCode", 10, nullable=True),
            _text("Phone", 24, nullable=True),
            _text("Email", 60, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        ),
        "CustomerId",
        "A customer of the store.",
    ),
    Table(
        "Invoice",
        (
            _id("InvoiceId"),
            _id("CustomerId", references="Customer"),
            Column("InvoiceDate", ColumnType.TIMESTAMP),
            _text("BillingAddress", 70),
            _text("BillingCity", 40),
            _text("BillingState", 40, nullable=True),
            _text("BillingCountry", 40),
            _text("BillingPostalCode", 10, nullable=True),
            _money("Total"),
        ),
        "InvoiceId",
        "An invoice: one purchase by one customer; its total is the sum of its lines.",
    ),
    Table(
        "InvoiceLine",
        (
            _id("InvoiceLineId"),
            _id("InvoiceId", references="Invoice"),
            _id("TrackId", references="Track"),
            _money("UnitPrice"),
            Column("Quantity", ColumnType.INTEGER, minimum=0, exclusive_minimum=True),
        ),
        "InvoiceLineId",
        "One line of an invoice: a track bought at a unit price and quantity.",
    ),
)

TABLES_BY_CSV_NAME: dict[str, Table] = {t.csv_name: t for t in TABLES}
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Tables of the full Chinook export that this platform does not model: skipped with a warning.
KNOWN_OTHER_TABLES: frozenset[str] = frozenset(normalize_name(n) for n in ("Employee", "Playlist", "PlaylistTrack"))

LOAD_ID_COLUMN = "_load_id"  # on every OLTP table: the load that last inserted or changed the row


def table(name: str) -> Table:
    """A table by CSV name, snake_case name or any spelling ``normalize_name`` folds together."""
    key = normalize_name(name)
    for t in TABLES:
        if normalize_name(t.csv_name) == key:
            return t
    raise KeyError(f"no Chinook table named {name!r}")


def contract_markdown() -> str:
    """The contract as a Markdown table (what the README shows; a test keeps the two in step)."""
    lines = ["| table | column | type | required | rule |", "|---|---|---|---|---|"]
    for t in TABLES:
        for c in t.columns:
            kind = readme_type(c)
            rules = []
            if c.csv_name == t.primary_key:
                rules.append("primary key")
            elif c.references:
                rules.append(f"→ {c.references}")
            elif c.minimum is not None:
                rules.append(f"{'>' if c.exclusive_minimum else '≥'} {c.minimum}")
            if c.pattern:
                rules.append("e-mail address")
            required = "" if c.nullable else "yes"
            lines.append(f"| {t.csv_name} | {c.csv_name} | {kind} | {required} | {', '.join(rules)} |")
    return "\n".join(lines)
