"""hyperopt's ``hp`` functions: labelled distributions and choices for swifttune's TPE.

Each function checks its label and the types of its arguments at once (hyperopt's "require
string label", and a TypeError naming any argument that is not a number); whether the values make
a valid distribution (``low < high``, ``sigma > 0``, ...) is checked with the whole space, when
``fmin`` or a searcher reads it, and that message names the label.
"""
from __future__ import annotations

import numbers
from typing import Any, Sequence

from .._space import HPNode, _number, require_list, require_number

__all__ = ["uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal", "lognormal", "qlognormal",
           "randint", "uniformint", "choice", "pchoice"]


def _node(kind: str, label: str, **args: Any) -> HPNode:
    _label(kind, label)
    for name, value in args.items():
        require_number(f"hp.{kind} {label!r}", name, value)
    return HPNode(kind, label, {k: _number(v) for k, v in args.items()})


def _label(kind: str, label: Any) -> None:
    if not isinstance(label, str):
        raise TypeError(f"require string label: hp.{kind}'s `label` must be a string, got {label!r}")


def _options(kind: str, label: str, name: str, options: Any) -> list[Any]:
    where = f"hp.{kind} {label!r}"
    return require_list(where, name, options, f"{where}: `{name}` is empty; it needs at least one option")


def uniform(label: str, low: float, high: float) -> HPNode:
    return _node("uniform", label, low=low, high=high)


def quniform(label: str, low: float, high: float, q: float) -> HPNode:
    return _node("quniform", label, low=low, high=high, q=q)


def loguniform(label: str, low: float, high: float) -> HPNode:
    """exp(uniform(low, high)): ``low`` and ``high`` are the logs of the bounds, as in hyperopt."""
    return _node("loguniform", label, low=low, high=high)


def qloguniform(label: str, low: float, high: float, q: float) -> HPNode:
    return _node("qloguniform", label, low=low, high=high, q=q)


def normal(label: str, mu: float, sigma: float) -> HPNode:
    return _node("normal", label, mu=mu, sigma=sigma)


def qnormal(label: str, mu: float, sigma: float, q: float) -> HPNode:
    return _node("qnormal", label, mu=mu, sigma=sigma, q=q)


def lognormal(label: str, mu: float, sigma: float) -> HPNode:
    return _node("lognormal", label, mu=mu, sigma=sigma)


def qlognormal(label: str, mu: float, sigma: float, q: float) -> HPNode:
    return _node("qlognormal", label, mu=mu, sigma=sigma, q=q)


def randint(label: str, *args: int, **kwargs: int) -> HPNode:
    """``randint(label, upper)`` is an integer in [0, upper); ``randint(label, low, high)`` in [low, high)."""
    _label("randint", label)
    unknown = sorted(set(kwargs) - {"low", "high", "upper"})
    if unknown:
        raise TypeError(f"hp.randint {label!r}: unexpected keyword argument {unknown[0]!r} "
                        "(it takes `upper`, or `low` and `high`)")
    bounds: dict[str, Any] = {}
    if kwargs:
        bounds["low"] = kwargs.get("low", args[0] if args else 0)
        bounds["high"] = kwargs.get("high", args[0] if args and "low" in kwargs else kwargs.get("upper"))
    elif len(args) == 1:
        bounds = {"low": 0, "high": args[0]}
    elif len(args) == 2:
        bounds = {"low": args[0], "high": args[1]}
    if bounds.get("high") is None or len(args) > 2:
        raise TypeError(f"hp.randint {label!r}: give `upper` (randint(label, upper)) or `low` and `high` "
                        f"(randint(label, low, high)), got {len(args)} positional bounds")
    return _node("randint", label, **bounds)


def uniformint(label: str, low: int, high: int, q: float = 1.0) -> HPNode:
    _label("uniformint", label)
    require_number(f"hp.uniformint {label!r}", "q", q)
    if not (isinstance(q, numbers.Integral) or float(q).is_integer()) or q < 1:
        raise ValueError(f"hp.uniformint {label!r}: `q` must be a positive whole number, got {q!r}")
    return _node("uniformint", label, low=low, high=high, q=int(q))


def choice(label: str, options: Sequence[Any]) -> HPNode:
    _label("choice", label)
    return HPNode("choice", label, {}, options=_options("choice", label, "options", options))


def pchoice(label: str, p_options: Sequence[tuple[float, Any]]) -> HPNode:
    _label("pchoice", label)
    pairs = _options("pchoice", label, "p_options", p_options)
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"hp.pchoice {label!r}: `p_options` must be a list of (probability, option) pairs; "
                            f"p_options[{i}] is {pair!r}")
        require_number(f"hp.pchoice {label!r}", f"p_options[{i}][0] (a probability)", pair[0])
    ps = [float(p) for p, _ in pairs]
    return HPNode("pchoice", label, {}, options=[o for _, o in pairs], probabilities=ps)
