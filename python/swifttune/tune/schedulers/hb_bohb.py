"""Ray's ``ray.tune.schedulers.hb_bohb.HyperBandForBOHB``: HyperBand without its pipelining, for
BOHB (``TuneBOHB``). Ray's arguments and checks; the Swift engine's ``HyperBandForBOHB`` decides."""
from __future__ import annotations

from typing import Any

from .hyperband import HyperBandScheduler

__all__ = ["HyperBandForBOHB"]


class HyperBandForBOHB(HyperBandScheduler):
    """HyperBand for BOHB, as Ray's ``HyperBandForBOHB``: brackets are filled largest first; a trial
    at its milestone pauses (its searcher hears it, so that ``TuneBOHB`` may start another trial in
    its place) until its bracket is full and every other trial of it is paused, then the bracket
    is halved as ``HyperBandScheduler`` halves it. Each result carries Ray's ``hyperband_info``
    (``{"budget": milestone}`` at a milestone), which ``TuneBOHB``'s model learns from."""

    def _spec(self) -> dict[str, Any]:
        return dict(super()._spec(), type="hb_bohb")
