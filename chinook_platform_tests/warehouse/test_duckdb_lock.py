"""A writer waits out another process's brief hold on the DuckDB file (a summary, a query, a DuckDB shell) and
fails with a clear error only when the hold outlasts the wait."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from chinook_platform.lib.warehouse import DuckDBStaging, WarehouseLockedError, connect_duckdb
from chinook_platform.lib.warehouse import staging as warehouse_staging

HOLD = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); print('held', flush=True); "
    "sys.stdin.readline(); time.sleep(float(sys.argv[2])); c.close(); print('released', flush=True); "
    "sys.stdin.read()"
)


def _holder(path: Path, release_after: float) -> subprocess.Popen:
    """A process holding a read-only connection (a reader's lock) until told to let go ``release_after`` s later."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(release_after)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select 1 as x")
    return path


def test_a_writer_waits_for_a_reader_to_let_go(warehouse: Path):
    holder = _holder(warehouse, release_after=1.0)
    try:
        with pytest.raises(duckdb.IOException, match="lock"):  # the hold is real: a plain connect fails at once
            duckdb.connect(str(warehouse))
        holder.stdin.write("go\n")
        holder.stdin.flush()
        with connect_duckdb(str(warehouse)) as con:  # waits, then writes
            con.execute("insert into t values (2)")
            assert con.execute("select count(*) from t").fetchone() == (2,)
        assert holder.stdout.readline().strip() == "released"
    finally:
        holder.communicate("")


def test_a_hold_longer_than_the_wait_names_the_file(warehouse: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(warehouse_staging, "LOCK_WAIT_SECONDS", 0.5)
    holder = _holder(warehouse, release_after=0)  # never told to let go
    try:
        with pytest.raises(WarehouseLockedError) as locked:
            DuckDBStaging(str(warehouse)).wait_until_writable()
        assert str(warehouse) in str(locked.value) and "another process" in str(locked.value)
    finally:
        holder.communicate("")
