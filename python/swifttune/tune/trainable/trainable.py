"""Ray Tune's class API, ``Trainable``: ``setup``, ``step``, ``save_checkpoint`` /
``load_checkpoint``, ``reset_config`` and ``cleanup``, with Ray's automatic result fields."""
from __future__ import annotations

import copy
import datetime
import json
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional, Union

from ..checkpoint import Checkpoint
from ..result import (DONE, EPISODES_THIS_ITER, EPISODES_TOTAL, TIME_THIS_ITER_S, TIME_TOTAL_S, TIMESTAMP,
                      TIMESTEPS_THIS_ITER, TIMESTEPS_TOTAL, TRAINING_ITERATION, TRIAL_ID)

__all__ = ["Trainable"]

DICT_CHECKPOINT_FILE = "_dict_checkpoint.pkl"
"""Where a dict returned by ``save_checkpoint`` is kept in the checkpoint folder (Ray's name)."""
STATE_FILE = ".tune_metadata.json"
"""The trainable's counters and the result the checkpoint was saved after, beside the user's files."""


_date_cache: tuple[int, str] = (-1, "")


def date_text(now: float) -> str:
    """Ray's ``date`` field (local time to the second), formatted once per second."""
    global _date_cache
    second = int(now)
    cached = _date_cache
    if cached[0] != second:
        cached = _date_cache = (second, datetime.datetime.fromtimestamp(second).strftime("%Y-%m-%d_%H-%M-%S"))
    return cached[1]


def auto_fields(trial_id: Any, now: float, time_this_iter: Optional[float], time_total: float,
                time_since_restore: float, iterations_since_restore: int) -> dict[str, Any]:
    """Ray's automatic fields of a result that the training process fills in."""
    from .._internal.trainable_runner import host_info

    hostname, node_ip = host_info()
    return {TRIAL_ID: trial_id, "date": date_text(now),
            TIMESTAMP: int(now), TIME_THIS_ITER_S: time_this_iter, TIME_TOTAL_S: time_total, "pid": os.getpid(),
            "hostname": hostname, "node_ip": node_ip, "time_since_restore": time_since_restore,
            "iterations_since_restore": iterations_since_restore}


