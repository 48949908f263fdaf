"""Failures alert, read from the plan of the root module (the `plan` fixture): one SNS topic hears every alarm
(ECS services, RDS storage and CPU, Lambda errors, the failed-events queue) and the monthly budget; the landing
Lambdas send the events they fail on to that queue; the Dagster tasks may publish run failures to the topic."""

from __future__ import annotations

from chinook_platform_tests.terraform.reachability import Plan


def alarms(plan: Plan, namespace: str, metric: str) -> list[dict]:
    return [
        a
        for a in plan.of_type("aws_cloudwatch_metric_alarm")
        if a["values"]["namespace"] == namespace and a["values"]["metric_name"] == metric
    ]


def dimension(found: list[dict], name: str) -> set[str]:
    return {a["values"]["dimensions"][name] for a in found}


def test_every_alarm_and_the_budget_notify_the_alerts_topic(plan: Plan) -> None:
    (topic,) = plan.of_type("aws_sns_topic")
    topic_address = topic["address"].split("[")[0]
    for alarm in plan.of_type("aws_cloudwatch_metric_alarm"):
        assert plan.named_by(alarm["address"], "alarm_actions", kind="aws_sns_topic") == {topic_address}
    (budget,) = plan.of_type("aws_budgets_budget")
    assert budget["values"]["limit_amount"] == str(plan.variable("monthly_budget_usd"))
    assert budget["values"]["time_unit"] == "MONTHLY"
    assert len(budget["values"]["notification"]) == 2
    assert plan.named_by(budget["address"], "notification", "subscriber_sns_topic_arns", kind="aws_sns_topic")


def test_the_ecs_services_rds_and_lambdas_have_alarms(plan: Plan) -> None:
    services = {s["values"]["name"] for s in plan.of_type("aws_ecs_service")}
    assert dimension(alarms(plan, "AWS/ECS", "CPUUtilization"), "ServiceName") == services
    databases = {d["values"]["identifier"] for d in plan.of_type("aws_db_instance")}
    assert dimension(alarms(plan, "AWS/RDS", "FreeStorageSpace"), "DBInstanceIdentifier") == databases
    assert dimension(alarms(plan, "AWS/RDS", "CPUUtilization"), "DBInstanceIdentifier") == databases
    functions = {f["values"]["function_name"] for f in plan.of_type("aws_lambda_function")}
    assert dimension(alarms(plan, "AWS/Lambda", "Errors"), "FunctionName") == functions
    for alarm in alarms(plan, "AWS/ECS", "CPUUtilization"):
        assert alarm["values"]["treat_missing_data"] == "breaching", "a service with no task sends no datapoint"


def test_the_landing_lambdas_keep_failed_events_in_a_queue_that_alarms(plan: Plan) -> None:
    (queue,) = plan.of_type("aws_sqs_queue")
    queue_address = queue["address"].split("[")[0]
    for function in plan.of_type("aws_lambda_function"):
        assert plan.named_by(function["address"], "dead_letter_config", "target_arn", kind="aws_sqs_queue") == {
            queue_address
        }
    (depth,) = alarms(plan, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert depth["values"]["threshold"] == 0 and depth["values"]["comparison_operator"] == "GreaterThanThreshold"


def test_the_dagster_tasks_may_publish_run_failures_to_the_topic(plan: Plan) -> None:
    call = plan.shown["configuration"]["root_module"]["module_calls"]["dagster_runner_iam"]
    assert "module.alerts.topic_arn" in call["expressions"]["alerts_topic_arn"]["references"]
    (document,) = [r for r in call["module"]["resources"] if r["address"] == "data.aws_iam_policy_document.this"]
    (publish,) = [s for s in document["expressions"]["statement"] if s["sid"]["constant_value"] == "PublishRunFailures"]
    assert publish["actions"]["constant_value"] == ["sns:Publish"]
    assert publish["resources"]["references"] == ["var.alerts_topic_arn"]
