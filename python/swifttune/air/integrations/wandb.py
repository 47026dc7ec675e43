"""Ray's Weights & Biases integration (``ray.air.integrations.wandb``): ``WandbLoggerCallback``, a
W&B run per trial logged from a process of the trial's own (as Ray's logging actors: wandb keeps
one run per process), and ``setup_wandb``, a W&B run inside the trainable. Needs ``pip install
wandb`` (the wheel's ``[wandb]`` extra); imported only when used."""
from __future__ import annotations

import functools
import importlib
import logging
import os
import pickle
import sys
import warnings
from numbers import Number
from typing import TYPE_CHECKING, Any, Optional, Sequence

from ...tune.logger import LoggerCallback
from ...tune.syncer import DEFAULT_SYNC_TIMEOUT
from ..._optional import require

if TYPE_CHECKING:
    from ...tune.experiment.trial import Trial
    from .._internal.wandb_logging import TrialLogger

__all__ = ["WandbLoggerCallback", "setup_wandb", "WANDB_ENV_VAR", "WANDB_PROJECT_ENV_VAR", "WANDB_GROUP_ENV_VAR",
           "WANDB_MODE_ENV_VAR", "WANDB_SETUP_API_KEY_HOOK", "WANDB_POPULATE_RUN_LOCATION_HOOK",
           "WANDB_PROCESS_RUN_INFO_HOOK"]

logger = logging.getLogger(__name__)

WANDB_ENV_VAR = "WANDB_API_KEY"
WANDB_PROJECT_ENV_VAR = "WANDB_PROJECT_NAME"
WANDB_GROUP_ENV_VAR = "WANDB_GROUP_NAME"
WANDB_MODE_ENV_VAR = "WANDB_MODE"
# Ray's hooks, each a "module.attribute" path: a function returning the API key (called when no
# key is found), one setting WANDB_PROJECT_NAME / WANDB_GROUP_NAME (called when no project is
# given), and one given each new run (called after wandb.init).
WANDB_SETUP_API_KEY_HOOK = "WANDB_SETUP_API_KEY_HOOK"
WANDB_POPULATE_RUN_LOCATION_HOOK = "WANDB_POPULATE_RUN_LOCATION_HOOK"
WANDB_PROCESS_RUN_INFO_HOOK = "WANDB_PROCESS_RUN_INFO_HOOK"


def _wandb() -> Any:
    return require("wandb", "Wandb was not found - please install with `pip install wandb`", RuntimeError)


def _load_hook(path: str) -> Any:
    """The object a hook variable names (``package.module.attribute``)."""
    module, _, attr = path.rpartition(".")
    if not module:
        raise ValueError("You need to pass a valid path like mymodule.provider_class")
    return getattr(importlib.import_module(module), attr)


def setup_wandb(config: Optional[dict[str, Any]] = None, api_key: Optional[str] = None,
                api_key_file: Optional[str] = None, rank_zero_only: bool = True, **kwargs: Any) -> Any:
    """Ray's ``setup_wandb``, called inside a trainable: ``wandb.init`` with Ray's arguments (run
    id the trial's id, run name the trial's name, group the experiment's name, ``config`` as the
    run's configuration; your ``kwargs`` override them), after the API key and project checks of
    ``WandbLoggerCallback``; returns the run. Needs the process executor (wandb's run belongs to
    the process, which the thread executor's trials share). When the trial's function returns,
    swifttune finishes the run (if it is not finished yet) and waits for wandb to write it, as
    wandb's exit hook would: Ray's trial process ends without either, and a run not finished by
    the trainable loses its data there.
    ``rank_zero_only`` concerns Ray Train's workers, which Tune trials are not (every Tune trial
    is rank zero in Ray too)."""
    from ...tune.session import current_session

    _wandb()
    session = current_session()
    if session is not None and type(session).__name__ == "TrialSession":
        raise NotImplementedError("setup_wandb in the thread executor is not supported by swifttune: wandb keeps one "
                                  "run per process (wandb.log and wandb.config act on it, and wandb.init with Ray's "
                                  "reinit=True finishes the run before), which the trials' threads share; use the "
                                  "process executor (TuneConfig(executor='process'), the default), or "
                                  "WandbLoggerCallback.")
    defaults: dict[str, Any] = {"trial_id": None, "trial_name": None, "group": None}
    if session is not None:
        defaults = {"trial_id": session.trial_id, "trial_name": session.trial_name,
                    "group": getattr(getattr(session, "run", None), "name", None)}
    init_kwargs = {k: kwargs.get(k) or v for k, v in defaults.items()}
    init_kwargs.update(kwargs)
    run = _setup_wandb(config=config, api_key=api_key, api_key_file=api_key_file, **init_kwargs)
    at_end = getattr(session, "at_end", None)
    if at_end is not None:
        at_end.append(lambda: _finish_in_trial(run))
    return run


