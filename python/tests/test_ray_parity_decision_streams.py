"""The same stream of results, fed to Ray's scheduler and to swifttune's engine, gets the same
decisions, one by one. Each stream is recorded from a seeded generator: trials start, report in an
interleaved order, end early (their run returns), tie (scores on a coarse grid) and report NaN.
Ray's ``AsyncHyperBandScheduler`` (ASHA) and ``MedianStoppingRule`` get it through their hooks
(``on_trial_add``, ``on_trial_result``, ``on_trial_complete``) with a stand-in controller; the
engine gets it through the library's C calls (``st_experiment_next``, ``st_experiment_report``,
``st_experiment_finish``), as every front end drives it. A trial a decision stopped reports no
more in either. (HyperBand, whose pauses make the stream depend on the decisions, and PBT are
compared on whole runs under real Ray: ``test_ray_parity_hyperband.py``, ``test_ray_parity_pbt.py``.)

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest

from swifttune._lib import END_COMPLETED, NEXT_START, ExperimentHandle, dumps, lib

pytestmark = pytest.mark.ray

DECISIONS = {0: "CONTINUE", 1: "STOP", 2: "PAUSE"}


def stream(seed: int, trials: int, steps: int) -> list[tuple[Any, ...]]:
    """A recorded stream: ("add", n), ("result", n, t, score), ("complete", n) events."""
    rng = random.Random(seed)
    ends = {n: rng.choice([steps, steps, rng.randint(1, steps)]) for n in range(trials)}
    started: list[int] = []
    progress = {n: 0 for n in range(trials)}
    events: list[tuple[Any, ...]] = []
    waiting = list(range(trials))
    live: list[int] = []
    while waiting or live:
        if waiting and (not live or rng.random() < 0.3):
            n = waiting.pop(0)
            events.append(("add", n))
            started.append(n)
            live.append(n)
            continue
        n = rng.choice(live)
        progress[n] += 1
        t = progress[n]
        score = float("nan") if rng.random() < 0.08 else round(rng.uniform(0, 4) + 0.3 * t * (n % 3), 0)
        events.append(("result", n, t, score))
        if t >= ends[n]:
            events.append(("complete", n))
            live.remove(n)
    return events


class Trial:
    """What Ray's schedulers read of a trial."""

    def __init__(self, n: int) -> None:
        self.trial_id = f"t{n:05d}"
        self.status = "RUNNING"

    def __repr__(self) -> str:
        return self.trial_id


class Controller:
    def __init__(self) -> None:
        self.trials: list[Trial] = []

    def get_trials(self) -> list[Trial]:
        return self.trials

    def get_live_trials(self) -> list[Trial]:
        return [t for t in self.trials if t.status not in ("TERMINATED", "ERROR")]


def ray_decisions(scheduler: Any, events: list[tuple[Any, ...]], metric: str) -> list[tuple[int, int, str]]:
    controller = Controller()
    trials: dict[int, Trial] = {}
    stopped: set[int] = set()
    out = []
    last: dict[int, dict[str, Any]] = {}
    for e in events:
        if e[0] == "add":
            trials[e[1]] = t = Trial(e[1])
            controller.trials.append(t)
            scheduler.on_trial_add(controller, t)
        elif e[0] == "result":
            _, n, step, score = e
            if n in stopped:
                continue
            result = {"training_iteration": step, "time_total_s": float(step), metric: score}
            last[n] = result
            decision = scheduler.on_trial_result(controller, trials[n], result)
            out.append((n, step, decision))
            if decision == "STOP":
                stopped.add(n)
                trials[n].status = "TERMINATED"
                scheduler.on_trial_complete(controller, trials[n], result)
        elif e[1] not in stopped:
            trials[e[1]].status = "TERMINATED"
            scheduler.on_trial_complete(controller, trials[e[1]], last.get(e[1]))
    return out


def swifttune_decisions(scheduler_spec: dict[str, Any], events: list[tuple[Any, ...]], metric: str, mode: str,
                        trials: int) -> list[tuple[int, int, str]]:
    searcher = lib.call_handle("st_searcher_new", dumps({"algorithm": "random", "seed": 1, "mode": mode, "space": {
        "format": "swifttune.space", "version": 1, "space": {"type": "dict", "items": {"x": 1}}}}))
    scheduler = lib.call_handle("st_scheduler_new", dumps(scheduler_spec))
    try:
        experiment = ExperimentHandle(lib.call_handle("st_experiment_new", dumps(
            {"metric": metric, "mode": mode, "num_samples": trials}), searcher, scheduler))
    finally:
        lib.c.st_searcher_free(searcher)
        lib.c.st_scheduler_free(scheduler)
    ids: dict[int, str] = {}
    stopped: set[int] = set()
    out = []
    for e in events:
        if e[0] == "add":
            action, tid, _ = experiment.next()
            assert action == NEXT_START and tid is not None
            ids[e[1]] = tid
        elif e[0] == "result":
            _, n, step, score = e
            if n in stopped:
                continue
            answer = experiment.report_result(ids[n], {"training_iteration": float(step), "time_total_s": float(step),
                                                       metric: score})
            decision = DECISIONS[answer.decision]
            out.append((n, step, decision))
            if decision == "STOP":
                stopped.add(n)
                experiment.finish(ids[n], END_COMPLETED)
        elif e[1] not in stopped:
            experiment.finish(ids[e[1]], END_COMPLETED)
    experiment.close()
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["min", "max"])
def test_asha_decides_every_result_as_ray(seed: int, mode: str) -> None:
    from ray.tune.schedulers import AsyncHyperBandScheduler

    events = stream(seed, trials=12, steps=9)
    ray = ray_decisions(AsyncHyperBandScheduler(metric="score", mode=mode, max_t=9, grace_period=1,
                                                reduction_factor=2), events, "score")
    ours = swifttune_decisions({"type": "asha", "max_t": 9, "grace_period": 1, "reduction_factor": 2}, events,
                               "score", mode, 12)
    assert ours == ray
    assert any(d == "STOP" for _, _, d in ray), "the stream stops nothing: it tests little"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["min", "max"])
def test_median_stopping_rule_decides_every_result_as_ray(seed: int, mode: str) -> None:
    from ray.tune.schedulers import MedianStoppingRule

    events = stream(100 + seed, trials=10, steps=8)
    ray = ray_decisions(MedianStoppingRule(time_attr="training_iteration", metric="score", mode=mode, grace_period=2,
                                           min_samples_required=2), events, "score")
    ours = swifttune_decisions({"type": "median_stopping_rule", "time_attr": "training_iteration", "grace_period": 2,
                                "min_samples_required": 2}, events, "score", mode, 10)
    assert ours == ray
    assert any(d == "STOP" for _, _, d in ray), "the stream stops nothing: it tests little"


def test_streams_have_ties_nans_and_early_ends() -> None:
    events = stream(0, trials=12, steps=9)
    scores = [e[3] for e in events if e[0] == "result"]
    assert any(math.isnan(s) for s in scores)
    finite = [s for s in scores if not math.isnan(s)]
    assert len(set(finite)) < len(finite)  # ties
    lengths = {e[1]: e[2] for e in events if e[0] == "result"}
    assert min(lengths.values()) < 9  # trials that end early
    json.dumps(events)  # (recordable as it is)
