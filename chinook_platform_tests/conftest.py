"""Fixtures shared by every test: real PostgreSQL, OLTP engines on both backends, the sample data."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


def _an_empty_home_for_the_session() -> tuple[Path, Path]:
    """The tests run as a user whose HOME is an empty folder (set before anything is imported, so every process the
    tests start inherits it); pip's and uv's own configuration and caches stay reachable through their variables.
    The session ends by finding that folder still empty of the platform's files."""
    real = Path(os.environ.get("HOME") or Path.home())
    for variable, path in {
        "UV_CACHE_DIR": real / ".cache" / "uv",
        "PIP_CACHE_DIR": real / ".cache" / "pip",
        "PIP_CONFIG_FILE": real / ".config" / "pip" / "pip.conf",
    }.items():
        if path.exists():
            os.environ.setdefault(variable, str(path))
    # Terraform's checkpoint (a version check against HashiCorp's server, unreachable here) writes ~/.terraform.d.
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    empty = Path(tempfile.mkdtemp(prefix="chinook-test-user-home-"))
    os.environ["HOME"] = str(empty)
    return real, empty


REAL_HOME, USER_HOME = _an_empty_home_for_the_session()

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from chinook_platform.lib.oltp import create_oltp_engine  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "data"
POSTGRES_URL = os.environ.get("CHINOOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


# Dagster's test instances report telemetry unless told not to, writing ~/.dagster/.telemetry/user_id.yaml.
NO_TELEMETRY = {"telemetry": {"enabled": False}}

# Left in HOME by the machine's own tools, not by the platform: this machine's `python3 -m venv` (pyenv's shim)
# writes ~/.rustup/settings.toml.
TOOLCHAIN_LEFTOVERS = {".rustup"}


def written_under(home: Path) -> list[str]:
    """Files (and empty folders) under a folder, the machine's toolchain leftovers excepted."""
    found = []
    for path in sorted(home.rglob("*")):
        relative = path.relative_to(home)
        empty_folder = path.is_dir() and not any(path.iterdir())
        if relative.parts[0] in TOOLCHAIN_LEFTOVERS:
            continue
        if path.is_file() or path.is_symlink() or empty_folder:
            found.append(str(relative))
    return found


@pytest.fixture(autouse=True)
def nothing_is_written_in_the_users_home() -> Iterator[None]:
    """Every test (the platform's commands, runs, dbt, Dagster's CLI and daemon, Chromium, Terraform) leaves the
    user's HOME as it found it: empty. Checked after each test, so the test that wrote is the one that fails; what
    it wrote is then removed, so the next test is checked on its own."""
    yield
    leftovers = written_under(USER_HOME)
    for child in USER_HOME.iterdir() if leftovers else ():
        if child.name in TOOLCHAIN_LEFTOVERS:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    assert not leftovers, f"written under HOME ({USER_HOME}) by this test: {leftovers[:20]}"


# The full lane only (`make test` runs everything; `make test-fast` leaves these out): tests that need a whole
# pipeline run, the webserver or the daemon, a fresh install, or a Terraform plan.
FULL_LANE_MODULES = {
    "test_bad_data",
    "test_chinook_command",
    "test_cloud_shape",
    "test_cli",
    "test_concurrent_runners",
    "test_dashboard_browser",
    "test_dev_server",
    "test_interrupted_run",
    "test_live_mode",
    "test_make_dev_signals",
    "test_packaging",
    "test_plan",
    "test_plan_alerts",
    "test_pool_wait",
    "test_server_lost",
    "test_walkthrough",
    "test_webserver",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in FULL_LANE_MODULES:
            item.add_marker(pytest.mark.full_lane)


def server_missing(what: str, how: str) -> None:
    """Skip a test whose server is absent, saying how to start it; under CI that is a failure."""
    message = f"{what} is not reachable. {how}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: tests never skip for a missing server)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def landed_files_are_settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file a test writes is complete at once: in-process tests do not wait out the landing zone's settle time
    (the tests of that time set their own)."""
    monkeypatch.setenv("CHINOOK_LANDING_SETTLE_SECONDS", "0")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError as error:
        server_missing(
            f"PostgreSQL at {POSTGRES_URL} ({error.orig})",
            "Start it (on these machines: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) "
            "or point CHINOOK_TEST_POSTGRES_URL at one.",
        )
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A throwaway schema on the real server, dropped afterwards."""
    schema = f"chinook_test_{uuid.uuid4().hex[:10]}"
    yield schema
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def oltp_url_and_schema(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """(url, schema) of an empty OLTP database: a SQLite file, or a fresh schema on real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'oltp.sqlite'}", None
    return request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_schema")


@pytest.fixture
def oltp_engine(oltp_url_and_schema: tuple[str, str | None]) -> Iterator[sa.Engine]:
    url, schema = oltp_url_and_schema
    engine = create_oltp_engine(url, schema=schema)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server (moto's) on loopback, spoken to over HTTP like AWS."""
    from moto.server import ThreadedMotoServer

    saved = {
        k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A new empty bucket on the S3 server."""
    import boto3

    name = f"chinook-test-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name