def _finish_in_trial(run: Any) -> None:
    """At the end of the trial's function: `run` finished (if it is not yet), and wandb's service
    waited for until it has written (uploaded) everything, as wandb's exit hook would wait; the
    trial's process ends without exit hooks."""
    run.finish()
    _wandb().teardown()


def _setup_wandb(trial_id: Optional[str], trial_name: Optional[str], config: Optional[dict[str, Any]] = None,
                 api_key: Optional[str] = None, api_key_file: Optional[str] = None, **kwargs: Any) -> Any:
    """``wandb.init`` as Ray's ``_setup_wandb`` calls it (resumed, reinitialised, the config
    cleaned as ``_clean_log`` cleans it); the run-info hook gets the run."""
    wandb = _wandb()
    _set_api_key(os.path.expanduser(api_key_file) if api_key_file else None, api_key)
    project = _get_wandb_project(kwargs.pop("project", None))
    group = kwargs.pop("group", os.environ.get(WANDB_GROUP_ENV_VAR))
    init_kwargs: dict[str, Any] = {"id": trial_id, "name": trial_name, "resume": True, "reinit": True,
                                   "allow_val_change": True, "config": _clean_log(dict(config) if config else {}),
                                   "project": project, "group": group}
    init_kwargs.update(kwargs)
    os.environ["WANDB_START_METHOD"] = "thread" if os.name == "nt" else "fork"
    run = wandb.init(**init_kwargs)
    _run_wandb_process_run_info_hook(run)
    return run


@functools.lru_cache(maxsize=None)
def _media_types() -> tuple[type, type, type]:
    """wandb's Image, Video and base media classes (looked up once)."""
    from wandb.sdk.data_types.base_types.wb_value import WBValue

    wandb = _wandb()
    return wandb.Image, wandb.Video, WBValue


def _is_allowed_type(obj: Any) -> bool:
    """Whether W&B takes `obj` as a logged value (Ray's rule): a number, a one-element numeric
    array, one of wandb's media values, or a non-empty sequence starting with one."""
    image, video, wb_value = _media_types()
    np = sys.modules.get("numpy")  # an array exists only if numpy was imported
    if np is not None and isinstance(obj, np.ndarray) and obj.size == 1:
        return isinstance(obj.item(), Number)
    if isinstance(obj, Sequence) and len(obj) > 0:
        return isinstance(obj[0], (image, video, wb_value))
    return isinstance(obj, (Number, wb_value))


