"""Search spaces: Ray Tune's sampling functions, hyperopt's ``hp`` nodes, and their conversion to
swifttune's JSON space format (docs/space-format.md)."""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Optional

from ._expr import EXPR_KEY, Expression, HPExpr, Slot, contains_hp, hoist_shared, holds

__all__ = ["Domain", "HPNode", "SampleFrom", "GridSearch", "space_document", "decode_configuration", "has_domains",
           "require_number", "require_int"]


def require_number(where: str, name: str, value: Any) -> None:
    """Raises a TypeError naming the argument `name` of `where` unless `value` is a real number
    (a bool is not). Whether the number is allowed is checked with the whole space, where the
    message also names the parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: `{name}` must be a number, got {value!r}")


def require_int(where: str, name: str, value: Any, minimum: int) -> None:
    """Raises a TypeError unless `value` is an integer (not a bool), a ValueError unless it is at
    least `minimum`; both name the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: `{name}` must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: `{name}` must be >= {minimum}, got {value!r}")


def require_list(where: str, name: str, values: Any, empty_message: str) -> list[Any]:
    """`values` as a non-empty list: a TypeError naming the argument unless it is a list-like
    collection (a list, tuple, range, numpy array; not a string or a dict), a ValueError with
    `empty_message` if it is empty."""
    if not isinstance(values, Iterable) or isinstance(values, (str, bytes, Mapping)):
        raise TypeError(f"{where}: `{name}` must be a list, got {type(values).__name__} {values!r}")
    items = list(values)
    if not items:
        raise ValueError(empty_message)
    return items


class Domain:
    """A Ray Tune search-space primitive (``tune.uniform(...)`` and friends)."""

    def __init__(self, kind: str, args: dict[str, Any]) -> None:
        self.kind = kind
        self.args = args

    def node(self, label: Optional[str] = None) -> dict[str, Any]:
        n: dict[str, Any] = {"type": self.kind}
        if label is not None:
            n["label"] = label
        n.update(self.args)
        return n

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"{self.kind}({inner})"


class Categorical(Domain):
    """``tune.choice``: categories may be constants or nested spaces."""

    def __init__(self, categories: list[Any]) -> None:
        super().__init__("tune.choice", {})
        self.categories = list(categories)

    def node(self, label: Optional[str] = None, refs: Optional[list[Any]] = None) -> dict[str, Any]:
        n: dict[str, Any] = {"type": "tune.choice"}
        if label is not None:
            n["label"] = label
        n["categories"] = [to_node(c, refs) for c in self.categories]
        return n


class SampleFrom:
    """``tune.sample_from(func)``: resolved on the Python side with the rest of the configuration."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func


class GridSearch:
    """``tune.grid_search(values)``."""

    def __init__(self, values: list[Any]) -> None:
        self.values = list(values)


class HPNode(Expression):
    """A hyperopt ``hp.*`` expression: a labelled distribution or choice (pyll's operators on it
    make expressions: ``_expr.py``)."""

    def __init__(self, kind: str, label: str, args: dict[str, Any], options: Optional[list[Any]] = None,
                 probabilities: Optional[list[float]] = None, integer: bool = False) -> None:
        if not isinstance(label, str):
            raise TypeError(f"require string label: hp.{kind}'s `label` must be a string, got {label!r}")
        self.kind = kind
        self.label = label
        self.args = args
        self.options = options
        self.probabilities = probabilities

    def node(self, refs: Optional[list[Any]] = None) -> dict[str, Any]:
        n: dict[str, Any] = {"type": self.kind, "label": self.label}
        n.update(self.args)
        if self.options is not None:
            n["options"] = [to_node(o, refs) for o in self.options]
        if self.probabilities is not None:
            n["p"] = list(self.probabilities)
        return n

    def __repr__(self) -> str:
        return f"hp.{self.kind}({self.label!r}, ...)"


REF_KEY = "__swifttune_ref__"


def _number(x: Any) -> Any:
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x)
    return x


def has_domains(obj: Any) -> bool:
    """Whether `obj` is, or holds, something to sample (a Tune domain, an hp node, a grid, ...)."""
    return holds(obj, lambda o: isinstance(o, (Domain, Expression, SampleFrom, GridSearch)))


def to_node(obj: Any, refs: Optional[list[Any]], path: str = "") -> Any:
    """The JSON node of a Python space value. Values JSON cannot carry (objects, functions,
    `sample_from`) stay on the Python side as references, restored in each configuration."""
    if isinstance(obj, Categorical):
        return obj.node(None, refs)
    if isinstance(obj, Domain):
        return obj.node()
    if isinstance(obj, HPNode):
        return obj.node(refs)
    if isinstance(obj, HPExpr):  # the expression kept here; its arguments sampled by the engine (_expr.py)
        return {"type": "dict", "items": {EXPR_KEY: _reference(obj, refs),
                                          "args": {"type": "list", "items": [to_node(a, refs) for a in obj.args]}}}
    if isinstance(obj, GridSearch):
        raise ValueError(
            "Grid search parameters cannot be automatically converted to a HyperOpt search space."
        )
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            if has_domains(obj):
                raise ValueError(f"search space keys must be strings, got {[k for k in obj if not isinstance(k, str)]!r}")
            return _reference(obj, refs)  # kept as it is, non-string keys and all
        return {"type": "dict", "items": {k: to_node(v, refs) for k, v in obj.items()}}
    if isinstance(obj, (list, tuple)):
        if contains_hp(obj):  # hyperopt's pos_args: a tuple of the values, lists included
            return to_node(HPExpr.tuple_of(obj), refs)
        if has_domains(obj):
            return {"type": "list", "items": [to_node(v, refs) for v in obj]}
        if isinstance(obj, tuple):
            return _reference(obj, refs)  # a tuple stays a tuple
        return _constant(obj, refs)
    return _constant(obj, refs)


def _reference(value: Any, refs: Optional[list[Any]]) -> Any:
    if refs is None:
        raise TypeError(f"{value!r} cannot be part of a search space")
    refs.append(value)
    return {"type": "const", "value": {REF_KEY: len(refs) - 1}}


def grid_paths(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], GridSearch]]:
    """Every `grid_search` in a param_space, with its path of keys."""
    if isinstance(obj, GridSearch):
        return [(path, obj)]
    if isinstance(obj, dict):
        return [g for k, v in obj.items() for g in grid_paths(v, path + (k,))]
    return []


def replace_at(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of nested dicts `obj` with the value at `path` replaced."""
    if not path:
        return value
    out = dict(obj)
    out[path[0]] = replace_at(obj[path[0]], path[1:], value)
    return out


