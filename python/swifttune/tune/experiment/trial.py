"""What callbacks and trial name creators see of a trial: the attributes of Ray's ``Trial``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Trial", "TrialInfo"]


@dataclass
class Trial:
    """What callbacks see of a trial (the attributes of Ray's ``Trial`` that callbacks use)."""

    trial_id: str
    trial_name: str
    config: dict[str, Any]
    status: str = "RUNNING"
    last_result: dict[str, Any] = field(default_factory=dict)
    local_path: str = ""

    def __str__(self) -> str:
        return self.trial_name


# ---------------------------------------------------------------------------------------------


TrialInfo = Trial
"""The name swifttune's earlier releases used."""
