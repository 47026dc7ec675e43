"""One run of a trial, on the driver's side: carries each reported result to the trial's files
and to the engine, and the engine's decision back."""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Optional

from ..._lib import CONTINUE, metrics_for_engine
from ..checkpoint import Checkpoint, CheckpointManager, keep_reported
from ..session import TrialStopped, check_report
from .trial_files import TrialFiles

if TYPE_CHECKING:
    from .run import ExperimentRun

__all__ = ["TrialSession"]


class TrialSession:
    """Numbers the results, writes them to the trial's files, tells the engine, keeps the trial's
    checkpoints. A trial that runs again (a retry, a pause, a restore) starts from what the engine
    kept: the results up to its latest checkpoint."""

    def __init__(self, run: "ExperimentRun", trial_id: str, config: dict[str, Any]) -> None:
        self.run = run
        self.trial_id = trial_id
        self.trial_name = run.trial_name(trial_id, config)
        self.config = config
        self.trial_dir = run.trial_dir(trial_id, config)
        self.resources = {"cpu": run.cpus_per_trial}
        self.start = time.time()
        self.last = self.start
        self.stopped = False
        self.files = TrialFiles(self.trial_dir, json.dumps(config, default=str))
        record = run.experiment.trial(trial_id)
        kept = record.get("results") or []
        self.iteration = int(kept[-1].get("training_iteration", len(kept))) if kept else 0
        self.time_offset = float(kept[-1].get("time_total_s", 0.0)) if kept else 0.0
        self.checkpoints = CheckpointManager(run.checkpoint_config, self.trial_dir)
        self.results: list[dict[str, Any]] = self.files.reopen(
            len(kept), lambda: list(run.experiment.trial(trial_id)["results"]), config, trial_id)
        run.python_results[trial_id] = self.results
        self.checkpoints.resync(self.results, record.get("checkpoint"))
        self.next_checkpoint = self.checkpoints.next_index()
        latest = self.checkpoints.latest
        self.checkpoint: Optional[Checkpoint] = Checkpoint(self.trial_dir / latest) if latest else None
        self.info = run.trial_info(trial_id, self.trial_name, config, str(self.trial_dir))

    def write_params(self) -> None:
        """The trial's ``params.json``: its configuration, as Ray writes it."""
        with open(self.trial_dir / "params.json", "w", encoding="utf-8") as f:
            json.dump(self.config, f, default=str)

    def close(self) -> None:
        """Closes the trial's files."""
        self.files.close()

    def report(self, metrics: dict[str, Any], checkpoint: Optional[Checkpoint] = None) -> None:
        """tune.report in a thread-executor trial: the next report after a stop ends the trial."""
        if self.stopped:
            raise TrialStopped()
        check_report(metrics, checkpoint)
        if self.record(metrics, keep_reported(self, checkpoint)) != CONTINUE:
            self.stopped = True

    def record(self, metrics: dict[str, Any], checkpoint: Optional[str] = None) -> int:
        """Adds Ray's automatic fields, logs the result, tells the engine (the file first: a
        driver killed in between leaves a row the engine never had, which a restart drops); the
        engine's decision."""
        now = time.time()
        self.iteration += 1
        result = dict(metrics)
        result.setdefault("training_iteration", self.iteration)
        result.setdefault("time_total_s", self.time_offset + (now - self.start))
        result["time_this_iter_s"] = now - self.last
        self.last = now
        numbers = metrics_for_engine(result)
        result["trial_id"] = self.trial_id
        result["timestamp"] = int(now)
        result["done"] = False
        if checkpoint is not None:
            result["checkpoint_dir_name"] = checkpoint
        run = self.run
        line = self.files.append(result)
        if run.verbose >= 3:
            print(f"Trial {self.trial_name} reported {line}", flush=True)
        experiment = run.experiment
        decision = experiment.report(self.trial_id, numbers) if checkpoint is None else \
            experiment.report_checkpoint(self.trial_id, numbers, checkpoint)
        if run.callbacks:
            self.info.last_result = result
            run.callback("on_trial_result", self.info, result=result)
        result["config"] = self.config
        self.results.append(result)
        state = run.state
        if checkpoint is None:
            state.request_for_result()
        else:
            # Older checkpoints go only once a state naming the new latest one is on disk.
            generation = state.request()
            drop = self.checkpoints.register(checkpoint, result)
            if drop:
                state.after_write(generation, lambda: self.checkpoints.delete(drop))
        return decision
