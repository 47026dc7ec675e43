"""The part of hyperopt's ``pyll`` that spaces use: ``scope`` with pyll's functions (``int``,
``float``, ``exp``, ``log``, ``pow``, ``sqrt``, ``sin``, ``cos``, ``tan``, ``minimum``,
``maximum``, ``sum``, ``identity``) and your own (``@scope.define``), applied to ``hp`` nodes as
expressions (swifttune/_expr.py): ``scope.int(hp.qloguniform("n", 2, 6, 1))`` is an integer made
from a ``qloguniform`` that TPE models as hyperopt does."""
from __future__ import annotations

import math
from typing import Any, Callable

from .._expr import HPExpr, contains_hp
from .._space import HPNode

__all__ = ["scope"]


def _sum(x: Any, axis: Any = None) -> Any:
    if axis is not None:
        import numpy as np

        return np.sum(x, axis=axis)
    return sum(x)


_BUILTIN: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "exp": math.exp, "log": math.log, "pow": pow, "sqrt": math.sqrt,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "minimum": min, "maximum": max, "sum": _sum,
    "identity": lambda x: x,
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
        fn = self._defined.get(name) or _BUILTIN.get(name)
        if fn is None:
            raise AttributeError(f"scope.{name}: swifttune's pyll scope has {sorted(set(_BUILTIN) | set(self._defined))}"
                                 "; define your own function with @scope.define")
        return lambda *args: self._apply(name, fn, args)


scope = _Scope()
