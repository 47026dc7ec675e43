"""hyperopt's ``hyperopt.plotting`` on swifttune's ``Trials``: ``main_plot_history``,
``main_plot_histogram`` and ``main_plot_vars``, with hyperopt's arguments, what they print, and
the same drawing (into matplotlib's current figure, shown with ``do_show=True``). matplotlib is an
optional extra (``pip install 'swifttune[plot]'``), imported when a function runs.
``main_plot_1D_attachment`` (plots of trial attachments) is refused: swifttune's ``Trials`` keeps
no per-trial attachments."""
from __future__ import annotations

import math
from typing import Any, Optional

from .._optional import require
from .base import STATUS_FAIL, STATUS_NEW, STATUS_OK, STATUS_RUNNING
from .fmin import Trials

__all__ = ["main_plot_history", "main_plot_histogram", "main_plot_vars", "main_plot_1D_attachment",
           "default_status_colors"]


default_status_colors = {STATUS_NEW: "k", STATUS_RUNNING: "g", STATUS_OK: "b", STATUS_FAIL: "r"}
"""hyperopt's colour of each trial status."""


def _pyplot() -> Any:
    return require("matplotlib.pyplot", "hyperopt's plotting draws with matplotlib: pip install 'swifttune[plot]' "
                                        "(or matplotlib)")


def main_plot_history(trials: Trials, do_show: bool = True, status_colors: Optional[dict[str, str]] = None,
                      title: str = "Loss History") -> None:
    """Every loss in trial order, coloured by status, and a line at the best loss (printed as
    "avg best error:"), as hyperopt draws it."""
    plt = _pyplot()
    colors_by_status = default_status_colors if status_colors is None else status_colors
    points = [(y, colors_by_status[s]) for y, s in zip(trials.losses(), trials.statuses()) if y is not None]
    if not points:
        raise ValueError("not enough values to unpack (expected 2, got 0)")  # hyperopt's zip(*[]) error
    ys, colors = zip(*points)
    plt.scatter(range(len(ys)), ys, c=colors)
    plt.xlabel("time")
    plt.ylabel("loss")
    best = trials.average_best_error()
    print("avg best error:", best)
    plt.axhline(best, c="g")
    plt.title(title)
    if do_show:
        plt.show()


def main_plot_histogram(trials: Trials, do_show: bool = True, title: str = "Loss Histogram") -> None:
    """A histogram of the losses (prints "Showing Histogram of N jobs"), as hyperopt draws it."""
    plt = _pyplot()
    ys = [y for y in trials.losses() if y is not None]
    if not ys:
        raise ValueError("not enough values to unpack (expected 4, got 0)")  # hyperopt's zip(*[]) error
    print("Showing Histogram of %i jobs" % len(ys))
    plt.hist(ys)
    plt.xlabel("loss")
    plt.ylabel("frequency")
    plt.title(title)
    if do_show:
        plt.show()


def main_plot_vars(trials: Trials, do_show: bool = True, fontsize: int = 10, colorize_best: Optional[int] = None,
                   columns: int = 5, arrange_by_loss: bool = False) -> None:
    """One panel per hyperparameter label (sorted), its values by trial id (or by loss with
    `arrange_by_loss`), shaded by loss (white the worst, black the best; the `colorize_best`
    best in green); a label containing "log" is drawn on a log scale. Prints "finite loss range"."""
    plt = _pyplot()
    idxs, vals = trials.idxs, trials.vals
    losses = trials.losses()
    finite = [y for y in losses if y is not None and y != float("inf")]
    if not finite:
        raise ValueError("min() arg is an empty sequence")  # hyperopt's error with no finite loss
    ordered = sorted(finite)
    threshold = ordered[colorize_best + 1] if colorize_best is not None else ordered[0] - 1
    lo, hi = min(finite), max(finite)
    print("finite loss range", lo, hi, threshold)
    loss_by_tid = dict(zip(trials.tids, losses))

    def shade(loss: Optional[float]) -> tuple[float, float, float]:
        if loss is None or loss == float("inf"):
            return 1.0, 1.0, 1.0
        t = (loss - lo) / (hi - lo + 0.0001)
        return (0.0, 1.0 - t, 0.0) if loss < threshold else (t, t, t)

    labels = sorted(idxs)
    cols = min(columns, len(labels))
    rows = int(math.ceil(len(labels) / float(cols))) if cols else 0
    for number, label in enumerate(labels):
        plt.subplot(rows, cols, number + 1)
        ticks, _ = plt.xticks()
        plt.xticks(ticks, [""] * len(ticks))
        x = [loss_by_tid[i] for i in idxs[label]] if arrange_by_loss else idxs[label]
        y = [math.log(v) for v in vals[label]] if "log" in label else vals[label]
        plt.title(label, fontsize=fontsize)
        if len(y):
            plt.scatter(x, y, c=[shade(loss_by_tid[i]) for i in idxs[label]])
        if "log" in label:
            nums, _ = plt.yticks()
            plt.yticks(nums, ["%.2e" % math.exp(t) for t in nums])
    if do_show:
        plt.show()


def main_plot_1D_attachment(trials: Trials, attachment_name: str, *args: Any, **kwargs: Any) -> None:
    """Refused: swifttune's ``Trials`` keeps no per-trial attachments to plot."""
    raise NotImplementedError("main_plot_1D_attachment is not supported by swifttune: its Trials keeps no per-trial "
                              "attachments; plot the values you return in the result dict with matplotlib instead.")
