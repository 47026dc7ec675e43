"""hyperopt's ``hp`` functions: labelled distributions and choices for swifttune's TPE."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from .._space import HPNode

__all__ = ["uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal", "lognormal", "qlognormal",
           "randint", "uniformint", "choice", "pchoice"]


def uniform(label: str, low: float, high: float) -> HPNode:
    return HPNode("uniform", label, {"low": low, "high": high})


def quniform(label: str, low: float, high: float, q: float) -> HPNode:
    return HPNode("quniform", label, {"low": low, "high": high, "q": q})


def loguniform(label: str, low: float, high: float) -> HPNode:
    """exp(uniform(low, high)): ``low`` and ``high`` are the logs of the bounds, as in hyperopt."""
    return HPNode("loguniform", label, {"low": low, "high": high})


def qloguniform(label: str, low: float, high: float, q: float) -> HPNode:
    return HPNode("qloguniform", label, {"low": low, "high": high, "q": q})


def normal(label: str, mu: float, sigma: float) -> HPNode:
    return HPNode("normal", label, {"mu": mu, "sigma": sigma})


def qnormal(label: str, mu: float, sigma: float, q: float) -> HPNode:
    return HPNode("qnormal", label, {"mu": mu, "sigma": sigma, "q": q})


def lognormal(label: str, mu: float, sigma: float) -> HPNode:
    return HPNode("lognormal", label, {"mu": mu, "sigma": sigma})


def qlognormal(label: str, mu: float, sigma: float, q: float) -> HPNode:
    return HPNode("qlognormal", label, {"mu": mu, "sigma": sigma, "q": q})


def randint(label: str, *args: int, **kwargs: int) -> HPNode:
    """``randint(label, upper)`` is an integer in [0, upper); ``randint(label, low, high)`` in [low, high)."""
    if kwargs:
        low, high = kwargs.get("low", args[0] if args else 0), kwargs.get("high")
        if high is None:
            high = args[0] if args else kwargs.get("upper")
    elif len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint(label, upper) or randint(label, low, high)")
    return HPNode("randint", label, {"low": low, "high": high})


def uniformint(label: str, low: int, high: int, q: float = 1.0) -> HPNode:
    return HPNode("uniformint", label, {"low": low, "high": high, "q": int(q)})


def choice(label: str, options: Sequence[Any]) -> HPNode:
    return HPNode("choice", label, {}, options=list(options))


def pchoice(label: str, p_options: Sequence[tuple[float, Any]]) -> HPNode:
    ps = [float(p) for p, _ in p_options]
    return HPNode("pchoice", label, {}, options=[o for _, o in p_options], probabilities=ps)
