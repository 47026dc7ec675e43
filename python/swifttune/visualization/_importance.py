"""Parameter importances: how much of the objective's variation each parameter explains on its
own, measured as a one-way analysis of variance.

The method (documented in docs/visualization.md):
1. The objective values of the completed trials are replaced by their ranks (average ranks for
   ties), so one outlying trial cannot dominate and the result does not depend on the metric's scale.
2. Each parameter splits the trials into groups: a categorical parameter (anything not a number)
   by its value; a numeric one into ``k = clamp(round(sqrt(n)), 2, 10)`` bins of equal counts by
   the parameter's rank order (trials with equal values always share a bin). A trial without the
   parameter (a conditional branch it did not take) forms a group of its own.
3. The parameter's score is epsilon-squared, the share of the ranks' variance between groups with
   the chance part removed: ``(SS_between - (g - 1) * MS_within) / SS_total`` (g groups), at
   least 0. With more than one group it is a first-order (main-effect) analysis like fANOVA's
   first-order terms, without a surrogate model: interactions are not counted.
4. The scores are divided by their sum (all equal when every score is 0), so importances sum to 1.

It needs no library: numbers in pure Python, O(n log n) per parameter.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from ._data import ExperimentData

__all__ = ["param_importances", "ranks"]

_MISSING = object()


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks of `values`, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def _groups(values: list[Any]) -> list[Any]:
    """The group key of each trial for one parameter (step 2 of the module's method)."""
    present = [i for i, v in enumerate(values) if v is not _MISSING]
    keys: list[Any] = ["<absent>"] * len(values)
    if present and all(_is_number(values[i]) for i in present):
        n = len(present)
        bins = max(2, min(10, round(math.sqrt(n))))
        order = sorted(present, key=lambda i: float(values[i]))
        position = 0
        while position < n:
            end = position
            while end + 1 < n and float(values[order[end + 1]]) == float(values[order[position]]):
                end += 1
            b = min(bins - 1, position * bins // n)
            for k in range(position, end + 1):
                keys[order[k]] = b
            position = end + 1
    else:
        for i in present:
            keys[i] = repr(values[i])
    return keys


def _epsilon_squared(y: list[float], keys: list[Any]) -> float:
    n = len(y)
    mean = sum(y) / n
    total = sum((v - mean) ** 2 for v in y)
    groups: dict[Any, list[float]] = {}
    for v, k in zip(y, keys):
        groups.setdefault(k, []).append(v)
    g = len(groups)
    if total <= 0 or g < 2 or n <= g:
        return 0.0
    between = sum(len(vs) * (sum(vs) / len(vs) - mean) ** 2 for vs in groups.values())
    within = total - between
    return max(0.0, (between - (g - 1) * within / (n - g)) / total)


def param_importances(data: ExperimentData, params: Optional[Sequence[str]] = None) -> dict[str, float]:
    """Each parameter's importance (the module's method), summing to 1, most important first.
    `params`: the parameters to weigh (default: every parameter that varies). Needs at least
    two completed trials."""
    done = data.completed
    names = list(params) if params is not None else data.param_names()
    unknown = [p for p in names if not any(p in t.params for t in done)]
    if unknown:
        raise ValueError(f"No completed trial has the parameter(s) {unknown}; the parameters are {data.param_names()}")
    if len(done) < 2:
        raise ValueError(f"Parameter importances need at least 2 completed trials with {data.metric!r}; "
                         f"there are {len(done)}.")
    if not names:
        return {}
    y = ranks([float(t.value) for t in done])  # type: ignore[arg-type]
    scores = {p: _epsilon_squared(y, _groups([t.params.get(p, _MISSING) for t in done])) for p in names}
    total = sum(scores.values())
    shares = {p: (s / total if total > 0 else 1.0 / len(scores)) for p, s in scores.items()}
    return dict(sorted(shares.items(), key=lambda kv: (-kv[1], kv[0])))
