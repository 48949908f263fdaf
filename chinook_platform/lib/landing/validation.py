"""The rules a landed CSV's rows must keep to be one contract table's rows, applied without losing a good row.

Validation is vectorised with pyarrow over blocks of string columns (``csv_reader`` streams a file as such
blocks). Each block comes back as typed good rows plus rejections that name the line, the column and the
reason. A file that cannot be read as the table at all raises ``FileRejected`` naming the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chinook_platform.lib.contract import (
    MAX_INTEGER,
    MONEY_PRECISION,
    MONEY_SCALE,
    Column,
    ColumnType,
    Table,
    arrow_type,
)

SOURCE_ROW = "_source_row"  # the line number (or quarantine id, for retries) each good row came from

_INTEGER = r"^-?[0-9]{1,10}$"
_DIGITS = r"^-?[0-9]+$"  # a whole number of any size: more than _INTEGER allows is out of range, not malformed
_MONEY = rf"^-?[0-9]{{1,{MONEY_PRECISION - MONEY_SCALE}}}(\.[0-9]{{1,{MONEY_SCALE}}})?$"
_MONEY_DIGITS = rf"^-?[0-9]+(\.[0-9]{{1,{MONEY_SCALE}}})?$"
MAX_MONEY = Decimal(10 ** (MONEY_PRECISION - MONEY_SCALE)) - Decimal(1).scaleb(-MONEY_SCALE)
QUOTE_CHARACTERS = 200  # a reason quotes at most this much of a value; quarantine's raw_row keeps it whole
_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?$"


class Excerpt:
    """A field value as a reason quotes it: at most ``QUOTE_CHARACTERS`` of it, saying how long it was."""

    def __init__(self, value: object):
        self.value = value

    def _cut(self, text: str) -> str:
        if len(text) <= QUOTE_CHARACTERS:
            return text
        return f"{text[:QUOTE_CHARACTERS]}... ({len(str(self.value)):,} characters)"

    def __str__(self) -> str:
        return self._cut(str(self.value))

    def __repr__(self) -> str:
        return self._cut(repr(self.value))


class FileRejected(Exception):
    """The whole file cannot be read as the table; nothing of it may be loaded."""

    def __init__(self, source: str, problem: str):
        super().__init__(f"{source}: rejected: {problem}")
        self.source = source
        self.problem = problem


@dataclass(frozen=True)
class Rejection:
    """One row that failed validation."""

    line_number: int | None
    column: str | None  # the CSV name of the first column at fault, if a column is at fault
    reason: str
    raw_row: str  # JSON object of the fields as read, or the raw text of an unparseable row


@dataclass
class HeaderMapping:
    """How a file's header lines up with the table contract."""

    columns: list[Column]  # contract columns present in the file, in contract order
    file_names: list[str]  # the file's own header names, as positional column names for the reader
    dropped: list[str] = field(default_factory=list)  # file columns outside the contract
    missing_optional: list[str] = field(default_factory=list)  # nullable contract columns not in the file


@dataclass
class ValidatedBlock:
    """A block of a file after validation."""

    good: pa.Table  # typed columns for ``HeaderMapping.columns`` plus ``SOURCE_ROW``
    rejections: list[Rejection]

    @property
    def rows_read(self) -> int:
        return self.good.num_rows + len(self.rejections)


