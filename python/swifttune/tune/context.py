"""Ray Tune's ``TuneContext``: what ``tune.get_context()`` tells a trial about itself."""
from __future__ import annotations

from typing import Any

__all__ = ["TuneContext", "get_context"]


class TuneContext:
    """What ``tune.get_context()`` returns inside a trial."""

    def __init__(self, session: Any) -> None:
        self._s = session

    def get_trial_id(self) -> str:
        """The trial's id, as the engine named it."""
        return str(self._s.trial_id)

    def get_trial_name(self) -> str:
        """The trial's name (``trial_name_creator``, or the trainable's name and the trial number)."""
        return str(self._s.trial_name)

    def get_trial_dir(self) -> str:
        """The trial's folder, where its results and checkpoints are written."""
        return str(self._s.trial_dir)

    def get_trial_resources(self) -> Any:
        """The resources the trial takes, as Ray gives them: a ``PlacementGroupFactory`` (its
        ``required_resources`` by Ray's names)."""
        from .execution.placement_groups import PlacementGroupFactory

        return PlacementGroupFactory([dict(self._s.resources)])

    def get_experiment_name(self) -> str:
        """The experiment's name (``RunConfig(name=...)``)."""
        return str(self._s.run.name)


from .session import get_context  # noqa: E402  (session imports TuneContext)
