"""The run-failure sensor publishes a failed run to the SNS topic (moto's server over HTTP), or logs it."""

from __future__ import annotations

import json

import boto3
import dagster as dg
import pytest

from chinook_platform.defs.orchestration.failure_alerts import run_failure_alerts
from chinook_platform_tests.conftest import NO_TELEMETRY


@dg.op
def breaks() -> None:
    raise RuntimeError("the warehouse is unreachable")


@dg.job
def nightly_load() -> None:
    breaks()


def failure_context(instance: dg.DagsterInstance) -> dg.RunFailureSensorContext:
    result = nightly_load.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name=run_failure_alerts.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()


def test_a_failed_run_is_published_to_the_alerts_topic(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", s3_endpoint)
    sns = boto3.client("sns", endpoint_url=s3_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=s3_endpoint, region_name="us-east-1")
    topic = sns.create_topic(Name="chinook-test-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="chinook-test-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv("CHINOOK_ALERTS_TOPIC_ARN", topic)

    with dg.instance_for_test(overrides=NO_TELEMETRY) as instance:
        run_failure_alerts(failure_context(instance))
        (received,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=2)["Messages"]
    alert = json.loads(received["Body"])
    assert alert["alert"] == "chinook_run_failed" and alert["job"] == "nightly_load"
    assert "breaks" in alert["error"]


def test_without_a_topic_the_failed_run_is_logged(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CHINOOK_ALERTS_TOPIC_ARN", raising=False)
    with dg.instance_for_test(overrides=NO_TELEMETRY) as instance:
        context = failure_context(instance)
        capfd.readouterr()
        run_failure_alerts(context)
    logged = capfd.readouterr().err
    assert "not published" in logged and '"job": "nightly_load"' in logged


def test_a_failed_run_is_posted_to_the_alerts_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real HTTP server on loopback receives the alert as JSON."""
    import http.server
    import threading

    received: list[dict] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.delenv("CHINOOK_ALERTS_TOPIC_ARN", raising=False)
    monkeypatch.setenv("CHINOOK_ALERTS_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/alerts")
    try:
        with dg.instance_for_test(overrides=NO_TELEMETRY) as instance:
            run_failure_alerts(failure_context(instance))
    finally:
        server.shutdown()
    (alert,) = received
    assert alert["alert"] == "chinook_run_failed" and alert["job"] == "nightly_load" and "breaks" in alert["error"]
