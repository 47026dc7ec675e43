"""swifttune's hyperopt-compatible API: ``fmin``, ``Trials``, ``tpe``, ``rand``, ``anneal``, ``hp``,
``space_eval``, the status and job-state constants, ``pyll.scope``, ``early_stop``, and the
modules ``base``, ``exceptions``, ``progress`` and ``plotting``. Swap ``hyperopt`` for
``swifttune.hyperopt`` in the imports."""
from . import anneal, base, early_stop, exceptions, hp, progress, pyll, rand, tpe
from .domain import Domain
from .base import (JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATES, STATUS_NEW, STATUS_RUNNING, STATUS_STRINGS,
                   STATUS_SUSPENDED)
from .exceptions import AllTrialsFailed
from .base import JOB_STATE_DONE, JOB_STATE_ERROR, STATUS_FAIL, STATUS_OK
from .fmin import fmin, space_eval
from .trials import Trials
from .spark import SparkTrials

__all__ = ["fmin", "Trials", "tpe", "rand", "anneal", "hp", "space_eval", "STATUS_OK", "STATUS_FAIL", "STATUS_NEW",
           "STATUS_RUNNING", "STATUS_SUSPENDED", "STATUS_STRINGS", "JOB_STATE_NEW", "JOB_STATE_RUNNING",
           "JOB_STATE_DONE", "JOB_STATE_ERROR", "JOB_STATES", "pyll", "early_stop", "base", "exceptions", "progress",
           "AllTrialsFailed", "Domain", "SparkTrials"]
