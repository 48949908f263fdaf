"""Failed runs alert: each is published to the SNS topic ``CHINOOK_ALERTS_TOPIC_ARN`` names (in AWS, the topic
Terraform's alarms and budget notify; `terraform/README.md` says what to do), or, without one, logged."""

from __future__ import annotations

import json
from typing import Any

import dagster as dg

from chinook_platform.lib.environment import settings

SUBJECT_LIMIT = 100  # SNS refuses longer subjects


def failure_message(context: dg.RunFailureSensorContext) -> dict[str, Any]:
    """What the alert says: the run, its job, why it failed, and where to look."""
    run = context.dagster_run
    return {
        "alert": "chinook_run_failed",
        "run_id": run.run_id,
        "job": run.job_name,
        "error": context.failure_event.message,
        "tags": dict(run.tags),
    }


def publish(topic_arn: str, message: dict[str, Any], region: str) -> str:
    """Publish the alert to the topic (boto3's endpoint; ``AWS_ENDPOINT_URL_SNS`` overrides); the message id."""
    import boto3

    client = boto3.client("sns", region_name=topic_arn.split(":")[3] or region)
    subject = f"Chinook run failed: {message['job']}"[:SUBJECT_LIMIT]
    return client.publish(TopicArn=topic_arn, Subject=subject, Message=json.dumps(message))["MessageId"]


@dg.run_failure_sensor(
    name="chinook_run_failure_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Publishes each failed run to the alerts SNS topic (CHINOOK_ALERTS_TOPIC_ARN), or logs it.",
)
def run_failure_alerts(context: dg.RunFailureSensorContext) -> None:
    current = settings()
    message = failure_message(context)
    if not current.alerts_topic_arn:
        context.log.error(f"run failed (no CHINOOK_ALERTS_TOPIC_ARN, so not published): {json.dumps(message)}")
        return
    message_id = publish(current.alerts_topic_arn, message, current.s3_region)
    context.log.info(f"run {message['run_id']} failed: published to {current.alerts_topic_arn} ({message_id})")


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[run_failure_alerts])
