"""The temporary table a load stages its validated rows in, and the set-based steps on it, written once.

``Stage`` is dialect-neutral: it finds repeated keys and missing parents and upserts by primary key with
SQLAlchemy statements every database runs. What differs per database (how rows reach the stage, how it is
indexed, whether the database's own constraints can find bad rows first, the table's write lock) is in one
subclass per database: ``postgres.PostgresStage`` and ``sqlite.SqliteStage``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, ClassVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from chinook_platform.lib.contract import LOAD_ID_COLUMN, TABLES_BY_CSV_NAME, TABLES_BY_NAME, Column, Table
from chinook_platform.lib.landing import SOURCE_ROW
from chinook_platform.lib.oltp.schema import CONTRACT_TABLES, sql_type

# From this many staged rows on, the table's foreign keys (where the database can drop them) and, for a batch at
# least as large as the table, its secondary indexes are rebuilt once instead of maintained row by row.
BULK_ROWS = 50_000
DISCARD_CHUNK_ROWS = 10_000  # source rows named per delete statement
ORPHAN_CHUNK_ROWS = 10_000  # orphaned rows streamed per fetch

Quarantined = tuple[dict[str, Any], str | None, str]  # staged row, column at fault, reason
OrphanCheck = tuple[Column, Table, sa.ColumnElement[bool]]  # column, parent table, "this row's parent is missing"


@lru_cache(maxsize=64)
def stage_table(table_name: str, csv_names: tuple[str, ...]) -> sa.Table:
    """The temporary staging table for a table and the columns a file has: one object per shape, so that
    SQLAlchemy's compiled-statement cache serves every later file of that shape (daily files are many)."""
    table = TABLES_BY_NAME[table_name]
    return sa.Table(
        f"stage_{table_name}",
        sa.MetaData(),
        sa.Column(SOURCE_ROW, sa.BigInteger()),
        *[sa.Column(table.column(name).name, sql_type(table.column(name))) for name in csv_names],
        prefixes=["TEMPORARY"],
    )


