"""The two executors: trials on threads of the driver (``executor="thread"``) or in worker
processes (``executor="process"``, the default). Either takes trials from the engine through the
run loop and carries each result to the engine and its decision back; neither decides anything."""
from __future__ import annotations

import itertools
import json
import threading
from typing import Optional

from ..._lib import END_COMPLETED, END_FAILED
from ..session import TrialStopped, bind_session
from .run import ExperimentRun
from .trainable_runner import TrainableCache, run_trainable, trial_output
from .interrupt import TrialInterrupted
from .trial_files import TrialFilesError
from .trial_session import TrialSession
from .report_loop import ReportLoop, WorkerDied
from .worker_pool import WorkerProcess, exit_reason, worker_pool

__all__ = ["ThreadExecutor", "ProcessExecutor"]

# Identifies a run's trainable to pooled workers (never reused, unlike id()).
_serials = itertools.count()


class ThreadExecutor:
    """Trials run on the calling threads, in this process (so they share its modules whatever
    ``reuse_actors`` says; a class trainable is reused through ``reset_config`` only with
    ``reuse_actors=True``)."""

    def __init__(self, run: ExperimentRun) -> None:
        self.run = run
        self.cache = TrainableCache()
        self._running = 0
        self._lock = threading.Lock()

    def loop(self, index: int) -> None:
        """One executor thread: takes trials until the engine has none."""
        with self._lock:
            self._running += 1
        try:
            self.run.take_trials(self.run_trial)
        finally:
            with self._lock:
                self._running -= 1
                last = self._running == 0
            if last:
                self.cache.clear()

    def run_trial(self, trial_id: str, config_text: str) -> None:
        """Runs one trial here, with its session bound to this thread."""
        run = self.run
        config = run.tuner._decode(json.loads(config_text))
        s = TrialSession(run, trial_id, config)
        s.write_params()
        bind_session(s)
        end, message, error = END_COMPLETED, None, None
        try:
            with trial_output(s.trial_dir, run.log_files):
                final = run_trainable(run.tuner.trainable, config, self.cache, run.reuse_actors)
            if final is not None and not s.stopped:
                s.report(final)
        except TrialStopped:
            pass
        except TrialInterrupted:
            return  # the run was interrupted: the trial stays RUNNING (a restore runs it again)
        except TrialFilesError:
            raise  # the storage failed, not the trial: the run stops (run.py), the trial stays RUNNING
        except BaseException as e:  # noqa: BLE001 - a trial's failure is recorded, the run goes on
            if isinstance(e, KeyboardInterrupt):
                raise
            end, message, error = END_FAILED, "".join(_format(e)), e
        finally:
            bind_session(None)
            s.close()
        run.end_trial(s, end, message, error)


