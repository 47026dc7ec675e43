"""The Ray executor (``TuneConfig(executor="ray")``): each trial runs in a Ray actor
(``ray_actor.TrialActor``) on the Ray cluster this driver is connected to (``ray.init(address=...)``,
or a local Ray started on first use, as Ray Tune does), with the trial's resources as the actor's
(``num_cpus``, ``num_gpus``, ``memory``, custom resources; a ``PlacementGroupFactory`` as a
placement group whose first bundle holds the actor). swifttune's engine on the driver still decides
everything (searcher, scheduler, stoppers, checkpoints, the saved state): each executor thread
drives one actor, sends it its trial, and answers each report with the engine's decision.

Trial folders are written by the driver (results, parameters) and by the actors (checkpoints, log
files), so on a cluster of several machines the storage path must be a folder every node sees at
the same path (NFS, as Ray requires of a multi-node ``storage_path``)."""
from __future__ import annotations

import json
import math
import pickle
import threading
from typing import Any, Optional

from ..._lib import END_COMPLETED, END_FAILED
from .run import ExperimentRun
from .trial_session import TrialSession

__all__ = ["RayExecutor", "ray_module", "ray_cluster_resources", "ray_cluster_totals"]

_MISSING = ("TuneConfig(executor='ray') runs trials on a Ray cluster and needs Ray: pip install 'ray[tune]' "
            "(the same version on every node), or use executor='process'.")


def ray_module() -> Any:
    """Ray, connected: ``ray.init`` is called (with ``swifttune.init``'s ``address``, else Ray's
    default: the cluster in ``RAY_ADDRESS`` or a local one) when this process has not joined a
    cluster yet, as Ray Tune's ``Tuner.fit`` does."""
    try:
        import ray
    except ImportError:
        raise ImportError(_MISSING) from None
    if not ray.is_initialized():
        import swifttune

        ray.init(address=swifttune._ray_address)
    return ray


def _placement(trainable: Any) -> Any:
    """The trainable's ``PlacementGroupFactory``, or None."""
    return getattr(trainable, "_swifttune_placement", None)


def ray_cluster_totals() -> tuple[list[dict[str, float]], dict[str, float]]:
    """The Ray cluster's live nodes (their resources) and their totals (``ray.cluster_resources()``
    of the live nodes, without Ray's ``node:*`` markers and object store)."""
    ray = ray_module()
    nodes = [dict(n.get("Resources") or {}) for n in ray.nodes() if n.get("Alive")]
    totals: dict[str, float] = {}
    for n in nodes:
        for k, v in n.items():
            if not k.startswith("node:") and k != "object_store_memory":
                totals[k] = totals.get(k, 0.0) + float(v)
    return nodes, totals


def ray_cluster_resources(trainable: Any, nodes: list[dict[str, float]], totals: dict[str, float]) -> dict[str, float]:
    """What the Ray cluster offers trials, as the engine's pool: Ray's totals, except that each
    resource a trial takes counts only as many trials as fit on the cluster's nodes one by one (a
    trial's actor runs on one node; with a placement group of a non-strict strategy, its bundles
    may spread and the totals count). `nodes` and `totals` are ``ray_cluster_totals()``'s, read
    once, when the experiment starts."""
    from ..._resources import trial_resources

    need = {k: v for k, v in trial_resources(trainable).items() if v > 0}
    pg = _placement(trainable)
    if not need:
        return totals
    if pg is not None and pg.strategy != "STRICT_PACK":
        if any(totals.get(k, 0.0) + 1e-9 < v for k, v in need.items()):
            raise ValueError(_too_big(need, nodes, "the Ray cluster"))
        return totals
    fit = sum(min(math.floor(n.get(k, 0.0) / v + 1e-9) for k, v in need.items()) for n in nodes)
    if fit == 0:
        raise ValueError(_too_big(need, nodes, "any node of the Ray cluster"))
    out = dict(totals)
    for k, v in need.items():
        out[k] = v * fit
    return out


def _amounts(amounts: dict[str, float]) -> str:
    return ", ".join(f"{k}={v / 2**30:.1f} GiB" if k == "memory" else f"{k}={v:g}" for k, v in sorted(amounts.items())
                     if not k.startswith("node:") and k != "object_store_memory")


def _too_big(need: dict[str, float], nodes: list[dict[str, float]], where: str) -> str:
    offered = "; ".join(_amounts(n) for n in nodes)
    return (f"Each trial needs {_amounts(need)}, more than {where} has "
            f"(its nodes: {offered or 'none'}), so no trial could start (Ray Tune would wait for such a node for "
            "ever; swifttune reads the cluster's resources once, when the experiment starts): ask for less with "
            "tune.with_resources, or start the experiment once the cluster has such a node.")


