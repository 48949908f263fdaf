"""The package as its users install it: every import declared, and the image's own install (editable, no extras,
from the same pins) loads the code location in an empty environment."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from chinook_platform.lib.environment import variables

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "chinook_platform"


def declared(extra: str | None = None) -> set[str]:
    """The distributions pyproject.toml declares (runtime, or one extra's), by their normalized names."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {normalized(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]) for requirement in requirements}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_level_modules() -> dict[str, Path]:
    """Each third-party module the package imports (anywhere: lazily inside functions too), with one file that does."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "chinook_platform":
                    found.setdefault(top, path.relative_to(REPO))
    return found


def test_every_module_the_package_imports_is_a_declared_runtime_dependency():
    runtime = declared()
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module: str(path)
        for module, path in imported_top_level_modules().items()
        if not runtime & {normalized(name) for name in distributions.get(module, [module])}
    }
    assert not undeclared, f"imported but not declared in pyproject.toml's dependencies: {undeclared}"


def test_no_test_extra_repeats_a_runtime_dependency():
    assert not declared() & declared("test")


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new, empty venv with the package installed the way the Dockerfile does it: `uv pip install -c
    constraints.txt -e .`, no extras."""
    venv = tmp_path_factory.mktemp("image") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
        + ["-c", str(REPO / "constraints.txt"), "-e", str(REPO)],
        check=True,
        timeout=600,
    )
    return venv


def image_environment(tmp_path: Path) -> dict[str, str]:
    """The machine's environment less every CHINOOK_* setting, with an empty HOME and CHINOOK_HOME as the image
    sets it."""
    environment = {key: value for key, value in os.environ.items() if key not in variables() and key != "DAGSTER_HOME"}
    (tmp_path / "home").mkdir()
    return environment | {"HOME": str(tmp_path / "home"), "CHINOOK_HOME": str(tmp_path / "chinook")}


def test_the_image_install_loads_the_code_location_and_the_command(image_venv: Path, tmp_path: Path):
    environment = image_environment(tmp_path)
    validate = subprocess.run(
        [str(image_venv / "bin" / "dagster"), "definitions", "validate", "-m", "chinook_platform"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "ModuleNotFoundError" not in validate.stderr
    helped = subprocess.run(
        [str(image_venv / "bin" / "chinook"), "--help"], env=environment, capture_output=True, text=True, timeout=120
    )
    assert helped.returncode == 0 and "Usage: chinook" in helped.stdout, helped.stderr
    assert not any((tmp_path / "home").iterdir()), "the platform wrote into HOME"


@pytest.mark.postgres
def test_the_image_entrypoint_creates_the_storage_database_and_serves_the_code_location(
    image_venv: Path, tmp_path: Path, postgres_url: str
):
    """The Dockerfile's ENTRYPOINT and CMD, from the image's install: Dagster's storage database created on the real
    PostgreSQL, then `dagster code-server start` serving the definitions (Dagster's gRPC health check answers)."""
    import signal
    import socket
    import time
    import uuid

    import sqlalchemy as sa

    url = sa.make_url(postgres_url)
    database = f"dagster_image_{uuid.uuid4().hex[:10]}"
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = image_environment(tmp_path) | {
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_PG_HOST": url.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_USER": url.username or "postgres",
        "DAGSTER_PG_PASSWORD": url.password or "",
        "DAGSTER_PG_DB": database,
        "PATH": f"{image_venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    python = str(image_venv / "bin" / "python")
    entrypoint = [python, "-m", "chinook_platform.lib.orchestration.storage"]
    command = ["dagster", "code-server", "start", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*entrypoint, *command, "--module-name", "chinook_platform"],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            check = subprocess.run(
                [str(image_venv / "bin" / "dagster"), "api", "grpc-health-check", "--port", str(port)],
                env=environment,
                capture_output=True,
                text=True,
            )
            if check.returncode == 0:
                break
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the code server did not answer within 300 s"
            time.sleep(2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
        engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            created = conn.execute(sa.text("select 1 from pg_database where datname = :d"), {"d": database}).first()
            conn.exec_driver_sql(f'drop database if exists "{database}" with (force)')
        engine.dispose()
    assert created, output
    assert "created Dagster's storage database" in output
    assert "ModuleNotFoundError" not in output and "DagsterUserCodeLoadError" not in output
