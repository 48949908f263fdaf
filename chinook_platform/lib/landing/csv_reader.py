"""Stream a landed CSV file as blocks of one contract table's string columns, each validated as it is read.

The plumbing around the rules of ``validation``: the header peeked and matched to the contract, the rest parsed
by pyarrow in blocks (so memory does not grow with the file's size), rows the parser cannot split reported with
their line, and the errors that make a whole file unreadable (not UTF-8, an unterminated quote) described.

Line numbers are physical lines with the header as line 1 (``record_lines``): blank lines and quoted values
spanning several lines counted, ``\n``, ``\r\n`` and a bare ``\r`` alike.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from chinook_platform.lib.contract import Column, Table, arrow_type, normalize_name
from chinook_platform.lib.landing.record_lines import RecordLineReader
from chinook_platform.lib.landing.validation import (
    SOURCE_ROW,
    FileRejected,
    HeaderMapping,
    Rejection,
    ValidatedBlock,
    validate_strings,
)

BLOCK_SIZE = 2 << 20  # the streaming reader holds about 40 blocks' worth: this keeps a load near 300 MiB
HEADER_PEEK = 1 << 20
# UTF-32's marks first: UTF-32-LE's begins with UTF-16-LE's.
WIDE_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"),
    (codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
    (codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"),
    (codecs.BOM_UTF16_BE, "UTF-16 (big-endian)"),
)


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
        elif name not in dropped:
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


def read_header(source: str, stream: IO[bytes]) -> tuple[list[str], bytes]:
    """The header's field names, and the bytes consumed so far (to be replayed to the parser)."""
    head = stream.read(HEADER_PEEK)
    if not head:
        raise FileRejected(source, "the file is empty (no header row)")
    encoding = next((name for bom, name in WIDE_BYTE_ORDER_MARKS if head.startswith(bom)), None)
    if encoding:
        raise FileRejected(source, f"the file is {encoding} text (its byte-order mark says so): save it as UTF-8")
    first_line = re.split(rb"\r\n|\r|\n", head, maxsplit=1)[0]
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
        counting = RecordLineReader(_Replay(head, stream))
        invalid: list[tuple[int, Rejection]] = []  # (data record index, its rejection)

        def on_invalid_row(row: pacsv.InvalidRow) -> str:
            record = row.number - 2 if row.number is not None else -1  # pyarrow counts records, header = 1
            line = int(counting.data_record_lines(np.array([record]))[0]) if record >= 0 else -1
            reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
            invalid.append((record, Rejection(line, None, reason, row.text)))
            return "skip"

        names, include = _reader_columns(mapping)
        try:
            reader = _open_csv(counting, names, include, block_size or BLOCK_SIZE, on_invalid_row)
            good_rows_so_far = 0
            skipped: list[int] = []  # every record the parser rejected so far (it parses one block ahead)
            for batch in reader:
                strings = pa.table({include[n].csv_name: batch.column(n) for n in include})
                # The parser reads ahead on its own thread and may report rows while this one runs: take
                # exactly what has been reported so far (slicing and deleting a prefix are each atomic).
                reported = invalid[: len(invalid)]
                del invalid[: len(reported)]
                skipped = sorted([*skipped, *(n for n, _ in reported)])
                lines = counting.data_record_lines(_record_indices(good_rows_so_far, strings.num_rows, skipped))
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


def _reader_columns(mapping: HeaderMapping) -> tuple[list[str], dict[str, Column]]:
    """The reader's positional column names (they survive odd headers), and those it keeps, by contract column."""
    names = [f"{i}:{h}" for i, h in enumerate(mapping.file_names)]
    by_contract = {normalize_name(c.csv_name): c for c in mapping.columns}
    include: dict[str, Column] = {}
    for name, original in zip(names, mapping.file_names, strict=True):
        column = by_contract.get(normalize_name(original))
        if column is not None and column not in include.values():
            include[name] = column
    return names, include


def _open_csv(
    stream: io.RawIOBase,
    names: list[str],
    include: dict[str, Column],
    block_size: int,
    on_invalid_row: Callable[[pacsv.InvalidRow], str],
) -> pacsv.CSVStreamingReader:
    """pyarrow's streaming reader over the rows after the header, every kept column read as (nullable) text."""
    return pacsv.open_csv(
        io.BufferedReader(stream, buffer_size=1 << 20),
        read_options=pacsv.ReadOptions(
            use_threads=False, block_size=block_size, skip_rows=1, column_names=names, encoding="utf8"
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


def _record_indices(rows_before: int, count: int, skipped: list[int]) -> np.ndarray:
    """Data-record indices of a block of parsed rows: row g of the file is the g-th record not skipped.

    Solved as a fixed point: index = g + (number of skipped records <= index).
    """
    target = np.arange(rows_before, rows_before + count, dtype=np.int64)
    if not skipped:
        return target
    skipped_records = np.asarray(skipped, dtype=np.int64)
    indices = target
    while True:
        moved = target + np.searchsorted(skipped_records, indices, side="right")
        if np.array_equal(moved, indices):
            return indices
        indices = moved


def _empty_good(columns: list[Column]) -> pa.Table:
    fields = [pa.field(c.name, arrow_type(c.type)) for c in columns] + [pa.field(SOURCE_ROW, pa.int64())]
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
