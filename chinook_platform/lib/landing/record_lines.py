"""The physical line each CSV record starts on, noted as the bytes stream past the parser.

pyarrow's parser numbers records, not lines: it skips blank lines, and a quoted value may span several lines.
This reader sees the same bytes first and notes, per non-empty record, the line it starts on (the header is
line 1), with ``\\n``, ``\\r\\n`` and a bare ``\\r`` each ending a line. A line break inside quotes ends a line
but not a record; a doubled quote inside a quoted value leaves the quote count's parity as it was.
"""

from __future__ import annotations

import io
from typing import IO

import numpy as np

QUOTE, LF, CR = ord('"'), ord("\n"), ord("\r")


class PassThroughReader(io.RawIOBase):
    """Passes a stream through, showing each chunk read to ``observe`` on the way (to count or hash it)."""

    def __init__(self, stream: IO[bytes] | io.RawIOBase):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001  (a writable buffer)
        data = self._stream.read(len(buffer)) or b""
        n = len(data)
        buffer[:n] = data
        self.observe(data)
        return n

    def observe(self, data: bytes) -> None:
        raise NotImplementedError


class RecordLineReader(PassThroughReader):
    """Counts double quotes (an odd count at the end means a quote never closed, which pyarrow's parser silently
    takes to the end of the file) and notes the start line of every non-empty record, the header's included."""

    def __init__(self, stream: IO[bytes] | io.RawIOBase):
        super().__init__(stream)
        self.quotes = 0
        self._lines_ended = 0
        self._record_start = 1  # the line the record being read started on
        self._record_has_content = False
        self._pending_cr = False  # a chunk ended in "\r": whether it ends a line depends on the next byte
        self._starts: list[np.ndarray] = []

    def observe(self, data: bytes) -> None:
        at_end = not data
        if self._pending_cr:
            data, self._pending_cr = b"\r" + data, False
        if data.endswith(b"\r") and not at_end:
            data, self._pending_cr = data[:-1], True
        if data:
            self._observe_bytes(np.frombuffer(data, dtype=np.uint8))
        if at_end and self._record_has_content:  # a last record without a line break after it
            self._starts.append(np.array([self._record_start], dtype=np.int64))
            self._record_has_content = False

    def _observe_bytes(self, chunk: np.ndarray) -> None:
        quote = chunk == QUOTE
        in_quotes = (self.quotes + np.cumsum(quote) - quote) % 2 == 1
        lf, cr = chunk == LF, chunk == CR
        bare_cr = cr.copy()
        bare_cr[:-1] &= ~lf[1:]
        ends_line = lf | bare_cr
        lines_ended = self._lines_ended + np.cumsum(ends_line)
        content = np.cumsum(~(lf | cr))
        ends = np.flatnonzero(ends_line & ~in_quotes)
        if ends.size:
            starts = np.empty(ends.size, dtype=np.int64)
            starts[0] = self._record_start
            starts[1:] = lines_ended[ends[:-1]] + 1
            content_at_end = content[ends]
            has_content = np.diff(content_at_end, prepend=0) > 0
            has_content[0] |= self._record_has_content
            self._starts.append(starts[has_content])
            self._record_start = int(lines_ended[ends[-1]]) + 1
            self._record_has_content = bool(content[-1] > content_at_end[-1])
        else:
            self._record_has_content |= bool(content[-1] > 0)
        self._lines_ended = int(lines_ended[-1])
        self.quotes += int(quote.sum())

    def data_record_lines(self, records: np.ndarray) -> np.ndarray:
        """The start lines of data records (0 = the first record after the header), all already read."""
        seen = self._starts[:]  # the parser may read ahead on its own thread: merge what is there now
        if not seen:
            return np.empty(0, dtype=np.int64)
        merged = np.concatenate(seen) if len(seen) > 1 else seen[0]
        self._starts[: len(seen)] = [merged]
        return merged[np.asarray(records, dtype=np.int64) + 1]
