"""Spaces built with hyperopt's own ``hp`` (pyll graphs) converted to swifttune's ``hp`` nodes,
so that ``fmin`` and ``HyperOptSearch(space=...)`` accept them as they are."""
from __future__ import annotations

from typing import Any

from .._space import HPNode

__all__ = ["is_pyll", "from_pyll"]

_DISTRIBUTIONS = {"uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal", "lognormal", "qlognormal"}
_ARG_NAMES = {"uniform": ("low", "high"), "quniform": ("low", "high", "q"), "loguniform": ("low", "high"),
              "qloguniform": ("low", "high", "q"), "normal": ("mu", "sigma"), "qnormal": ("mu", "sigma", "q"),
              "lognormal": ("mu", "sigma"), "qlognormal": ("mu", "sigma", "q")}


def is_pyll(obj: Any) -> bool:
    """Whether `obj` holds a hyperopt pyll expression anywhere."""
    if type(obj).__module__.startswith("hyperopt.pyll"):
        return True
    if isinstance(obj, dict):
        return any(is_pyll(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(is_pyll(v) for v in obj)
    return False


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
        return [_node(v, None) for v in node.pos_args]
    if name in ("float", "int"):
        # scope.int(hp.quniform(...)) is int(float(hyperopt_param(...))): the outer int wins.
        return _node(node.pos_args[0], "int" if "int" in (name, cast) else name)
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
            if cast == "int":
                raise ValueError(f"scope.int over hyperopt's {dist.name} ({label!r}) cannot be converted; "
                                 "use hp.uniformint, hp.randint or scope.int(hp.quniform(...)) with integer bounds")
            return HPNode(dist.name, label, values)
        if dist.name == "randint":
            low, high = (0, args[0]) if len(args) == 1 else (args[0], args[1])
            return HPNode("randint", label, {"low": int(low), "high": int(high)})
        raise ValueError(f"the hyperopt distribution {dist.name!r} of {label!r} cannot be converted")
    raise ValueError(f"the pyll node {name!r} has no swifttune counterpart (supported: hp.* distributions, "
                     "choice/pchoice, scope.int/float, dicts, lists and constants)")