def validate_strings(columns: list[Column], strings: pa.Table, lines: np.ndarray) -> ValidatedBlock:
    """Validate string columns (keyed by CSV name) against the contract; type the good rows."""
    n = strings.num_rows
    typed: dict[str, pa.Array] = {}
    problems: list[tuple[Column, np.ndarray, str]] = []  # column, rows at fault, reason template
    for column in columns:
        values = strings.column(column.csv_name).combine_chunks()
        typed[column.name], column_problems = _validate_column(column, values)
        problems.extend((column, mask, reason) for mask, reason in column_problems)
    bad = np.zeros(n, dtype=bool)
    for _, mask, _ in problems:
        bad |= mask
    rejections: list[Rejection] = []
    if bad.any():
        raw_rows = strings.filter(pa.array(bad)).to_pylist()
        for raw, index in zip(raw_rows, np.flatnonzero(bad), strict=True):
            reasons = [(c, r) for c, mask, r in problems if mask[index]]
            first_column = reasons[0][0].csv_name
            text = "; ".join(r.format(column=c.csv_name, value=Excerpt(raw.get(c.csv_name))) for c, r in reasons)
            rejections.append(Rejection(int(lines[index]), first_column, text, json.dumps(raw, ensure_ascii=False)))
    good_mask = pa.array(~bad)
    good = pa.table(
        {
            **{name: array.filter(good_mask) for name, array in typed.items()},
            SOURCE_ROW: pa.array(lines[~bad], type=pa.int64()),
        }
    )
    return ValidatedBlock(good, rejections)


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.coalesce(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _validate_column(column: Column, values: pa.Array) -> tuple[pa.Array, list[tuple[np.ndarray, str]]]:
    """The column typed (bad values null) and its problems as (row mask, reason template)."""
    present = _mask(pc.is_valid(values))
    problems: list[tuple[np.ndarray, str]] = []
    if not column.nullable:
        missing = ~present
        if column.type is ColumnType.TEXT:  # "   " says no more than "" does
            missing |= present & _mask(pc.match_substring_regex(values, r"^\s*$"))
        problems.append((missing, "{column}: required value is missing"))
    # No database stores NUL in text (PostgreSQL refuses it, SQLite cuts values at it in most tools).
    nul = _mask(pc.match_substring(values, "\x00"))
    problems.append((nul, "{column}: holds a NUL character (byte 0), which the database cannot store: {value!r}"))
    if column.type is ColumnType.TEXT:
        return values, problems + _text_problems(column, values, present)
    pattern = {ColumnType.INTEGER: _DIGITS, ColumnType.MONEY: _MONEY_DIGITS, ColumnType.TIMESTAMP: _TIMESTAMP}[
        column.type
    ]
    malformed = present & ~nul & ~_mask(pc.match_substring_regex(values, pattern))
    kind = {
        ColumnType.INTEGER: "a whole number",
        ColumnType.MONEY: f"a decimal amount with at most {MONEY_SCALE} decimals",
        ColumnType.TIMESTAMP: "a date (YYYY-MM-DD, optionally with a time)",
    }[column.type]
    problems.append((malformed, f"{{column}}: {{value!r}} is not {kind}"))
    unusable = malformed | nul
    if column.type is not ColumnType.TIMESTAMP:
        # Well-formed but with more digits than the type holds: too large to cast, so flagged before the cast.
        fits = _INTEGER if column.type is ColumnType.INTEGER else _MONEY
        too_large = present & ~unusable & ~_mask(pc.match_substring_regex(values, fits))
        limit = f"±{MAX_INTEGER}" if column.type is ColumnType.INTEGER else f"±{MAX_MONEY}"
        problems.append((too_large, f"{{column}}: {{value}} is out of range (the limit is {limit})"))
        unusable = unusable | too_large
    cleaned = pc.if_else(pa.array(unusable), pa.scalar(None, pa.string()), values)
    if column.type is ColumnType.TIMESTAMP:
        typed, invalid = _parse_timestamps(cleaned)
        problems.append((invalid, "{column}: {value!r} is not a real calendar date or time"))
    else:
        typed = pc.cast(cleaned, arrow_type(column.type))
        if column.type is ColumnType.INTEGER:
            problems.append(
                (
                    _mask(pc.greater(pc.abs(typed), MAX_INTEGER)),
                    f"{{column}}: {{value}} is out of range (the limit is ±{MAX_INTEGER})",
                )
            )
    if column.minimum is not None:
        bound = pa.scalar(
            Decimal(column.minimum) if column.type is ColumnType.MONEY else int(column.minimum), typed.type
        )
        below = _mask(pc.less_equal(typed, bound) if column.exclusive_minimum else pc.less(typed, bound))
        problems.append((below, f"{{column}}: {{value}} is not {(column.check_description or '').split(' ', 1)[1]}"))
    return typed, problems


def _text_problems(column: Column, values: pa.Array, present: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """A text column's values longer than its maximum, or not matching its pattern."""
    problems = []
    if column.max_length is not None:
        too_long = _mask(pc.greater(pc.utf8_length(values), column.max_length))
        problems.append((too_long, f"{{column}}: longer than {column.max_length} characters: {{value!r}}"))
    if column.pattern:
        mismatch = present & ~_mask(pc.match_substring_regex(values, column.pattern))
        pattern = column.pattern.replace("{", "{{").replace("}", "}}")
        problems.append((mismatch, "{column}: {value!r} is not a valid value (pattern " + pattern + ")"))
    return problems


def _parse_timestamps(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Parse well-formed timestamp strings; impossible dates (2021-02-30) become null and are flagged."""
    normalized = pc.replace_substring(values, "T", " ")
    try:
        return pc.cast(normalized, pa.timestamp("us")), np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        pass  # some value is not a real date: find which, one by one (rare, error path only)
    parsed: list[object] = []  # a timestamp, or None for a missing or impossible one
    invalid = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(normalized.to_pylist()):
        if value is None:
            parsed.append(None)
            continue
        try:
            parsed.append(pc.cast(pa.scalar(value), pa.timestamp("us")).as_py())
        except pa.ArrowInvalid:
            parsed.append(None)
            invalid[i] = True
    return pa.array(parsed, type=pa.timestamp("us")), invalid


def strings_from_raw_rows(table: Table, raw_rows: list[str]) -> tuple[list[Column], pa.Table]:
    """Rebuild string columns from quarantined ``raw_row`` JSON objects (for retrying them)."""
    rows = [json.loads(r) for r in raw_rows]
    columns = [c for c in table.columns if any(c.csv_name in r for r in rows)]
    return columns, pa.table(
        {c.csv_name: pa.array([r.get(c.csv_name) for r in rows], type=pa.string()) for c in columns}
    )
