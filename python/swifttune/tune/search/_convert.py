"""Tune search spaces as Ray's wrappers of other libraries read them (``convert_search_space``):
the space flattened to ``a/b`` paths, each domain seen as Ray's ``Float`` / ``Integer`` /
``Categorical`` / ``Function`` with its sampler, bounds (Ray's: an integer's upper bound
exclusive) and quantisation; and the flat suggestions nested again."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..._space import Categorical, Domain, GridSearch, HPNode, SampleFrom

__all__ = ["RayDomain", "domain_vars", "unflatten_dict"]

# swifttune's kinds: (Ray's domain type, sampler, quantised); Ray keeps the bounds as given (a quantised
# integer's upper bound is inclusive only in how Ray samples it)
_KINDS = {
    "tune.uniform": ("Float", "Uniform", False),
    "tune.quniform": ("Float", "Uniform", True),
    "tune.loguniform": ("Float", "LogUniform", False),
    "tune.qloguniform": ("Float", "LogUniform", True),
    "tune.randn": ("Float", "Normal", False),
    "tune.qrandn": ("Float", "Normal", True),
    "tune.randint": ("Integer", "Uniform", False),
    "tune.qrandint": ("Integer", "Uniform", True),
    "tune.lograndint": ("Integer", "LogUniform", False),
    "tune.qlograndint": ("Integer", "LogUniform", True),
}


@dataclass(frozen=True)
class RayDomain:
    """One search domain as Ray's classes describe it."""

    type_name: str
    """``Float``, ``Integer``, ``Categorical`` or ``Function`` (``sample_from``)."""
    sampler: Optional[str]
    """``Uniform``, ``LogUniform``, ``Normal``, or None (categories, functions)."""
    quantized: bool
    lower: Optional[float] = None
    upper: Optional[float] = None
    """Ray's upper bound, as given (Ray's converters treat an ``Integer``'s as exclusive)."""
    categories: tuple[Any, ...] = ()


def _view(value: Any) -> RayDomain:
    if isinstance(value, Categorical):
        return RayDomain("Categorical", None, False, categories=tuple(value.categories))
    if isinstance(value, SampleFrom):
        return RayDomain("Function", None, False)
    assert isinstance(value, Domain)
    type_name, sampler, quantized = _KINDS[value.kind]
    if sampler == "Normal":
        return RayDomain(type_name, sampler, quantized)  # Ray's randn has no bounds
    return RayDomain(type_name, sampler, quantized, value.args["lower"], value.args["upper"])


def domain_vars(spec: Any, library: str) -> list[tuple[str, RayDomain]]:
    """The domains of `spec` by flat path (``a/b``), in order; Ray's ``ValueError`` for a grid
    search (``library`` names the space it would become); constants are left to the Tuner."""
    out: list[tuple[str, RayDomain]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + (str(k),))
        elif isinstance(node, GridSearch):
            raise ValueError(f"Grid search parameters cannot be automatically converted to a {library} search space.")
        elif isinstance(node, HPNode):
            raise ValueError(f"{'/'.join(path)}: a hyperopt hp.* expression cannot be converted to a {library} search "
                             "space; use Tune's sampling functions (tune.uniform, tune.choice, ...).")
        elif isinstance(node, (Domain, SampleFrom)):
            out.append(("/".join(path), _view(node)))

    walk(spec, ())
    return out


def unflatten_dict(flat: dict[str, Any], delimiter: str = "/") -> dict[str, Any]:
    """Ray's ``unflatten_dict``: ``a/b`` keys as nested dicts."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(delimiter)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out
