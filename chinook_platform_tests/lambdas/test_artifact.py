"""The landing loader's deployment zip: under Lambda's size limit, and holding everything the handler imports."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from chinook_platform.lambdas.artifact import LAMBDA_UNZIPPED_LIMIT, build


def test_the_lambda_zip_fits_and_its_handler_imports_from_it_alone(tmp_path: Path):
    # The deployed shape (arm64, Python 3.12) fits Lambda's limit...
    size = build(tmp_path / "arm64.zip")
    assert size < LAMBDA_UNZIPPED_LIMIT
    names = zipfile.ZipFile(tmp_path / "arm64.zip").namelist()
    assert "chinook_platform/lambdas/landing_loader.py" in names
    assert not any(n.startswith(("chinook_platform/defs/", "dagster")) for n in names)
    # ...and the same build for this machine imports the handler and its pyarrow, psycopg and SQLAlchemy with
    # nothing else on the path (no site-packages: -S).
    build(tmp_path / "host.zip", "x86_64-manylinux_2_28", f"{sys.version_info.major}.{sys.version_info.minor}")
    zipfile.ZipFile(tmp_path / "host.zip").extractall(tmp_path / "host")
    probe = (
        "import pyarrow.csv, pyarrow.compute, psycopg, sqlalchemy;"
        "from chinook_platform.lambdas.landing_loader import handler; print(pyarrow.__file__)"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe], env={"PYTHONPATH": str(tmp_path / "host")}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith(str(tmp_path / "host"))


def test_the_notifier_zip_holds_the_handler_and_is_byte_identical_across_builds(tmp_path: Path):
    from chinook_platform.lambdas.artifact import NOTIFIER_HANDLER, build_notifier

    build_notifier(tmp_path / "a.zip")
    build_notifier(tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    archive = zipfile.ZipFile(tmp_path / "a.zip")
    assert archive.namelist() == ["handler.py"]
    assert archive.read("handler.py") == NOTIFIER_HANDLER.read_bytes()