class Trainable:
    """Ray's class API. Override ``setup(config)``, ``step()`` (returns a result dict; a true
    ``done`` ends the trial), and for checkpoints ``save_checkpoint(checkpoint_dir)`` (write into
    the directory, or return a dict) and ``load_checkpoint(checkpoint)`` (the dict, or the
    directory's path); optionally ``reset_config(new_config)`` (``TuneConfig(reuse_actors=True)``)
    and ``cleanup()``. Inside a Tuner, ``trial_id``, ``trial_name`` and ``logdir`` (the trial's
    folder) are set before ``setup`` runs."""

    def __init__(self, config: Optional[dict[str, Any]] = None, logger_creator: Optional[Callable[..., Any]] = None,
                 storage: Any = None) -> None:
        if logger_creator is not None:
            raise NotImplementedError("Trainable(logger_creator=...) is not supported by swifttune (it is deprecated "
                                      "in Ray since 2.7): results are written to the trial folder; use callbacks.")
        if storage is not None:
            raise NotImplementedError("Trainable(storage=...) is not supported by swifttune: a Tuner gives the trial "
                                      "its folder (RunConfig(storage_path=...)).")
        from ..session import current_session

        self.config: dict[str, Any] = config or {}
        session = current_session()
        self._trial_id: Optional[str] = getattr(session, "trial_id", None)
        self._trial_name: Optional[str] = getattr(session, "trial_name", None)
        trial_dir = getattr(session, "trial_dir", None)
        self._logdir: str = str(trial_dir) if trial_dir is not None else tempfile.mkdtemp(prefix="swifttune_trainable_")
        self._reset_counters()
        self._last_result: Optional[dict[str, Any]] = None
        self._start_time = time.time()
        self.setup(copy.deepcopy(self.config))

    def _reset_counters(self) -> None:
        self._iteration = 0
        self._time_total = 0.0
        self._timesteps_total: Optional[float] = None
        self._episodes_total: Optional[float] = None
        self._time_since_restore = 0.0
        self._timesteps_since_restore = 0.0
        self._iterations_since_restore = 0
        self._restored = False

    # -- what users override ---------------------------------------------------------------

    def setup(self, config: dict[str, Any]) -> None:
        """Sets the trainable up for `config` (a copy of ``self.config``)."""

    def step(self) -> dict[str, Any]:
        """One training iteration; returns its result."""
        raise NotImplementedError

    def save_checkpoint(self, checkpoint_dir: str) -> Optional[dict[str, Any]]:
        """Saves the trainable's state into `checkpoint_dir`, or returns it as a dict (kept in the
        checkpoint and handed back to ``load_checkpoint``)."""
        raise NotImplementedError

    def load_checkpoint(self, checkpoint: Union[dict[str, Any], str, None]) -> None:
        """Restores what ``save_checkpoint`` saved: its dict, or the checkpoint directory's path."""
        raise NotImplementedError

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        """Takes a new trial's configuration in place (``reuse_actors=True``); True if it did
        (the default False makes a new trainable)."""
        return False

    def cleanup(self) -> None:
        """Releases what the trainable holds, once it is done with."""

    # -- what Tune calls -------------------------------------------------------------------

    def train(self) -> dict[str, Any]:
        """Runs one ``step`` and fills in Ray's automatic fields: ``done`` (if missing),
        ``training_iteration``, ``time_this_iter_s``, ``time_total_s``, ``trial_id``, ``date``,
        ``timestamp``, ``pid``, ``hostname``, ``node_ip``, ``config``, ``time_since_restore``,
        ``iterations_since_restore``."""
        start = time.time()
        result = self.step()
        if not isinstance(result, dict):
            raise AssertionError("step() needs to return a dict.")
        result = result.copy()
        self._iteration += 1
        self._iterations_since_restore += 1
        time_this_iter = result[TIME_THIS_ITER_S] if result.get(TIME_THIS_ITER_S) is not None else time.time() - start
        self._time_total += time_this_iter
        self._time_since_restore += time_this_iter
        result.setdefault(DONE, False)
        if result.get(TIMESTEPS_THIS_ITER) is not None:
            self._timesteps_total = (self._timesteps_total or 0) + result[TIMESTEPS_THIS_ITER]
            self._timesteps_since_restore += result[TIMESTEPS_THIS_ITER]
        if result.get(EPISODES_THIS_ITER) is not None:
            self._episodes_total = (self._episodes_total or 0) + result[EPISODES_THIS_ITER]
        if self._timesteps_total is not None:
            result.setdefault(TIMESTEPS_TOTAL, self._timesteps_total)
        if self._episodes_total is not None:
            result.setdefault(EPISODES_TOTAL, self._episodes_total)
        result.setdefault(TRAINING_ITERATION, self._iteration)
        now = time.time()
        auto = auto_fields(self.trial_id, now, time_this_iter, self._time_total, self._time_since_restore,
                           self._iterations_since_restore)
        if result.get(TIMESTAMP) is not None:
            auto[TIMESTAMP] = result[TIMESTAMP]
        auto["config"] = self.config
        if self._timesteps_since_restore:
            auto["timesteps_since_restore"] = self._timesteps_since_restore
        result.update(auto)
        self._last_result = result
        return result

    def save(self, checkpoint_dir: Optional[str] = None) -> Checkpoint:
        """Saves the trainable's state (``save_checkpoint``) into `checkpoint_dir` (a new temporary
        directory if None) with its counters; the checkpoint (what ``restore`` takes)."""
        directory = checkpoint_dir or tempfile.mkdtemp(prefix="swifttune_checkpoint_")
        os.makedirs(directory, exist_ok=True)
        saved = self.save_checkpoint(directory)
        if isinstance(saved, dict):
            with open(Path(directory, DICT_CHECKPOINT_FILE), "wb") as f:
                pickle.dump(saved, f)
        elif isinstance(saved, str) and os.path.abspath(saved) != os.path.abspath(directory):
            raise ValueError("The returned checkpoint path from `save_checkpoint` must be None or the same as the "
                             f"provided path argument.Got {saved} != {directory}")
        state = {"iteration": self._iteration, "time_total": self._time_total, "timesteps_total": self._timesteps_total,
                 "episodes_total": self._episodes_total, "last_result": self._last_result}
        with open(Path(directory, STATE_FILE), "w", encoding="utf-8") as f:
            json.dump(state, f, default=str)
        return Checkpoint.from_directory(directory)

    def restore(self, checkpoint_path: Union[str, Checkpoint]) -> None:
        """Restores the trainable from a checkpoint ``save`` made (a ``Checkpoint`` or its path):
        its counters, then ``load_checkpoint`` with the saved dict or the directory's path."""
        if isinstance(checkpoint_path, (str, os.PathLike)):
            checkpoint_path = Checkpoint.from_directory(checkpoint_path)
        if not isinstance(checkpoint_path, Checkpoint):
            raise TypeError(f"restore() takes a tune.Checkpoint or a path, got {type(checkpoint_path).__name__}")
        directory = Path(checkpoint_path.path)
        if not directory.is_dir():
            raise ValueError("Could not recover from checkpoint as it does not exist on storage anymore. "
                             f"Got storage fs type `local` and path: {directory}")
        state: dict[str, Any] = {}
        if (directory / STATE_FILE).is_file():
            with open(directory / STATE_FILE, encoding="utf-8") as f:
                state = json.load(f)
        self._iteration = int(state.get("iteration") or 0)
        self._time_total = float(state.get("time_total") or 0.0)
        self._timesteps_total = state.get("timesteps_total")
        self._episodes_total = state.get("episodes_total")
        self._time_since_restore = 0.0
        self._timesteps_since_restore = 0.0
        self._iterations_since_restore = 0
        if (directory / DICT_CHECKPOINT_FILE).is_file():
            with open(directory / DICT_CHECKPOINT_FILE, "rb") as f:
                self.load_checkpoint(pickle.load(f))
        else:
            self.load_checkpoint(str(directory))
        self._restored = True

    def reset(self, new_config: dict[str, Any], logger_creator: Optional[Callable[..., Any]] = None,
              storage: Any = None) -> bool:
        """Takes a new trial (``reuse_actors=True``): ``reset_config(new_config)``; on success the
        counters start again. False if the trainable cannot be reused."""
        if logger_creator is not None or storage is not None:
            raise NotImplementedError("Trainable.reset(logger_creator=..., storage=...) is not supported by "
                                      "swifttune: the Tuner gives each trial its folder.")
        from ..session import current_session

        self.config = new_config
        session = current_session()
        if session is not None:
            self._trial_id, self._trial_name = session.trial_id, session.trial_name
            self._logdir = str(session.trial_dir)
        if not self.reset_config(new_config):
            return False
        self._reset_counters()
        self._last_result = None
        return True

    def stop(self) -> None:
        """Releases the trainable (``cleanup``)."""
        self.cleanup()

    def get_config(self) -> dict[str, Any]:
        """The configuration Tune passed in."""
        return self.config

    @property
    def logdir(self) -> str:
        """The trial's folder (a temporary directory outside a Tuner)."""
        return self._logdir

    @property
    def trial_name(self) -> str:
        """The trial's name ("default" outside a Tuner)."""
        return self._trial_name if self._trial_name is not None else "default"

    @property
    def trial_id(self) -> str:
        """The trial's id ("default" outside a Tuner)."""
        return self._trial_id if self._trial_id is not None else "default"

    @property
    def iteration(self) -> int:
        """How many ``train`` calls so far (restored from a checkpoint)."""
        return self._iteration

    @property
    def training_iteration(self) -> int:
        """The same as ``iteration``."""
        return self._iteration

    def save_into(self, final: Path) -> None:
        """Saves a checkpoint as the trial folder's `final` (through a temporary name, renamed
        once complete)."""
        tmp = final.parent / f".{final.name}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        self.save(str(tmp))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
