"""A result as the JSON line Ray's result.json holds (``json.dumps(result, default=str)``), made
with the C encoder built once: ``dumps``, and ``strict_dumps`` for results whose values JSON knows
(their line is also what the event file and progress.csv are made from). Imports nothing of the
library: a worker process makes its results' lines too."""
from __future__ import annotations

import json
from typing import Any, Callable, Optional

__all__ = ["dumps", "strict_dumps"]

_encoder = json.JSONEncoder(default=str)


class _NotJSON(Exception):
    """A value JSON does not know (``strict_dumps``)."""


def _refuse(value: Any) -> Any:
    raise _NotJSON


def _make_fast_encoder(strict: bool = False) -> Optional[Callable[[Any, int], Any]]:
    """The C encoder behind ``_encoder``, built once (``JSONEncoder.encode`` builds one per call),
    or None where the interpreter has none (``dumps`` then takes the general path). `strict`:
    one that raises ``_NotJSON`` at a value JSON does not know (and checks no cycles: a cyclic
    value ends in RecursionError)."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        fast: Callable[[Any, int], Any] = make(None if strict else {}, _refuse if strict else str,
                                               encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)
        probe: dict[str, Any] = {"a": 1.5, "b": [None, True, "\u00e9"], "c": float("nan"), "d": {"e": 2}}
        if not strict:
            probe["d"]["e"] = object
        if "".join(fast(probe, 0)) != _encoder.encode(probe):  # another interpreter's signature
            return None
    except Exception:  # noqa: BLE001 - the same
        return None
    return fast


_fast_encoder = _make_fast_encoder()
_strict_encoder = _make_fast_encoder(strict=True)


def dumps(value: Any) -> str:
    """JSON of a result (values JSON does not know as their ``str``), as ``json.dumps(value,
    default=str)`` writes it."""
    global _fast_encoder
    fast = _fast_encoder
    if fast is not None and type(value) is dict:
        try:
            return "".join(fast(value, 0))
        except Exception:  # noqa: BLE001 - a circular value, a failing __str__: the general path says what
            _fast_encoder = _make_fast_encoder()  # its circular-reference marks may be left set
    return _encoder.encode(value)


def strict_dumps(value: dict[str, Any]) -> Optional[str]:
    """``dumps(value)`` when every value in it is one JSON knows (str, int, float, bool, None,
    list, tuple, dict), else None: at no cost to the usual result (the C encoder stops at the
    first other value, a numpy number for one)."""
    strict = _strict_encoder
    if strict is None or type(value) is not dict:
        return None
    try:
        return "".join(strict(value, 0))
    except Exception:  # noqa: BLE001 - _NotJSON, or a cycle: dumps says what
        return None
