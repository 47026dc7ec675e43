"""The part of hyperopt's ``pyll`` that spaces use: ``scope`` with pyll's functions (``int``,
``float``, ``exp``, ``log``, ``pow``, ``sqrt``, ``sin``, ``cos``, ``tan``, ``minimum``,
``maximum``, ``sum``, ``identity``, Python's ``min``, ``max``, ``len``, ``list``, ``dict``, ``range``,
``getattr``, and the stochastic ``uniform``, ``normal``, ... of ``pyll.stochastic``, which draw from
their ``rng``) and your own (``@scope.define``), ``as_apply``, and ``pyll.stochastic.sample``; applied to ``hp`` nodes as
expressions (swifttune/_expr.py): ``scope.int(hp.qloguniform("n", 2, 6, 1))`` is an integer made
from a ``qloguniform`` that TPE models as hyperopt does."""
from __future__ import annotations

import functools
import math
from typing import Any, Callable

from ..._expr import Expression, HPExpr, contains_hp
from ..._space import HPNode

__all__ = ["scope", "as_apply", "stochastic", "base"]


def _sum(x: Any, axis: Any = None) -> Any:
    if axis is not None:
        import numpy as np

        return np.sum(x, axis=axis)
    return sum(x)


def _numpy(name: str) -> Callable[..., Any]:
    """pyll's ``NAME``: NumPy's, as hyperopt's (its last bit can differ from ``math``'s, and the
    value is NumPy's float), or ``math``'s where NumPy is not installed."""

    def fn(*args: Any) -> Any:
        try:
            import numpy as np
        except ImportError:
            return getattr(math, name)(*args)
        return getattr(np, name)(*args)

    fn.__name__ = name
    return fn


_BUILTIN: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "exp": _numpy("exp"), "log": _numpy("log"), "pow": pow, "sqrt": _numpy("sqrt"),
    "sin": _numpy("sin"), "cos": _numpy("cos"), "tan": _numpy("tan"), "minimum": min, "maximum": max, "sum": _sum,
    "identity": lambda x: x, "min": min, "max": max, "len": len, "list": list, "dict": dict, "range": range,
    "getattr": getattr,
}


class _Scope:
    """hyperopt's ``pyll.scope``: ``scope.NAME(...)`` over ``hp`` nodes makes an expression; over
    plain values it is the function's value at once."""

    def __init__(self) -> None:
        self._defined: dict[str, Callable[..., Any]] = {}

    def define(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Registers `fn` as ``scope.<its name>`` (hyperopt's ``@scope.define``); returns it unchanged."""
        self._defined[fn.__name__] = fn
        return fn

    define_pure = define

    def int(self, node: Any) -> Any:
        """An integer: ``scope.int(hp.quniform(label, low, high, q))`` with integer bounds and step is
        ``hp.uniformint`` (as in hyperopt); over any other ``hp`` node or expression, ``int`` of its value."""
        if isinstance(node, HPNode) and node.kind in ("randint", "uniformint"):
            return node
        if isinstance(node, HPNode) and node.kind == "quniform" and float(node.args["q"]).is_integer() and all(
                float(node.args[k]).is_integer() for k in ("low", "high")):
            return HPNode("uniformint", node.label, {"low": int(node.args["low"]), "high": int(node.args["high"]),
                                                     "q": int(node.args["q"])})
        return self._apply("int", int, (node,))

    def float(self, node: Any) -> Any:
        """``float`` of an ``hp`` node's or expression's value."""
        return self._apply("float", float, (node,))

    def _apply(self, name: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        if contains_hp(args):
            return HPExpr(name, fn, args)
        return fn(*args)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        from .stochastic import STOCHASTIC

        fn = self._defined.get(name) or _BUILTIN.get(name) or STOCHASTIC.get(name)
        if fn is None:
            raise AttributeError(f"scope.{name}: swifttune's pyll scope has "
                                 f"{sorted(set(_BUILTIN) | set(STOCHASTIC) | set(self._defined))}"
                                 "; define your own function with @scope.define")
        found = fn

        def apply(*args: Any, **kwargs: Any) -> Any:
            if contains_hp(list(kwargs.values())):
                raise NotImplementedError(f"scope.{name}: hp nodes as keyword arguments are not supported; pass them "
                                          "positionally")
            fn = functools.partial(found, **kwargs) if kwargs else found
            if name in STOCHASTIC and name not in self._defined:
                return HPExpr(name, fn, args)  # a draw for each configuration, even of constant arguments
            return self._apply(name, fn, args)

        return apply


scope = _Scope()
"""hyperopt's ``pyll.scope``."""


def as_apply(obj: Any) -> Any:
    """hyperopt's ``as_apply``: `obj` as an expression, so that pyll's operators and indexing by an
    ``hp`` node apply to it (``as_apply([-1, 0])[hp.choice("x", [0, 1])]``); a list or tuple is a
    tuple of its items' values, a dict a dict of its values'."""
    if isinstance(obj, Expression):
        return obj
    if isinstance(obj, (list, tuple)):
        return HPExpr.tuple_of(obj)
    if isinstance(obj, dict):
        keys = list(obj)
        return HPExpr("dict", lambda *values: dict(zip(keys, values)), [obj[k] for k in keys])
    return HPExpr("literal", lambda x: x, (obj,))


from . import base, stochastic  # noqa: E402  (they use scope and as_apply)
