"""swifttune's hyperopt-compatible API: ``fmin``, ``Trials``, ``tpe``, ``rand``, ``hp``,
``space_eval``, ``STATUS_OK`` / ``STATUS_FAIL``, ``pyll.scope.int`` and ``early_stop``.
Swap ``hyperopt`` for ``swifttune.hyperopt`` in the imports."""
from . import early_stop, hp, pyll
from .fmin import (JOB_STATE_DONE, JOB_STATE_ERROR, STATUS_FAIL, STATUS_OK, AllTrialsFailed, Trials, fmin, rand,
                   space_eval, tpe)

__all__ = ["fmin", "Trials", "tpe", "rand", "hp", "space_eval", "STATUS_OK", "STATUS_FAIL", "pyll", "early_stop",
           "AllTrialsFailed", "JOB_STATE_DONE", "JOB_STATE_ERROR"]
