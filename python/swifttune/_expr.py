"""Expressions over hyperopt's ``hp`` nodes (hyperopt's pyll graphs): ``scope.int(hp.qloguniform(...))``,
``hp.uniform(...) * 2``, ``10 ** hp.uniform(...)``, a function of your own defined with
``scope.define``, a list or tuple holding an ``hp`` node.

The searchers model the labelled ``hp`` nodes only, as hyperopt's TPE does; an expression is
applied to their values when a configuration is made. In the space the engine reads, an
expression is a dict of two members: a reference to the Python expression (kept on the Python
side, as other values JSON cannot carry) and the list of its arguments' spaces, which the engine
samples as any other; ``decode_configuration`` (and ``space_eval``) then call the expression on
the sampled arguments, innermost first.
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Sequence

__all__ = ["Expression", "HPExpr", "EXPR_KEY", "contains_hp", "holds"]

EXPR_KEY = "__swifttune_expr__"
"""The member of an expression's dict in the engine's space and configurations."""


def holds(obj: Any, found: Callable[[Any], bool]) -> bool:
    """Whether `found` holds for `obj` or for anything it holds in dicts, lists and tuples."""
    if found(obj):
        return True
    if isinstance(obj, dict):
        return any(holds(v, found) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(holds(v, found) for v in obj)
    return False


def contains_hp(obj: Any) -> bool:
    """Whether `obj` is, or holds (in dicts, lists, tuples), an ``hp`` node or expression."""
    return holds(obj, lambda o: isinstance(o, Expression))


class Expression:
    """pyll's operators, on ``hp`` nodes and on expressions: each returns an ``HPExpr``
    (``+ - * / // **``, unary ``-``, ``< <= > >=`` and indexing, as hyperopt's ``Apply`` has them)."""

    def __add__(self, other: Any) -> "HPExpr":
        return HPExpr("add", operator.add, (self, other))

    def __radd__(self, other: Any) -> "HPExpr":
        return HPExpr("add", operator.add, (other, self))

    def __sub__(self, other: Any) -> "HPExpr":
        return HPExpr("sub", operator.sub, (self, other))

    def __rsub__(self, other: Any) -> "HPExpr":
        return HPExpr("sub", operator.sub, (other, self))

    def __mul__(self, other: Any) -> "HPExpr":
        return HPExpr("mul", operator.mul, (self, other))

    def __rmul__(self, other: Any) -> "HPExpr":
        return HPExpr("mul", operator.mul, (other, self))

    def __truediv__(self, other: Any) -> "HPExpr":
        return HPExpr("truediv", operator.truediv, (self, other))

    def __rtruediv__(self, other: Any) -> "HPExpr":
        return HPExpr("truediv", operator.truediv, (other, self))

    def __floordiv__(self, other: Any) -> "HPExpr":
        return HPExpr("floordiv", operator.floordiv, (self, other))

    def __rfloordiv__(self, other: Any) -> "HPExpr":
        return HPExpr("floordiv", operator.floordiv, (other, self))

    def __pow__(self, other: Any) -> "HPExpr":
        return HPExpr("pow", operator.pow, (self, other))

    def __rpow__(self, other: Any) -> "HPExpr":
        return HPExpr("pow", operator.pow, (other, self))

    def __neg__(self) -> "HPExpr":
        return HPExpr("neg", operator.neg, (self,))

    def __gt__(self, other: Any) -> "HPExpr":
        return HPExpr("gt", operator.gt, (self, other))

    def __ge__(self, other: Any) -> "HPExpr":
        return HPExpr("ge", operator.ge, (self, other))

    def __lt__(self, other: Any) -> "HPExpr":
        return HPExpr("lt", operator.lt, (self, other))

    def __le__(self, other: Any) -> "HPExpr":
        return HPExpr("le", operator.le, (self, other))

    def __getitem__(self, index: Any) -> "HPExpr":
        return HPExpr("getitem", operator.getitem, (self, index))

    def __iter__(self) -> Any:
        # Indexing makes expressions, so Python's fallback iteration (node[0], node[1], ...) would never end.
        raise TypeError(f"{self!r} is not iterable: its value is known only when a configuration is made")


def _as_tuple(*items: Any) -> tuple[Any, ...]:
    return items


class HPExpr(Expression):
    """A function applied to arguments, some of which are ``hp`` nodes or expressions (hyperopt's
    ``Apply``); `name` is pyll's name of the function (``"add"``, ``"int"``, ``"pos_args"``, ...)."""

    def __init__(self, name: str, fn: Callable[..., Any], args: Sequence[Any]) -> None:
        self.name = name
        self.fn = fn
        self.args = tuple(args)

    @classmethod
    def tuple_of(cls, items: Sequence[Any]) -> "HPExpr":
        """A list or tuple holding ``hp`` nodes: a tuple of their values, as hyperopt's ``pos_args``."""
        return cls("pos_args", _as_tuple, items)

    def evaluate(self, values: Sequence[Any]) -> Any:
        """The expression's value for its arguments' `values` (in order)."""
        return self.fn(*values)

    def __repr__(self) -> str:
        return f"scope.{self.name}({', '.join(repr(a) for a in self.args)})"