def actor_options(trainable: Any) -> dict[str, Any]:
    """The Ray actor options for one trial: its resources by Ray's names (a placement group's are
    its first bundle's, the actor placed in that bundle)."""
    from ..._resources import trial_resources

    pg = _placement(trainable)
    amounts = (pg.bundles[0] if not pg.head_bundle_is_empty else {}) if pg is not None else trial_resources(trainable)
    options: dict[str, Any] = {"num_cpus": float(amounts.get("CPU", 0.0)), "num_gpus": float(amounts.get("GPU", 0.0))}
    if amounts.get("memory"):
        options["memory"] = float(amounts["memory"])
    custom = {k: float(v) for k, v in amounts.items() if k not in ("CPU", "GPU", "memory") and v}
    if custom:
        options["resources"] = custom
    return options


class _Actor:
    """One actor of a slot, with the placement group made for it (if any)."""

    def __init__(self, ray: Any, cls: Any, trainable_ref: Any, trainable: Any) -> None:
        self.ray = ray
        options = actor_options(trainable)
        self.group = None
        pg = _placement(trainable)
        if pg is not None:
            from ray.util.placement_group import placement_group
            from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

            self.group = placement_group(pg.bundles, strategy=pg.strategy)
            options["scheduling_strategy"] = PlacementGroupSchedulingStrategy(
                self.group, placement_group_bundle_index=-1 if pg.head_bundle_is_empty else 0,
                placement_group_capture_child_tasks=True)
        self.handle = cls.options(**options).remote(trainable_ref)

    def kill(self) -> None:
        try:
            self.ray.kill(self.handle, no_restart=True)
        except Exception:  # noqa: BLE001 - already dead
            pass
        if self.group is not None:
            from ray.util.placement_group import remove_placement_group

            try:
                remove_placement_group(self.group)
            except Exception:  # noqa: BLE001 - already removed with its cluster
                pass
            self.group = None


class RayExecutor:
    """Each executor thread drives one Ray actor: a new one per trial (Ray's
    ``reuse_actors=False``) or one for all of its trials (``reuse_actors=True``)."""

    def __init__(self, run: ExperimentRun) -> None:
        import cloudpickle

        self.ray = ray = ray_module()
        from .ray_actor import TrialActor

        self.run = run
        self.cls = ray.remote(TrialActor)
        self.trainable_ref = ray.put(cloudpickle.dumps(run.tuner.trainable))
        self._lock = threading.Lock()
        self._busy: set[_Actor] = set()  # the actors inside a trial now
        run.interrupt_hooks.append(self.interrupt)

    def interrupt(self) -> None:
        """The run was interrupted: the actors inside trials are killed; their executor threads
        see them die and leave the trials RUNNING (a restore runs them again)."""
        with self._lock:
            busy = list(self._busy)
        for a in busy:
            a.kill()

    def loop(self, index: int) -> None:
        """One executor thread and its actor."""
        actor: list[_Actor] = []
        run = self.run

        def run_one(trial_id: str, config_text: str) -> None:
            if not actor:
                actor.append(_Actor(self.ray, self.cls, self.trainable_ref, run.tuner.trainable))
            alive = self.run_remote_trial(actor[0], trial_id, config_text)
            if not alive or not run.reuse_actors:
                actor.pop().kill()

        try:
            run.take_trials(run_one)
        finally:
            for a in actor:
                a.kill()

    def run_remote_trial(self, actor: _Actor, trial_id: str, config_text: str) -> bool:
        """Runs one trial in `actor`: its reports come back here, the engine's decisions go back.
        Returns whether the actor can take another trial."""
        import cloudpickle

        ray, run = self.ray, self.run
        config = run.tuner._decode(json.loads(config_text))
        s = TrialSession(run, trial_id, config)
        s.write_params()
        end, message, error = END_COMPLETED, None, None
        alive = True
        with self._lock:
            self._busy.add(actor)
        if run.interrupted.is_set():  # interrupted while this trial was being handed out
            actor.kill()
        try:
            ray.get(actor.handle.start.remote(("run", trial_id, s.trial_name, str(s.trial_dir), cloudpickle.dumps(config),
                                               s.resources, run.name, s.checkpoint.path if s.checkpoint else None,
                                               s.next_checkpoint, run.reuse_actors, run.log_files, [])))
            reply: Optional[tuple[Any, ...]] = None
            while s.ending is None:
                reply = s.remote_message(pickle.loads(ray.get(actor.handle.exchange.remote(reply))))
            end, message, error = s.ending
        except ray.exceptions.RayError as e:
            alive = False
            if run.interrupted.is_set():  # killed by the interrupt: the trial stays RUNNING
                return False
            end, message = END_FAILED, f"The Ray actor running trial {s.trial_name} died: {_first_line(e)}"
        except BaseException:
            # The driver side broke mid-trial (a callback raised): the actor is still inside the trial.
            actor.kill()
            raise
        finally:
            with self._lock:
                self._busy.discard(actor)
            s.close()
        run.end_trial(s, end, message, error)
        return alive


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
