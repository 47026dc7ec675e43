"""A trial's TensorBoard event file, as Ray Tune's ``TBXLoggerCallback`` writes it: named as
tensorboardX names it (``events.out.tfevents.<time>.<host>``), in the trial's folder, with a
scalar per number of each result (``ray/tune/<key>``), histograms, images and videos for lists
and arrays, and the hparams summaries when the trial ends. On in every experiment where Ray turns
it on (``tensorboard_enabled``).

The trials pay almost nothing: a result's result.json line (text made anyway) and its wall time
are kept, and the trial's files hand them over in batches with their rows (within a second; all
of them when the trial ends). Everything that touches the event file (making it, encoding and
appending the events, the hparams) runs on the trial files' writer thread (``file_writer``), in
order, in Swift and without the GIL, so no trial waits for it. ``drain`` waits for it (a Tuner's
``fit`` returns with every event file complete). An event file that cannot be written is said
once, by name, and the experiment goes on: the result files are the experiment's record."""
from __future__ import annotations

import importlib.util
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any, Iterable, Optional

from .file_writer import HPARAMS, START, writer
from .tensorboard_values import tensorboard_row

__all__ = ["TrialEvents", "tensorboard_enabled", "tensorboardx_importable", "DISABLE_ENV", "drain"]

logger = logging.getLogger("swifttune.tune")

DISABLE_ENV = "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"
"""Ray's environment variable: "1" leaves the default loggers (TensorBoard's among them) out."""


def tensorboardx_importable() -> bool:
    """Whether tensorboardX and the packages it imports (numpy, protobuf) are installed; found
    without importing them (tensorboardX takes a tenth of a second to import, and swifttune only
    needs it for lists and arrays in results)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("tensorboardX", "numpy", "google.protobuf"))
    except (ImportError, ValueError):
        return False


def tensorboard_enabled(callbacks: Iterable[Any]) -> bool:
    """Ray's rule (``_create_default_callbacks``): the event files are written when the
    callbacks hold a ``TBXLoggerCallback``, or else when ``TUNE_DISABLE_AUTO_CALLBACK_LOGGERS``
    is not "1" and tensorboardX can be imported (else Ray's warning says how to get it)."""
    from ..logger.tensorboardx import TBXLoggerCallback

    if any(isinstance(cb, TBXLoggerCallback) for cb in callbacks):
        return True
    if os.environ.get(DISABLE_ENV, "0") == "1":
        return False
    if tensorboardx_importable():
        return True
    logger.warning("The TensorboardX logger cannot be instantiated because either TensorboardX or one of it's "
                   "dependencies is not installed. Please make sure you have the latest version of TensorboardX "
                   "installed: `pip install -U tensorboardx`")
    return False


_host: Optional[str] = None


def _hostname() -> str:
    global _host
    if _host is None:
        _host = socket.gethostname()
    return _host


def drain() -> None:
    """Waits until every event and row given so far is in its file."""
    writer.drain()


class TrialEvents:
    """One run of a trial's event file: created, with tensorboardX's first event, when the run
    starts (an existing file of the same name, from a run in the same second, is appended to).
    The trial's files (``TrialFiles``) hand its results to the writer with their rows."""

    __slots__ = ("path", "last")

    def __init__(self, trial_dir: Path, now: Optional[float] = None) -> None:
        wall = time.time() if now is None else now
        self.path = os.fsencode(trial_dir / f"events.out.tfevents.{str(wall)[:10]}.{_hostname()}")
        self.last: Optional[dict[str, Any]] = None  # the run's latest result (Ray's hparams metrics)
        writer.submit(START, self.path, wall)

    @staticmethod
    def prepare(result: dict[str, Any]) -> tuple[str, list[bytes]]:
        """A result with values its JSON line does not carry (numpy scalars, lists, arrays):
        the line to encode instead and its encoded summaries (done before the files' lock)."""
        return tensorboard_row(result)

    def write_hparams(self, params: dict[str, Any]) -> None:
        """Ray's hparams summaries for a trial that ended: its evaluated parameters and the tags
        of the scalars of this run's latest result (nothing when it has neither, as in Ray)."""
        writer.submit(HPARAMS, self.path, time.time(), (params, self.last))
