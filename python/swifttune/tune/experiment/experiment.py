"""Ray Tune's ``Experiment`` (``ray.tune.experiment.experiment``): the description of one
experiment that ``tune.run`` and ``tune.run_experiments`` run."""
from __future__ import annotations

import copy
import datetime
import pprint
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from ..checkpoint import CheckpointConfig
from ..error import TuneError
from ..impl.config import local_storage_path, validate_log_to_file
from ..syncer import SyncConfig

__all__ = ["Experiment"]

_LOCAL_DIR_MESSAGE = ("The `local_dir` argument is deprecated. You should set the `storage_path` instead. See the "
                      "docs: https://docs.ray.io/en/latest/train/user-guides/"
                      "persistent-storage.html#setting-the-local-staging-directory")


class Experiment:
    """Ray's ``Experiment(name, run, *, stop, time_budget_s, config, resources_per_trial,
    num_samples, storage_path, storage_filesystem, sync_config, checkpoint_config,
    trial_name_creator, trial_dirname_creator, log_to_file, export_formats, max_failures,
    restore, local_dir)``; ``run`` is a trainable or the name it was registered under
    (``tune.register_trainable``)."""

    def __init__(self, name: Optional[str], run: Union[str, Callable[..., Any], type], *, stop: Any = None,
                 time_budget_s: Union[int, float, datetime.timedelta, None] = None,
                 config: Optional[dict[str, Any]] = None, resources_per_trial: Optional[Mapping[str, Any]] = None,
                 num_samples: int = 1, storage_path: Optional[str] = None, storage_filesystem: Any = None,
                 sync_config: Union[SyncConfig, dict[str, Any], None] = None,
                 checkpoint_config: Union[CheckpointConfig, dict[str, Any], None] = None,
                 trial_name_creator: Optional[Callable[[Any], str]] = None,
                 trial_dirname_creator: Optional[Callable[[Any], str]] = None, log_to_file: Any = False,
                 export_formats: Optional[Sequence[str]] = None, max_failures: int = 0,
                 restore: Optional[str] = None, local_dir: Optional[str] = None) -> None:
        if local_dir is not None:
            raise DeprecationWarning(_LOCAL_DIR_MESSAGE)
        if storage_filesystem is not None:
            raise NotImplementedError("storage_filesystem is not supported by swifttune (it stores on the local "
                                      "filesystem only); use a local storage_path or a file:// URI instead.")
        if export_formats:
            raise NotImplementedError("export_formats is not supported by swifttune (trainables export no models "
                                      "here); save what you need in a checkpoint (tune.report(metrics, "
                                      "checkpoint=...)) instead.")
        if restore is not None:
            raise NotImplementedError("restore (a checkpoint every trial starts from) is not supported by "
                                      "swifttune; load it in the trainable, or continue an experiment with "
                                      "tune.run(..., resume=True) / Tuner.restore instead.")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"`name` must be a str, got {type(name).__name__}")
        if config is not None and not isinstance(config, dict):
            raise ValueError(f"The `config` passed to `tune.Experiment` must be a dict. Got '{type(config)}' "
                             "instead.")
        if isinstance(run, str):
            from ..registry import get_trainable_cls

            get_trainable_cls(run)
        elif not callable(run):
            raise TuneError(f"Improper 'run' - not string nor trainable: {run!r}")
        local_storage_path(storage_path)
        validate_log_to_file(log_to_file)
        if isinstance(sync_config, dict):
            sync_config = SyncConfig(**sync_config)
        if isinstance(checkpoint_config, dict):
            checkpoint_config = CheckpointConfig(**checkpoint_config)
        self.name = name
        self.run = run
        self.stop = stop
        self.time_budget_s = time_budget_s
        self.config = config or {}
        self.resources_per_trial = resources_per_trial
        self.num_samples = num_samples
        self.storage_path = storage_path
        self.sync_config = sync_config or SyncConfig()
        self.checkpoint_config = checkpoint_config or CheckpointConfig()
        self.trial_name_creator = trial_name_creator
        self.trial_dirname_creator = trial_dirname_creator
        self.log_to_file = log_to_file
        self.max_failures = max_failures
        self._run_identifier = run if isinstance(run, str) else self.get_trainable_name(run)

    @classmethod
    def from_json(cls, name: str, spec: dict[str, Any]) -> "Experiment":
        """An experiment from its JSON description (``{"run": ..., "config": ..., ...}``)."""
        if "run" not in spec:
            raise TuneError("No trainable specified!")
        spec = copy.deepcopy(spec)
        if "env" in spec:
            spec["config"] = spec.get("config", {})
            spec["config"]["env"] = spec.pop("env")
        run_value = spec.pop("run")
        try:
            return cls(name, run_value, **spec)
        except TypeError as e:
            raise TuneError(f"Failed to load the following Tune experiment specification:\n\n "
                            f"{pprint.pformat(spec)}.\n\nPlease check that the arguments are valid. Experiment "
                            f"creation failed with the following error:\n {e}") from e

    @classmethod
    def get_trainable_name(cls, run_object: Union[str, Callable[..., Any], type]) -> str:
        """The trainable's name: the registered name, or the function's or class's name."""
        if isinstance(run_object, str):
            return run_object
        return str(getattr(run_object, "__name__", None) or type(run_object).__name__)

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r}, run={self._run_identifier!r})"
