"""A plan of the root module against moto's server on loopback, as `terraform show -json` prints it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from chinook_platform.lambdas.artifact import build_notifier
from chinook_platform_tests.terraform.conftest import initialised, working_copy

# Every service the configuration calls, pointed at moto.
SERVICES = [
    "budgets", "cloudwatch", "ec2", "ecr", "ecs", "events", "iam", "kms", "lambda", "logs", "quicksight", "rds",
    "redshiftserverless", "s3", "secretsmanager", "servicediscovery", "sns", "sqs", "ssm", "sts",
]  # fmt: skip

SHAPES: dict[str, dict[str, Any]] = {
    "default": {},
    "all_options": {
        "enable_redshift": True,
        "redshift_base_capacity": 4,
        "enable_quicksight": True,
        "quicksight_owner_arn": "arn:aws:quicksight:us-east-1:123456789012:user/default/admin",
        "enable_dagster": True,
        "enable_nat_gateway": True,
        "landing_loader": "lambda",
        "bastion_ssh_allowed_cidr": "203.0.113.0/24",
    },
}


def moto_override(endpoint: str) -> str:
    """An override file: the aws provider talks to moto, and the state is local."""
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in SERVICES)
    return (
        'terraform {\n  backend "local" {}\n}\n\n'
        'provider "aws" {\n'
        '  access_key                  = "testing"\n'
        '  secret_key                  = "testing"\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  skip_requesting_account_id  = true\n"
        "  s3_use_path_style           = true\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )


def lambda_artifacts(directory: Path) -> Path:
    """The notifier's real zip, and a stand-in for the loader's (its build downloads 60 MB of wheels)."""
    directory.mkdir(parents=True, exist_ok=True)
    build_notifier(directory / "landing-notifier.zip")
    with zipfile.ZipFile(directory / "landing-loader.zip", "w") as archive:
        archive.writestr("chinook_platform/lambdas/landing_loader.py", "def handler(event, context): ...\n")
    return directory


def plan_root(workdir: Path, endpoint: str, variables: dict[str, Any]) -> dict[str, Any]:
    """`terraform plan` of a copy of the root module against moto, then `terraform show -json` of it."""
    root = working_copy(workdir / "terraform")
    (root / "moto_override.tf").write_text(moto_override(endpoint))
    tfvars = {"aws_region": "us-east-1", "lambda_artifacts_dir": str(lambda_artifacts(workdir / "zips")), **variables}
    (root / "shape.auto.tfvars.json").write_text(json.dumps(tfvars))
    command = initialised(root, backend=True)
    planned = command.plan(out="shape.tfplan", check=False, json=False, input=False)
    assert planned.retcode in (0, 2), planned.error or planned.value
    shown = command.show(path="shape.tfplan", check=False)
    assert shown.retcode == 0, shown.error
    return shown.value if isinstance(shown.value, dict) else json.loads(shown.value)
