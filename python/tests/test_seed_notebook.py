"""The seed tutorial as the notebook it is: its code cells (from the tutorial's text) become a
notebook, with only the import lines rewritten (``ray`` -> ``swifttune``, ``hyperopt`` ->
``swifttune.hyperopt``) and the scale brought down (samples, steps, sleeps); nbclient executes it
in a real Jupyter kernel. Each ``tuner.fit()`` cell shows Ray's "Tune Status" panel as HTML,
updated in place, ending with every trial in its table; both answers are printed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ray_scripts import rewrite_imports
from test_seed_tutorial import SEED, _tutorial_blocks

nbformat = pytest.importorskip("nbformat", reason="make test installs nbformat, nbclient and ipykernel")
nbclient = pytest.importorskip("nbclient", reason="make test installs nbformat, nbclient and ipykernel")

NUM_SAMPLES = 12
STEPS = 10
# Scale only: (the tutorial's text, what it becomes); each must be found.
SCALE = [("num_samples = 1000", f"num_samples = {NUM_SAMPLES}"),
         ('"steps": 100', f'"steps": {STEPS}'),
         ("time.sleep(0.1)", "time.sleep(0.002)")]


def _notebook() -> "nbformat.NotebookNode":
    cells = []
    for block in _tutorial_blocks(SEED.read_text(encoding="utf-8")):
        cells.append(rewrite_imports(block))
    source = "\n".join(cells)
    for old, new in SCALE:
        assert old in source, f"the tutorial no longer contains {old!r}"
        cells = [c.replace(old, new) for c in cells]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells],
                                    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})


def _ray_trial_headers() -> list[list[str]]:
    """The header of each "Trial Status" table the tutorial's page shows (Ray's output)."""
    text = SEED.read_text(encoding="utf-8")
    return [[cell.strip().replace("\\_", "_") for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| Trial name |")]


def _html_outputs(cell: "nbformat.NotebookNode") -> list[str]:
    return [o["data"]["text/html"] for o in cell.get("outputs", []) if "text/html" in o.get("data", {})]


def _text(cell: "nbformat.NotebookNode") -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _rows(table_html: str) -> list[list[str]]:
    body = table_html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


@pytest.mark.skipif(not SEED.is_file(), reason="seed tutorial text not available")
def test_the_seed_notebook_runs_in_a_kernel_with_rays_status_panel(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir(exist_ok=True)  # the test's HOME (conftest): IPython's settings go there
    nb = _notebook()
    assert not any("ray." in c.source.replace("ray.init", "") or "import ray\n" in c.source for c in nb.cells)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any cell's error

    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    fits = [c for c in nb.cells if "tuner.fit()" in c.source]
    assert len(fits) == 2
    for cell, ray_header in zip(fits, _ray_trial_headers()):
        panels = _html_outputs(cell)
        assert len(panels) == 1, f"one output area, updated in place: {cell.outputs}"
        panel = panels[0]
        for heading in ("Tune Status", "System Info", "Trial Status"):
            assert f"<h3>{heading}</h3>" in panel
        assert "Current time:" in panel and "Running for:" in panel and re.search(r"Memory:</td><td>[\d.]+/[\d.]+ GiB",
                                                                                    panel)
        assert "Using FIFO scheduling algorithm." in panel and "Logical resource usage:" in panel
        trial_table = panel.split("<h3>Trial Status</h3>", 1)[1]
        header = re.findall(r"<th>(.*?)</th>", trial_table.split("</thead>", 1)[0], flags=re.S)
        # Ray's columns, as the tutorial shows them (a header cut at 20 characters wraps; the page shows a space)
        assert [h.replace("\n", " ") for h in header] == ray_header
        rows = _rows(trial_table)
        assert len(rows) == NUM_SAMPLES and all(r[1] == "TERMINATED" for r in rows)
        assert all(r[header.index("iter")] == str(STEPS) for r in rows)
        assert not _text(cell).strip().startswith("== Status ==")  # the HTML panel, not the text report
    answers = [line for c in nb.cells for line in _text(c).splitlines()
               if line.startswith("Best hyperparameters found were: ")]
    assert len(answers) == 2
    assert "'activation': '" in answers[0] and "'activation': {'activation':" in answers[1]
