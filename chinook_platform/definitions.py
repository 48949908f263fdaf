"""The Chinook Platform code location: every layer's definitions, loaded from the ``defs/`` folder.

Per layer, in one place: how fresh it must stay (freshness policies) and how it keeps itself up to date
(automation conditions: each layer materializes after its parents change, so a landed file flows through
to the marts without a big job).
"""

import warnings
from datetime import timedelta
from pathlib import Path

import dagster as dg

# The Beta/Preview notices of the Dagster APIs used below (source code references, map_resolved_asset_specs,
# AssetSelection's include_sources) are the library's own noise, printed on every load: not the user's to act on.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

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

# The OLTP layer: eager, except that only a request of its own disarms a parent's update. The landing sensor's
# runs may load a child table before its parent (queued runs start in any order); its rows then wait in quarantine
# and load when the table runs again. Under eager(), the child's own sensor run landing in the same tick as the
# parent's would count as having handled the parent's update, and the rows would wait for the next file.
OLTP_AUTOMATION = (
    dg.AutomationCondition.eager()
    .replace("handled", dg.AutomationCondition.newly_requested() | dg.AutomationCondition.initial_evaluation())
    .with_label("eager; a parent's update is handled only by a request")
)
OWNERS = ["team:chinook-platform"]


def _with_layer_policies(spec: dg.AssetSpec) -> dg.AssetSpec:
    attributes: dict = {"owners": [*spec.owners, *(o for o in OWNERS if o not in spec.owners)]}
    if spec.group_name in LAYER_FRESHNESS:
        attributes["freshness_policy"] = LAYER_FRESHNESS[spec.group_name]
    if spec.group_name == "oltp":
        attributes["automation_condition"] = OLTP_AUTOMATION
    elif spec.group_name in SELF_UPDATING_LAYERS:
        attributes["automation_condition"] = dg.AutomationCondition.eager()
    return spec.replace_attributes(**attributes)


def _with_code_references(loaded: dg.Definitions) -> dg.Definitions:
    """Every asset linked to the source that defines it (the UI's "code" link)."""
    return dg.Definitions.merge(
        dg.Definitions(assets=dg.with_source_code_references(list(loaded.assets or []))),
        dg.Definitions(asset_checks=loaded.asset_checks, jobs=loaded.jobs, schedules=loaded.schedules,
                       sensors=loaded.sensors, resources=loaded.resources, executor=loaded.executor,
                       loggers=loaded.loggers, metadata=loaded.metadata),
    )


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        # One step at a time in the run's own process: the embedded databases take one writer at a time,
        # and a subprocess per step would cost more than these steps do.
        dg.Definitions(executor=dg.in_process_executor),
    )
    return _with_code_references(loaded).map_resolved_asset_specs(func=_with_layer_policies)
