"""Failed runs alert: each is published to the SNS topic ``CHINOOK_ALERTS_TOPIC_ARN`` names (in AWS, the topic
Terraform's alarms and budget notify; `terraform/README.md` says what to do), posted as JSON to
``CHINOOK_ALERTS_WEBHOOK_URL`` (locally: a chat's incoming webhook, any HTTP endpoint), or, without either, logged."""

from __future__ import annotations

import json
import urllib.request
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


def post(url: str, message: dict[str, Any], timeout: float = 10) -> int:
    """POST the alert as JSON to a webhook; its HTTP status (an error status raises)."""
    request = urllib.request.Request(
        url, data=json.dumps(message).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status


@dg.run_failure_sensor(
    name="chinook_run_failure_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Publishes each failed run to the alerts SNS topic (CHINOOK_ALERTS_TOPIC_ARN), posts it to a webhook "
    "(CHINOOK_ALERTS_WEBHOOK_URL), or logs it.",
)
def run_failure_alerts(context: dg.RunFailureSensorContext) -> None:
    current = settings()
    message = failure_message(context)
    if not (current.alerts_topic_arn or current.alerts_webhook_url):
        context.log.error(
            f"run failed (no CHINOOK_ALERTS_TOPIC_ARN or CHINOOK_ALERTS_WEBHOOK_URL, so not published): "
            f"{json.dumps(message)}"
        )
        return
    if current.alerts_topic_arn:
        message_id = publish(current.alerts_topic_arn, message, current.s3_region)
        context.log.info(f"run {message['run_id']} failed: published to {current.alerts_topic_arn} ({message_id})")
    if current.alerts_webhook_url:
        status = post(current.alerts_webhook_url, message)
        context.log.info(f"run {message['run_id']} failed: posted to the alerts webhook (HTTP {status})")


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[run_failure_alerts])
