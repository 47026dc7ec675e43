"""The report page (``python -m swifttune report PATH``): one self-contained HTML file, loaded
in a real headless browser (Debian's Chromium, driven over the DevTools protocol) without console
errors, every plot image decoded and the trial table whole; and written while the experiment is
still running, without disturbing it."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from swifttune import tune
from swifttune.tune.schedulers import ASHAScheduler

matplotlib = pytest.importorskip("matplotlib", reason="make test installs matplotlib")
matplotlib.use("Agg")
from swifttune.visualization.report import write_report  # noqa: E402

SAMPLES = 16


def objective(config):
    for step in range(8):
        tune.report({"mean_loss": (config["width"] - 7) ** 2 / (step + 1) + config["height"] * 0.1,
                     "note": "<script>alert(1)</script>"})


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    storage = tmp_path_factory.mktemp("report")
    tune.Tuner(objective, param_space={"width": tune.uniform(0, 20), "height": tune.uniform(-10, 10),
                                       "activation": tune.choice(["relu", "tanh"])},
               tune_config=tune.TuneConfig(metric="mean_loss", mode="min", num_samples=SAMPLES, executor="thread",
                                           scheduler=ASHAScheduler(max_t=8, grace_period=2)),
               run_config=tune.RunConfig(storage_path=str(storage), name="exp", verbose=0)).fit()
    return storage / "exp"


def _trial_rows(page: str) -> list[str]:
    table = page.split("<h2>Trials", 1)[1]
    return re.findall(r"<tr(?: class=\"best\")?><td>(trial_\d+)</td>", table)


def test_the_page_is_one_self_contained_file(experiment):
    page = write_report(experiment).read_text(encoding="utf-8")
    assert "<script" not in page.replace("&lt;script", "")  # nothing runs, nothing is fetched
    assert not re.search(r"(src|href)=\"(https?:|//)", page)
    assert _trial_rows(page) == [f"trial_{i:05d}" for i in range(SAMPLES)]
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 5
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    state = json.loads((experiment / "experiment_state.json").read_text())
    best = min(state["engine"]["trials"], key=lambda t: t["results"][-1]["mean_loss"])
    assert f"{best['id']}: mean_loss = " in page and '<tr class="best"><td>' + best["id"] in page
    assert "<td>scheduler</td><td>asha</td>" in page and "Still running" not in page


class DevTools:
    """A page of a headless Chromium, driven over the DevTools protocol (one websocket)."""

    def __init__(self, tmp: Path) -> None:
        import urllib.request

        import websocket  # websocket-client

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        assert chromium, "the report test needs Chromium: `make deps` installs Debian's chromium"
        self.proc = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                      "--remote-debugging-port=0", f"--user-data-dir={tmp / 'profile'}",
                                      "--window-size=1280,1000", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        deadline = time.monotonic() + 60
        while port is None:
            assert time.monotonic() < deadline and self.proc.poll() is None, "Chromium did not start"
            line = self.proc.stderr.readline()  # type: ignore[union-attr]
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            port = int(found.group(1)) if found else None
        # Chromium goes on logging to stderr: read it away, so that a full pipe never stops the browser.
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()  # type: ignore[union-attr]
        pages = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30).read())
        url = next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(url, timeout=60)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(json.loads(self.ws.recv()))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.kill()
            self.proc.wait()


def test_the_page_loads_in_chromium_without_errors_and_shows_the_table_and_plots(experiment, tmp_path):
    path = write_report(experiment)
    browser = DevTools(tmp_path)
    try:
        for domain in ("Page", "Runtime", "Log"):
            browser.call(f"{domain}.enable")
        browser.call("Page.navigate", url=path.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        found = browser.call("Runtime.evaluate", returnByValue=True, expression="""({
            images: Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight]),
            rows: document.querySelectorAll("h2 + div table tbody tr").length,
            headings: Array.from(document.querySelectorAll("h2")).map(h => h.textContent),
            bodyHeight: document.body.scrollHeight})""")["result"]["value"]
        shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": 1280, "height": found["bodyHeight"], "scale": 1})
    finally:
        browser.close()
    errors = [e for e in browser.events
              if (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
              or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
              or e.get("method") == "Runtime.exceptionThrown"]
    assert not errors, errors
    assert [alt for alt, *_ in found["images"]] == ["optimization history", "parallel coordinate",
                                                    "param importances", "slice", "intermediate values"]
    assert all(complete and width > 300 and height > 200 for _, complete, width, height in found["images"])
    assert found["rows"] == SAMPLES
    assert found["headings"] == ["Settings", "Best trial", "Plots", f"Trials ({SAMPLES})"]
    png = base64.b64decode(shot["data"])
    (tmp_path / "report.png").write_bytes(png)
    pixels = matplotlib.image.imread(str(tmp_path / "report.png"))
    assert pixels.shape[1] == 1280 and pixels.shape[0] == found["bodyHeight"] > 1500
    assert pixels[..., :3].std() > 0.05


RUNNING = '''
import sys, time
from swifttune import tune

def slow(config):
    for step in range(6):
        time.sleep(0.25)
        tune.report({"loss": config["x"] * (step + 1)})

tune.Tuner(slow, param_space={"x": tune.uniform(0, 1)},
           tune_config=tune.TuneConfig(metric="loss", mode="min", num_samples=8),
           run_config=tune.RunConfig(storage_path=sys.argv[1], name="live", verbose=0)).fit()
print("DONE", flush=True)
'''


def test_a_running_experiment_is_reported_without_disturbing_it(tmp_path):
    script = tmp_path / "live.py"
    script.write_text(RUNNING)
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep))
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env)
    folder = tmp_path / "live"
    pages = []
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if any(folder.glob("*/result.json")):
                report = subprocess.run([sys.executable, "-m", "swifttune", "report", str(folder), "--out",
                                         str(tmp_path / f"page{len(pages)}.html")], capture_output=True, text=True,
                                        env=env, timeout=120)
                assert report.returncode == 0, report.stderr
                pages.append((tmp_path / f"page{len(pages)}.html").read_text(encoding="utf-8"))
            time.sleep(0.2)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "DONE" in out
    assert any("Still running:" in page for page in pages), "no report was written while trials ran"
    final = write_report(folder).read_text(encoding="utf-8")
    assert "Still running" not in final and "8 TERMINATED" in final
    assert len(_trial_rows(final)) == 8
