"""What callbacks and trial name creators see of a trial: the attributes of Ray's ``Trial``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional

__all__ = ["Trial", "TrialInfo", "experiment_tag"]


def _format_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) >= 1e-4 or v == 0 else f"{v:.4e}"
    return str(v)


def experiment_tag(number: int, config: Any) -> str:
    """Ray's ``experiment_tag``: the trial's number and its configuration's values (``0_lr=0.0100,x=3``)."""
    from .._internal.flatten import flatten_dict

    flat = flatten_dict(config) if isinstance(config, dict) else {}
    shown = ",".join(f"{str(k).split('/')[-1]}={_format_value(v)}" for k, v in flat.items()
                     if isinstance(v, (int, float, str, bool)))
    return f"{number}_{shown}" if shown else str(number)


@dataclass(eq=False)
class Trial:
    """A trial as callbacks and ``trial_name_creator`` / ``trial_dirname_creator`` see it (the
    attributes of Ray's ``Trial``); ``str(trial)`` is its name. Trials compare and hash by identity,
    as Ray's do (callbacks key dicts by trial)."""

    PENDING: ClassVar[str] = "PENDING"
    RUNNING: ClassVar[str] = "RUNNING"
    PAUSED: ClassVar[str] = "PAUSED"
    TERMINATED: ClassVar[str] = "TERMINATED"
    ERROR: ClassVar[str] = "ERROR"

    trial_id: str
    trial_name: str
    config: dict[str, Any]
    status: str = "RUNNING"
    last_result: dict[str, Any] = field(default_factory=dict)
    local_path: str = ""
    trainable_name: str = "trainable"
    experiment_tag: str = ""
    checkpoint: Optional[Any] = None
    """The trial's latest checkpoint (a ``tune.Checkpoint``), or None."""
    experiment_dir_name: str = ""
    """The name of the experiment's folder (``RunConfig(name=...)``, or the name made for it)."""

    @property
    def path(self) -> str:
        """The trial's folder."""
        return self.local_path

    def init_local_path(self) -> None:
        """Makes the trial's folder if it is not there yet (Ray's method; swifttune makes it
        before the trial starts)."""
        if self.local_path:
            import os

            os.makedirs(self.local_path, exist_ok=True)

    @property
    def custom_trial_name(self) -> Optional[str]:
        return self.trial_name

    def __str__(self) -> str:
        return self.trial_name

    def __repr__(self) -> str:
        return self.trial_name


# ---------------------------------------------------------------------------------------------


TrialInfo = Trial
"""The name swifttune's earlier releases used."""
