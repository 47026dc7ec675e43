"""The Python side of Population Based Training: the engine decides every exploit; this module runs
the parts that are the user's Python code (a mutation given as a function, ``custom_explore_fn``)
when the engine asks (``ST_SCHEDULE_EXPLORE``), and carries out the front end's share of each
exploit the engine made: the trial's ``config`` and ``experiment_tag`` as Ray sets them, Ray's log
lines, and the policy logs (``pbt_global.txt``, ``pbt_policy_<trial_id>.txt``) that
``PopulationBasedTrainingReplay`` reads. The logs are written from the engine's record of exploits,
which the experiment state keeps: a restored experiment rewrites them whole, so they always agree
with the state."""
from __future__ import annotations

import ctypes
import json
import logging
import shutil
from typing import TYPE_CHECKING, Any, Optional

from ... import _capi
from ..._lib import lib
from ..._space import decode_configuration, encode_configuration
from ..experiment.trial import experiment_tag
from ..schedulers.pbt import PopulationBasedTraining
from .stop_bridge import keep_failure

if TYPE_CHECKING:
    from .run import ExperimentRun

__all__ = ["PBTBridge", "save_scheduler", "load_scheduler"]

logger = logging.getLogger("swifttune.tune.schedulers.pbt")


class PBTBridge:
    """One experiment's PBT front end (created for every run whose scheduler is swifttune's
    ``PopulationBasedTraining``)."""

    def __init__(self, run: "ExperimentRun", scheduler: PopulationBasedTraining) -> None:
        self.run = run
        self.scheduler = scheduler
        self.error: Optional[BaseException] = None
        self._answer: Any = None
        self._fn = _capi.st_scheduler_fn(self._call)
        self._orig_tags: dict[str, str] = {}
        if scheduler._needs_front_end():
            lib.check(lib.c.st_experiment_set_scheduler(run.experiment.p, self._fn, None))
        if run.tuner._restored is not None:
            # The engine hands over every exploit again: the logs are written afresh from them.
            for path in list(run.path.glob("pbt_global.txt")) + list(run.path.glob("pbt_policy_*.txt")):
                path.unlink()
            self.take_exploits()

    def _call(self, scheduler_id: int, query: int, trial_id: Optional[bytes], names: Any, values: Any, count: int,
              text: Optional[bytes], out_decision: Any, out_config: Any, user: Any) -> int:
        """The engine's explore callback: fills in the resampled functions' values and applies
        ``custom_explore_fn``; 0 when done, 1 when the user's code raised (fit raises it)."""
        try:
            if query != _capi.ST_SCHEDULE_EXPLORE:
                raise RuntimeError(f"PopulationBasedTraining's front end was asked query {query}")
            assert text is not None
            asked = json.loads(text)
            refs = self.run.tuner._refs
            config = decode_configuration(asked["configuration"], refs)
            for path in asked["samples"]:
                fn = _mutation_at(self.scheduler._hyperparam_mutations, path)
                _set_path(config, path, fn())
            if asked["custom"]:
                config = self.scheduler._custom_explore_fn(config)  # type: ignore[misc]
                assert config is not None, "Custom explore fn failed to return new config"
            self._answer = ctypes.create_string_buffer(json.dumps(encode_configuration(config, refs)).encode())
            out_config[0] = ctypes.addressof(self._answer)
            return 0
        except BaseException as e:  # noqa: BLE001 - fit raises it
            keep_failure(self, e)
            return 1

    def orig_tag(self, trial_id: str) -> str:
        """Ray's ``orig_tag``: the trial's experiment tag when PBT first saw it."""
        tag = self._orig_tags.get(trial_id)
        if tag is None:
            t = self.run.experiment.trial(trial_id)
            initial = t.get("initial_configuration") or t["configuration"]
            tag = self._orig_tags[trial_id] = experiment_tag(t["number"], self.run.tuner._decode(initial))
        return tag

    def take_exploits(self) -> None:
        """Carries out the front end's share of the exploits the engine made since the last call."""
        for event in self.run.experiment.take_exploits():
            self.exploited(event)

    def exploited(self, event: dict[str, Any]) -> None:
        run = self.run
        trial_id, clone_id = event["trial"], event["clone"]
        decode = run.tuner._decode
        clone_config, new_config = decode(event["clone_config"]), decode(event["config"])
        trial_tag, clone_tag = self.orig_tag(trial_id), self.orig_tag(clone_id)
        logger.info("\n\n[PopulationBasedTraining] [Exploit] Cloning trial %s into trial %s\n", clone_id, trial_id)
        summary = _summarize(_filter(clone_config, self.scheduler._hyperparam_mutations),
                             _filter(new_config, self.scheduler._hyperparam_mutations), event.get("operations") or {})
        logger.info("\n\n[PopulationBasedTraining] [Explore] Perturbed the hyperparameter config of trial%s:\n%s",
                    trial_id, summary or "No hyperparameters mutated.")
        if self.scheduler._log_config:
            policy = [trial_tag, clone_tag, event["trial_iteration"], event["clone_iteration"], clone_config, new_config]
            line = json.dumps(policy, default=_fallback) + "\n"
            with open(run.path / "pbt_global.txt", "a+") as f:
                f.write(line)
            trial_path = run.path / f"pbt_policy_{trial_id}.txt"
            clone_path = run.path / f"pbt_policy_{clone_id}.txt"
            if clone_path.exists():
                shutil.copyfile(clone_path, trial_path)
            with open(trial_path, "a+") as f:
                f.write(line)
        with run.callback_lock:
            info = run.infos.get(trial_id)
            if info is not None:
                info.config = new_config
                info.experiment_tag = _perturbed_tag(trial_tag, new_config, self.scheduler._hyperparam_mutations)


