"""Ray Tune's trainables: the class API and the wrappers of function trainables."""
from .trainable import Trainable
from .util import with_parameters, with_resources

__all__ = ["Trainable", "with_parameters", "with_resources"]
