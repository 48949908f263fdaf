"""The Dagster webserver serves the whole graph from workspace.yaml and runs what its GraphQL API launches."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinook_platform.lib.contract import TABLES
from chinook_platform_tests.conftest import REPO
from chinook_platform_tests.oltp.test_oltp_load import ARTISTS

DAGSTER_YAML = """\
telemetry:
  enabled: false
run_coordinator:  # launch at once: no daemon runs in this test
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("chinook_home")
    (home / "dagster").mkdir()
    (home / "dagster" / "dagster.yaml").write_text(DAGSTER_YAML)
    (home / "landing").mkdir()
    (home / "landing" / "Artist.csv").write_text(ARTISTS)
    port = free_port()
    env = {**os.environ, "CHINOOK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    log = (home / "webserver.log").open("w")
    process = subprocess.Popen(
        [
            Path(sys.executable).with_name("dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/server_info", timeout=2)
            break
        except OSError:
            assert process.poll() is None, (home / "webserver.log").read_text()
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the webserver did not start within 120 s:\n" + (home / "webserver.log").read_text())
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_the_graph_has_every_layer_of_every_table(webserver):
    data = graphql(webserver, "{ assetNodes { assetKey { path } groupName } }")
    keys = {tuple(node["assetKey"]["path"]) for node in data["assetNodes"]}
    for layer in ("landing", "oltp", "lake", "staging"):
        assert {(layer, t.name) for t in TABLES} <= keys
    assert ("warehouse", "fct_invoice_line") in keys and ("warehouse", "mart_single_customer_view") in keys


def test_a_materialization_launched_through_the_api_succeeds(webserver):
    launched = graphql(
        webserver,
        """
        mutation Launch($params: ExecutionParams!) {
          launchRun(executionParams: $params) {
            __typename
            ... on LaunchRunSuccess { run { runId } }
            ... on PythonError { message }
          }
        }""",
        {
            "params": {
                "selector": {
                    "repositoryLocationName": "chinook_platform",
                    "repositoryName": "__repository__",
                    "jobName": "__ASSET_JOB",
                    "assetSelection": [{"path": ["landing", "artist"]}, {"path": ["oltp", "artist"]}],
                },
                "mode": "default",
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline, status = time.monotonic() + 180, None
    while time.monotonic() < deadline:
        status = graphql(
            webserver, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id}
        )["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(1)
    assert status == "SUCCESS"
    materialized = graphql(
        webserver,
        """
        { assetOrError(assetKey: {path: ["oltp", "artist"]}) {
            ... on Asset { assetMaterializations(limit: 1) { metadataEntries { label
                ... on IntMetadataEntry { intValue } } } } } }""",
    )
    entries = materialized["assetOrError"]["assetMaterializations"][0]["metadataEntries"]
    assert {e["label"]: e.get("intValue") for e in entries}["dagster/row_count"] == 3
