"""Ray's ``Repeater``: every configuration of a searcher runs ``repeat`` times, and the searcher
learns the mean of the repeats (the Swift engine's ``Repeater`` does both)."""
from __future__ import annotations


from .searcher import Searcher, SearcherWrapper

__all__ = ["Repeater", "TRIAL_INDEX"]

TRIAL_INDEX = "__trial_index__"
"""The configuration key of a trial's index among the repeats of its configuration (Ray's name)."""


class Repeater(SearcherWrapper):
    """Ray's ``Repeater(searcher, repeat=1, set_index=True)``: each suggestion of `searcher` runs
    as `repeat` trials (with ``TRIAL_INDEX`` in their configurations when `set_index`); the
    searcher sees the first of them only, completed with the mean of their metric values (values
    missing or NaN left out). Set ``num_samples`` to a multiple of `repeat`: it counts trials."""

    _wrapper_kind = "repeat"

    def __init__(self, searcher: Searcher, repeat: int = 1, set_index: bool = True) -> None:
        if not isinstance(searcher, Searcher):
            raise TypeError(f"Repeater needs a Searcher to repeat, got {type(searcher).__name__}")
        if not (type(repeat) is int and repeat >= 1):
            raise ValueError(f"`repeat` must be a positive integer, got {repeat!r}")
        super().__init__(searcher.metric, searcher.mode)
        self.searcher = searcher
        self.repeat = repeat
        self._set_index = bool(set_index)
