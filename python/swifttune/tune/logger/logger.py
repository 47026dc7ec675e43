"""Ray Tune's logger interfaces (``ray.tune.logger.logger``): ``LoggerCallback``, the base of
experiment-level loggers; ``Logger``, Ray's older per-trial logger class, with
``LegacyLoggerCallback`` to run such classes; and ``pretty_print``."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable, Optional

from ..callback import Callback

if TYPE_CHECKING:
    from ..experiment.trial import Trial

__all__ = ["Logger", "LoggerCallback", "LegacyLoggerCallback", "pretty_print"]


class Logger:
    """Ray's per-trial logger class: made for each trial with its configuration, folder and
    trial (``_init`` is then called), given every result (``on_result``), closed at the trial's
    end. Run with ``LegacyLoggerCallback([MyLogger])``."""

    def __init__(self, config: dict[str, Any], logdir: str, trial: Optional["Trial"] = None) -> None:
        self.config = config
        self.logdir = logdir
        self.trial = trial
        self._init()

    def _init(self) -> None:
        pass

    def on_result(self, result: dict[str, Any]) -> None:
        """Called with every result of the trial."""
        raise NotImplementedError

    def update_config(self, config: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        """Called at the trial's end."""

    def flush(self) -> None:
        """Called when the trial saves a checkpoint."""


class LoggerCallback(Callback):
    """Ray's base class of experiment-level loggers: override ``log_trial_start``,
    ``log_trial_result``, ``log_trial_save``, ``log_trial_restore`` or ``log_trial_end``; the
    callback hooks call them as Ray's do (``on_trial_complete`` and ``on_trial_error`` end the
    trial, ``failed`` saying which)."""

    _SAVED_FILE_TEMPLATES: list[str] = []

    def log_trial_start(self, trial: "Trial") -> None:
        """A trial started."""

    def log_trial_restore(self, trial: "Trial") -> None:
        """A trial was restored (never called, as in Ray 2.53)."""

    def log_trial_save(self, trial: "Trial") -> None:
        """A trial saved a checkpoint."""

    def log_trial_result(self, iteration: int, trial: "Trial", result: dict[str, Any]) -> None:
        """A trial reported a result."""

    def log_trial_end(self, trial: "Trial", failed: bool = False) -> None:
        """A trial ended (``failed``: it raised)."""

    def on_trial_result(self, iteration: int, trials: list["Trial"], trial: "Trial", result: dict[str, Any],
                        **info: Any) -> None:
        self.log_trial_result(iteration, trial, result)

    def on_trial_start(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        self.log_trial_start(trial)

    def on_trial_restore(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        self.log_trial_restore(trial)

    def on_trial_save(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        self.log_trial_save(trial)

    def on_trial_complete(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        self.log_trial_end(trial, failed=False)

    def on_trial_error(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        self.log_trial_end(trial, failed=True)


class LegacyLoggerCallback(LoggerCallback):
    """Runs Ray's older per-trial ``Logger`` classes: one of each class per trial, made when the
    trial starts, given its results, flushed when it saves, closed when it ends."""

    def __init__(self, logger_classes: Iterable[type[Logger]]) -> None:
        self.logger_classes = list(logger_classes)
        for cls in self.logger_classes:
            refusal = getattr(cls, "refusal", None)
            if refusal is not None:  # one of Ray's built-in logger classes swifttune refuses
                raise refusal()
        self._class_trial_loggers: dict[type[Logger], dict["Trial", Logger]] = {}

    def log_trial_start(self, trial: "Trial") -> None:
        trial.init_local_path()
        for cls in self.logger_classes:
            loggers = self._class_trial_loggers.setdefault(cls, {})
            if trial not in loggers:
                loggers[trial] = cls(trial.config, trial.local_path, trial)

    def _each(self, trial: "Trial") -> list[Logger]:
        return [loggers[trial] for loggers in self._class_trial_loggers.values() if trial in loggers]

    def log_trial_restore(self, trial: "Trial") -> None:
        for lg in self._each(trial):
            lg.flush()

    def log_trial_save(self, trial: "Trial") -> None:
        for lg in self._each(trial):
            lg.flush()

    def log_trial_result(self, iteration: int, trial: "Trial", result: dict[str, Any]) -> None:
        for lg in self._each(trial):
            lg.on_result(result)

    def log_trial_end(self, trial: "Trial", failed: bool = False) -> None:
        for lg in self._each(trial):
            lg.close()


def pretty_print(result: dict[str, Any], exclude: Optional[set[str]] = None) -> str:
    """Ray's ``pretty_print``: a result as YAML (keys sorted; ``config``, ``hist_stats`` and None
    values left out; values YAML does not know as text). Needs PyYAML (``pip install pyyaml``)."""
    try:
        import yaml
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("pretty_print writes YAML: pip install pyyaml") from e
    out = {k: v for k, v in result.items()
           if v is not None and k not in ("config", "hist_stats") and (exclude is None or k not in exclude)}
    plain = json.loads(json.dumps(out, default=_fallback))

    class _Dumper(yaml.SafeDumper):
        def represent_sequence(self, tag: Any, sequence: Any, flow_style: Any = None) -> Any:
            # long lists on one line, as Ray prints them
            return super().represent_sequence(tag, sequence, flow_style=True if len(sequence) > 3 else flow_style)

    return str(yaml.dump(plain, Dumper=_Dumper, default_flow_style=False))


def _fallback(value: Any) -> Any:
    """A value JSON does not know: numpy numbers and arrays as numbers and lists, others as text."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)
