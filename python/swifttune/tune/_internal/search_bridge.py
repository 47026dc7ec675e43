"""The engine's calls back into a user's own ``Searcher`` subclass (Ray's custom searchers).

The engine stays the loop: it decides when a trial may start (the concurrency limiter,
``num_samples``, ``max_concurrent_trials``), which trials are live, and what to tell; it asks the
callback registered with ``st_experiment_set_searcher`` for a suggestion (Ray's ``suggest``,
which may answer None or ``Searcher.FINISHED``), hands on the results it recorded of trials it
did not stop (``on_trial_result``) and says when each ended (``on_trial_complete``). This module
only answers: it calls the user's methods with the Python values Ray would pass (the full result
being reported, the trial's last result) and carries the configuration back as JSON (values
that are not JSON travel as references, as in a search space).

Locks: as for stoppers (``stop_bridge``): the engine calls back under its own lock, on the
thread whose ``next``, ``report`` or ``finish`` asked, with the GIL released by ctypes; reports
then go through the GIL-releasing library handle."""
from __future__ import annotations

import ctypes
import json
from typing import TYPE_CHECKING, Any, Optional

from ... import _capi
from ..._lib import ExperimentHandle, lib
from ..._space import encode_configuration
from ..search.searcher import Searcher
from .stop_bridge import keep_failure

if TYPE_CHECKING:
    from .run import ExperimentRun

__all__ = ["SearchBridge", "is_user_searcher", "set_search_properties"]

_ENGINE_METHODS = ("suggest", "on_trial_result", "on_trial_complete")


def is_user_searcher(searcher: Searcher) -> bool:
    """Whether `searcher` has decision code of the user's (a ``suggest``, ``on_trial_result`` or
    ``on_trial_complete`` written outside swifttune) or is a wrapper of another library: then the
    engine calls it back; swifttune's own searchers run in the engine."""
    if getattr(searcher, "_called_back", False):  # swifttune's wrappers of other libraries (BayesOpt, Nevergrad)
        return True
    for name in _ENGINE_METHODS:
        for klass in type(searcher).__mro__:
            if name in vars(klass):
                if not klass.__module__.startswith("swifttune."):
                    return True
                break
    return False


def set_search_properties(searcher: Searcher, metric: Optional[str], mode: Optional[str], config: Any) -> bool:
    """Ray's call of a user searcher's ``set_search_properties(metric, mode, config)``. A searcher
    that does not define it answers False, as Ray's base ``Searcher`` does (it keeps the metric and
    mode it was built with)."""
    owner = next((k for k in type(searcher).__mro__ if "set_search_properties" in vars(k)), None)
    builtin = next((k for k in type(searcher).__mro__ if k.__module__.startswith("swifttune.")), None)
    if owner is None or (owner is Searcher and builtin is Searcher):
        return False  # a direct subclass of Searcher that does not define it (a built-in's own is kept)
    return bool(searcher.set_search_properties(metric, mode, config))