def _constant(value: Any, refs: Optional[list[Any]]) -> Any:
    plain = _plain_json(value)
    if plain is not _NOT_JSON:
        if isinstance(plain, (list, dict)):
            return {"type": "const", "value": plain}
        return plain
    return _reference(value, refs)


_NOT_JSON = object()


def _plain_json(value: Any) -> Any:
    value = _number(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _NOT_JSON
    if isinstance(value, list):
        items = [_plain_json(v) for v in value]
        return _NOT_JSON if any(i is _NOT_JSON for i in items) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        members = {k: _plain_json(v) for k, v in value.items()}
        return _NOT_JSON if any(i is _NOT_JSON for i in members.values()) else members
    return _NOT_JSON


def space_document(space: Any, refs: list[Any]) -> dict[str, Any]:
    """swifttune's space document for a Ray `param_space` or a hyperopt space (an ``hp`` node used in
    several places drawn once: ``hoist_shared``)."""
    space = hoist_shared(space, lambda o: isinstance(o, HPNode), lambda o: o.options or [],
                         lambda o, options: HPNode(o.kind, o.label, o.args, options, o.probabilities))
    node = to_node(space, refs)
    return {"format": "swifttune.space", "version": 1, "space": node}


def encode_configuration(value: Any, refs: list[Any]) -> Any:
    """A configuration as the engine keeps it: JSON values as they are, what is not JSON (objects,
    tuples, search domains) as references into `refs` (``decode_configuration`` puts them back)."""
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: encode_configuration(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [encode_configuration(v, refs) for v in value]
    plain = _plain_json(value)
    if plain is not _NOT_JSON and not isinstance(plain, (dict, list)):
        return plain
    refs.append(value)
    return {REF_KEY: len(refs) - 1}


def decode_configuration(config: Any, refs: list[Any]) -> Any:
    """A configuration from the engine with Python-side references put back and `sample_from`
    functions evaluated (with the configuration as Ray's `spec.config`)."""

    bound: dict[int, Any] = {}  # the values of shared hp nodes, by slot

    def restore(v: Any) -> Any:
        if isinstance(v, dict):
            if len(v) == 1 and REF_KEY in v:
                ref = refs[v[REF_KEY]]
                return bound[ref.index] if isinstance(ref, Slot) else ref
            if len(v) == 2 and EXPR_KEY in v and "args" in v:  # an expression over hp nodes, innermost first
                expression = restore(v[EXPR_KEY])
                if isinstance(expression, HPExpr) and expression.name == "bind":  # shared nodes first, then the space
                    *shared, inner = v["args"]
                    for slot, value in zip(expression.slots, shared):
                        bound[slot.index] = restore(value)
                    return restore(inner)
                if isinstance(expression, HPExpr):
                    return expression.evaluate([restore(a) for a in v["args"]])
            return {k: restore(x) for k, x in v.items()}
        if isinstance(v, list):
            return [restore(x) for x in v]
        return v

    out = restore(config)

    def resolve(v: Any, root: Any) -> Any:
        if isinstance(v, SampleFrom):
            return v.func(_Spec(root))
        if isinstance(v, dict):
            for k in list(v):
                v[k] = resolve(v[k], root)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                v[i] = resolve(x, root)
        return v

    return resolve(out, out)


class _Spec:
    """What a `sample_from` function receives: the configuration as `spec.config`."""

    def __init__(self, config: Any) -> None:
        self.config = _AttrDict(config) if isinstance(config, dict) else config


class _AttrDict(dict):
    def __getattr__(self, name: str) -> Any:
        try:
            v = self[name]
        except KeyError as e:
            raise AttributeError(name) from e
        return _AttrDict(v) if isinstance(v, dict) else v
