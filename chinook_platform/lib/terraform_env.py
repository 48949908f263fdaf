"""The platform's settings for a deployment, from ``terraform output -json`` (``chinook env --from-terraform``).

Every setting the code location reads in the cloud is produced: the landing and lake buckets, the OLTP
database, the warehouse (the OLAP PostgreSQL instance, or Redshift Serverless when enabled) and the Region.
Credentials are never written: each database's user and password come from its Secrets Manager secret,
named by ARN and fetched when the code location starts (``lib/secrets.py``).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STAGING_SCHEMA = "staging"
ANALYTICS_SCHEMA = "analytics"
# Local ends of the SSM port forwards (`terraform output ssm_port_forward_commands`), for a laptop runner.
TUNNEL_PORTS = {"oltp": 15432, "olap": 15433}


def terraform_outputs(directory: str | Path = "terraform") -> dict[str, Any]:
    """``terraform output -json`` of an applied configuration, as ``{name: value}``."""
    done = subprocess.run(
        ["terraform", f"-chdir={directory}", "output", "-json"], capture_output=True, text=True, check=True
    )
    return output_values(json.loads(done.stdout))


def output_values(output_json: Mapping[str, Any]) -> dict[str, Any]:
    """``{name: value}`` from the ``{name: {"value": ..., "type": ..., "sensitive": ...}}`` Terraform prints."""
    return {name: entry["value"] for name, entry in output_json.items()}


def platform_settings(outputs: Mapping[str, Any], through_ssm_tunnels: bool = False) -> dict[str, str]:
    """Every setting of the code location for the deployment the outputs describe.

    Args:
        outputs: ``{name: value}`` of the root module's outputs (``output_values``).
        through_ssm_tunnels: the databases at the local ends of the SSM port forwards (127.0.0.1:15432 and
            :15433), for running the platform on a laptop; by default their VPC addresses (ECS, Lambda).
    """

    def output(name: str) -> Any:
        if outputs.get(name) in (None, ""):
            raise ValueError(f"terraform output {name} is missing or empty: was the configuration applied?")
        return outputs[name]

    def endpoint(role: str) -> tuple[str, int]:
        if through_ssm_tunnels:
            return "127.0.0.1", TUNNEL_PORTS[role]
        return output(f"{role}_address"), int(output(f"{role}_port"))

    oltp_host, oltp_port = endpoint("oltp")
    olap_host, olap_port = endpoint("olap")
    settings = {
        "AWS_REGION": output("aws_region"),
        "CHINOOK_LANDING_URL": f"s3://{output('landing_bucket_name')}/",
        "CHINOOK_LAKE_URL": f"s3://{output('lake_bucket_name')}/",
        # The dashboard is published beside the lake (the lake's tables never use the reports/ prefix).
        "CHINOOK_REPORTS_URL": f"s3://{output('lake_bucket_name')}/reports/",
        # The user and password are the secret's; RDS requires TLS (rds.force_ssl).
        "CHINOOK_OLTP_URL": f"postgresql+psycopg://{oltp_host}:{oltp_port}/{output('oltp_database_name')}"
        "?sslmode=require",
        "CHINOOK_OLTP_SECRET_ARN": output("oltp_master_user_secret_arn"),
        "CHINOOK_OLTP_SCHEMA": output("oltp_schema"),
        "CHINOOK_WAREHOUSE_TARGET": "redshift" if outputs.get("redshift_workgroup_endpoint") else "postgres",
        "CHINOOK_STAGING_SCHEMA": STAGING_SCHEMA,
        "CHINOOK_WAREHOUSE_SCHEMA": ANALYTICS_SCHEMA,
        "CHINOOK_WAREHOUSE_PG_HOST": olap_host,
        "CHINOOK_WAREHOUSE_PG_PORT": str(olap_port),
        "CHINOOK_WAREHOUSE_PG_DBNAME": output("olap_database_name"),
        "CHINOOK_WAREHOUSE_PG_SECRET_ARN": output("olap_master_user_secret_arn"),
        "CHINOOK_ALERTS_TOPIC_ARN": output("alerts_topic_arn"),
    }
    if redshift := outputs.get("redshift_workgroup_endpoint"):
        settings |= {
            "CHINOOK_REDSHIFT_HOST": redshift["address"],
            "CHINOOK_REDSHIFT_PORT": str(redshift["port"]),
            "CHINOOK_REDSHIFT_DBNAME": output("redshift_database_name"),
            "CHINOOK_REDSHIFT_SECRET_ARN": output("redshift_admin_secret_arn"),
            "CHINOOK_REDSHIFT_IAM_ROLE": output("redshift_copy_role_arn"),
        }
    for name, value in settings.items():
        if not value or re.search(r"[\s'\"$`\\]", value):
            raise ValueError(f"{name}: unusable value {value!r} from the Terraform outputs")
    return settings


def render_env_file(settings: Mapping[str, str], source: str = "terraform output -json") -> str:
    """The settings as a ``.env`` file (``set -a; . ./.env; set +a`` reads it, so does ``docker --env-file``)."""
    lines = [
        f"# Chinook Platform settings written by `chinook env --from-terraform` from {source}.",
        "# No password: each *_SECRET_ARN names the Secrets Manager secret the code location reads at start.",
        *(f"{name}={value}" for name, value in settings.items()),
    ]
    return "\n".join(lines) + "\n"


def read_env_file(text: str) -> dict[str, str]:
    """``NAME=value`` lines of a ``.env`` file written by ``render_env_file`` (comments and blanks skipped)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {name.strip(): value for name, value in pairs}


def env_from_terraform(directory: str | Path = "terraform", through_ssm_tunnels: bool = False) -> str:
    """The ``.env`` text for the deployment in ``directory`` (what ``chinook env --from-terraform`` prints)."""
    settings = platform_settings(terraform_outputs(directory), through_ssm_tunnels)
    return render_env_file(settings, f"terraform -chdir={directory} output -json")
