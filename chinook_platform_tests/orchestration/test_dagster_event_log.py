"""The local instance's event log (PooledSqliteEventLogStorage): Dagster's SQLite event log with its engines kept."""

import dagster as dg
import yaml
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from chinook_platform.lib.orchestration import PooledSqliteEventLogStorage, dagster_yaml
from chinook_platform.lib.orchestration import event_log as dagster_event_log


@dg.asset(check_specs=[dg.AssetCheckSpec("has_rows", asset="numbers")])
def numbers() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={"dagster/row_count": 3}, check_results=[dg.AssetCheckResult(check_name="has_rows", passed=True)]
    )


def instance_of(home) -> dg.DagsterInstance:
    (home / "dagster.yaml").write_text(dagster_yaml(home))
    return dg.DagsterInstance.from_config(str(home))


def test_the_generated_instance_writes_what_dagsters_own_storage_reads(tmp_path):
    home = tmp_path / "dagster home: with #odd characters"
    home.mkdir()
    config = yaml.safe_load(dagster_yaml(home))
    assert config["event_log_storage"]["config"]["base_dir"] == str(home / "history" / "runs")

    with instance_of(home) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        runs = [dg.materialize([numbers], instance=instance) for _ in range(3)]
        assert all(run.success for run in runs)

    # Dagster's own storage class on the same folder (what an instance without our dagster.yaml reads).
    storage = SqliteEventLogStorage(str(home / "history" / "runs"))
    event = storage.get_latest_materialization_events([dg.AssetKey("numbers")])[dg.AssetKey("numbers")]
    assert event.run_id == runs[-1].run_id
    assert event.asset_materialization.metadata["dagster/row_count"].value == 3
    assert dg.DagsterEventType.RUN_SUCCESS in {e.dagster_event_type for e in storage.get_logs_for_run(runs[0].run_id)}
    checks = storage.get_asset_check_execution_history(dg.AssetCheckKey(dg.AssetKey("numbers"), "has_rows"), 10)
    assert [c.run_id for c in checks] == [r.run_id for r in reversed(runs)]


def test_engines_are_kept_for_the_index_and_the_last_few_runs_only(tmp_path, monkeypatch):
    monkeypatch.setattr(dagster_event_log, "RUN_SHARDS_KEPT", 2)
    with instance_of(tmp_path) as instance:
        run_ids = [dg.materialize([numbers], instance=instance).run_id for _ in range(5)]
        storage = instance.event_log_storage
        assert set(storage._engines) == {"index", *run_ids[-2:]}

        # An evicted run's shard reopens on demand: every run's events are still there.
        assert all(instance.get_records_for_run(run_id).records for run_id in run_ids)

        storage.wipe()  # engines disposed of before the run shards' files go
        assert storage._engines.keys() <= {"index"}
        assert not instance.get_records_for_run(run_ids[0]).records
        assert dg.materialize([numbers], instance=instance).success
