"""The Chinook Platform code location: every layer's definitions, loaded from the ``defs/`` folder.

Per layer, in one place: how fresh it must stay (freshness policies) and how it keeps itself up to date
(automation conditions: each layer materializes after its parents change, so a landed file flows through
to the marts without a big job).
"""

from datetime import timedelta
from pathlib import Path

import dagster as dg

# Chinook's data arrives daily: a layer is late after a day and stale after two.
LAYER_FRESHNESS: dict[str, dg.FreshnessPolicy] = {
    "landing": dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=25), fail_window=timedelta(hours=49)),
    "oltp": dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=25), fail_window=timedelta(hours=49)),
    "lake": dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=26), fail_window=timedelta(hours=50)),
    "staging": dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=26), fail_window=timedelta(hours=50)),
    "warehouse": dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=27), fail_window=timedelta(hours=51)),
    "marts": dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=27), fail_window=timedelta(hours=51)),
}

# Landing assets are driven by the landing sensor; every later layer follows its parents.
SELF_UPDATING_LAYERS = ("oltp", "lake", "staging", "warehouse", "marts")


def _with_layer_policies(spec: dg.AssetSpec) -> dg.AssetSpec:
    attributes: dict = {}
    if spec.group_name in LAYER_FRESHNESS:
        attributes["freshness_policy"] = LAYER_FRESHNESS[spec.group_name]
    if spec.group_name in SELF_UPDATING_LAYERS:
        attributes["automation_condition"] = dg.AutomationCondition.eager()
    return spec.replace_attributes(**attributes) if attributes else spec


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        # One step at a time in the run's own process: the embedded databases take one writer at a time,
        # and a subprocess per step would cost more than these steps do.
        dg.Definitions(executor=dg.in_process_executor),
    )
    return loaded.map_resolved_asset_specs(func=_with_layer_policies)
