"""hyperopt's ``SparkTrials``: each trial runs as a Spark job (one task) on the cluster of a Spark
session, up to `parallelism` at a time, while swifttune's Swift searcher suggests on the driver.

As in hyperopt: a trial whose objective raises ends in ``JOB_STATE_ERROR`` (its exception type and
traceback in ``misc["error"]``) and the search goes on; `timeout` (seconds, of ``SparkTrials`` or of
``fmin``) and `loss_threshold` stop launching trials and cancel the running ones (their Spark job
group cancelled, the trials in ``JOB_STATE_CANCEL``); ``fmin`` then logs the counts (logger ``hyperopt-spark``, as hyperopt's). The objective
and its configuration travel to the executors with Spark's cloudpickle, so swifttune (and what the
objective imports) must be installed on the workers. Needs pyspark: ``pip install pyspark``.
"""
from __future__ import annotations

import concurrent.futures
import datetime
import itertools
import logging
import time
import traceback
import uuid
from typing import Any, Callable, Optional

from .._optional import require
from .base import JOB_STATE_CANCEL, JOB_STATE_DONE, JOB_STATE_ERROR, JOB_STATE_NEW, JOB_STATE_RUNNING
from .trials import Trials

__all__ = ["SparkTrials"]

logger = logging.getLogger("hyperopt-spark")  # hyperopt's logger name, so its log configuration applies

FMIN_CANCELLED_REASON_USER = "fmin run cancelled by user"
"""hyperopt's reason when a KeyboardInterrupt cancels the run."""
MAX_CONCURRENT_JOBS_ALLOWED = 128
"""hyperopt's cap on `parallelism`."""

_runs = itertools.count()


def _evaluate_on_executor(fn: Callable[[Any], Any], config: Any) -> tuple[str, Any]:
    """Runs on a Spark executor: ("ok", the result document) or ("error", (type, traceback))."""
    from swifttune.hyperopt.fmin import _result

    try:
        return "ok", _result(fn(config))
    except Exception as e:  # noqa: BLE001 - carried back to the driver as hyperopt does
        return "error", (str(type(e)), "".join(traceback.format_exception(type(e), e, e.__traceback__)))


