"""docs/lake.md's DuckDB one-liner reads the lake a run leaves, without the warehouse."""

from __future__ import annotations

import shlex
import subprocess
import sys

from chinook_platform.lib.contract import table
from chinook_platform.lib.lake import LakeStore
from chinook_platform.lib.oltp import create_oltp_engine
from chinook_platform_tests.conftest import REPO
from chinook_platform_tests.oltp.test_oltp_load import PARENTS, load

ONE_LINER = next(
    line for line in (REPO / "docs" / "lake.md").read_text().splitlines() if line.startswith(".venv/bin/python -c")
)


def test_the_docs_duckdb_one_liner_reads_the_newest_invoice_versions(tmp_path):
    home = tmp_path / ".chinook"
    engine = create_oltp_engine(f"sqlite:///{home / 'oltp.sqlite'}")
    lake = LakeStore(str(home / "lake"), f"sqlite:///{home / 'lake_catalog.sqlite'}")
    for name, content in PARENTS:
        load(engine, tmp_path / "landing", name, content)
    invoices = dict(PARENTS)["Invoice"]
    lake.extract(engine, table("Invoice"))
    load(engine, tmp_path / "landing", "Invoice", invoices.replace("1.98", "2.98"), version="v2")
    lake.extract(engine, table("Invoice"))  # a second version of the invoice: the query counts the newest
    engine.dispose()
    command = [sys.executable, *shlex.split(ONE_LINER)[1:]]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Germany" in done.stdout and "2.98" in done.stdout and "1.98" not in done.stdout
