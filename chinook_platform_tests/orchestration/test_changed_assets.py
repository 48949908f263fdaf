"""The assets a run has to rebuild, from the data and code versions Dagster records: a toy graph a → b → c."""

import dagster as dg

from chinook_platform.lib.orchestration.changed_assets import changed_assets

A, B, C = dg.AssetKey("a"), dg.AssetKey("b"), dg.AssetKey("c")


class Version(dg.Config):
    rows: str = "1"


class Fails(dg.Config):
    fail: bool = False


def graph(c_code_version: str) -> tuple[list[dg.AssetsDefinition], object]:
    @dg.asset
    def a(config: Version) -> dg.MaterializeResult:
        return dg.MaterializeResult(data_version=dg.DataVersion(config.rows))

    @dg.asset(deps=[a])
    def b(config: Fails) -> None:
        if config.fail:
            raise RuntimeError("b failed (or was interrupted) half way")

    @dg.asset(deps=[b], code_version=c_code_version)
    def c() -> None: ...

    assets = [a, b, c]
    return assets, dg.Definitions(assets=assets).resolve_asset_graph()


def test_only_what_a_change_reaches_is_rebuilt():
    instance = dg.DagsterInstance.ephemeral()
    assets, asset_graph = graph("1")
    downstream = [B, C]
    assert changed_assets(asset_graph, instance, downstream) == downstream  # never materialized

    assert dg.materialize(assets, instance=instance, run_config={"ops": {"a": {"config": {"rows": "1"}}}}).success
    assert changed_assets(asset_graph, instance, downstream) == []

    # a ran again and its rows did not change: nothing below it is stale.
    assert dg.materialize(
        assets, instance=instance, selection=[A], run_config={"ops": {"a": {"config": {"rows": "1"}}}}
    ).success
    assert changed_assets(asset_graph, instance, downstream) == []

    # a's rows changed: b and everything downstream of it.
    assert dg.materialize(
        assets, instance=instance, selection=[A], run_config={"ops": {"a": {"config": {"rows": "2"}}}}
    ).success
    assert changed_assets(asset_graph, instance, downstream) == [B, C]
    assert dg.materialize(assets, instance=instance, selection=downstream).success
    assert changed_assets(asset_graph, instance, downstream) == []

    # c's code changed: c alone.
    _, changed_code = graph("2")
    assert changed_assets(changed_code, instance, downstream) == [C]


def test_what_a_failed_or_interrupted_run_did_not_finish_is_rebuilt():
    instance = dg.DagsterInstance.ephemeral()
    assets, asset_graph = graph("1")
    downstream = [B, C]
    assert dg.materialize(assets, instance=instance).success
    assert changed_assets(asset_graph, instance, downstream) == []

    # b's build failed (a Ctrl-C during dbt ends the same way): b and c were planned and not made.
    failed = dg.materialize(
        assets,
        instance=instance,
        selection=downstream,
        raise_on_error=False,
        run_config={"ops": {"b": {"config": {"fail": True}}}},
    )
    assert not failed.success
    assert changed_assets(asset_graph, instance, downstream) == [B, C]

    assert dg.materialize(assets, instance=instance, selection=downstream).success
    assert changed_assets(asset_graph, instance, downstream) == []
