"""Ray Tune's sampling functions (``ray.tune.search.sample``)."""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from ..._space import Categorical, Domain, GridSearch, SampleFrom

__all__ = ["uniform", "quniform", "loguniform", "qloguniform", "choice", "randint", "qrandint", "lograndint",
           "qlograndint", "randn", "qrandn", "sample_from", "grid_search", "Domain"]


def _base(base: Optional[float]) -> dict[str, Any]:
    return {} if base is None else {"base": float(base)}


def uniform(lower: float, upper: float) -> Domain:
    """Sample a float value uniformly between ``lower`` and ``upper``."""
    return Domain("tune.uniform", {"lower": lower, "upper": upper})


def quniform(lower: float, upper: float, q: float) -> Domain:
    """Sample a float uniformly between ``lower`` and ``upper``, rounded to a multiple of ``q``."""
    return Domain("tune.quniform", {"lower": lower, "upper": upper, "q": q})


def loguniform(lower: float, upper: float, base: Optional[float] = None) -> Domain:
    """Sample a float log-uniformly between ``lower`` and ``upper`` (``base`` does not change the distribution)."""
    return Domain("tune.loguniform", {"lower": lower, "upper": upper, **_base(base)})


def qloguniform(lower: float, upper: float, q: float, base: Optional[float] = None) -> Domain:
    """Sample a float log-uniformly, rounded to a multiple of ``q``."""
    return Domain("tune.qloguniform", {"lower": lower, "upper": upper, "q": q, **_base(base)})


def choice(categories: Sequence[Any]) -> Categorical:
    """Sample one of ``categories`` uniformly (categories may be nested spaces)."""
    if not isinstance(categories, (list, tuple)) or len(categories) == 0:
        raise ValueError("tune.choice needs a non-empty list of categories")
    return Categorical(list(categories))


def randint(lower: int, upper: int) -> Domain:
    """Sample an integer uniformly between ``lower`` (inclusive) and ``upper`` (exclusive)."""
    return Domain("tune.randint", {"lower": lower, "upper": upper})


def qrandint(lower: int, upper: int, q: int = 1) -> Domain:
    """Sample an integer between ``lower`` and ``upper`` (both inclusive), a multiple of ``q``."""
    return Domain("tune.qrandint", {"lower": lower, "upper": upper, "q": q})


def lograndint(lower: int, upper: int, base: Optional[float] = None) -> Domain:
    """Sample an integer log-uniformly between ``lower`` (inclusive) and ``upper`` (exclusive)."""
    return Domain("tune.lograndint", {"lower": lower, "upper": upper, **_base(base)})


def qlograndint(lower: int, upper: int, q: int, base: Optional[float] = None) -> Domain:
    """Sample an integer log-uniformly between ``lower`` and ``upper`` (inclusive), a multiple of ``q``."""
    return Domain("tune.qlograndint", {"lower": lower, "upper": upper, "q": q, **_base(base)})


def randn(mean: float = 0.0, sd: float = 1.0) -> Domain:
    """Sample a float from a normal distribution."""
    return Domain("tune.randn", {"mean": mean, "sd": sd})


def qrandn(mean: float, sd: float, q: float) -> Domain:
    """Sample a float from a normal distribution, rounded to a multiple of ``q``."""
    return Domain("tune.qrandn", {"mean": mean, "sd": sd, "q": q})


def sample_from(func: Callable[..., Any]) -> SampleFrom:
    """A value computed by ``func(spec)`` from the rest of the configuration (``spec.config``)."""
    return SampleFrom(func)


def grid_search(values: Sequence[Any]) -> GridSearch:
    """Every one of ``values`` (not supported by searchers such as HyperOptSearch, as in Ray)."""
    return GridSearch(list(values))
