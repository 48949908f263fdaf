"""The lake's reads on SQLite: through the connection's own ``sqlite3`` cursor straight into Arrow arrays.

Not ADBC's SQLite driver: it links a second copy of SQLite, and two copies in one process break SQLite's POSIX
locking (its reads miss commits still in the WAL while this process holds another connection, and closing it
drops the other copy's locks). Not SQLAlchemy's result either: its per-row processing (and ``yield_per``
buffering) made the extract ten times slower.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from chinook_platform.lib.contract import MONEY_PRECISION, MONEY_SCALE
from chinook_platform.lib.lake.reader import OltpReader

# What SQLite holds instead of the lake's type: money as integer cents, timestamps as text.
STORED_TYPES = {pa.decimal128(MONEY_PRECISION, MONEY_SCALE): pa.int64(), pa.timestamp("us"): pa.string()}
CENT = pa.scalar(Decimal(1).scaleb(-MONEY_SCALE), pa.decimal128(MONEY_SCALE + 1, MONEY_SCALE))


class SqliteReader(OltpReader):
    def batches(self, sql: str, schema: pa.Schema, chunk_rows: int) -> Iterator[pa.RecordBatch]:
        """One batch per ``fetchmany`` of ``chunk_rows`` rows, in the types SQLite stores."""
        # Rows as they come (tuples) convert to one struct array in C++, with no Python-level transpose.
        row_type = pa.struct([pa.field(f.name, STORED_TYPES.get(f.type, f.type)) for f in schema])
        driver = self.conn.connection.driver_connection
        assert driver is not None  # a checked-out connection has its driver's
        cursor = driver.cursor()
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(chunk_rows):
                yield pa.RecordBatch.from_struct_array(pa.array(rows, type=row_type))
        finally:
            cursor.close()

    def as_lake_type(self, values: pa.Array, target: pa.DataType) -> pa.Array:
        if pa.types.is_decimal(target) and pa.types.is_integer(values.type):
            # Money as integer cents (lib/oltp/schema.py's Money): scaled in decimal arithmetic, never a float.
            values = pc.multiply(values.cast(pa.decimal128(19, 0)), CENT)
        return super().as_lake_type(values, target)  # timestamps' text casts to the lake's timestamp
