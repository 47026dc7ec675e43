"""Ray Tune's ``ray.tune.experiment``: the ``Trial`` that callbacks see and the ``Experiment``
that ``tune.run`` runs."""
from .experiment import Experiment
from .trial import Trial

__all__ = ["Experiment", "Trial"]
