"""Ray Tune's ``TBXLoggerCallback`` value rules (ray/tune/logger/tensorboardx.py) for what the
JSON text of a result cannot carry: numpy scalars (written as text in result.json), lists and
numpy arrays (Ray's histograms, images and videos, encoded here by tensorboardX's own summary
functions), and the hparams summary's inputs at a trial's end. The usual result, plain numbers,
never comes here: libswifttune reads it from its result.json line (``st_tfevents_append_results``)."""
from __future__ import annotations

import json
import logging
import math
from typing import Any, Optional

__all__ = ["DROPPED", "PREFIX", "flatten", "scalar", "tensorboard_row", "hparams_json"]

logger = logging.getLogger("swifttune.tune")

DROPPED = frozenset(("config", "pid", "timestamp", "time_total_s", "training_iteration"))
"""The top-level result keys Ray leaves out of the event file."""
PREFIX = "ray/tune/"
"""What every tag starts with."""
VALID_HPARAMS = (str, bool, int, float, list, type(None))
"""The hyperparameter types Ray records (numpy's bool, float32/64 and int32/64 too, as Python values)."""

_warned_invalid = False


def flatten(d: dict[Any, Any]) -> dict[Any, Any]:
    """Ray's ``flatten_dict(d, delimiter="/")``: nested dicts become ``a/b`` keys, one level
    per pass (so deeper keys come after shallower ones, as in Ray)."""
    out = dict(d)
    while any(isinstance(v, dict) for v in out.values()):
        added: dict[Any, Any] = {}
        for key in [k for k, v in out.items() if isinstance(v, dict)]:
            for sub, v in out.pop(key).items():
                added["/".join([key, str(sub)])] = v
        out.update(added)
    return out


def _numpy_scalar(value: Any) -> Optional[Any]:
    """The Python number of a numpy scalar Ray logs (float32/64, int32/64, not NaN), else None."""
    import numpy as np

    if isinstance(value, (np.float32, np.float64, np.int32, np.int64)) and not np.isnan(value):
        return value.item()
    return None


def scalar(value: Any) -> Optional[Any]:
    """The number Ray logs as a scalar for `value` (ints, floats and bools that are not NaN, and
    numpy's float32/64 and int32/64), as a Python number; None for any other value."""
    t = type(value)
    if t is float:
        return None if value != value else value
    if t is int or t is bool:
        return int(value)
    if isinstance(value, int):  # subclasses (IntEnum, ...)
        return int(value)
    if isinstance(value, float):  # np.float64 among them
        return None if math.isnan(value) else float(value)
    if t.__module__ == "numpy":
        return _numpy_scalar(value)
    return None


def _is_array(value: Any) -> bool:
    if type(value).__module__ != "numpy":
        return False
    import numpy as np

    return isinstance(value, np.ndarray)


_bins: Optional[list[float]] = None


def _default_bins() -> list[float]:
    """tensorboardX's ``SummaryWriter`` histogram bins ("tensorflow"): 0 and +-1e-12 growing by
    10% up to 1e20."""
    global _bins
    if _bins is None:
        edges = []
        v = 1e-12
        while v < 1e20:
            edges.append(v)
            v *= 1.1
        _bins = [-e for e in reversed(edges)] + [0] + edges
    return _bins


def _summary(tag: str, value: Any) -> Optional[bytes]:
    """A list or array as Ray's writer logs it (a 3-dim array an image, 4 dims images, 5 dims a
    video at 20 fps, anything else a histogram), encoded by tensorboardX; None for a value
    tensorboardX refuses as a histogram (warned once, as Ray does)."""
    from tensorboardX import summary as tbx

    if _is_array(value) and value.ndim == 3:
        return bytes(tbx.image(tag, value, dataformats="CHW").SerializeToString())
    if _is_array(value) and value.ndim == 4:
        return bytes(tbx.image(tag, value, dataformats="NCHW").SerializeToString())
    if _is_array(value) and value.ndim == 5:
        return bytes(tbx.video(tag, value, fps=20, dataformats="NTCHW").SerializeToString())
    try:
        return bytes(tbx.histogram(tag, value, _default_bins()).SerializeToString())
    except (ValueError, TypeError):
        global _warned_invalid
        if not _warned_invalid:
            _warned_invalid = True
            logger.warning("You are trying to log an invalid value (%s=%s) via TBXLoggerCallback!", tag, value)
        return None


def _logged(value: Any) -> bool:
    """A list or array Ray logs (non-empty)."""
    return (isinstance(value, list) and len(value) > 0) or (_is_array(value) and value.size > 0)


def tensorboard_row(result: dict[str, Any]) -> tuple[str, list[bytes]]:
    """A result with values its JSON text does not carry as Ray logs them: a JSON line for the
    event encoder with its scalars under their flattened keys (and the step's keys), and the
    encoded summaries of its lists and arrays."""
    flat = flatten({k: v for k, v in result.items() if k not in DROPPED})
    row: dict[Any, Any] = {}
    extras: list[bytes] = []
    for attr, value in flat.items():
        number = scalar(value)
        if number is not None:
            row[attr] = number
        elif _logged(value):
            encoded = _summary(PREFIX + str(attr), value)
            if encoded is not None:
                extras.append(encoded)
    for key in ("training_iteration", "timesteps_total"):
        if key not in row and key in result:
            number = scalar(result[key])
            if number is not None:
                row[key] = number
    return json.dumps(row), extras


def hparams_json(params: dict[str, Any], last: Optional[dict[str, Any]]) -> Optional[str]:
    """The input of ``st_tfevents_append_hparams`` for a trial that ended: its evaluated
    parameters scrubbed as Ray scrubs them, and the tags of its last result's scalars; None
    when Ray writes no hparams (no parameters, or no result with a value it logs)."""
    if not params or not last:
        return None
    flat = flatten({k: v for k, v in last.items() if k not in DROPPED})
    if not any(scalar(v) is not None or _logged(v) for v in flat.values()):
        return None
    metrics = [PREFIX + str(attr) for attr, v in flat.items() if scalar(v) is not None]
    flat_params = flatten(params)
    scrubbed = {k: v for k, v in flat_params.items() if isinstance(v, VALID_HPARAMS)}
    removed = {}
    for k, v in flat_params.items():
        if isinstance(v, VALID_HPARAMS):
            continue
        if type(v).__module__ == "numpy":
            import numpy as np

            if isinstance(v, (np.bool_, np.float32, np.float64, np.int32, np.int64)):
                scrubbed[k] = v.tolist()
                continue
        removed[k] = v
    if removed:
        logger.info("Removed the following hyperparameter values when logging to tensorboard: %s", removed)
    return json.dumps({"hparams": scrubbed, "metrics": metrics}, default=str)
