"""What ``Tuner.restore`` reads back: the state file (the Tuner's settings and the engine's saved
state) and, pickled beside it, what only Python knows (the search space's Python values, the
constants merged into configurations, the trial name creators)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .journal import load_state
from .state import STATE_FILE, write_atomically

if TYPE_CHECKING:
    from ..tuner import Tuner

__all__ = ["PICKLE_FILE", "read_state", "save_python_side", "load_python_side"]

logger = logging.getLogger("swifttune.tune")

PICKLE_FILE = "tuner.pkl"
"""The Python side of an experiment, beside its state file (as Ray pickles its Tuner)."""


def read_state(path: Path) -> dict[str, Any]:
    """The state file in `path`, checked to be one of swifttune's (it has the engine's state)."""
    if not (path / STATE_FILE).is_file():
        raise ValueError(f"Could not find an experiment state file ({STATE_FILE}) in {path}")
    try:
        saved = load_state(path / STATE_FILE)  # the snapshot with its journal applied
        saved["engine"]
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"The experiment state file {path / STATE_FILE} is not a swifttune experiment state: {e}") from e
    return saved


def save_python_side(tuner: "Tuner") -> None:
    """Pickles what only Python knows beside the state, so ``Tuner.restore`` needs no more than the
    trainable; a space that does not pickle is said once (restoring then needs the param_space)."""
    tc, rc = tuner.tune_config, tuner.run_config
    try:
        import cloudpickle

        side = {"refs": tuner._refs, "constants": tuner._constants, "trial_name_creator": tc.trial_name_creator,
                "trial_dirname_creator": tc.trial_dirname_creator}
        data = cloudpickle.dumps(side)
    except Exception as e:  # noqa: BLE001 - restoring then needs the param_space
        logger.warning("The search space's Python values could not be pickled (%s: %s); Tuner.restore will "
                       "need param_space=...", type(e).__name__, e)
        return
    # Ray restores the RunConfig's callbacks and progress reporter from its Tuner pickle too.
    try:
        data = cloudpickle.dumps({**side, "callbacks": rc.callbacks, "progress_reporter": rc.progress_reporter})
    except Exception as e:  # noqa: BLE001 - the restored experiment then runs without them
        logger.warning("The RunConfig's callbacks or progress reporter could not be pickled (%s: %s); Tuner.restore "
                       "will run without them.", type(e).__name__, e)
    write_atomically(tuner._path / PICKLE_FILE, data)


def load_python_side(tuner: "Tuner", path: Path, have_param_space: bool) -> None:
    """Puts back what `save_python_side` pickled in `path`, if it is there (the space's Python
    values only when no param_space was passed to restore)."""
    if not (path / PICKLE_FILE).is_file():
        return
    import cloudpickle

    try:
        with open(path / PICKLE_FILE, "rb") as f:
            pickled = cloudpickle.load(f)
    except Exception as e:  # noqa: BLE001 - say what to do instead
        raise ValueError(f"The Python side of the experiment saved in {path / PICKLE_FILE} could not be loaded "
                         f"({type(e).__name__}: {e}); pass the experiment's param_space to Tuner.restore.") from e
    if not have_param_space:
        tuner._refs = pickled["refs"]
    tuner._constants = pickled["constants"]
    tuner.tune_config.trial_name_creator = pickled["trial_name_creator"]
    tuner.tune_config.trial_dirname_creator = pickled["trial_dirname_creator"]
    tuner.run_config.callbacks = pickled.get("callbacks")
    tuner.run_config.progress_reporter = pickled.get("progress_reporter")
