"""What a built warehouse model holds, as Dagster shows it on the asset page: rows, columns with types, a preview."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import dagster as dg

from chinook_platform.lib.warehouse.staging import StagingWarehouse

PREVIEW_ROWS = 10


def describe_models(
    warehouse: StagingWarehouse, schema: str, models: list[str], descriptions: dict[str, dict[str, str]]
) -> dict[str, dict[str, Any]]:
    """Per model: ``dagster/row_count``, ``dagster/column_schema`` (names and types as the database has them,
    ``descriptions`` as dbt's YAML gives them, per model and column) and a ``preview`` table of the first rows
    by the first column; over one connection."""
    if not models:
        return {}
    names = ", ".join(f"'{m}'" for m in models)
    found, counted, *previews = warehouse.queries(
        [
            "select table_name, column_name, data_type from information_schema.columns "
            f"where table_schema = '{schema}' and table_name in ({names}) order by table_name, ordinal_position",
            " union all ".join(f"select '{m}', count(*) from {schema}.{m}" for m in models),
            *(f"select * from {schema}.{m} order by 1 limit {PREVIEW_ROWS}" for m in models),
        ]
    )
    columns: dict[str, list[tuple[str, str]]] = {m: [] for m in models}
    for table, column, kind in found:
        columns[table].append((column, kind))
    counts = dict(counted)
    described = {}
    for model, preview in zip(models, previews, strict=True):
        described[model] = {
            "dagster/row_count": int(counts[model]),
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(name, kind.lower(), description=descriptions.get(model, {}).get(name))
                    for name, kind in columns[model]
                ]
            ),
            "preview": dg.MetadataValue.table(
                records=[
                    dg.TableRecord({name: _plain(v) for (name, _), v in zip(columns[model], row, strict=True)})
                    for row in preview
                ],
                schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name, _ in columns[model]]),
            ),
        }
    return described


def _plain(value: Any) -> str | int | float | bool | None:
    """A value as a table record holds it: numbers and booleans as they are, everything else as text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)