PBT_SCHEDULER_FILE = "pbt_scheduler.pkl"
"""The PopulationBasedTraining object as the experiment started, pickled beside the state file: a
restored experiment's front end (its functions, custom_explore_fn, log_config) comes from it."""


def save_scheduler(path: Any, scheduler: Any) -> None:
    """Pickles the scheduler beside the experiment state (said once if it does not pickle)."""
    try:
        import cloudpickle

        from .state import write_atomically

        write_atomically(path / PBT_SCHEDULER_FILE, cloudpickle.dumps(scheduler))
    except Exception as e:  # noqa: BLE001 - restoring then refuses with what to do
        logger.warning("The experiment's %s could not be pickled (%s: %s); Tuner.restore will not be able to "
                       "resume it.", type(scheduler).__name__, type(e).__name__, e)


def load_scheduler(path: Any) -> Any:
    """The scheduler ``save_scheduler`` pickled in `path`."""
    file = path / PBT_SCHEDULER_FILE
    if not file.is_file():
        raise ValueError(f"The experiment in {path} was run with PopulationBasedTraining, and the scheduler was not "
                         f"saved ({PBT_SCHEDULER_FILE} is missing: it did not pickle); it cannot be restored.")
    import cloudpickle

    with open(file, "rb") as f:
        return cloudpickle.load(f)


def _mutation_at(mutations: dict[str, Any], path: list[str]) -> Any:
    node: Any = mutations
    for key in path:
        node = node[key]
    return node


def _set_path(config: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        config = config.setdefault(key, {})
    config[path[-1]] = value


def _filter(config: Any, mutations: dict[str, Any]) -> dict[str, Any]:
    """Ray's ``_filter_mutated_params_from_config``."""
    out: dict[str, Any] = {}
    if not isinstance(config, dict):
        return out
    for name, value in config.items():
        if name not in mutations:
            continue
        out[name] = _filter(value, mutations[name]) if isinstance(value, dict) else value
    return out


def _summarize(old: dict[str, Any], new: dict[str, Any], operations: dict[str, Any], prefix: str = "") -> str:
    """Ray's ``_summarize_hyperparam_changes``: ``lr : 0.01 --- (* 1.2) --> 0.012`` per key."""
    out = ""
    for name, old_val in old.items():
        new_val = new.get(name)
        out += f"{prefix}{name} : "
        if isinstance(old_val, dict):
            out += "\n" + _summarize(old_val, new_val or {}, operations.get(name) or {}, prefix + " " * 4)
        else:
            op = operations.get(name)
            out += f"{old_val} {'--- (' + op + ') -->' if op else '----->'} {new_val}\n"
    return out


def _perturbed_tag(orig_tag: str, config: dict[str, Any], mutations: dict[str, Any]) -> str:
    """Ray's ``_make_experiment_tag``: ``<orig>@perturbed[lr=0.0120,factor=2]``."""
    from ..experiment.trial import _format_value

    shown = ",".join(f"{k}={_format_value(config.get(k))}" for k in mutations)
    return f"{orig_tag}@perturbed[{shown}]"


def _fallback(value: Any) -> Any:
    """Ray's ``SafeFallbackEncoder``: what JSON cannot write, as its string."""
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
    except ImportError:  # pragma: no cover - numpy is optional
        pass
    return str(value)
