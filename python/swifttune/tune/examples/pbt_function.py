"""The learning-rate toy problem of Ray Tune's ``ray.tune.examples.pbt_function`` as an
importable trainable (Ray's ``pb2_example`` imports it): the accuracy rises fastest at a
learning rate that depends on the accuracy itself (a triangle wave peaking at 0.01 when the
accuracy is 100), so a fixed ``lr`` stalls and PBT or PB2 must learn the schedule. The rules and
constants are the toy problem's; the metrics, checkpoint format (``checkpoint.json`` with ``acc``
and ``step``) and stopping signal (``done`` once the accuracy passes 200) are what Ray's
trainable reports."""
from __future__ import annotations

import json
import os
import random
import tempfile
from typing import Any

from .. import Checkpoint, get_checkpoint, report

__all__ = ["pbt_function"]

_MIDPOINT = 100.0  # the accuracy where the best lr peaks
_TOLERANCE = 3.0  # an lr within this factor of the best still helps
_NOISE = 2.0  # the Gaussian noise added to every step's accuracy


def _best_lr(accuracy: float) -> float:
    """The learning rate that helps most at this accuracy: up to 0.01 at the midpoint, then down,
    kept within [0.001, 0.01]."""
    if accuracy < _MIDPOINT:
        peak = 0.01 * accuracy / _MIDPOINT
    else:
        peak = 0.01 * (1 - (accuracy - _MIDPOINT) / _MIDPOINT)
    return min(0.01, max(0.001, peak))


def _load(checkpoint: Checkpoint) -> tuple[float, int]:
    with checkpoint.as_directory() as folder:
        with open(os.path.join(folder, "checkpoint.json")) as f:
            saved = json.load(f)
    return saved["acc"], saved["step"]


def pbt_function(config: dict[str, Any]) -> None:
    """Trains the toy model at ``config["lr"]`` forever (the experiment's stopper ends it),
    reporting ``mean_accuracy``, ``cur_lr``, ``optimal_lr``, ``q_err`` and ``done`` each step and
    a checkpoint every ``config.get("checkpoint_interval", 1)`` steps; resumes from a checkpoint
    (its accuracy and step). Draws its noise from ``random`` and ``numpy.random``, as Ray's does."""
    try:
        import numpy as np
    except ImportError:
        raise ImportError("swifttune.tune.examples.pbt_function draws its noise with numpy, as Ray's does: "
                          "pip install 'swifttune[numpy]'") from None
    lr = config["lr"]
    every = config.get("checkpoint_interval", 1)
    accuracy, step = 0.0, 0
    checkpoint = get_checkpoint()
    if checkpoint:
        accuracy, step = _load(checkpoint)
    while True:
        step += 1
        best = _best_lr(accuracy)
        ratio = max(lr, best) / min(lr, best)
        if ratio < _TOLERANCE:
            accuracy += random.random() / ratio
        elif lr > best:
            accuracy -= (ratio - _TOLERANCE) * random.random()
        accuracy = max(0.0, accuracy + _NOISE * np.random.normal())
        metrics = {"mean_accuracy": accuracy, "cur_lr": lr, "optimal_lr": best, "q_err": ratio,
                   "done": accuracy > 2 * _MIDPOINT}
        if step % every:
            report(metrics)
            continue
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "checkpoint.json"), "w") as f:
                json.dump({"acc": accuracy, "step": step}, f)
            report(metrics, checkpoint=Checkpoint.from_directory(folder))
