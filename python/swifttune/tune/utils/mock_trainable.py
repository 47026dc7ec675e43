"""Ray's ``ray.tune.utils.mock_trainable``: ``MyTrainableClass``, the class trainable of Ray's
example scripts (``hyperband_example`` among them), with Ray's behaviour and numbers."""
from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Callable

from ..trainable import Trainable

_tanh: Callable[[float], Any]
try:  # Ray computes the curve with numpy's tanh, whose last bit can differ from math.tanh's
    from numpy import tanh as _numpy_tanh

    _tanh = _numpy_tanh
except ImportError:  # numpy is optional for swifttune: within an ulp of Ray's numbers
    _tanh = math.tanh

__all__ = ["MyTrainableClass", "register_mock_trainable", "MOCK_TRAINABLE_NAME", "MOCK_ERROR_KEY"]

MOCK_TRAINABLE_NAME = "mock_trainable"
"""The name ``register_mock_trainable`` registers ``MyTrainableClass`` under."""
MOCK_ERROR_KEY = "mock_error"
"""The config key that makes the trainable fail after its first step (until restored)."""

_STATE_FILE = "checkpoint"


class MyTrainableClass(Trainable):
    """A learning curve for tests and examples: step ``t`` reports
    ``episode_reward_mean = tanh(t / width) * height`` (``width`` and ``height`` from the config, 1
    when missing). Config ``sleep`` waits that many seconds a step; ``mock_error`` raises from the
    second step on, until the trainable is restored from a checkpoint (always, with
    ``persistent_error``). Its checkpoint is the step count, in the file ``checkpoint``."""

    def setup(self, config: dict[str, Any]) -> None:
        self._sleep_time = config.get("sleep", 0)
        self._mock_error = config.get(MOCK_ERROR_KEY, False)
        self._persistent_error = config.get("persistent_error", False)
        self.timestep = 0
        self.restored = False

    def step(self) -> dict[str, Any]:
        # The first step always succeeds, so that a checkpoint can be taken before the failure.
        failing = self._mock_error and self.timestep > 0 and (self._persistent_error or not self.restored)
        if failing:
            raise RuntimeError(f"Failing on purpose! self.timestep={self.timestep!r}")
        if self._sleep_time > 0:
            time.sleep(self._sleep_time)
        self.timestep += 1
        reward = _tanh(float(self.timestep) / self.config.get("width", 1))
        reward *= self.config.get("height", 1)
        return {"episode_reward_mean": reward}

    def save_checkpoint(self, checkpoint_dir: str) -> None:
        with open(os.path.join(checkpoint_dir, _STATE_FILE), "w") as f:
            f.write(json.dumps({"timestep": self.timestep}))

    def load_checkpoint(self, checkpoint: Any) -> None:
        with open(os.path.join(checkpoint, _STATE_FILE)) as f:
            self.timestep = json.loads(f.read())["timestep"]
        self.restored = True


def register_mock_trainable() -> None:
    """Registers ``MyTrainableClass`` as ``"mock_trainable"`` (``tune.register_trainable``)."""
    from ..registry import register_trainable

    register_trainable(MOCK_TRAINABLE_NAME, MyTrainableClass)
