"""The warehouse's staging schema as DDL: each contract table's columns in each engine's types, the ledger of
loaded batches, and Redshift's load of a Parquet batch straight from the lake."""

from __future__ import annotations

from chinook_platform.lib.contract import LOAD_ID_COLUMN, Table, sql_type_name
from chinook_platform.lib.lake import LOADED_AT_COLUMN

BATCH_ID_COLUMN = "_batch_id"
LEDGER = "_batches"
# What every staging table holds after the contract's columns, the same in every engine: the load metadata.
METADATA_COLUMNS = ((LOAD_ID_COLUMN, "bigint"), (LOADED_AT_COLUMN, "timestamp"), (BATCH_ID_COLUMN, "varchar(200)"))


# Redshift's table layout for staging (its "choose the best distribution style / sort key" advice): the two
# largest tables distributed on the key they are joined on (lines to invoices) or versioned by (tracks), so the
# join and the window that picks each key's latest version run on each slice without redistribution; the rest
# left to Redshift (AUTO: ALL while small, then EVEN). Every table sorted by _load_id: loads append in its order
# (nothing to vacuum-sort), and the incremental models' watermark filters (_load_id > ...) skip blocks by it.
REDSHIFT_DISTRIBUTION_KEYS = {"invoice": "invoice_id", "invoice_line": "invoice_id", "track": "track_id"}


def redshift_layout(table: Table) -> str:
    """A Redshift staging table's distribution style and sort key, as CREATE TABLE ends."""
    key = REDSHIFT_DISTRIBUTION_KEYS.get(table.name)
    distribution = f"diststyle key distkey ({key})" if key else "diststyle auto"
    return f"{distribution} compound sortkey ({LOAD_ID_COLUMN})"


def staging_columns(table: Table, engine: str) -> list[tuple[str, str]]:
    return [*((c.name, sql_type_name(c, engine)) for c in table.columns), *METADATA_COLUMNS]  # the contract's types


def create_statements(table: Table, engine: str, schema: str) -> list[str]:
    """DDL for the staging schema, a table and the ledger (idempotent)."""
    columns = ",\n    ".join(f"{name} {kind}" for name, kind in staging_columns(table, engine))
    return [
        f"create schema if not exists {schema}",
        f"create table if not exists {schema}.{table.name} (\n    {columns}\n)"
        + (f"\n{redshift_layout(table)}" if engine == "redshift" else ""),
        f"create table if not exists {schema}.{LEDGER} (\n    table_name varchar(40) not null,\n"
        f"    batch_id varchar(200) not null,\n    row_count bigint not null,\n    loaded_at timestamp not null,\n"
        f"    primary key (table_name, batch_id)\n)",
    ]


def redshift_load_statements(table: Table, schema: str, uri: str, iam_role: str, batch_id: str, rows: int) -> list[str]:
    """What loading one lake batch into Redshift issues: COPY its Parquet file (or the files its manifest lists) from
    S3, then append it."""
    parquet_columns = ", ".join(f"{n} {t}" for n, t in staging_columns(table, "redshift")[:-1])
    quoted_batch = batch_id.replace("'", "''")
    return [
        f"create temporary table incoming_{table.name} ({parquet_columns})",
        f"copy incoming_{table.name} from '{uri}' iam_role '{iam_role}' format as parquet"
        + (" manifest" if uri.endswith(".manifest") else ""),  # several data files, listed in a COPY manifest
        f"insert into {schema}.{table.name} select *, '{quoted_batch}' from incoming_{table.name}",
        f"insert into {schema}.{LEDGER} values ('{table.name}', '{quoted_batch}', {rows}, getdate())",
        f"drop table incoming_{table.name}",
    ]
