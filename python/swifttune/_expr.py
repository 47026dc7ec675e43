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

__all__ = ["Expression", "HPExpr", "EXPR_KEY", "contains_hp", "holds", "Slot", "hoist_shared"]

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
        self.slots: list[Any] = []  # a "bind" expression's slots (hoist_shared)

    @classmethod
    def tuple_of(cls, items: Sequence[Any]) -> "HPExpr":
        """A list or tuple holding ``hp`` nodes: a tuple of their values, as hyperopt's ``pos_args``."""
        return cls("pos_args", _as_tuple, items)

    def evaluate(self, values: Sequence[Any]) -> Any:
        """The expression's value for its arguments' `values` (in order)."""
        return self.fn(*values)

    def __repr__(self) -> str:
        return f"scope.{self.name}({', '.join(repr(a) for a in self.args)})"



class Slot:
    """Where a shared ``hp`` node stood in a space (see ``hoist_shared``): replaced by the node's value
    when a configuration is made."""

    def __init__(self, index: int, label: str) -> None:
        self.index = index
        self.label = label

    def __repr__(self) -> str:
        return f"Slot({self.label!r})"


def hoist_shared(space: Any, is_node: Callable[[Any], bool], options: Callable[[Any], Sequence[Any]],
                 with_options: Callable[[Any, list[Any]], Any]) -> Any:
    """`space` with each ``hp`` node that stands in more than one place (one Python object: hyperopt
    lets an expression use a node twice, ``x`` in both options of a choice, or indexing two lists)
    drawn once, at the top: the result is a ``bind`` expression whose first arguments are the shared
    nodes and whose last is the space with a ``Slot`` where each stood (``decode_configuration``
    and ``space_eval`` put the node's value there). `is_node`, `options` and `with_options` say what
    an ``hp`` node is, which options it has, and make a copy with other options. A space without
    shared nodes is returned as it is."""
    counts: dict[int, int] = {}
    nodes: dict[int, Any] = {}

    def count(obj: Any) -> None:
        if is_node(obj):
            counts[id(obj)] = counts.get(id(obj), 0) + 1
            nodes[id(obj)] = obj
            if counts[id(obj)] == 1:
                for o in options(obj):
                    count(o)
        elif isinstance(obj, HPExpr):
            for a in obj.args:
                count(a)
        elif isinstance(obj, dict):
            for v in obj.values():
                count(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                count(v)

    count(space)
    unordered = [nodes[k] for k, n in counts.items() if n > 1]
    if not unordered:
        return space
    # A shared node inside another's options is bound first (its slot is filled before the other is made).
    shared: list[Any] = []

    def place(node: Any) -> None:
        if any(node is s for s in shared):
            return
        for inner in unordered:
            if inner is not node and _holds_node(options(node), inner, is_node, options):
                place(inner)
        shared.append(node)

    for node in unordered:
        place(node)
    slots = {id(node): Slot(i, node.label) for i, node in enumerate(shared)}

    def replace(obj: Any, top: bool = False) -> Any:
        if is_node(obj):
            if id(obj) in slots and not top:
                return slots[id(obj)]
            return with_options(obj, [replace(o) for o in options(obj)]) if options(obj) else obj
        if isinstance(obj, HPExpr):
            return HPExpr(obj.name, obj.fn, [replace(a) for a in obj.args])
        if isinstance(obj, dict):
            return {k: replace(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [replace(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(replace(v) for v in obj)
        return obj

    bound = HPExpr("bind", _bind, [replace(node, top=True) for node in shared] + [replace(space)])
    bound.slots = [slots[id(node)] for node in shared]
    return bound


def _holds_node(obj: Any, node: Any, is_node: Callable[[Any], bool], options: Callable[[Any], Sequence[Any]]) -> bool:
    """Whether `node` stands anywhere in `obj` (inside options and expressions too)."""
    if obj is node:
        return True
    if is_node(obj):
        return any(_holds_node(o, node, is_node, options) for o in options(obj))
    if isinstance(obj, HPExpr):
        return any(_holds_node(a, node, is_node, options) for a in obj.args)
    if isinstance(obj, dict):
        return any(_holds_node(v, node, is_node, options) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_holds_node(v, node, is_node, options) for v in obj)
    return False


def _bind(*values: Any) -> Any:
    raise TypeError("a bind expression is evaluated by decode_configuration and space_eval, not called")