class SparkTrials(Trials):
    """hyperopt's ``SparkTrials(parallelism=None, timeout=None, loss_threshold=None, spark_session=None)``:
    ``fmin(..., trials=SparkTrials(...))`` runs trials as Spark jobs, `parallelism` at a time (default:
    the Spark context's default parallelism, at most 128)."""

    asynchronous = True

    def __init__(self, parallelism: Optional[int] = None, timeout: Optional[float] = None,
                 loss_threshold: Optional[float] = None, spark_session: Any = None) -> None:
        super().__init__(exp_key=None, refresh=False)
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            raise Exception(f"The timeout argument should be None or a positive value. Given value: {timeout}")
        if loss_threshold is not None and (isinstance(loss_threshold, bool)
                                           or not isinstance(loss_threshold, (int, float))):
            raise Exception(f"The loss_threshold argument should be None or a numeric value. Given value: {loss_threshold}")
        require("pyspark", "SparkTrials runs trials on Spark: pip install pyspark")
        from pyspark.sql import SparkSession

        self._spark = spark_session if spark_session is not None else SparkSession.builder.getOrCreate()
        self._spark_context = self._spark.sparkContext
        self.parallelism = self._decide_parallelism(parallelism, self._spark_context.defaultParallelism)
        self.timeout = timeout
        self.loss_threshold = loss_threshold
        self._fmin_cancelled = False
        self._fmin_cancelled_reason: Optional[str] = None
        self.refresh()

    @staticmethod
    def _decide_parallelism(requested: Optional[int], spark_default: int) -> int:
        """hyperopt's rule: the requested parallelism, or Spark's default; at least 1, at most 128 (warned)."""
        if requested is None:
            parallelism = spark_default
        else:
            if isinstance(requested, bool) or not isinstance(requested, int):
                raise TypeError(f"SparkTrials: parallelism must be an integer or None, got {requested!r}")
            parallelism = requested
        if parallelism <= 0:
            raise ValueError(f"parallelism param must be greater than 0, but it is {parallelism}")
        if parallelism > MAX_CONCURRENT_JOBS_ALLOWED:
            logger.warning("Parallelism (%d) is capped at SparkTrials.MAX_CONCURRENT_JOBS_ALLOWED (%d).", parallelism,
                           MAX_CONCURRENT_JOBS_ALLOWED)
            parallelism = MAX_CONCURRENT_JOBS_ALLOWED
        return parallelism

    @property
    def fmin_cancelled_reason(self) -> Optional[str]:
        """Why the last ``fmin`` was cancelled ("fmin run timeout", ...), or None."""
        return self._fmin_cancelled_reason

    def count_successful_trials(self) -> int:
        return self.count_by_state_unsynced(JOB_STATE_DONE)

    def count_failed_trials(self) -> int:
        return self.count_by_state_unsynced(JOB_STATE_ERROR)

    def count_cancelled_trials(self) -> int:
        """Trials cancelled by the timeout (or the loss threshold, or Ctrl-C)."""
        return self.count_by_state_unsynced(JOB_STATE_CANCEL)

    def count_total_trials(self) -> int:
        return self.count_by_state_unsynced([JOB_STATE_DONE, JOB_STATE_ERROR, JOB_STATE_CANCEL])

    def delete_all(self) -> None:
        super().delete_all()
        self._fmin_cancelled = False
        self._fmin_cancelled_reason = None

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("SparkTrials cannot be pickled (it holds a Spark session); pickle trials.trials instead")

    def fmin(self, fn: Callable[[Any], Any], space: Any, algo: Any = None, max_evals: Optional[int] = None,
             timeout: Optional[float] = None, loss_threshold: Optional[float] = None, max_queue_len: Optional[int] = None,
             rstate: Any = None, verbose: bool = False, pass_expr_memo_ctrl: Any = None,
             catch_eval_exceptions: bool = False, return_argmin: bool = True, show_progressbar: Any = True,
             early_stop_fn: Optional[Callable[..., Any]] = None, trials_save_file: str = "") -> Any:
        """hyperopt's ``SparkTrials.fmin`` (``fmin(trials=spark_trials)`` calls it): trials launched as
        Spark jobs while fewer than `parallelism` run; returns as ``fmin`` does."""
        from .fmin import _answer, _check_arguments, _prepare, _progress_callback

        if pass_expr_memo_ctrl:
            raise NotImplementedError("SparkTrials: pass_expr_memo_ctrl is not supported by swifttune: fn receives "
                                      "the configuration")
        if trials_save_file:
            raise NotImplementedError("SparkTrials: trials_save_file (pickling the trials) is not supported, as in "
                                      "hyperopt's SparkTrials")
        _check_arguments(fn, max_evals, timeout, loss_threshold, None, early_stop_fn, None)
        if max_queue_len not in (None, 1, self.parallelism):
            logger.warning("SparkTrials: max_queue_len=%s is replaced by the parallelism (%d), as in hyperopt",
                           max_queue_len, self.parallelism)
        timeouts = [t for t in (timeout, self.timeout) if t is not None]
        threshold = loss_threshold if loss_threshold is not None else self.loss_threshold
        space, run = _prepare(fn, space, algo, self, rstate, None, True)
        total = max_evals if max_evals is not None else 2**63 - 1
        self._fmin_cancelled = False
        self._fmin_cancelled_reason = None
        state = _SparkRun(self, run, min(timeouts) if timeouts else None, threshold, early_stop_fn)
        try:
            with _progress_callback(show_progressbar, verbose)(initial=self.count_successful_trials(),
                                                               total=total) as progress_ctx:
                state.loop(total - len(self), progress_ctx)
        except KeyboardInterrupt:
            self._fmin_cancelled = True
            self._fmin_cancelled_reason = FMIN_CANCELLED_REASON_USER
            state.cancel_running()
            raise
        finally:
            state.shutdown()
            logger.info(f"Total Trials: {self.count_total_trials()}: {self.count_successful_trials()} succeeded, "
                        f"{self.count_failed_trials()} failed, {self.count_cancelled_trials()} cancelled.")
        return _answer(space, self, return_argmin)