def _clean_log(obj: Any, *, video_kwargs: Optional[dict[str, Any]] = None,
               image_kwargs: Optional[dict[str, Any]] = None) -> Any:
    """`obj` as W&B can take it (Ray's ``_clean_log``): containers cleaned inside (a set becomes a
    list); numpy arrays of 3 dimensions as a ``wandb.Image``, of 4 as images, of 5 as videos (one,
    or a list); values W&B logs as they are; anything else kept if it serialises (wandb's JSON
    and pickle), else its text, as an int or a float when the text reads as one."""
    video_kwargs = video_kwargs or {}
    image_kwargs = image_kwargs or {}

    def clean(v: Any) -> Any:
        return _clean_log(v, video_kwargs=video_kwargs, image_kwargs=image_kwargs)

    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, set)):
        return [clean(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(clean(v) for v in obj)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.ndarray) and obj.ndim in (3, 4, 5):
        wandb = _wandb()
        if obj.ndim == 3:  # one image (H, W, C)
            return wandb.Image(obj, **image_kwargs)
        if obj.ndim == 4:  # a batch of images (N, H, W, C)
            images = [wandb.Image(a, **image_kwargs) for a in obj]
            return clean(images) if len(images) > 1 else images[0]
        videos = [wandb.Video(a, **video_kwargs) for a in obj]  # a batch of videos (N, T, C, W, H)
        return clean(videos) if len(videos) > 1 else videos[0]
    if _is_allowed_type(obj):
        return obj
    try:
        from wandb.util import json_dumps_safer

        json_dumps_safer(obj)
        pickle.dumps(obj)
        return obj
    except Exception:  # noqa: BLE001 - as Ray: anything that does not serialise is logged as text
        text = str(obj)
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                pass
        return text


def _get_wandb_project(project: Optional[str] = None) -> Optional[str]:
    """The project: the argument, else ``WANDB_PROJECT_NAME`` (which the run-location hook may
    set first, when neither is there)."""
    if not project and not os.environ.get(WANDB_PROJECT_ENV_VAR) and os.environ.get(WANDB_POPULATE_RUN_LOCATION_HOOK):
        try:
            _load_hook(os.environ[WANDB_POPULATE_RUN_LOCATION_HOOK])()
        except Exception as e:  # noqa: BLE001 - Ray logs a failing hook and goes on
            logger.exception(f"Error executing {WANDB_POPULATE_RUN_LOCATION_HOOK} to populate "
                             f"{WANDB_PROJECT_ENV_VAR} and {WANDB_GROUP_ENV_VAR}: {e}", exc_info=e)
    if not project and os.environ.get(WANDB_PROJECT_ENV_VAR):
        project = os.environ.get(WANDB_PROJECT_ENV_VAR)
    return project


def _set_api_key(api_key_file: Optional[str] = None, api_key: Optional[str] = None) -> None:
    """Ray's API key check, skipped when ``WANDB_MODE`` is ``offline`` or ``disabled``: the key
    from `api_key` or the first line of `api_key_file` (not both), else ``WANDB_API_KEY``, else
    wandb's own login, else the key hook; a key found is put in ``WANDB_API_KEY``; none is Ray's
    ``ValueError``."""
    if os.environ.get(WANDB_MODE_ENV_VAR) in {"offline", "disabled"}:
        return
    if api_key_file:
        if api_key:
            raise ValueError("Both WandB `api_key_file` and `api_key` set.")
        with open(api_key_file, "rt") as f:
            api_key = f.readline().strip()
    if not api_key and not os.environ.get(WANDB_ENV_VAR):
        wandb = _wandb()
        try:
            wandb.ensure_configured()
            if wandb.api.api_key:
                logger.info("Already logged into W&B.")
                return
        except AttributeError:  # a wandb without these
            pass
        if WANDB_SETUP_API_KEY_HOOK in os.environ:
            try:
                api_key = _load_hook(os.environ[WANDB_SETUP_API_KEY_HOOK])()
            except Exception as e:  # noqa: BLE001 - Ray logs a failing hook and goes on
                logger.exception(f"Error executing {WANDB_SETUP_API_KEY_HOOK} to setup API key: {e}", exc_info=e)
    if api_key:
        os.environ[WANDB_ENV_VAR] = api_key
    elif not os.environ.get(WANDB_ENV_VAR):
        raise ValueError(f"No WandB API key found. Either set the {WANDB_ENV_VAR} environment variable, pass "
                         "`api_key` or `api_key_file` to the`WandbLoggerCallback` class as arguments, or run "
                         "`wandb login` from the command line")


def _run_wandb_process_run_info_hook(run: Any) -> None:
    """Gives `run` to the run-info hook, if one is set (a failing hook is logged)."""
    if WANDB_PROCESS_RUN_INFO_HOOK in os.environ:
        try:
            _load_hook(os.environ[WANDB_PROCESS_RUN_INFO_HOOK])(run)
        except Exception as e:  # noqa: BLE001 - Ray logs a failing hook and goes on
            logger.exception(f"Error calling {WANDB_PROCESS_RUN_INFO_HOOK}: {e}", exc_info=e)


class WandbLoggerCallback(LoggerCallback):
    """Ray's ``WandbLoggerCallback``: a W&B run per trial (id the trial's id, name the trial's
    name, group ``group`` or the experiment folder's name, in ``project``; the trial's
    configuration, cleaned, less ``excludes``, as the run's config; your ``kwargs`` passed on to
    ``wandb.init``). Every result is logged at step ``training_iteration``, flattened with ``/``,
    less ``done``, ``should_checkpoint``, ``excludes`` and (unless ``log_config``) ``config``; its
    ``trial_id``, ``experiment_tag``, ``node_ip``, ``experiment_id``, ``hostname``, ``pid`` and
    ``date`` update the run's config instead. With ``upload_checkpoints`` each checkpoint is
    logged as a ``model`` artifact. The run is finished when the trial ends; at the experiment's
    end the callback waits up to ``upload_timeout`` seconds for the runs still finishing.

    Each trial's run lives in a process of its own fed by a queue (wandb keeps one run per
    process; Ray uses an actor per trial for the same reason): the hooks only queue, so wandb is
    never on the trials' report path, and trials running at once log side by side
    (``swifttune/air/_internal/wandb_logging.py``)."""

    _exclude_results = ["done", "should_checkpoint"]

    AUTO_CONFIG_KEYS = ["trial_id", "experiment_tag", "node_ip", "experiment_id", "hostname", "pid", "date"]
    """Results that are saved with `wandb.config` instead of `wandb.log`."""

    def __init__(self, project: Optional[str] = None, group: Optional[str] = None, api_key_file: Optional[str] = None,
                 api_key: Optional[str] = None, excludes: Optional[list[str]] = None, log_config: bool = False,
                 upload_checkpoints: bool = False, save_checkpoints: bool = False,
                 upload_timeout: int = DEFAULT_SYNC_TIMEOUT, video_kwargs: Optional[dict[str, Any]] = None,
                 image_kwargs: Optional[dict[str, Any]] = None, **kwargs: Any) -> None:
        _wandb()
        if save_checkpoints:
            warnings.warn("`save_checkpoints` is deprecated. Use `upload_checkpoints` instead.", DeprecationWarning)
            upload_checkpoints = save_checkpoints
        self.project = project
        self.group = group
        self.api_key_path = api_key_file
        self.api_key_file: Optional[str] = None
        self.api_key = api_key
        self.excludes = excludes or []
        self.log_config = log_config
        self.upload_checkpoints = upload_checkpoints
        self._upload_timeout = upload_timeout
        self.video_kwargs = video_kwargs or {}
        self.image_kwargs = image_kwargs or {}
        self.kwargs = kwargs
        self._trial_loggers: dict["Trial", "TrialLogger"] = {}
        self._unfinished: list["TrialLogger"] = []  # the loggers not yet seen done

    def setup(self, *args: Any, **kwargs: Any) -> None:
        """Ray's checks: the API key (unless ``WANDB_MODE`` is offline or disabled) and the
        project (the argument, ``WANDB_PROJECT_NAME``, or the run-location hook); the group from
        ``WANDB_GROUP_NAME`` when not given."""
        self.api_key_file = os.path.expanduser(self.api_key_path) if self.api_key_path else None
        _set_api_key(self.api_key_file, self.api_key)
        self.project = _get_wandb_project(self.project)
        if not self.project:
            raise ValueError(f"Please pass the project name as argument or through the {WANDB_PROJECT_ENV_VAR} "
                             "environment variable.")
        if not self.group and os.environ.get(WANDB_GROUP_ENV_VAR):
            self.group = os.environ.get(WANDB_GROUP_ENV_VAR)

    def log_trial_start(self, trial: "Trial") -> None:
        from .._internal.wandb_logging import TrialLogger

        if trial in self._trial_loggers:  # a paused or retried trial running again: the same run
            return
        config = dict(trial.config)
        config.pop("callbacks", None)
        exclude = self._exclude_results + self.excludes + ([] if self.log_config else ["config"])
        config = {k: v for k, v in _clean_log(config).items() if k not in self.excludes}
        init_kwargs: dict[str, Any] = {
            "id": trial.trial_id, "name": str(trial), "resume": False, "reinit": True, "allow_val_change": True,
            "group": self.group or trial.experiment_dir_name, "project": self.project, "config": config}
        init_kwargs.update(self.kwargs)
        trial_logger = TrialLogger(str(trial), trial.local_path, exclude, self.AUTO_CONFIG_KEYS, init_kwargs)
        self._trial_loggers[trial] = trial_logger
        self._unfinished.append(trial_logger)

    def _logger_of(self, trial: "Trial") -> "TrialLogger":
        if trial not in self._trial_loggers:
            self.log_trial_start(trial)
        return self._trial_loggers[trial]

    def log_trial_result(self, iteration: int, trial: "Trial", result: dict[str, Any]) -> None:
        result = _clean_log(result, video_kwargs=self.video_kwargs, image_kwargs=self.image_kwargs)
        self._logger_of(trial).put(("result", result))

    def log_trial_save(self, trial: "Trial") -> None:
        if self.upload_checkpoints and trial.checkpoint is not None:
            self._logger_of(trial).put(("checkpoint", trial.checkpoint.path))

    def log_trial_end(self, trial: "Trial", failed: bool = False) -> None:
        trial_logger = self._trial_loggers.get(trial)
        if trial_logger is not None:
            trial_logger.end()
        self._cleanup(timeout=0)

    def on_experiment_end(self, trials: list["Trial"], **info: Any) -> None:
        """Waits up to ``upload_timeout`` seconds for the runs still finishing (uploading their
        data and artifacts); those still going then are ended, with a warning."""
        self._cleanup(timeout=self._upload_timeout, kill_on_timeout=True)

    def _cleanup(self, timeout: float, kill_on_timeout: bool = False) -> None:
        import time

        deadline = time.monotonic() + timeout
        still: list["TrialLogger"] = []
        for trial_logger in self._unfinished:
            if trial_logger.done() or (timeout > 0 and trial_logger.wait(max(0.0, deadline - time.monotonic()))):
                failure = trial_logger.failure()
                if failure:
                    logger.warning("The W&B logging process of trial %s failed (%s): its output says why.",
                                   trial_logger.trial_name, failure)
            elif kill_on_timeout:
                logger.warning("The W&B run of trial %s did not finish within upload_timeout=%s seconds; its "
                               "logging process was ended.", trial_logger.trial_name, self._upload_timeout)
                trial_logger.kill()
            else:
                still.append(trial_logger)
        self._unfinished = still
        for trial, trial_logger in list(self._trial_loggers.items()):
            if trial_logger not in still:  # done: a trial starting again after its end gets a new run
                del self._trial_loggers[trial]

    def __del__(self) -> None:
        try:
            for trial_logger in self._unfinished:
                trial_logger.end()
            self._cleanup(timeout=2, kill_on_timeout=True)
        except Exception:  # noqa: BLE001 - at interpreter shutdown, anything may be gone
            pass