class ProcessExecutor:
    """Each executor thread takes trials for one worker process (taken from the pool, replaced
    when it dies) and waits while the report loop's one thread (report_loop.py) carries every
    running trial's messages; the trainable is pickled once for all of them."""

    def __init__(self, run: ExperimentRun) -> None:
        self.run = run
        self.serial = next(_serials)
        self._lock = threading.Lock()
        self._trainable_bytes: Optional[bytes] = None
        self._busy: set[WorkerProcess] = set()  # the workers inside a trial now
        self.reports = ReportLoop()  # carries the running trials' messages (one thread for all workers)
        self._loops = 0  # executor threads still taking trials (the last one stops the report loop)
        run.interrupt_hooks.append(self.interrupt)

    def interrupt(self) -> None:
        """The run was interrupted: the workers inside trials are killed (with their trials' processes);
        their executor threads see the connection end and leave the trials RUNNING."""
        with self._lock:
            busy = list(self._busy)
        for w in busy:
            w.kill_group()

    def trainable_bytes(self) -> bytes:
        """The trainable pickled once for every worker (cloudpickle: functions from __main__ by value)."""
        with self._lock:
            if self._trainable_bytes is None:
                import cloudpickle

                self._trainable_bytes = cloudpickle.dumps(self.run.tuner.trainable)
            return self._trainable_bytes

    def loop(self, index: int) -> None:
        """One executor thread and its worker process."""
        worker: list[WorkerProcess] = []
        run = self.run
        with self._lock:
            self._loops += 1

        def run_one(trial_id: str, config_text: str) -> None:
            failure = "no worker process could be started"
            for _ in range(3):
                if worker and not worker[0].alive():
                    worker.pop().close()
                if not worker:
                    worker.append(worker_pool.take(fresh=not run.reuse_actors))
                try:
                    worker[0].load(self.serial, self.trainable_bytes())
                    break
                except (EOFError, OSError, ConnectionError) as e:
                    failure = f"the worker process could not take the trial ({exit_reason(worker[0].returncode()) or e})"
                    worker.pop().close()
            else:
                s = TrialSession(run, trial_id, run.tuner._decode(json.loads(config_text)))
                s.close()
                run.end_trial(s, END_FAILED, failure)
                return
            worker[0].used = worker[0].used or run.reuse_actors  # it ran a trial in its own process
            self.run_remote_trial(worker[0], trial_id, config_text)

        try:
            run.take_trials(run_one)
        finally:
            for w in worker:
                worker_pool.give_back(w)
            with self._lock:
                self._loops -= 1
                last = self._loops == 0
            if last:
                self.reports.close()

    def run_remote_trial(self, worker: WorkerProcess, trial_id: str, config_text: str) -> None:
        """Runs one trial in `worker`: the report loop carries its reports to the trial's session and
        the engine's decisions back; this thread ends the trial."""
        import cloudpickle

        run = self.run
        config = run.tuner._decode(json.loads(config_text))
        s = TrialSession(run, trial_id, config)
        s.write_params()
        end, message, error = END_COMPLETED, None, None
        with self._lock:
            self._busy.add(worker)
        if run.interrupted.is_set():  # interrupted while this trial was being handed out
            worker.kill_group()
        try:
            worker.conn.send(("run", trial_id, s.trial_name, str(s.trial_dir), cloudpickle.dumps(config),
                              s.resources, run.name, s.checkpoint.path if s.checkpoint else None, s.next_checkpoint,
                              run.reuse_actors, run.log_files, s.gpu_ids))
            # The report loop's thread carries the trial's messages from here until its run ended.
            reusable = self.reports.carry(worker.conn.fileno(), s)
            assert s.ending is not None
            end, message, error = s.ending
            if not reusable:  # it sent more than its trial's end: not given another trial
                worker.kill()
        except WorkerDied as died:
            if run.interrupted.is_set():
                worker.kill_group()
                worker.close()
                return
            reason = exit_reason(died.code) or "it ended"
            end, message = END_FAILED, f"The worker process running trial {s.trial_name} died: {reason}."
            worker.close()
        except TrialFilesError:
            # The driver could not write the trial's files (an OSError, but not the worker's connection):
            # the run stops (run.py) and the worker, still inside the trial, cannot go back to the pool.
            worker.kill()
            raise
        except (EOFError, OSError, ConnectionError):
            if run.interrupted.is_set():  # killed by the interrupt: the trial stays RUNNING
                worker.kill_group()
                worker.close()
                return
            reason = exit_reason(worker.returncode()) or "its connection broke"
            end, message = END_FAILED, f"The worker process running trial {s.trial_name} died: {reason}."
            worker.close()
        except BaseException:
            # The driver side broke mid-trial (a callback raised, an interrupt): the worker is still
            # inside the trial, so it cannot go back to the pool.
            worker.kill()
            raise
        finally:
            with self._lock:
                self._busy.discard(worker)
            s.close()
        run.end_trial(s, end, message, error)


def _format(e: BaseException) -> list[str]:
    import traceback

    return traceback.format_exception(type(e), e, e.__traceback__)