class SearchBridge:
    """The Python side of one experiment's user searcher: the ctypes callback (kept alive with the
    experiment handle), the configuration buffer the engine copies, the references of values that
    are not JSON, and the param_space every suggestion is merged into (Ray's ``merge_dicts``)."""

    def __init__(self, searcher: Searcher, param_space: Any, refs: list[Any]) -> None:
        self.searcher = searcher
        self.param_space = param_space if isinstance(param_space, dict) else {}
        self.refs = refs
        self.run: Optional["ExperimentRun"] = None
        self.error: Optional[BaseException] = None
        self._buffer: Any = None
        self._fn = _capi.st_searcher_fn(self._call)

    def attach(self, experiment: ExperimentHandle) -> None:
        """Registers the callback; the handle keeps the bridge alive. Reports then release the GIL
        and carry the Python row (``stop_bridge.report_result``), which ``on_trial_result`` gets."""
        experiment.search_bridge = self
        lib.check(lib.c.st_experiment_set_searcher(experiment.p, self._fn, None))
        experiment._gil_free_report = True

    def bind(self, run: "ExperimentRun") -> None:
        """The run whose ``error`` a failing searcher sets (fit then raises it)."""
        self.run = run

    def _call(self, searcher_id: int, query: int, trial_id: Optional[bytes], names: Any, values: Any, count: int,
              errored: int, out_answer: Any, out_config: Any, user: Any) -> int:
        """The engine's callback: 0 when the user's method answered, 1 when it raised (kept for fit)."""
        try:
            assert trial_id is not None
            tid = trial_id.decode()
            if query == _capi.ST_SEARCH_SUGGEST:
                suggested = self.searcher.suggest(tid)
                if suggested is None:
                    out_answer[0] = _capi.ST_SEARCH_NOT_NOW
                elif isinstance(suggested, str) and suggested == Searcher.FINISHED:
                    out_answer[0] = _capi.ST_SEARCH_FINISHED
                else:
                    if not isinstance(suggested, dict):
                        raise TypeError(f"{type(self.searcher).__name__}.suggest must return a dict (a configuration), "
                                        f"None or Searcher.FINISHED; got {suggested!r}")
                    config = merge_dicts(self.param_space, suggested)
                    self._buffer = ctypes.create_string_buffer(json.dumps(self._encode(config)).encode())
                    out_config[0] = ctypes.addressof(self._buffer)
                    out_answer[0] = _capi.ST_SEARCH_CONFIG
            elif query == _capi.ST_SEARCH_RESULT:
                self.searcher.on_trial_result(tid, self._reported(tid, names, values, count))
            elif count == 1:
                # The primary trial of a Repeater's group: Ray passes {metric: mean of the group}, the
                # searcher's metric (a searcher without one finds none in the results: NaN).
                metric = self.searcher.metric
                mean = values[0] if metric is not None else float("nan")
                group: dict[Any, Any] = {metric: mean}  # {None: nan} for a searcher without a metric, as Ray
                self.searcher.on_trial_complete(tid, result=group, error=bool(errored))
            else:
                result = None if errored else self._last(tid)
                self.searcher.on_trial_complete(tid, result=result, error=bool(errored))
            return 0
        except BaseException as e:  # noqa: BLE001 - fit raises it
            keep_failure(self, e)
            return 1

    def _reported(self, trial_id: str, names: Any, values: Any, count: int) -> dict[str, Any]:
        """The result being reported as a user stopper is shown it (the stop bridge keeps the row
        and adds the engine's automatic fields), flattened as Ray passes it to a searcher."""
        numbers = {names[i].decode(): values[i] for i in range(count)}
        stop_bridge = self.run.experiment.stop_bridge if self.run is not None else None
        if stop_bridge is None:
            return {"trial_id": trial_id, **numbers}
        return flatten_dict(stop_bridge.shown_result(trial_id, numbers))

    def _last(self, trial_id: str) -> Optional[dict[str, Any]]:
        """The trial's last result (flattened, as Ray passes it to ``on_trial_complete``)."""
        results = self.run.python_results.get(trial_id) if self.run is not None else None
        return flatten_dict(dict(results[-1])) if results else None

    def _encode(self, value: Any) -> Any:
        """`value` as JSON, with what is not JSON (objects, tuples, search domains) as references."""
        return encode_configuration(value, self.refs)


def merge_dicts(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Ray's ``merge_dicts``: `update` deep-merged into a copy of `base`."""
    out = dict(base)
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_dicts(out[k], v)
        else:
            out[k] = v
    return out


def flatten_dict(d: dict[str, Any], delimiter: str = "/") -> dict[str, Any]:
    """Ray's ``flatten_dict``: nested dicts as ``a/b`` keys (what searchers are passed; an empty
    nested dict leaves no key)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            for sk, sv in flatten_dict(v, delimiter).items():
                out[f"{k}{delimiter}{sk}"] = sv
        else:
            out[k] = v
    return out
