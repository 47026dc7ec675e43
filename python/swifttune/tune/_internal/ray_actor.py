"""The Ray actor of the Ray executor (``TuneConfig(executor="ray")``): it runs trials of one
trainable on a node of a Ray cluster, exactly as a worker process of the process executor runs
them (``worker._run_trial``), and carries their messages to and from the driver.

The trial runs on a thread of the actor. Its session talks through an in-memory connection: what
the trial sends (``("report", metrics, checkpoint_name)``, ``("saved", name)``, ``("done", ...)``,
``("error", ...)``: worker.py's protocol) waits in an outbox until the driver collects it with
``exchange``; the driver's answer to a report (``("decision", code, save_name)``) comes in with
the next ``exchange`` call. One ``exchange`` is one Ray round trip per report.

Nothing here decides anything: the driver's engine does, as for the other executors. This module
imports Ray only inside the actor's methods (it is imported by the driver too)."""
from __future__ import annotations

import pickle
import queue
import threading
from typing import Any, Optional

__all__ = ["TrialActor"]

_PROTOCOL = pickle.HIGHEST_PROTOCOL


class _QueueConnection:
    """What ``RemoteSession`` and ``_run_trial`` need of a connection, over two queues."""

    def __init__(self) -> None:
        self.inbox: "queue.Queue[Any]" = queue.Queue()  # driver -> trial (decisions)
        self.outbox: "queue.Queue[bytes]" = queue.Queue()  # trial -> driver (pickled messages)

    def send(self, msg: Any) -> None:
        self.outbox.put(pickle.dumps(msg, _PROTOCOL))

    def send_bytes(self, data: bytes) -> None:
        self.outbox.put(bytes(data))

    def recv(self) -> Any:
        return self.inbox.get()


class TrialActor:
    """Runs trials of one trainable (cloudpickled by the driver) on the node Ray placed it on;
    one trial at a time, each on a thread of its own."""

    def __init__(self, trainable_bytes: bytes) -> None:
        import cloudpickle

        from .trainable_runner import TrainableCache, host_info

        host_info()
        self.trainable = cloudpickle.loads(trainable_bytes)
        self.cache = TrainableCache()  # a class trainable kept between trials (reuse_actors=True)
        self.conn: Optional[_QueueConnection] = None

    def start(self, msg: tuple[Any, ...]) -> None:
        """Starts the trial of a worker.py "run" message on a thread; its GPUs are the ones Ray
        gave this actor (Ray has set ``CUDA_VISIBLE_DEVICES`` to them)."""
        import ray

        from .worker import _run_trial

        gpu_ids = [str(g) for g in ray.get_gpu_ids()]
        msg = (*msg[:11], gpu_ids)
        conn = self.conn = _QueueConnection()
        threading.Thread(target=_run_trial, args=(conn, self.trainable, msg, self.cache),
                         name=f"swifttune-trial-{msg[2]}", daemon=True).start()

    def exchange(self, reply: Optional[tuple[Any, ...]]) -> bytes:
        """Hands the running trial the driver's `reply` (None: nothing to answer) and returns the
        trial's next message, pickled (waiting until there is one)."""
        conn = self.conn
        if conn is None:
            raise RuntimeError("exchange() before start(): this actor runs no trial")
        if reply is not None:
            conn.inbox.put(reply)
        return conn.outbox.get()
