"""hyperopt's ``hyperopt.pyll.stochastic``: ``sample(space, rng)`` draws a configuration of an
``hp`` space from its prior (swifttune's Swift random search, seeded from `rng`), and pyll's
stochastic functions (``uniform``, ``loguniform``, ``quniform``, ``qloguniform``, ``normal``,
``qnormal``, ``lognormal``, ``qlognormal``, ``randint``, ``categorical``), which ``scope.<name>(...,
rng=rng)`` applies in an expression: each draws from its `rng` when a configuration is made."""
from __future__ import annotations

from typing import Any, Callable, Optional

__all__ = ["sample", "uniform", "loguniform", "quniform", "qloguniform", "normal", "qnormal", "lognormal",
           "qlognormal", "randint", "categorical"]


def _rng(rng: Any) -> Any:
    import numpy as np

    return np.random.default_rng() if rng is None else rng


def _q(x: Any, q: float) -> Any:
    import numpy as np

    return np.round(x / q) * q


def uniform(low: float, high: float, rng: Any = None, size: Any = ()) -> Any:
    return _rng(rng).uniform(low, high, size=size)


def loguniform(low: float, high: float, rng: Any = None, size: Any = ()) -> Any:
    import numpy as np

    return np.exp(uniform(low, high, rng, size))


def quniform(low: float, high: float, q: float, rng: Any = None, size: Any = ()) -> Any:
    return _q(uniform(low, high, rng, size), q)


def qloguniform(low: float, high: float, q: float, rng: Any = None, size: Any = ()) -> Any:
    return _q(loguniform(low, high, rng, size), q)


def normal(mu: float, sigma: float, rng: Any = None, size: Any = ()) -> Any:
    return _rng(rng).normal(mu, sigma, size=size)


def qnormal(mu: float, sigma: float, q: float, rng: Any = None, size: Any = ()) -> Any:
    return _q(normal(mu, sigma, rng, size), q)


def lognormal(mu: float, sigma: float, rng: Any = None, size: Any = ()) -> Any:
    import numpy as np

    return np.exp(normal(mu, sigma, rng, size))


def qlognormal(mu: float, sigma: float, q: float, rng: Any = None, size: Any = ()) -> Any:
    return _q(lognormal(mu, sigma, rng, size), q)


def randint(low: int, high: Optional[int] = None, rng: Any = None, size: Any = ()) -> Any:
    return _rng(rng).integers(low, high, size=size)


def categorical(p: Any, rng: Any = None, size: Any = ()) -> Any:
    import numpy as np

    p = np.asarray(p, dtype=float)
    return _rng(rng).choice(len(p), p=p / p.sum(), size=size)


STOCHASTIC: dict[str, Callable[..., Any]] = {
    "uniform": uniform, "loguniform": loguniform, "quniform": quniform, "qloguniform": qloguniform, "normal": normal,
    "qnormal": qnormal, "lognormal": lognormal, "qlognormal": qlognormal, "randint": randint,
    "categorical": categorical,
}
"""pyll's stochastic functions by name, for ``scope``."""


def sample(expr: Any, rng: Any = None, **kwargs: Any) -> Any:
    """A configuration of the space `expr` drawn from its prior (hyperopt's ``sample``): every active
    ``hp`` node drawn as its library draws it, expressions applied; `rng` (a numpy ``Generator``, as
    hyperopt takes) seeds the draw."""
    from ..._lib import SearcherHandle, dumps, lib
    from ..._space import decode_configuration, has_domains, space_document
    from .._convert import from_pyll, is_pyll
    from ..fmin import _seed

    if kwargs:
        raise NotImplementedError(f"pyll.stochastic.sample: the rec_eval options {sorted(kwargs)} are not supported")
    if is_pyll(expr):
        expr = from_pyll(expr)
    if not has_domains(expr):
        from ..fmin import space_eval

        return space_eval(expr, {})
    refs: list[Any] = []
    spec = {"algorithm": "random", "space": space_document(expr, refs), "seed": _seed(_rng(rng))}
    searcher = SearcherHandle(lib.call_handle("st_searcher_new", dumps(spec)))
    suggestion = searcher.suggest_with_assignment("sample")
    assert suggestion is not None
    return decode_configuration(suggestion[0], refs)
