"""Open a page in headless Chromium and report what happened, over the DevTools protocol (a websocket).

Every request the page makes is recorded (Network events) and none can leave the machine: Chromium is told to
send anything that is not a local file through a proxy on a closed loopback port. Console errors, uncaught
exceptions and Chromium's own error log entries are collected; the page's charts are counted once its
``<body data-charts-drawn>`` is set (see ``dashboard.py``); a full-page screenshot is taken.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    # Nothing but the page's own file may load: other requests go to a proxy nobody listens on.
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")

# Per chart section: whether its SVG has a size, and how many marks Vega drew in it.
CHART_MARKS_JS = """JSON.stringify(Object.fromEntries([...document.querySelectorAll("section.chart")].map((s) => {
  const svg = s.querySelector(".vis svg");
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const marks = svg && box.width > 0 && box.height > 0 ? svg.querySelectorAll(".role-mark > *").length : 0;
  return [s.id.replace(/^chart-/, ""), marks];
})))"""
STATE_JS = "JSON.stringify(document.body ? {...document.body.dataset} : {})"


@dataclass
class PageReport:
    """What the page did: its requests, errors, charts drawn (marks per chart) and a screenshot."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    charts_drawn: int = 0
    charts_failed: str | None = None
    chart_marks: dict[str, int] = field(default_factory=dict)
    seconds_to_draw: float | None = None
    screenshot: bytes = b""

    @property
    def remote_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]


class _DevTools:
    """A minimal DevTools protocol client: commands by id, events collected as they arrive."""

    def __init__(self, url: str):
        from websockets.sync.client import connect

        self.socket = connect(url, max_size=None, open_timeout=10)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return json.loads(result["result"]["value"])

    def close(self) -> None:
        self.socket.close()


def _wait_for_port(profile: Path, process: subprocess.Popen, timeout: float) -> str:
    """The browser's websocket address, from the DevToolsActivePort file Chromium writes on start."""
    deadline = time.monotonic() + timeout
    marker = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if marker.exists() and len(lines := marker.read_text().split()) >= 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode} before it listened")
        time.sleep(0.05)
    raise TimeoutError(f"chromium did not start within {timeout} s")


def _record(report: PageReport, event: dict[str, Any]) -> None:
    params = event.get("params", {})
    match event.get("method"):
        case "Network.requestWillBeSent":
            report.requests.append(params["request"]["url"])
        case "Runtime.consoleAPICalled" if params.get("type") in ("error", "assert"):
            report.errors.append(
                "console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            )
        case "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            report.errors.append("exception: " + details.get("exception", {}).get("description", details["text"]))
        case "Log.entryAdded" if params["entry"]["level"] == "error":
            report.errors.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}".strip())


def open_in_chromium(page: Path, chromium: str | None = None, width: int = 1440, timeout: float = 60) -> PageReport:
    """Load ``page`` from ``file://`` in a fresh headless Chromium and report on it (see module docstring)."""
    executable = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install -y chromium)")
    report = PageReport()
    with tempfile.TemporaryDirectory(prefix="chinook-chromium-") as profile:
        process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            # Chromium also writes crash-report and dconf folders under HOME and XDG's: all go to the profile.
            env={**os.environ, "HOME": profile, "XDG_CONFIG_HOME": profile, "XDG_CACHE_HOME": profile},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            devtools = _DevTools(_wait_for_port(Path(profile), process, timeout))
            try:
                _load(devtools, page, width, timeout, report)
            finally:
                devtools.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return report


def _load(devtools: _DevTools, page: Path, width: int, timeout: float, report: PageReport) -> None:
    target = devtools.send("Target.createTarget", url="about:blank")["targetId"]
    devtools.session = devtools.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Network", "Runtime", "Log", "Page"):
        devtools.send(f"{domain}.enable")
    devtools.send("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
    started = time.monotonic()
    devtools.send("Page.navigate", url=page.resolve().as_uri())
    state: dict[str, str] = {}
    while not ({"chartsDrawn", "chartsFailed"} & set(state)) and time.monotonic() - started < timeout:
        time.sleep(0.02)
        state = devtools.evaluate(STATE_JS)
    if "chartsDrawn" in state:
        report.seconds_to_draw = time.monotonic() - started
        report.charts_drawn = int(state["chartsDrawn"])
    report.charts_failed = state.get("chartsFailed")
    report.chart_marks = devtools.evaluate(CHART_MARKS_JS)
    height = devtools.send("Page.getLayoutMetrics")["cssContentSize"]["height"]
    shot = devtools.send(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    )
    report.screenshot = base64.b64decode(shot["data"])
    for event in devtools.events:
        _record(report, event)