class Stage:
    """A temporary table holding one load's validated rows until they are upserted."""

    TEMPORARY_SCHEMA: ClassVar[str]  # where the database keeps a connection's temporary tables

    def __init__(self, conn: sa.Connection, table: Table, columns: list[Column]):
        self.conn = conn
        self.table = table
        self.columns = columns
        self.target = CONTRACT_TABLES[table.name]
        self.stage = stage_table(table.name, tuple(c.csv_name for c in columns))
        # One statement, not SQLAlchemy's has-table check first: a day's files are many (a failed load's stage may
        # remain on this connection; the temporary schema named, so that no table of the user's is ever matched).
        conn.exec_driver_sql(f'drop table if exists {self.TEMPORARY_SCHEMA}."{self.stage.name}"')
        self.stage.create(conn)
        self.key = self.stage.c[table.pk.name]
        self.keys_unique: bool | None = None  # known once indexed, where indexing proves it

    # --- what each database does its own way ---------------------------------------------------------------

    @classmethod
    def lock_table(cls, conn: sa.Connection, table: Table) -> None:
        """Take the database's own lock on writing one table's loads, until the transaction ends."""
        raise NotImplementedError

    @classmethod
    def tune_for_bulk_load(cls, conn: sa.Connection) -> None:
        """Settings for this transaction only that suit a load (none by default)."""

    def write(self, good: pa.Table) -> None:
        """Append validated rows (``SOURCE_ROW`` and the stage's columns)."""
        raise NotImplementedError

    def end_copy(self, error: BaseException | None = None) -> None:
        """Finish (or, on an error, abort) a write still streaming, so the connection takes other statements."""

    def index(self) -> None:
        """Prepare the staged rows for the set-based steps."""
        raise NotImplementedError

    def droppable_foreign_keys(self) -> list[sa.ForeignKeyConstraint]:
        """The target's foreign keys a bulk upsert drops and re-adds (validated once, set-based)."""
        return sorted(
            (c for c in self.target.constraints if isinstance(c, sa.ForeignKeyConstraint)), key=lambda c: str(c.name)
        )

    def try_upsert(self, load_id: int) -> tuple[int, int, int] | None:
        """Upsert if the database's own foreign keys find no missing parent; None if they did (nothing written),
        or if the database cannot tell (then the orphans are found first)."""
        return None

    # --- the same on every database ------------------------------------------------------------------------

    def _index_statement(self) -> str:
        # Plain DDL: an sa.Index would attach itself to the shared staging Table object.
        return f'index "ix_{self.stage.name}_key" on "{self.stage.name}" ("{self.key.name}")'

    def discard(self, source_rows: Iterable[int]) -> None:
        ids = list(source_rows)
        for start in range(0, len(ids), DISCARD_CHUNK_ROWS):
            chunk = ids[start : start + DISCARD_CHUNK_ROWS]
            self.conn.execute(self.stage.delete().where(self.stage.c[SOURCE_ROW].in_(chunk)))

    def take_duplicates(self) -> list[Quarantined]:
        """Remove every repeat of a key after its first line; return the repeats."""
        if self.keys_unique:
            return []
        first = (
            sa.select(self.key.label("key"), sa.func.min(self.stage.c[SOURCE_ROW]).label("first_row"))
            .group_by(self.key)
            .having(sa.func.count() > 1)
            .subquery()
        )
        repeats = self.conn.execute(
            sa.select(self.stage, first.c.first_row).join(
                first, sa.and_(self.key == first.c.key, self.stage.c[SOURCE_ROW] > first.c.first_row)
            )
        ).all()
        pk = self.table.pk.csv_name
        taken: list[Quarantined] = [
            (
                {k: v for k, v in r._mapping.items() if k != "first_row"},
                pk,
                f"{pk}: duplicate key {r._mapping[self.table.pk.name]} in this file (first on line {r.first_row}; "
                "that row was kept)",
            )
            for r in repeats
        ]
        self.discard(row[SOURCE_ROW] for row, _, _ in taken)
        return taken

    def _orphan_checks(self) -> list[OrphanCheck]:
        """Per foreign key in the file: (column, parent table, "this row's parent is missing")."""
        checks = []
        for column in self.table.foreign_keys:
            if column.name not in self.stage.c or column.references is None:
                continue
            parent_table = TABLES_BY_CSV_NAME[column.references]
            parent = CONTRACT_TABLES[parent_table.name]
            value = self.stage.c[column.name]
            missing = sa.and_(value.is_not(None), ~sa.exists().where(parent.c[parent_table.pk.name] == value))
            checks.append((column, parent_table, missing))
        return checks

    def _orphan_rows(self, checks: list[OrphanCheck]) -> sa.CompoundSelect:
        """The ``_source_row`` of every row missing a parent: one anti-join per foreign key (an OR of
        NOT EXISTS would instead probe each parent row by row)."""
        return sa.union(*(sa.select(self.stage.c[SOURCE_ROW]).where(missing) for _, _, missing in checks))

    def take_orphans(self) -> Iterator[Quarantined]:
        """Yield the rows whose foreign key has no parent row, with the reason; then remove them.

        Streamed in chunks: a file whose parents have not arrived at all may be entirely orphaned.
        """
        checks = self._orphan_checks()
        if not checks:
            return
        orphan_rows = self._orphan_rows(checks)
        if not self.conn.execute(sa.select(sa.func.count()).select_from(orphan_rows.subquery())).scalar_one():
            return
        orphaned = self.stage.c[SOURCE_ROW].in_(orphan_rows)
        flags = [sa.case((missing, 1), else_=0).label(f"_missing_{c.name}") for c, _, missing in checks]
        rows = self.conn.execute(
            sa.select(self.stage, *flags).where(orphaned),
            execution_options={"stream_results": True, "yield_per": ORPHAN_CHUNK_ROWS},
        )
        for r in rows:
            row = dict(r._mapping)
            at_fault = [(c, p) for c, p, _ in checks if row.pop(f"_missing_{c.name}")]
            reason = "; ".join(
                f"{c.csv_name}: {p.csv_name} {row[c.name]} does not exist (yet): the row loads once it arrives"
                for c, p in at_fault
            )
            yield row, at_fault[0][0].csv_name, reason
        self.conn.execute(self.stage.delete().where(orphaned))

    def drop_orphans(self) -> None:
        """Remove the rows whose parent is still missing, without reading them (retries keep them waiting)."""
        checks = self._orphan_checks()
        if checks:
            self.conn.execute(self.stage.delete().where(self.stage.c[SOURCE_ROW].in_(self._orphan_rows(checks))))

    def take_superseded(self, load_id_by_row: dict[int, int]) -> list[int]:
        """(Retries) remove rows whose key a newer load has written since they were quarantined."""
        target_pk = self.target.c[self.table.pk.name]
        rows = self.conn.execute(
            sa.select(self.stage.c[SOURCE_ROW], self.target.c[LOAD_ID_COLUMN]).join(self.target, target_pk == self.key)
        ).all()
        superseded = [source for source, written_by in rows if written_by > load_id_by_row[source]]
        self.discard(superseded)
        return superseded

    def source_rows(self) -> list[int]:
        return list(self.conn.execute(sa.select(self.stage.c[SOURCE_ROW])).scalars())

    def upsert(self, load_id: int) -> tuple[int, int, int]:
        """Update changed rows and insert new ones; returns (inserted, updated, staged).

        For a large batch the table's secondary indexes (when the batch is at least as large as the table) and
        its droppable foreign keys are dropped and re-created around the writes, all inside this transaction:
        the database then builds and validates them in one set-based pass (PostgreSQL's and SQLite's advice for
        bulk loads), and no other session ever sees the table without them (it waits on the lock).
        """
        staged = self.conn.execute(sa.select(sa.func.count()).select_from(self.stage)).scalar_one()
        foreign_keys, indexes = self._rebuilt_after_writes(staged)
        for constraint in foreign_keys:
            self.conn.execute(DropConstraint(constraint, isolate_from_table=False))
        for index in indexes:
            self.conn.execute(DropIndex(index))
        inserted, updated = self._write_target(load_id)
        for index in indexes:
            self.conn.execute(CreateIndex(index))
        for constraint in foreign_keys:
            self.conn.execute(AddConstraint(constraint, isolate_from_table=False))
        return inserted, updated, staged

    def _rebuilt_after_writes(self, staged: int) -> tuple[list[sa.ForeignKeyConstraint], list[sa.Index]]:
        """The foreign keys and indexes an upsert of ``staged`` rows drops and re-creates."""
        if staged < BULK_ROWS:
            return [], []
        existing = self.conn.execute(sa.select(sa.func.count()).select_from(self.target)).scalar_one()
        # Rebuilding the indexes costs less than maintaining them row by row only for a batch this large.
        indexes = sorted(self.target.indexes, key=lambda i: str(i.name)) if staged >= existing else []
        return self.droppable_foreign_keys(), indexes

    def _write_target(self, load_id: int) -> tuple[int, int]:
        """Update the changed rows and insert the new ones; returns (inserted, updated)."""
        target_pk = self.target.c[self.table.pk.name]
        names = [c.name for c in self.columns]
        new_rows = sa.select(*(self.stage.c[n] for n in names), sa.literal(load_id, sa.Integer()))
        updated = 0
        if self.conn.execute(sa.select(target_pk).limit(1)).first() is not None:  # else every row is new
            values = [n for n in names if n != self.table.pk.name]
            changed = sa.or_(*(self.target.c[n].is_distinct_from(self.stage.c[n]) for n in values))
            updated = self.conn.execute(
                self.target.update()
                .where(target_pk == self.key, changed)
                .values({**{n: self.stage.c[n] for n in values}, LOAD_ID_COLUMN: load_id}),
                execution_options={"preserve_rowcount": True},
            ).rowcount
            new_rows = new_rows.where(~sa.exists().where(target_pk == self.key))
        inserted = self.conn.execute(
            self.target.insert().from_select([*names, LOAD_ID_COLUMN], new_rows),
            execution_options={"preserve_rowcount": True},
        ).rowcount
        return inserted, updated

    def drop(self) -> None:
        self.stage.drop(self.conn)
