"""The network paths the platform needs, read from the plan of the root module (the `plan` fixture: against moto,
the default shape and every option on): each is open, and nothing is open to the internet inbound."""

from __future__ import annotations

from chinook_platform_tests.terraform.reachability import Plan

AWS_SERVICES = ["secretsmanager", "ecr.api", "ecr.dkr", "logs"]


def groups(plan: Plan, type_: str, *attribute: str) -> set[str]:
    found = set().union(*(plan.groups_of(r["address"], *attribute) for r in plan.of_type(type_)))
    assert found, f"no security group found for {type_}"
    return found


def the_group(plan: Plan, type_: str, *attribute: str) -> str:
    (group,) = groups(plan, type_, *attribute)
    return group


def dagster_on(plan: Plan) -> bool:
    return bool(plan.of_type("aws_ecs_service"))


def test_the_plan_covers_each_shape(plan: Plan) -> None:
    optional = {"aws_ecs_service", "aws_redshiftserverless_workgroup", "aws_quicksight_data_source", "aws_nat_gateway"}
    planned = {r["type"] for r in plan.resources}
    assert {"aws_vpc", "aws_db_instance", "aws_instance", "aws_lambda_function", "aws_s3_bucket"} <= planned
    # The default shape is the cheap one: none of the paid options; the all-options shape has every one.
    assert planned & optional == (optional if plan.variable("enable_dagster") else set())


def test_nothing_is_open_to_the_internet_inbound(plan: Plan) -> None:
    assert plan.world_ingress() == []


def test_the_operator_reaches_the_webserver_through_the_bastion(plan: Plan) -> None:
    bastion = the_group(plan, "aws_instance", "vpc_security_group_ids")
    assert plan.egress_to_world(bastion, 443), "the SSM agent on the bastion needs HTTPS out"
    if not dagster_on(plan):
        return
    for task in groups(plan, "aws_ecs_service", "network_configuration", "security_groups"):
        assert plan.allows(bastion, task, 3000), "the SSM port forward bastion -> webserver:3000 is blocked"


def test_dagster_tasks_reach_the_databases_they_use(plan: Plan) -> None:
    if not dagster_on(plan):
        return  # Dagster on ECS is off in this shape (test_the_plan_covers_each_shape); the all-options one has it
    database = the_group(plan, "aws_db_instance", "vpc_security_group_ids")
    for task in groups(plan, "aws_ecs_service", "network_configuration", "security_groups"):
        assert plan.allows(task, database, 5432)
        if plan.variable("enable_redshift"):
            redshift = the_group(plan, "aws_redshiftserverless_workgroup", "security_group_ids")
            assert plan.allows(task, redshift, 5439), "ECS tasks -> Redshift:5439 is blocked"


def test_dagster_tasks_reach_s3_and_the_aws_apis_they_call(plan: Plan) -> None:
    if not dagster_on(plan):
        return
    for service in plan.of_type("aws_ecs_service"):
        (task,) = plan.groups_of(service["address"], "network_configuration", "security_groups")
        public_ip = service["values"]["network_configuration"][0]["assign_public_ip"]
        internet = public_ip or plan.of_type("aws_nat_gateway")
        for name in AWS_SERVICES:
            assert (internet and plan.egress_to_world(task, 443)) or plan.endpoint_admits(name, task), name
        assert plan.egress_to_world(task, 443) or plan.s3_gateway_egress(task), "S3"


def test_the_landing_loader_lambda_reaches_the_oltp_database(plan: Plan) -> None:
    if plan.variable("landing_loader") != "lambda":
        assert not plan.of_type("aws_s3_object"), "the loader's zip is uploaded only when the loader is on"
        return
    database = the_group(plan, "aws_db_instance", "vpc_security_group_ids")
    function = the_group(plan, "aws_lambda_function", "vpc_config", "security_group_ids")
    assert plan.allows(function, database, 5432)


def test_quicksight_reads_the_warehouse_dbt_builds_into(plan: Plan) -> None:
    if not plan.variable("enable_quicksight"):
        assert not plan.of_type("aws_quicksight_data_source")
        return
    quicksight = the_group(plan, "aws_quicksight_vpc_connection", "security_group_ids")
    (source,) = plan.of_type("aws_quicksight_data_source")
    parameters = source["values"]["parameters"][0]
    if plan.variable("enable_redshift"):
        redshift = the_group(plan, "aws_redshiftserverless_workgroup", "security_group_ids")
        assert parameters.get("redshift"), f"QuickSight reads {[k for k, v in parameters.items() if v]}, not Redshift"
        assert plan.allows(quicksight, redshift, 5439)
    else:
        assert parameters.get("postgresql")
        assert plan.allows(quicksight, the_group(plan, "aws_db_instance", "vpc_security_group_ids"), 5432)


def test_the_reachability_check_can_fail() -> None:
    """Two groups with no rule between them are reported closed."""
    vpc = {"type": "aws_vpc", "mode": "managed", "address": "aws_vpc.v", "values": {"cidr_block": "10.0.0.0/16"}}
    shown = {"planned_values": {"root_module": {"resources": [vpc]}}, "configuration": {"root_module": {}}}
    assert not Plan(shown).allows("aws_security_group.a", "aws_security_group.b", 3000)