class _SparkRun:
    """One ``SparkTrials.fmin``: the driver's loop launching trials as Spark jobs and writing their
    results back into the documents; the searcher hears each."""

    def __init__(self, trials: SparkTrials, run: Any, timeout: Optional[float], loss_threshold: Optional[float],
                 early_stop_fn: Optional[Callable[..., Any]]) -> None:
        self.trials = trials
        self.run = run
        self.timeout = timeout
        self.loss_threshold = loss_threshold
        self.early_stop_fn = early_stop_fn
        self.early_args: list[Any] = []
        self.group = f"hyperopt-spark-{uuid.uuid4().hex}-{next(_runs)}"
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=trials.parallelism)
        self.running: dict[concurrent.futures.Future[Any], tuple[dict[str, Any], bool]] = {}

    def loop(self, n: int, progress_ctx: Any) -> None:
        """Launches up to `n` suggested trials (and the new documents already there), `parallelism` at a
        time, until all are done or the run is cancelled."""
        start = time.time()
        launched = 0
        done_before = self.trials.count_successful_trials()
        best = float("inf")
        stopped = False
        while True:
            if not stopped and self.timeout is not None and time.time() - start >= self.timeout:
                self._cancel("fmin run timeout")
                stopped = True
            if not stopped and self.loss_threshold is not None and best <= self.loss_threshold:
                self._cancel("fmin run loss threshold reached")
                stopped = True
            while not stopped and len(self.running) < self.trials.parallelism:
                doc = self._next_new()
                if doc is None:
                    if launched >= n:
                        break
                    self.run.suggest()
                    launched += 1
                    doc = self._next_new()
                    assert doc is not None
                self._launch(doc)
            if not self.running:
                break
            finished, _ = concurrent.futures.wait(list(self.running), timeout=0.1,
                                                  return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                self._finish(future)
            if finished:
                self.trials.refresh()
                losses = [x for x in self.trials.losses() if x is not None and x == x]
                if losses:
                    best = min(float(x) for x in losses)
                    progress_ctx.postfix = "best loss: " + str(best)
                done = self.trials.count_successful_trials()
                if done > done_before:
                    progress_ctx.update(done - done_before)
                done_before = done
                if self.early_stop_fn is not None and not stopped:
                    stop, self.early_args = self.early_stop_fn(self.trials, *self.early_args)
                    if stop:
                        stopped = True  # as hyperopt: no new trials; the running ones finish
        self.trials.refresh()

    def _next_new(self) -> Optional[dict[str, Any]]:
        for doc in self.trials._dynamic_trials:
            if doc["state"] == JOB_STATE_NEW:
                return doc
        return None

    def _launch(self, doc: dict[str, Any]) -> None:
        from .fmin import space_eval
        from .base import spec_from_misc

        doc["state"] = JOB_STATE_RUNNING
        doc["book_time"] = doc["refresh_time"] = datetime.datetime.now()
        tid = doc["tid"]
        ours = tid in self.run.configs  # suggested by the searcher (else a new document inserted by hand)
        config = self.run.configs.pop(tid) if ours else space_eval(self.run.space, spec_from_misc(doc["misc"]))
        self.running[self.pool.submit(self._job, self.run.fn, config, tid)] = (doc, ours)

    def _job(self, fn: Callable[[Any], Any], config: Any, tid: int) -> tuple[str, Any]:
        """Runs in a driver thread: the trial as a Spark job of one task, in this run's job group."""
        sc = self.trials._spark_context
        sc.setJobGroup(self.group, f"Trial evaluation (tid {tid})", interruptOnCancel=True)
        try:
            return sc.parallelize([0], 1).map(lambda _: _evaluate_on_executor(fn, config)).collect()[0]  # type: ignore[no-any-return]
        except Exception as e:  # noqa: BLE001 - a cancelled job (or a lost executor)
            return "cancelled", (str(type(e)), str(e))

    def _finish(self, future: concurrent.futures.Future[Any]) -> None:
        doc, ours = self.running.pop(future)
        kind, data = future.result()
        doc["refresh_time"] = datetime.datetime.now()
        if kind == "ok":
            doc["state"] = JOB_STATE_DONE
            doc["result"] = data
            self._tell(doc, ours)
        elif kind == "error":
            logger.error("trial task %s failed, exception is %s.", doc["tid"], data[1].strip().splitlines()[-1])
            doc["state"] = JOB_STATE_ERROR
            doc["misc"]["error"] = tuple(data)
            self._tell(doc, ours, failed=True)
        else:
            logger.warning("trial task %s cancelled, exception is %s", doc["tid"], data[1])
            doc["state"] = JOB_STATE_CANCEL
            doc["misc"]["error"] = tuple(data)
            self._tell(doc, ours, failed=True)

    def _tell(self, doc: dict[str, Any], ours: bool, failed: bool = False) -> None:
        from .._lib import OUTCOME_FAILED, lib
        from .fmin import _outcome

        searcher = self.run.searcher
        if ours:
            outcome, value = (OUTCOME_FAILED, 0.0) if failed else _outcome(doc["result"])
            lib.check(lib.c.st_searcher_tell(searcher.p, str(doc["tid"]).encode(), outcome, value))
        elif not failed:
            self.run._add_evaluated(doc)

    def _cancel(self, reason: str) -> None:
        self.trials._fmin_cancelled = True
        self.trials._fmin_cancelled_reason = reason
        logger.warning("fmin cancelled because of %s", reason)
        self.cancel_running()

    def cancel_running(self) -> None:
        """Cancels this run's Spark jobs (the trials then end as cancelled)."""
        if self.running:
            self.trials._spark_context.cancelJobGroup(self.group)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True)
