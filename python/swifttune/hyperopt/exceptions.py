"""hyperopt's ``hyperopt.exceptions``, the same classes with the same bases and arguments, so that
``except`` clauses written for hyperopt catch swifttune's errors."""
from __future__ import annotations

from typing import Any

__all__ = ["BadSearchSpace", "DuplicateLabel", "InvalidTrial", "InvalidResultStatus", "InvalidLoss",
           "AllTrialsFailed", "InvalidAnnotatedParameter"]


class BadSearchSpace(Exception):
    """Something is wrong in the description of the search space."""


class DuplicateLabel(BadSearchSpace):
    """A search space included a duplicate label."""


class InvalidTrial(ValueError):
    """A non-trial-like object used as a trial (the message ends with the object)."""

    def __init__(self, msg: str, obj: Any) -> None:
        ValueError.__init__(self, msg + " " + str(obj))
        self.obj = obj


class InvalidResultStatus(ValueError):
    """The objective's result has a status that is not one of ``base.STATUS_STRINGS``."""

    def __init__(self, result: Any) -> None:
        ValueError.__init__(self)
        self.result = result


class InvalidLoss(ValueError):
    """The objective returned a loss that is not a number."""

    def __init__(self, result: Any) -> None:
        ValueError.__init__(self)
        self.result = result


class AllTrialsFailed(Exception):
    """No trial finished with status ``ok`` (so there is no best trial)."""


class InvalidAnnotatedParameter(ValueError):
    """The objective has a type hint that is not an ``hp`` expression."""

    def __init__(self, result: Any) -> None:
        ValueError.__init__(self)
        self.result = result
