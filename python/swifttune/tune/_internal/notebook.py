"""The notebook display: Ray's "Tune Status" panel (the status table, the system info, the
messages and the trial table) as HTML, shown in a Jupyter cell and updated in place through
IPython's display machinery; the HTML tables results render as in a notebook.

Nothing here imports IPython unless a notebook is running: ``in_notebook`` asks the running
shell, and ``NotebookDisplay`` imports ``IPython.display`` on its first update.
"""
from __future__ import annotations

import html
import math
import sys
from typing import Any, Optional, Sequence

__all__ = ["in_notebook", "memory_usage", "html_table", "status_panel", "NotebookDisplay", "STYLE"]


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (IPython's ``ZMQInteractiveShell``: Jupyter,
    JupyterLab, VS Code's notebooks, qtconsole), as Ray's ``ray.widgets.util.in_notebook``."""
    ipython = sys.modules.get("IPython")
    if ipython is None:  # a kernel has always imported IPython; a plain script never has to
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - an IPython that cannot answer is not a notebook
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


LOW_MEMORY = ("***LOW MEMORY*** less than 10% of the memory on this node is available for use. This can cause "
              "unexpected crashes. Consider reducing the memory used by your application.")
UNKNOWN_MEMORY = "Unknown memory usage. Please run `pip install psutil` to resolve"


def memory_usage() -> tuple[float, float, Optional[str]]:
    """(used GiB, total GiB, a message or None) of this machine, as Ray's status panel shows them:
    used is total minus available (Linux's ``MemAvailable``; psutil elsewhere when installed);
    the message warns below 10% available, or says the figures are unknown (NaN)."""
    total = available = None
    try:
        with open("/proc/meminfo") as f:
            fields = {line.split(":")[0]: line.split()[1] for line in f if ":" in line}
        total, available = int(fields["MemTotal"]) * 1024, int(fields["MemAvailable"]) * 1024
    except (OSError, KeyError, ValueError, IndexError):
        try:
            import psutil  # type: ignore[import-untyped]

            vm = psutil.virtual_memory()
            total, available = int(vm.total), int(vm.available)
        except ImportError:
            return math.nan, math.nan, UNKNOWN_MEMORY
    total_gb = total / 1024 ** 3
    used_gb = total_gb - available / 1024 ** 3
    return round(used_gb, 1), round(total_gb, 1), (LOW_MEMORY if used_gb > total_gb * 0.9 else None)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(value, "g")
    return str(value)


def _numeric(values: Sequence[Any]) -> bool:
    present = [v for v in values if v is not None and v != ""]
    return bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)


def html_table(header: Optional[Sequence[Any]], rows: Sequence[Sequence[Any]], css_class: str = "") -> str:
    """An HTML table (cells escaped; numeric columns right-aligned, as tabulate's "html" format
    aligns them); `header` None: no header row."""
    ncol = len(header) if header is not None else max((len(r) for r in rows), default=0)
    right = [_numeric([r[i] for r in rows if i < len(r)]) for i in range(ncol)]
    out = [f'<table class="{html.escape(css_class)}">' if css_class else "<table>"]
    if header is not None:
        out.append("<thead><tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr></thead>")
    out.append("<tbody>")
    for r in rows:
        out.append("<tr>" + "".join(
            f'<td style="text-align: right;">{html.escape(_cell(v))}</td>' if i < ncol and right[i]
            else f"<td>{html.escape(_cell(v))}</td>" for i, v in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


STYLE = """<style>
.swifttune-status, .swifttune-result { color: var(--jp-ui-font-color1, inherit); }
.swifttune-status .st-row { display: flex; flex-direction: row; }
.swifttune-status .st-col { display: flex; flex-direction: column; }
.swifttune-status .st-messages { padding-left: 1em; overflow-y: auto; }
.swifttune-status h3, .swifttune-result h3 { font-weight: bold; }
.swifttune-status td, .swifttune-result td { white-space: nowrap; }
.swifttune-status .st-vrule { border-left: var(--jp-border-width, 1px) solid var(--jp-border-color0, #ccc);
  margin: 0.5em 1em; }
.swifttune-status .st-hrule { border-bottom: var(--jp-border-width, 1px) solid var(--jp-border-color0, #ccc); }
.swifttune-status .st-trials { overflow-x: auto; }
</style>"""


def status_panel(current_time: str, running_for: str, memory: tuple[float, float, Optional[str]],
                 sys_info: Sequence[str], trial_table: str, messages: Sequence[str]) -> str:
    """Ray's "Tune Status" panel: the time and memory table, "System Info" (the scheduler's and
    the resources' lines), "Messages" when there are any (the memory warning, the rows not
    shown, the errored trials' table, all HTML already), and "Trial Status" (`trial_table`, HTML)."""
    used, total, memory_message = memory
    status = html_table(None, [["Current time:", current_time], ["Running for:", running_for],
                               ["Memory:", f"{used}/{total} GiB"]])
    info = "<br>".join(html.escape(str(s)).replace("\n", "<br>") for s in sys_info)
    shown = ([html.escape(memory_message)] if memory_message else []) + [m for m in messages if m]
    parts = ['<div class="swifttune-status"><div class="st-row">',
             f'<div class="st-col"><h3>Tune Status</h3>{status}</div>',
             '<div class="st-vrule"></div>',
             f'<div class="st-col"><h3>System Info</h3>{info}</div>']
    if shown:
        parts += ['<div class="st-vrule"></div>',
                  '<div class="st-col st-messages"><h3>Messages</h3>' + "<br>".join(shown) + "</div>"]
    parts += ['</div><div class="st-hrule"></div>',
              f'<div class="st-col st-trials"><h3>Trial Status</h3>{trial_table}</div></div>', STYLE]
    return "".join(parts)


class NotebookDisplay:
    """One output area of the running cell, replaced in place on each update (IPython's
    ``display(..., display_id=True)`` and ``update``); `overwrite` clears the cell's earlier
    output before the first update, as Ray's ``JupyterNotebookReporter(overwrite=True)``."""

    def __init__(self, overwrite: bool = True) -> None:
        self._overwrite = overwrite
        self._handle: Any = None

    def show(self, markup: str) -> None:
        """Shows `markup` (HTML) in the area, creating it on the first call."""
        from IPython.display import HTML, clear_output, display  # type: ignore[import-not-found]

        if self._handle is None:
            if self._overwrite:
                clear_output(wait=True)
            self._handle = display(HTML(markup), display_id=True)
        else:
            self._handle.update(HTML(markup))
