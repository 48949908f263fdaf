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
    "analysis": dg.FreshnessPolicy.time_window(warn_window=timedelta(hours=27), fail_window=timedelta(hours=51)),
}

# Landing assets are driven by the landing sensor; every later layer follows its parents (LAYER_AUTOMATION).
# "analysis" holds the dbt KPI models and the charts and dashboard over them.
DBT_LAYERS = ("warehouse", "marts", "analysis")

# A parent counts as changed when its data version moved (OLTP, lake and staging versions move only when their
# rows do), not whenever it ran, unless the run that changed it also built this asset.
PARENT_DATA_CHANGED = dg.AutomationCondition.any_deps_match(
    dg.AutomationCondition.data_version_changed() & ~dg.AutomationCondition.executed_with_root_target()
).with_label("any_deps_data_changed")


def _changed_or_requested(requested_from: dg.AssetSelection) -> dg.AutomationCondition:
    """eager()'s "a parent updated", on data versions; a parent requested in the same tick (one of
    ``requested_from``) joins the same run, so a change flows down in one run instead of one per layer."""
    requested = dg.AutomationCondition.any_deps_match(dg.AutomationCondition.will_be_requested()).allow(requested_from)
    return (PARENT_DATA_CHANGED | requested).with_label("any_deps_data_changed_or_requested")


def _eager_on(parents_changed: dg.AutomationCondition) -> dg.AutomationCondition:
    """eager(), with parents judged by ``parents_changed`` and a change handled only by a request made after it.

    eager() counts the asset's own update as handling its parents' changes; a run that started before a parent
    changed, and read the old data, would then disarm the change. Here only a request disarms it, and a request
    in the same tick as a further change does not: a tie costs one more run, never a missed change.
    """
    handled = (
        dg.AutomationCondition.newly_requested() & ~parents_changed | dg.AutomationCondition.initial_evaluation()
    ).with_label("handled by a request after the change")
    return (
        dg.AutomationCondition.eager()
        .replace("any_deps_updated", parents_changed)
        .replace("handled", handled)
        .with_label("eager on data versions")  # type: ignore[union-attr]  # replace() is typed as Self | T
    )


LAYER_AUTOMATION: dict[str, dg.AutomationCondition] = {
    # The OLTP layer: a child table's files may load before its parent's (across runs); its rows then wait in
    # quarantine and load when the table runs again after the parent's rows changed.
    "oltp": _eager_on(PARENT_DATA_CHANGED),
    # The lake follows the OLTP tables whose rows changed. Staging and the dbt models a change reaches join it in
    # the same run (one run per change: lake, staging, dbt), and nothing starts when no OLTP version moved.
    "lake": _eager_on(PARENT_DATA_CHANGED),
    "staging": _eager_on(_changed_or_requested(dg.AssetSelection.groups("lake"))),
    **{
        layer: _eager_on(_changed_or_requested(dg.AssetSelection.groups("staging", *DBT_LAYERS)))
        for layer in DBT_LAYERS
    },
}
OWNERS = ["team:chinook-platform"]


def _with_layer_policies(spec: dg.AssetSpec) -> dg.AssetSpec:
    attributes: dict = {"owners": [*spec.owners, *(o for o in OWNERS if o not in spec.owners)]}
    if spec.group_name in LAYER_FRESHNESS:
        attributes["freshness_policy"] = LAYER_FRESHNESS[spec.group_name]
    if spec.group_name in LAYER_AUTOMATION:
        attributes["automation_condition"] = LAYER_AUTOMATION[spec.group_name]
    return spec.replace_attributes(**attributes)


def _with_code_references(loaded: dg.Definitions) -> dg.Definitions:
    """Every asset linked to the source that defines it (the UI's "code" link)."""
    return dg.Definitions.merge(
        dg.Definitions(assets=dg.with_source_code_references(list(loaded.assets or []))),
        dg.Definitions(
            asset_checks=loaded.asset_checks,
            jobs=loaded.jobs,
            schedules=loaded.schedules,
            sensors=loaded.sensors,
            resources=loaded.resources,
            executor=loaded.executor,
            loggers=loaded.loggers,
            metadata=loaded.metadata,
        ),
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
