"""Ray Tune's sampling functions (``ray.tune.search.sample``).

Each function checks the types of its arguments at once (a TypeError naming the argument); whether
the values make a valid distribution (``lower < upper``, ``q > 0``, ...) is checked with the whole
search space, when a searcher or the Tuner reads it, and that message names the parameter too.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from ..._space import Categorical, Domain, GridSearch, SampleFrom, _number, require_list, require_number

__all__ = ["uniform", "quniform", "loguniform", "qloguniform", "choice", "randint", "qrandint", "lograndint",
           "qlograndint", "randn", "qrandn", "sample_from", "grid_search", "Domain"]


def _domain(kind: str, base: Optional[float] = None, **args: Any) -> Domain:
    for name, value in args.items():
        require_number(kind, name, value)
        args[name] = _number(value)  # numpy scalars as Python numbers, for the space's JSON
    if base is not None:
        require_number(kind, "base", base)
        args["base"] = float(base)
    return Domain(kind, args)


def _values(where: str, name: str, values: Any) -> list[Any]:
    """`values` as a non-empty list (see ``require_list``)."""
    return require_list(where, name, values, f"{where} needs a non-empty list of {name}: `{name}` is empty")


def uniform(lower: float, upper: float) -> Domain:
    """Sample a float value uniformly between ``lower`` and ``upper``."""
    return _domain("tune.uniform", lower=lower, upper=upper)


def quniform(lower: float, upper: float, q: float) -> Domain:
    """Sample a float uniformly between ``lower`` and ``upper``, rounded to a multiple of ``q``."""
    return _domain("tune.quniform", lower=lower, upper=upper, q=q)


def loguniform(lower: float, upper: float, base: Optional[float] = None) -> Domain:
    """Sample a float log-uniformly between ``lower`` and ``upper`` (``base`` does not change the distribution)."""
    return _domain("tune.loguniform", base, lower=lower, upper=upper)


def qloguniform(lower: float, upper: float, q: float, base: Optional[float] = None) -> Domain:
    """Sample a float log-uniformly, rounded to a multiple of ``q``."""
    return _domain("tune.qloguniform", base, lower=lower, upper=upper, q=q)


def choice(categories: Sequence[Any]) -> Categorical:
    """Sample one of ``categories`` uniformly (categories may be nested spaces)."""
    return Categorical(_values("tune.choice", "categories", categories))


def randint(lower: int, upper: int) -> Domain:
    """Sample an integer uniformly between ``lower`` (inclusive) and ``upper`` (exclusive)."""
    return _domain("tune.randint", lower=lower, upper=upper)


def qrandint(lower: int, upper: int, q: int = 1) -> Domain:
    """Sample an integer between ``lower`` and ``upper`` (both inclusive), a multiple of ``q``."""
    return _domain("tune.qrandint", lower=lower, upper=upper, q=q)


def lograndint(lower: int, upper: int, base: Optional[float] = None) -> Domain:
    """Sample an integer log-uniformly between ``lower`` (inclusive) and ``upper`` (exclusive)."""
    return _domain("tune.lograndint", base, lower=lower, upper=upper)


def qlograndint(lower: int, upper: int, q: int, base: Optional[float] = None) -> Domain:
    """Sample an integer log-uniformly between ``lower`` and ``upper`` (inclusive), a multiple of ``q``."""
    return _domain("tune.qlograndint", base, lower=lower, upper=upper, q=q)


def randn(mean: float = 0.0, sd: float = 1.0) -> Domain:
    """Sample a float from a normal distribution."""
    return _domain("tune.randn", mean=mean, sd=sd)


def qrandn(mean: float, sd: float, q: float) -> Domain:
    """Sample a float from a normal distribution, rounded to a multiple of ``q``."""
    return _domain("tune.qrandn", mean=mean, sd=sd, q=q)


def sample_from(func: Callable[..., Any]) -> SampleFrom:
    """A value computed by ``func(spec)`` from the rest of the configuration (``spec.config``)."""
    if not callable(func):
        raise TypeError(f"tune.sample_from: `func` must be callable, got {type(func).__name__} {func!r}")
    return SampleFrom(func)


def grid_search(values: Sequence[Any]) -> GridSearch:
    """Every one of ``values`` (not supported by searchers such as HyperOptSearch, as in Ray)."""
    return GridSearch(_values("tune.grid_search", "values", values))
