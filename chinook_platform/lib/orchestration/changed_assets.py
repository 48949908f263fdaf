"""What a run has to rebuild: the assets whose inputs or code changed since their last materialization, and
everything downstream of them.

Each materialization records the data version of every input it read (``dagster/input_data_version/<key>``) and
the code version it ran (``dagster/code_version``); an asset is up to date while its inputs' current data versions
and its code version are the ones recorded. The OLTP, lake and staging assets move their data versions only when
their rows change, so a load that changed nothing leaves the layers below up to date. This is the comparison
behind Dagster's "stale" status, made from the public event records.

A materialization that a run planned and did not make (the run failed, or was interrupted or killed) leaves its
asset not up to date whatever its inputs say: the last materialization no longer describes what is in the table
(dbt may have dropped or half-built it), so it is rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dagster as dg

INPUT_VERSION_TAG = "dagster/input_data_version/"


def changed_assets(graph: Any, instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> list[dg.AssetKey]:
    """The ``keys`` to materialize now (``graph`` is the code location's asset graph): those never materialized,
    those whose code or inputs changed, and every one downstream of those."""
    keys = set(keys)
    nodes = {key: graph.get(key) for key in keys}
    parents = {key: set(node.parent_keys) for key, node in nodes.items()}
    latest = _latest_tags(instance, keys | set().union(*parents.values()))
    changed = unfinished(instance, keys)
    for key in keys:
        tags = latest.get(key)
        code_version = nodes[key].code_version
        if (
            tags is None
            or (code_version is not None and tags.get("dagster/code_version") != code_version)
            or any(
                parent in latest
                and latest[parent].get("dagster/data_version") != tags.get(INPUT_VERSION_TAG + parent.to_user_string())
                for parent in parents[key]
            )
        ):
            changed.add(key)
    if not changed:
        return []
    return sorted(dg.AssetSelection.assets(*changed).downstream().resolve(graph) & keys)


def unfinished(instance: dg.DagsterInstance, keys: set[dg.AssetKey]) -> set[dg.AssetKey]:
    """The keys whose newest planned materialization belongs to a run that ended without making it."""
    made = {
        r.asset_entry.asset_key: r.asset_entry.last_materialization_storage_id
        for r in instance.get_asset_records(list(keys))
    }
    planned = {}
    for key in keys:
        info = instance.get_latest_planned_materialization_info(key)
        if info is not None and info.storage_id > (made.get(key) or 0):
            planned[key] = info.run_id
    if not planned:
        return set()
    ended = {
        run.run_id
        for run in instance.get_runs(filters=dg.RunsFilter(run_ids=list(set(planned.values()))))
        if run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
    }
    return {key for key, run_id in planned.items() if run_id in ended}


def _latest_tags(instance: dg.DagsterInstance, keys: set[dg.AssetKey]) -> dict[dg.AssetKey, dict[str, str]]:
    """Each key's newest materialization's tags (runless ones included); keys never materialized are absent."""
    tags = {}
    for record in instance.get_asset_records(list(keys)):
        entry = record.asset_entry.last_materialization
        if entry is not None and entry.asset_materialization is not None:
            tags[record.asset_entry.asset_key] = dict(entry.asset_materialization.tags or {})
    return tags
