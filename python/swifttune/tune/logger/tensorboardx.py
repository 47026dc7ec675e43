"""Ray's TensorBoard logger (``ray.tune.logger.tensorboardx``): ``TBXLoggerCallback``, whose event
files swifttune writes for every trial when Ray would (``tune/_internal/trial_events.py``)."""
from __future__ import annotations

from .logger import LoggerCallback
from .refused import RefusedLogger

__all__ = ["TBXLoggerCallback", "TBXLogger"]


class TBXLoggerCallback(LoggerCallback):
    """Writes each trial's TensorBoard event file (``events.out.tfevents.<time>.<host>`` in the
    trial's folder; ``tensorboard --logdir <experiment folder>``), as Ray's does: every number
    of a result as a scalar ``ray/tune/<key>`` (nested dicts flattened with ``/``; ``config``,
    ``pid``, ``timestamp``, ``time_total_s`` and ``training_iteration`` left out) at step
    ``timesteps_total`` (when non-zero) or ``training_iteration``; lists and numpy arrays as
    histograms (3, 4 and 5 dimensions as an image, images and a video); and, when the trial
    ends, the hparams summaries (its searched parameters, its last result's metrics).

    As in Ray, the files are written by default when tensorboardX is installed (unless
    ``TUNE_DISABLE_AUTO_CALLBACK_LOGGERS=1``); passing this callback writes them in any case,
    once. Making one without tensorboardX raises ImportError, as Ray's does. swifttune writes
    the files with the trial's other files (in batches, off the report path); this object's
    own hooks do nothing."""

    _SAVED_FILE_TEMPLATES = ["events.out.tfevents.*"]

    VALID_HPARAMS = (str, bool, int, float, list, type(None))

    def __init__(self) -> None:
        from .._internal.trial_events import tensorboardx_importable

        if not tensorboardx_importable():
            raise ImportError('TBXLoggerCallback needs tensorboardX: pip install "ray[tune]" to see TensorBoard '
                              "files (or pip install tensorboardX).")


class TBXLogger(RefusedLogger):
    """Ray's deprecated per-trial ``TBXLogger``: refused (``NotImplementedError``)."""

    _instead = "TBXLoggerCallback writes the same event files (and is on by default when tensorboardX is installed)"
