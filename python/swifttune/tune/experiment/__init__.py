"""Ray Tune's ``ray.tune.experiment``: the ``Trial`` that callbacks see."""
from .trial import Trial

__all__ = ["Trial"]
