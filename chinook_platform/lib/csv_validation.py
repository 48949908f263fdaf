"""Read a landed CSV as one contract table, validating it row by row without losing a good row.

Parsing and validation are vectorised with pyarrow (the file is streamed in blocks, so memory does not grow
with its size). Each block comes back as typed good rows plus rejections that name the line, the column and
the reason. A file that cannot be read as the table at all raises ``FileRejected`` naming the problem.

Line numbers are CSV record numbers with the header as line 1: the physical line, unless a quoted value
earlier in the file spans several lines.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chinook_platform.lib.contract import (
    MAX_INTEGER,
    MONEY_PRECISION,
    MONEY_SCALE,
    Column,
    ColumnType,
    Table,
    normalize_name,
)

SOURCE_ROW = "_source_row"  # the line number (or quarantine id, for retries) each good row came from
BLOCK_SIZE = 2 << 20  # the streaming reader holds about 40 blocks' worth: this keeps a load near 300 MiB
HEADER_PEEK = 1 << 20

_INTEGER = r"^-?[0-9]{1,10}$"
_DIGITS = r"^-?[0-9]+$"  # a whole number of any size: more than _INTEGER allows is out of range, not malformed
_MONEY = rf"^-?[0-9]{{1,{MONEY_PRECISION - MONEY_SCALE}}}(\.[0-9]{{1,{MONEY_SCALE}}})?$"
_MONEY_DIGITS = rf"^-?[0-9]+(\.[0-9]{{1,{MONEY_SCALE}}})?$"
MAX_MONEY = Decimal(10 ** (MONEY_PRECISION - MONEY_SCALE)) - Decimal(1).scaleb(-MONEY_SCALE)
QUOTE_CHARACTERS = 200  # a reason quotes at most this much of a value; quarantine's raw_row keeps it whole
_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?$"

ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.INTEGER: pa.int64(),
    ColumnType.TEXT: pa.string(),
    ColumnType.MONEY: pa.decimal128(MONEY_PRECISION, MONEY_SCALE),
    ColumnType.TIMESTAMP: pa.timestamp("us"),
}


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


def map_header(source: str, table: Table, header: list[str]) -> HeaderMapping:
    """Match header names to the contract (case and ``_`` insensitive); reject missing required columns."""
    by_key = {normalize_name(c.csv_name): c for c in table.columns}
    seen: dict[str, str] = {}
    dropped: list[str] = []
    for name in header:
        key = normalize_name(name)
        if key in by_key and key not in seen:
            seen[key] = name
        elif key in by_key:
            raise FileRejected(source, f"column {name!r} appears twice in the header")
        else:
            dropped.append(name)
    present = [c for c in table.columns if normalize_name(c.csv_name) in seen]
    missing = [c for c in table.columns if c not in present]
    missing_required = [c.csv_name for c in missing if not c.nullable]
    if missing_required:
        raise FileRejected(
            source,
            f"missing required column(s) {', '.join(missing_required)} for table {table.csv_name} "
            f"(header has: {', '.join(header) or 'nothing'})",
        )
    return HeaderMapping(
        columns=present,
        file_names=list(header),
        dropped=dropped,
        missing_optional=[c.csv_name for c in missing],
    )


class _QuoteCountingReader(io.RawIOBase):
    """Passes a stream through, counting double quotes: an odd count at the end means a quote never closed.

    (pyarrow's CSV parser silently takes an unterminated quoted field to the end of the file.)
    """

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self.quotes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.quotes += data.count(b'"')
        return n


def read_header(source: str, stream: IO[bytes]) -> tuple[list[str], bytes]:
    """The header's field names, and the bytes consumed so far (to be replayed to the parser)."""
    head = stream.read(HEADER_PEEK)
    if not head:
        raise FileRejected(source, "the file is empty (no header row)")
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(source, f"the header is not UTF-8 text ({error.reason} at byte {error.start})") from None
    if "\x00" in text:
        raise FileRejected(source, "not a CSV text file (the header holds NUL bytes)")
    header = next(csv.reader([text]), [])
    if not any(h.strip() for h in header):
        raise FileRejected(source, "the first line is empty (no header row)")
    return [h.strip() for h in header], head


def read_validated_blocks(
    source: str,
    table: Table,
    opener: Callable[[], IO[bytes]],
    on_header: Callable[[HeaderMapping], None] | None = None,
    block_size: int | None = None,
) -> Iterator[ValidatedBlock]:
    """Stream a landed CSV file as validated blocks.

    Raises:
        FileRejected: the file is empty, not UTF-8, not CSV, lacks required columns or has an unterminated
            quote. It may be raised after some blocks were yielded: the caller loads in one transaction.
    """
    with opener() as stream:
        header, head = read_header(source, stream)
        mapping = map_header(source, table, header)
        if on_header:
            on_header(mapping)
        counting = _QuoteCountingReader(_Replay(head, stream))
        invalid: list[tuple[int, Rejection]] = []

        def on_invalid_row(row: pacsv.InvalidRow) -> str:
            number = row.number if row.number is not None else -1
            reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
            invalid.append((number, Rejection(number, None, reason, row.text)))
            return "skip"

        names = [f"{i}:{h}" for i, h in enumerate(mapping.file_names)]  # positional: survives odd headers
        by_contract = {normalize_name(c.csv_name): c for c in mapping.columns}
        include = {}
        for name, original in zip(names, mapping.file_names, strict=True):
            column = by_contract.get(normalize_name(original))
            if column is not None and column not in include.values():
                include[name] = column
        try:
            reader = pacsv.open_csv(
                io.BufferedReader(counting, buffer_size=1 << 20),
                read_options=pacsv.ReadOptions(
                    use_threads=False,
                    block_size=block_size or BLOCK_SIZE,
                    skip_rows=1,
                    column_names=names,
                    encoding="utf8",
                ),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
                convert_options=pacsv.ConvertOptions(
                    include_columns=list(include),
                    column_types={name: pa.string() for name in include},
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
            good_rows_so_far = 0
            skipped_lines: list[int] = []  # every line the parser rejected so far (it parses one block ahead)
            for batch in reader:
                strings = pa.table({include[n].csv_name: batch.column(n) for n in include})
                # The parser reads ahead on its own thread and may report rows while this one runs: take
                # exactly what has been reported so far (slicing and deleting a prefix are each atomic).
                reported = invalid[: len(invalid)]
                del invalid[: len(reported)]
                skipped_lines = sorted([*skipped_lines, *(n for n, _ in reported)])
                lines = _line_numbers(good_rows_so_far, strings.num_rows, skipped_lines)
                block = validate_strings(mapping.columns, strings, lines)
                block.rejections.extend(r for _, r in reported)
                good_rows_so_far += strings.num_rows
                yield block
        except pa.ArrowInvalid as error:
            raise FileRejected(source, _describe_arrow_error(str(error), opener)) from None
        if invalid:  # rows the parser rejected after the last block was yielded
            yield ValidatedBlock(_empty_good(mapping.columns), [r for _, r in invalid])
        if counting.quotes % 2:
            raise FileRejected(source, f"unterminated quoted field starting on line {_unterminated_quote_line(opener)}")


class _Replay(io.RawIOBase):
    """A stream that first replays bytes already read (the peeked header), then continues the original."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if len(self._head):
            n = len(self._head) if size < 0 else min(size, len(self._head))
            chunk, self._head = bytes(self._head[:n]), self._head[n:]
            return chunk
        return self._rest.read(size)


def _line_numbers(rows_before: int, count: int, skipped_lines: list[int]) -> np.ndarray:
    """Line numbers of a block of parsed rows: row g of the file is on the g-th line not skipped after the header.

    Solved as a fixed point: line = 2 + g + (number of skipped lines <= line).
    """
    target = np.arange(rows_before, rows_before + count, dtype=np.int64) + 2
    if not skipped_lines:
        return target
    skipped = np.asarray(skipped_lines, dtype=np.int64)
    lines = target
    while True:
        moved = target + np.searchsorted(skipped, lines, side="right")
        if np.array_equal(moved, lines):
            return lines
        lines = moved


def _empty_good(columns: list[Column]) -> pa.Table:
    fields = [pa.field(c.name, ARROW_TYPES[c.type]) for c in columns] + [pa.field(SOURCE_ROW, pa.int64())]
    return pa.schema(fields).empty_table()


def _describe_arrow_error(message: str, opener: Callable[[], IO[bytes]]) -> str:
    if "invalid UTF8" in message or "UTF-8" in message or "utf8" in message.lower():
        line = _first_non_utf8_line(opener)
        where = f" on line {line}" if line else ""
        return f"not UTF-8 text{where} (save the file as UTF-8)"
    return f"not readable as CSV: {message}"


def _first_non_utf8_line(opener: Callable[[], IO[bytes]]) -> int | None:
    with opener() as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _unterminated_quote_line(opener: Callable[[], IO[bytes]]) -> int | str:
    """Find where the quote opened (only on this error path, with the strict standard-library parser)."""
    with opener() as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text, strict=True)
        start = 1
        try:
            for _ in reader:
                start = reader.line_num + 1
        except csv.Error:
            return start
    return "unknown"


# --- validation of string columns -------------------------------------------------------------------------


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
        problems.append((~present, "{column}: required value is missing"))
    # No database stores NUL in text (PostgreSQL refuses it, SQLite cuts values at it in most tools).
    nul = _mask(pc.match_substring(values, "\x00"))
    problems.append((nul, "{column}: holds a NUL character (byte 0), which the database cannot store: {value!r}"))
    if column.type is ColumnType.TEXT:
        typed = values
        if column.max_length is not None:
            too_long = _mask(pc.greater(pc.utf8_length(values), column.max_length))
            problems.append((too_long, f"{{column}}: longer than {column.max_length} characters: {{value!r}}"))
        if column.pattern:
            mismatch = present & ~_mask(pc.match_substring_regex(values, column.pattern))
            problems.append(
                (
                    mismatch,
                    "{column}: {value!r} is not a valid value (pattern "
                    + column.pattern.replace("{", "{{").replace("}", "}}")
                    + ")",
                )
            )
        return typed, problems
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
        typed = pc.cast(cleaned, ARROW_TYPES[column.type] if column.type is ColumnType.MONEY else pa.int64())
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
        problems.append((below, f"{{column}}: {{value}} is not {column.check_description.split(' ', 1)[1]}"))
    return typed, problems


def _parse_timestamps(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Parse well-formed timestamp strings; impossible dates (2021-02-30) become null and are flagged."""
    normalized = pc.replace_substring(values, "T", " ")
    try:
        return pc.cast(normalized, pa.timestamp("us")), np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        pass  # some value is not a real date: find which, one by one (rare, error path only)
    parsed, invalid = [], np.zeros(len(values), dtype=bool)
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
