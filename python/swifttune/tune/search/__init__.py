"""Search algorithms: the Swift searchers behind Ray Tune's ``Searcher`` interface."""
from __future__ import annotations

import json
from typing import Any, Optional

from ..._lib import SearcherHandle, dumps, lib, loads
from ..._space import decode_configuration, has_domains, space_document
from .sample import Domain

__all__ = ["Searcher", "ConcurrencyLimiter", "BasicVariantGenerator", "Domain"]


class Searcher:
    """Ray's ``Searcher`` interface over a Swift searcher. Subclasses say which algorithm and options."""

    FINISHED = "FINISHED"
    CKPT_FILE_TMPL = "searcher-state-{}.json"

    _algorithm = "random"

    def __init__(self, metric: Optional[str] = None, mode: Optional[str] = None) -> None:
        if mode is not None and mode not in ("min", "max"):
            raise ValueError("`mode` must be 'min' or 'max'.")
        self._metric = metric
        self._mode = mode
        self._space: Any = None
        self._points: list[dict[str, Any]] = []
        self._seed: Optional[int] = None
        self._handle: Optional[SearcherHandle] = None
        self._refs: list[Any] = []

    @property
    def metric(self) -> Optional[str]:
        return self._metric

    @property
    def mode(self) -> Optional[str]:
        return self._mode

    def _options(self) -> dict[str, Any]:
        return {}

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: Any, **spec: Any) -> bool:
        """Takes the experiment's metric, mode and search space where the searcher has none."""
        if self._handle is not None:
            return False
        if metric and not self._metric:
            self._metric = metric
        if mode and not self._mode:
            self._mode = mode
        if self._space is None:
            if config:
                self._space = config
        elif config and has_domains(config):
            return False  # Ray: a searcher built with a space refuses a second one
        return True

    def _spec(self, max_concurrent: Optional[int] = None, batch: bool = False) -> dict[str, Any]:
        if self._space is None:
            raise ValueError(
                f"You have to set a `space` for {type(self).__name__} or pass a `param_space` to the Tuner."
            )
        self._refs = []
        spec = {"algorithm": self._algorithm, "space": space_document(self._space, self._refs),
                "mode": self._mode or "min", "points_to_evaluate": self._points, **self._options()}
        if self._seed is None:
            # Unseeded, as in Ray: a fresh seed every run (kept so that save/restore continue it).
            import random

            self._seed = random.SystemRandom().randrange(2**63)
        spec["seed"] = int(self._seed)
        if max_concurrent is not None:
            spec["max_concurrent"] = max_concurrent
            spec["batch"] = batch
        return spec

    def _ensure(self) -> SearcherHandle:
        if self._handle is None:
            self._handle = SearcherHandle(lib.call_handle("st_searcher_new", dumps(self._spec())))
        return self._handle

    # Ray's standalone Searcher methods

    def suggest(self, trial_id: str) -> Optional[dict[str, Any]]:
        """A configuration for a new trial, or None while a concurrency limit holds it back."""
        text = lib.call_string("st_searcher_suggest", self._ensure().p, trial_id.encode())
        return None if text is None else decode_configuration(loads(text), self._refs)

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        """Intermediate results do not change TPE's model (as in hyperopt)."""

    def on_trial_complete(self, trial_id: str, result: Optional[dict[str, Any]] = None, error: bool = False) -> None:
        """Tells the searcher how a trial ended (its final result, or an error)."""
        handle = self._ensure()
        if error or result is None:
            lib.check(lib.c.st_searcher_tell(handle.p, trial_id.encode(), 2, 0.0))
            return
        if self._metric is None or self._metric not in result:
            lib.check(lib.c.st_searcher_tell(handle.p, trial_id.encode(), 1, 0.0))
            return
        lib.check(lib.c.st_searcher_tell(handle.p, trial_id.encode(), 0, float(result[self._metric])))

    def save(self, checkpoint_path: str) -> None:
        text = lib.call_string("st_searcher_save", self._ensure().p)
        with open(checkpoint_path, "w", encoding="utf-8") as f:
            f.write(text or "")

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, encoding="utf-8") as f:
            text = f.read()
        self._handle = SearcherHandle(lib.call_handle("st_searcher_restore", text.encode("utf-8")))
        state = json.loads(text)
        self._mode = state.get("searcher", {}).get("mode", self._mode)


class BasicVariantGenerator(Searcher):
    """Random search (Ray's default search algorithm) in Swift."""

    _algorithm = "random"

    def __init__(self, points_to_evaluate: Optional[list[dict[str, Any]]] = None,
                 random_state: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__()
        self._points = list(points_to_evaluate or [])
        self._seed = random_state


class ConcurrencyLimiter(Searcher):
    """Ray's ``ConcurrencyLimiter``: at most ``max_concurrent`` unfinished trials of ``searcher``."""

    def __init__(self, searcher: Searcher, max_concurrent: int, batch: bool = False) -> None:
        if not (type(max_concurrent) is int and max_concurrent > 0):
            raise ValueError("max_concurrent must be a positive integer")
        if not isinstance(searcher, Searcher):
            raise RuntimeError(
                f"The `ConcurrencyLimiter` only works with `Searcher` objects (got {type(searcher)}). "
                "Please try to pass `max_concurrent` to the search generator directly."
            )
        super().__init__(searcher.metric, searcher.mode)
        self.searcher = searcher
        self.max_concurrent = max_concurrent
        self.batch = batch

    @property
    def metric(self) -> Optional[str]:
        return self.searcher.metric

    @property
    def mode(self) -> Optional[str]:
        return self.searcher.mode

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: Any, **spec: Any) -> bool:
        return self.searcher.set_search_properties(metric, mode, config, **spec)

    def _spec(self, max_concurrent: Optional[int] = None, batch: bool = False) -> dict[str, Any]:
        spec = self.searcher._spec(self.max_concurrent, self.batch)
        self._refs = self.searcher._refs
        return spec

    def _ensure(self) -> SearcherHandle:
        if self._handle is None:
            self._handle = SearcherHandle(lib.call_handle("st_searcher_new", dumps(self._spec())))
            self._metric = self.searcher.metric
        return self._handle

    def on_trial_complete(self, trial_id: str, result: Optional[dict[str, Any]] = None, error: bool = False) -> None:
        self._metric = self.searcher.metric
        super().on_trial_complete(trial_id, result, error)

