"""Spaces built with hyperopt's own ``hp`` (pyll graphs) converted to swifttune's ``hp`` nodes,
so that ``fmin`` and ``HyperOptSearch(space=...)`` accept them as they are."""
from __future__ import annotations

from typing import Any, Callable

import math
import operator

from .._expr import HPExpr, contains_hp, holds
from .._space import HPNode

__all__ = ["is_pyll", "from_pyll"]

# pyll's functions by their names in hyperopt's graphs (operators, math and casts), applied to their arguments.
_OPERATIONS: dict[str, Callable[..., Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "neg": operator.neg, "pow": pow, "eq": operator.eq, "lt": operator.lt,
    "le": operator.le, "gt": operator.gt, "ge": operator.ge, "getitem": operator.getitem, "exp": math.exp,
    "log": math.log, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan, "minimum": min,
    "maximum": max, "identity": lambda x: x, "int": int, "float": float,
}
_DISTRIBUTIONS = {"uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal", "lognormal", "qlognormal"}
_ARG_NAMES = {"uniform": ("low", "high"), "quniform": ("low", "high", "q"), "loguniform": ("low", "high"),
              "qloguniform": ("low", "high", "q"), "normal": ("mu", "sigma"), "qnormal": ("mu", "sigma", "q"),
              "lognormal": ("mu", "sigma"), "qlognormal": ("mu", "sigma", "q")}


def is_pyll(obj: Any) -> bool:
    """Whether `obj` holds a hyperopt pyll expression anywhere."""
    return holds(obj, lambda o: type(o).__module__.startswith("hyperopt.pyll"))


def from_pyll(obj: Any) -> Any:
    """The swifttune form of a space that may contain hyperopt pyll expressions.
    Raises ValueError naming any pyll node that has no swifttune counterpart."""
    if isinstance(obj, dict):
        return {k: from_pyll(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_pyll(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(from_pyll(v) for v in obj)
    if not type(obj).__module__.startswith("hyperopt.pyll"):
        return obj
    return _node(obj, cast=None)


def _quniform_cast(node: Any) -> bool:
    """Whether `node` (under ``scope.int``) is a quniform with integer bounds and step, through any
    ``float``/``int`` casts: hyperopt's ``hp.uniformint``."""
    while getattr(node, "name", None) in ("float", "int"):
        node = node.pos_args[0]
    if getattr(node, "name", None) != "hyperopt_param" or node.pos_args[1].name != "quniform":
        return False
    dist = node.pos_args[1]
    values = [_literal(a) for a in dist.pos_args] + [_literal(v) for _, v in dist.named_args]
    return all(isinstance(v, (int, float)) and float(v).is_integer() for v in values)


def _defined_in_hyperopt(name: Any) -> Any:
    """The function hyperopt's ``scope`` holds under `name` (``@scope.define``), or None; never one
    of its random draws (an unlabelled ``scope.uniform(...)``), which only a labelled ``hp`` node can be."""
    try:
        from hyperopt.pyll import scope
        from hyperopt.pyll.stochastic import implicit_stochastic_symbols
    except ImportError:
        return None
    if not isinstance(name, str) or name in implicit_stochastic_symbols:
        return None
    return scope._impls.get(name)


def _literal(node: Any) -> Any:
    if type(node).__name__ == "Literal":
        return node.obj
    raise ValueError(f"expected a constant in the hyperopt space, found the pyll node {node.name!r}")


def _node(node: Any, cast: Any) -> Any:
    name = getattr(node, "name", None)
    if type(node).__name__ == "Literal":
        return from_pyll(node.obj)
    if name == "dict":
        return {k: _node(v, None) for k, v in node.named_args}
    if name == "pos_args":
        items = [_node(v, None) for v in node.pos_args]
        return HPExpr.tuple_of(items) if contains_hp(items) else items
    if name == "float" and getattr(node.pos_args[0], "name", None) == "hyperopt_param":
        return _node(node.pos_args[0], cast)  # hyperopt wraps every hp distribution in float(): already floats
    if name == "int" and _quniform_cast(node.pos_args[0]):
        # scope.int(hp.quniform(...)) is int(float(hyperopt_param(...))): hp.uniformint, as in hyperopt.
        return _node(node.pos_args[0], "int")
    if name in _OPERATIONS:
        args = [_node(a, None) for a in node.pos_args]
        fn = _OPERATIONS[name]
        return HPExpr(name, fn, args) if contains_hp(args) else fn(*args)
    if name == "switch":
        param = node.pos_args[0]
        label = _literal(param.pos_args[0])
        dist = param.pos_args[1]
        options = [_node(o, None) for o in node.pos_args[1:]]
        if dist.name == "randint":
            return HPNode("choice", label, {}, options=options)
        if dist.name == "categorical":
            p = dist.pos_args[0]
            probabilities = [float(_literal(x)) for x in (p.pos_args if getattr(p, "name", None) == "pos_args" else [p])]
            if len(probabilities) != len(options):
                probabilities = list(_literal(p))
            return HPNode("pchoice", label, {}, options=options, probabilities=probabilities)
        raise ValueError(f"hyperopt choice {label!r} over a {dist.name!r} node cannot be converted")
    if name == "hyperopt_param":
        label = _literal(node.pos_args[0])
        dist = node.pos_args[1]
        args = [_literal(a) for a in dist.pos_args]
        kwargs = {k: _literal(v) for k, v in dist.named_args}
        if dist.name in _DISTRIBUTIONS:
            values = dict(zip(_ARG_NAMES[dist.name], args))
            values.update({k: v for k, v in kwargs.items() if k in _ARG_NAMES[dist.name]})
            if cast == "int" and dist.name == "quniform" and all(float(values[k]).is_integer() for k in ("low", "high", "q")):
                return HPNode("uniformint", label, {"low": int(values["low"]), "high": int(values["high"]),
                                                    "q": int(values["q"])})
            return HPNode(dist.name, label, values)
        if dist.name == "randint":
            low, high = (0, args[0]) if len(args) == 1 else (args[0], args[1])
            return HPNode("randint", label, {"low": int(low), "high": int(high)})
        raise ValueError(f"the hyperopt distribution {dist.name!r} of {label!r} cannot be converted")
    defined = _defined_in_hyperopt(name)
    if defined is not None:  # a function of the user's, defined with hyperopt's @scope.define
        args = [_node(a, None) for a in node.pos_args]
        return HPExpr(str(name), defined, args) if contains_hp(args) else defined(*args)
    raise ValueError(f"the pyll node {name!r} has no swifttune counterpart (supported: hp.* distributions, "
                     f"choice/pchoice, dicts, lists, tuples, constants and pyll's {sorted(_OPERATIONS)})")
