"""How a lake extract reads the OLTP database: the rows of one load range as Arrow batches in the lake's schema.

``OltpReader`` is dialect-neutral: it asks for the range's rows in load order and gives each its load time from
the load log, looked up once per load. What differs per database (where its tables live, how rows reach Arrow,
what a driver's values need before they are the lake's types) is in one subclass per database:
``postgres.PostgresReader`` and ``sqlite.SqliteReader``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from chinook_platform.lib.contract import LOAD_ID_COLUMN, Table
from chinook_platform.lib.oltp import CONTRACT_TABLES, load_log

LOADED_AT_COLUMN = "_loaded_at"


class OltpReader:
    """One connection's reads of changed rows, in the lake's schema."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn

    # --- what each database does its own way ---------------------------------------------------------------

    def schema(self) -> str | None:
        """Where the tables live: the schema the connection searches (None: the database's only one)."""
        return None

    def batches(self, sql: str, schema: pa.Schema, chunk_rows: int) -> Iterator[pa.RecordBatch]:
        """The query's rows as the driver gives them, in batches (``schema``: the lake's types of its columns)."""
        raise NotImplementedError

    def as_lake_type(self, values: pa.Array, target: pa.DataType) -> pa.Array:
        """A column as the driver returned it, in the lake's type: exactly, or the extract fails."""
        return values.cast(target)  # checked: a value that does not fit raises instead of wrapping or rounding

    # --- written once --------------------------------------------------------------------------------------

    def changed_rows(
        self, table: Table, after: int, upto: int, schema: pa.Schema, chunk_rows: int
    ) -> Iterator[pa.RecordBatch]:
        """The rows with ``after < _load_id <= upto`` as Arrow batches of at most about ``chunk_rows`` rows, in
        the lake's ``schema``."""
        read = schema.remove(schema.get_field_index(LOADED_AT_COLUMN))  # the rest come from the table itself
        sql = str(
            _extract_query(table, after, upto).compile(
                dialect=self.conn.dialect,
                schema_translate_map={None: self.schema()},
                render_schema_translate=True,
                compile_kwargs={"literal_binds": True},
            )
        )
        load_ids, load_times = self._load_times(after, upto)
        for batch in self.batches(sql, read, chunk_rows):
            columns = [self.as_lake_type(batch.column(i), field.type) for i, field in enumerate(read)]
            loaded_at = pc.take(load_times, pc.index_in(columns[-1], value_set=load_ids))
            if loaded_at.null_count:
                raise ValueError(f"{table.name} rows name OLTP loads missing from load_log (loads {after + 1}-{upto})")
            yield pa.RecordBatch.from_arrays([*columns, loaded_at], schema=schema)

    def _load_times(self, after: int, upto: int) -> tuple[pa.Array, pa.Array]:
        """The load ids in the range and when each ran: ``_loaded_at`` is looked up once per load, not per row."""
        found = self.conn.execute(
            sa.select(load_log.c.load_id, load_log.c.loaded_at).where(
                load_log.c.load_id > after, load_log.c.load_id <= upto
            )
        ).all()
        return pa.array([i for i, _ in found], pa.int64()), pa.array([t for _, t in found], pa.timestamp("us"))


def _extract_query(table: Table, after: int, upto: int) -> sa.Select:
    """The rows with ``after < _load_id <= upto``: the contract's columns and ``_load_id``.

    In load order, then key order: the order of the ``_load_id`` index, so neither database sorts the rows.
    """
    target = CONTRACT_TABLES[table.name]
    return (
        sa.select(*(target.c[c.name] for c in table.columns), target.c[LOAD_ID_COLUMN])
        .where(target.c[LOAD_ID_COLUMN] > after, target.c[LOAD_ID_COLUMN] <= upto)
        .order_by(target.c[LOAD_ID_COLUMN], target.c[table.pk.name])
    )
