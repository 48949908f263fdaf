"""``chinook env --from-terraform``: a recorded ``terraform output -json`` turned into the complete settings, and
the code location started from them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import hcl2
import pytest

from chinook_platform.lib.terraform_env import output_values, platform_settings, read_env_file, render_env_file

REPO = Path(__file__).resolve().parents[2]
RECORDED = REPO / "chinook_platform_tests" / "fixtures" / "terraform_output.json"
HCL_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
SECRET_ARNS = ("CHINOOK_OLTP_SECRET_ARN", "CHINOOK_WAREHOUSE_PG_SECRET_ARN", "CHINOOK_REDSHIFT_SECRET_ARN")
# Settings the code location reads that a deployment does not take from Terraform, and why.
NOT_FROM_TERRAFORM = {
    "CHINOOK_HOME": "local state folder; the cloud keeps no state on disk (the image sets DAGSTER_HOME)",
    "CHINOOK_WAREHOUSE_DUCKDB_PATH": "the embedded DuckDB warehouse only",
    "CHINOOK_WAREHOUSE_DUCKDB_MEMORY_LIMIT": "the embedded DuckDB warehouse only",
    "CHINOOK_WAREHOUSE_DUCKDB_THREADS": "the embedded DuckDB warehouse only",
    "CHINOOK_DBT_THREADS": "sized from the machine the code runs on (one per core)",
    "CHINOOK_S3_ENDPOINT_URL": "S3-compatible servers only; AWS uses the Region's endpoint",
    "CHINOOK_WAREHOUSE_PG_USER": "from the secret (CHINOOK_WAREHOUSE_PG_SECRET_ARN)",
    "CHINOOK_WAREHOUSE_PG_PASSWORD": "from the secret (CHINOOK_WAREHOUSE_PG_SECRET_ARN)",
    "CHINOOK_REDSHIFT_USER": "from the secret (CHINOOK_REDSHIFT_SECRET_ARN)",
    "CHINOOK_REDSHIFT_PASSWORD": "from the secret (CHINOOK_REDSHIFT_SECRET_ARN)",
    "CHINOOK_TEST_POSTGRES_URL": "the tests' server",
    "CHINOOK_DEBUG": "a person's switch for tracebacks on the command line",
    "CHINOOK_POOL_WAIT_SECONDS": "how long `chinook run` waits for a held pool; the default serves a deployment",
    "CHINOOK_LANDING_FOLLOW_OUTSIDE_LINKS": "a local landing folder only; the cloud lands in S3",
    "CHINOOK_LANDING_SETTLE_SECONDS": "a local landing folder only; S3 objects are complete once listed",
    "CHINOOK_ALERTS_WEBHOOK_URL": "local alerts; a deployment publishes to the SNS topic Terraform creates",
    "CHINOOK_LAKE_CATALOG_URL": "the lake's Iceberg catalog defaults to the OLTP's PostgreSQL (RDS in a deployment)",
    "CHINOOK_LAKE_SNAPSHOT_RETENTION_DAYS": "the lake's time-travel window; the default serves a deployment",
}


@pytest.fixture
def outputs() -> dict:
    return output_values(json.loads(RECORDED.read_text()))


def settings_the_code_location_reads() -> set[str]:
    """Every CHINOOK_* / AWS_REGION variable named in the package's source or dbt's profiles.yml."""
    sources = [*(REPO / "chinook_platform").rglob("*.py"), REPO / "sql" / "warehouse" / "profiles.yml"]
    names = set()
    for path in sources:
        if "lambdas" in path.parts:  # the Lambda's own settings are its function's environment
            continue
        names |= set(re.findall(r"['\"]((?:CHINOOK_[A-Z0-9_]+)|AWS_REGION)['\"]", path.read_text()))
    return names


def test_the_recorded_output_has_every_output_the_configuration_declares():
    declared = set()
    for path in (REPO / "terraform").glob("*.tf"):
        parsed = hcl2.loads(path.read_text(), serialization_options=HCL_OPTIONS)
        declared |= {name for block in parsed.get("output", []) for name in block}
    assert set(json.loads(RECORDED.read_text())) == declared


def test_every_setting_the_code_location_reads_is_produced(outputs: dict):
    read = settings_the_code_location_reads()
    produced = set(platform_settings(outputs))
    assert len(read) > 20
    assert read - produced - set(NOT_FROM_TERRAFORM) == set(), "settings neither produced nor explained"
    assert produced <= read, f"produced but never read: {produced - read}"
    assert not produced & set(NOT_FROM_TERRAFORM)


def test_settings_carry_secret_arns_never_a_password(outputs: dict):
    settings = platform_settings(outputs)
    assert {name for name in settings if "PASSWORD" in name} == set()
    for name in SECRET_ARNS:
        assert settings[name].startswith("arn:aws:secretsmanager:eu-west-1:")
    assert settings["CHINOOK_OLTP_URL"] == (
        "postgresql+psycopg://chinook-dev-oltp.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com:5432/chinook?sslmode=require"
    )
    assert settings["CHINOOK_WAREHOUSE_TARGET"] == "redshift"
    assert settings["CHINOOK_REDSHIFT_IAM_ROLE"] == outputs["redshift_copy_role_arn"]
    assert settings["CHINOOK_LAKE_URL"] == "s3://chinook-dev-lake-123456789012-eu-west-1/"


def test_without_redshift_the_warehouse_is_the_olap_postgres(outputs: dict):
    for name in (
        "redshift_workgroup_endpoint",
        "redshift_admin_secret_arn",
        "redshift_copy_role_arn",
        "redshift_database_name",
        "redshift_admin_username",
    ):
        outputs[name] = None
    settings = platform_settings(outputs)
    assert settings["CHINOOK_WAREHOUSE_TARGET"] == "postgres"
    assert not any(name.startswith("CHINOOK_REDSHIFT_") for name in settings)


def test_through_ssm_tunnels_the_databases_are_the_local_port_forwards(outputs: dict):
    settings = platform_settings(outputs, through_ssm_tunnels=True)
    assert settings["CHINOOK_OLTP_URL"].startswith("postgresql+psycopg://127.0.0.1:15432/chinook")
    assert (settings["CHINOOK_WAREHOUSE_PG_HOST"], settings["CHINOOK_WAREHOUSE_PG_PORT"]) == ("127.0.0.1", "15433")
    for role, commands in outputs["ssm_port_forward_commands"].items():
        assert f"localPortNumber={15432 if role == 'oltp' else 15433}" in commands


def test_an_unusable_output_is_refused(outputs: dict):
    outputs["landing_bucket_name"] = ""
    with pytest.raises(ValueError, match="landing_bucket_name is missing"):
        platform_settings(outputs)


def test_the_code_location_starts_from_the_written_env_file(outputs: dict, s3_endpoint: str, tmp_path: Path):
    # The secrets exist (on moto's Secrets Manager): the code location fetches them when it loads.
    client = boto3.client("secretsmanager", region_name="eu-west-1", endpoint_url=s3_endpoint)
    for output, user in (
        ("oltp_master_user_secret_arn", "chinook_admin"),
        ("olap_master_user_secret_arn", "chinook_admin"),
        ("redshift_admin_secret_arn", "admin"),
    ):
        name = outputs[output].split(":secret:", 1)[1]
        outputs[output] = client.create_secret(
            Name=name, SecretString=json.dumps({"username": user, "password": "from-secrets-manager"})
        )["ARN"]
    env_file = tmp_path / ".env"
    env_file.write_text(render_env_file(platform_settings(outputs)))
    assert "from-secrets-manager" not in env_file.read_text()

    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHINOOK_")}
    environment |= read_env_file(env_file.read_text()) | {
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": s3_endpoint,
        "DAGSTER_HOME": str(tmp_path),
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster")),
            "definitions",
            "validate",
            "-m",
            "chinook_platform.definitions",
        ],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "Validation successful" in done.stdout + done.stderr


def test_the_ecs_tasks_get_the_same_settings_as_the_env_file(outputs: dict):
    """The settings Terraform hands the ECS tasks (local.platform_settings) are the ones the .env gets."""
    main = hcl2.loads((REPO / "terraform" / "main.tf").read_text(), serialization_options=HCL_OPTIONS)
    locals_ = {k: v for block in main["locals"] for k, v in block.items()}
    in_terraform = set(re.findall(r"\b((?:CHINOOK|AWS)_[A-Z0-9_]+)\s*[=:]", json.dumps(locals_["platform_settings"])))
    in_terraform |= set(locals_["redshift_settings"])
    assert in_terraform == set(platform_settings(outputs))
