"""The lake's reads on PostgreSQL: through its ADBC driver, a binary COPY decoded straight into Arrow."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from chinook_platform.lib.lake.reader import OltpReader


class PostgresReader(OltpReader):
    def schema(self) -> str | None:
        """The PostgreSQL schema the engine's connections search."""
        return self.conn.exec_driver_sql("select current_schema()").scalar()

    def batches(self, sql: str, schema: pa.Schema, chunk_rows: int) -> Iterator[pa.RecordBatch]:
        """In ADBC's batches of ~16 MiB (``chunk_rows`` is the SQLite reader's)."""
        import adbc_driver_postgresql.dbapi

        uri = self.conn.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with adbc_driver_postgresql.dbapi.connect(uri) as arrow, arrow.cursor() as cursor:
            cursor.execute(sql)
            yield from cursor.fetch_record_batch()

    def as_lake_type(self, values: pa.Array, target: pa.DataType) -> pa.Array:
        if isinstance(values.type, pa.BaseExtensionType):
            values = values.storage  # numeric arrives as its text, which casts to decimal exactly
        return super().as_lake_type(values, target)
