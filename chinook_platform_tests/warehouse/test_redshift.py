"""The Redshift path as far as it runs without a cluster: the staging resource's engine and driver, and every
dbt model compiled for the Redshift target (first build and incremental run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot

from chinook_platform.defs.resources import WarehouseResource
from chinook_platform.lib.contract import table
from chinook_platform.lib.environment import warehouse_settings
from chinook_platform.lib.warehouse import RedshiftStaging
from chinook_platform.lib.warehouse.ddl import create_statements

MODELS = Path("compiled") / "chinook_warehouse" / "models"


def redshift_warehouse(host: str, port: str) -> WarehouseResource:
    redshift = {
        "target": "redshift",
        "redshift_host": host,
        "redshift_port": port,
        "redshift_user": "postgres",
        "redshift_password": "not-a-secret",
        "redshift_dbname": "test",
        "redshift_iam_role": "arn:aws:iam::123456789012:role/chinook-redshift-copy",
    }
    # The settings' defaults, then Redshift's own.
    defaults = warehouse_settings().model_dump()
    return WarehouseResource(**{field: str(value) for field, value in defaults.items()} | redshift)


def test_the_redshift_staging_resource_builds_an_engine_on_the_redshift_dialect():
    staging = redshift_warehouse("chinook.123456789012.eu-west-1.redshift-serverless.amazonaws.com", "5439").staging()
    assert isinstance(staging, RedshiftStaging)
    assert (staging.sql.dialect.name, staging.sql.dialect.driver) == ("redshift", "redshift_connector")
    assert staging.sql.url.port == 5439 and staging.iam_role.endswith(":role/chinook-redshift-copy")


@pytest.mark.postgres
def test_the_redshift_driver_speaks_to_a_real_server(postgres_url: str):
    """redshift_connector reaches PostgreSQL (Redshift's wire protocol) and is refused only for the Redshift-only
    startup parameter: the dialect, the driver and the connection path all run; only a cluster can answer."""
    url = sa.make_url(postgres_url)
    staging = redshift_warehouse(url.host, str(url.port)).staging()
    engine = sa.create_engine(staging.sql.url, connect_args={"ssl": False})  # the test server has no TLS
    with pytest.raises(sa.exc.ProgrammingError, match="client_protocol_version"), engine.connect():
        pass


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[str]]]:
    """dbt's target folder and the model names of each shape (``first_build``, ``incremental``) compiled."""
    shapes = {}
    for shape, flags in (("first_build", []), ("incremental", ["--incremental"])):
        target = tmp_path_factory.mktemp(shape)
        done = subprocess.run(
            [sys.executable, "-m", "chinook_platform.lib.warehouse.redshift_compile", str(target), *flags],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        shapes[shape] = (target, done.stdout.split())
    return shapes


@pytest.fixture(scope="module")
def compiled(targets: dict[str, tuple[Path, list[str]]]) -> dict[str, dict[str, str]]:
    """Compiled SQL of every model, by shape (``first_build``, ``incremental``) and model name."""
    shapes = {}
    for shape, (target, names) in targets.items():
        shapes[shape] = {p.stem: p.read_text() for p in (target / MODELS).rglob("*.sql") if p.stem in names}
        assert sorted(shapes[shape]) == sorted(names)
    return shapes


def test_every_model_compiles_for_redshift_in_both_shapes(compiled: dict[str, dict[str, str]]):
    first, incremental = compiled["first_build"], compiled["incremental"]
    assert len(first) >= 18 and set(first) == set(incremental)
    for shape, models in compiled.items():
        for name, sql in models.items():
            assert "{{" not in sql and "{%" not in sql, f"{shape}/{name}: Jinja left in the SQL"
            sqlglot.parse_one(sql, read="redshift")  # raises on SQL that is not even well formed
            # Relations are the Redshift target's: database.schema.table, quoted.
            assert '"test".' not in sql and ('"dev"."analytics".' in sql or '"dev"."staging".' in sql), name


def test_incremental_models_compile_their_incremental_branch_for_redshift(compiled: dict[str, dict[str, str]]):
    first, incremental = compiled["first_build"], compiled["incremental"]
    for name in ("dim_track", "fct_invoice", "fct_invoice_line"):
        this = f'"dev"."analytics"."{name}"'
        assert this not in first[name], f"{name}: a first build reads nothing of itself"
        assert f"from {this}" in incremental[name], f"{name}: the incremental run reads its own watermark"
    unchanged = {n for n in first if first[n] == incremental[n]}
    assert {n for n in first if n.startswith("stg_")} <= unchanged


def test_facts_and_dimensions_have_redshift_distribution_and_sort_keys(targets: dict[str, tuple[Path, list[str]]]):
    """The facts distributed on the key of their largest join (lines to tracks), sorted by invoice date; the small
    dimensions copied to every node; dbt-redshift turns these configs into DISTKEY / SORTKEY."""
    manifest = json.loads((targets["first_build"][0] / "manifest.json").read_text())
    layout = {
        node["name"]: (node["config"].get("dist"), node["config"].get("sort"))
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    assert {name: layout[name] for name in ("fct_invoice_line", "fct_invoice", "dim_track")} == {
        "fct_invoice_line": ("track_id", "invoice_date"),
        "fct_invoice": ("invoice_id", "invoice_date"),
        "dim_track": ("track_id", "track_id"),
    }
    assert layout["dim_customer"][0] == layout["dim_date"][0] == "all"


def test_redshift_staging_tables_are_distributed_on_their_join_keys_and_sorted_by_load_id():
    keys = {"InvoiceLine": "invoice_id", "Invoice": "invoice_id", "Track": "track_id"}
    for name in ("InvoiceLine", "Invoice", "Track", "Artist"):
        ddl = create_statements(table(name), "redshift", "staging")[1]
        sqlglot.parse_one(ddl, read="redshift")  # raises on DDL Redshift's grammar does not accept
        distribution = f"diststyle key distkey ({keys[name]})" if name in keys else "diststyle auto"
        assert ddl.endswith(f")\n{distribution} compound sortkey (_load_id)"), ddl
    for engine in ("postgres", "duckdb"):  # Redshift's layout only
        assert "sortkey" not in " ".join(create_statements(table("InvoiceLine"), engine, "staging")).lower()
