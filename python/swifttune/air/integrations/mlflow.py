"""Ray's MLflow integration (``ray.air.integrations.mlflow``): ``MLflowLoggerCallback``, an MLflow
run per trial logged from the driver (the trial's configuration as parameters, every numeric
result as metrics at its ``training_iteration``, the run FINISHED or FAILED with the trial), and
``setup_mlflow``, an MLflow run inside the trainable. Needs ``pip install mlflow`` (the wheel's
``[mlflow]`` extra); imported only when used."""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Optional

from ...tune._internal.flatten import flatten_dict
from ...tune.logger import LoggerCallback
from ..._optional import require

if TYPE_CHECKING:
    from ...tune.experiment.trial import Trial

__all__ = ["MLflowLoggerCallback", "setup_mlflow"]

logger = logging.getLogger(__name__)


def _mlflow() -> Any:
    return require("mlflow", "mlflow was not found - please install with `pip install mlflow`", RuntimeError)


class _Tracker:
    """One MLflow tracking set-up: the URIs, the experiment (found by id or name, or made), and
    the calls Ray's integration makes (runs, parameters, metrics, artifacts, run ends)."""

    def __init__(self) -> None:
        self.mlflow = _mlflow()
        self.experiment_id: Optional[str] = None

    def setup(self, tracking_uri: Optional[str] = None, registry_uri: Optional[str] = None,
              experiment_id: Optional[str] = None, experiment_name: Optional[str] = None,
              tracking_token: Optional[str] = None, artifact_location: Optional[str] = None,
              create_experiment_if_not_exists: bool = True) -> None:
        """Ray's order: an experiment id (argument, then ``MLFLOW_EXPERIMENT_ID``) that exists; else
        one named (argument, then ``MLFLOW_EXPERIMENT_NAME``) that exists; else a new one of that
        name when allowed; else Ray's ``ValueError``."""
        from mlflow.exceptions import MlflowException

        if tracking_token:
            os.environ["MLFLOW_TRACKING_TOKEN"] = tracking_token
        self.mlflow.set_tracking_uri(tracking_uri)
        self.mlflow.set_registry_uri(registry_uri)
        experiment_id = experiment_id if experiment_id is not None else os.environ.get("MLFLOW_EXPERIMENT_ID")
        if experiment_id is not None:
            try:
                self.mlflow.get_experiment(experiment_id=experiment_id)
                self.experiment_id = experiment_id
                return
            except MlflowException:
                pass
        experiment_name = experiment_name if experiment_name is not None else os.environ.get("MLFLOW_EXPERIMENT_NAME")
        if experiment_name is not None:
            found = self.mlflow.get_experiment_by_name(name=experiment_name)
            if found:
                self.experiment_id = found.experiment_id
                return
        if experiment_name and create_experiment_if_not_exists:
            self.experiment_id = self.mlflow.create_experiment(name=experiment_name, artifact_location=artifact_location)
            return
        if create_experiment_if_not_exists:
            raise ValueError(f"Experiment with the provided experiment_id: {experiment_id} does not exist and no "
                             "experiment_name provided. At least one of these has to be provided.")
        raise ValueError(f"Experiment with the provided experiment_id: {experiment_id} or experiment_name: "
                         f"{experiment_name} does not exist. Please create an MLflow experiment and provide either its "
                         "id or name.")

    def client(self) -> Any:
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.mlflow.get_tracking_uri(), registry_uri=self.mlflow.get_registry_uri())

    def start_run(self, run_name: Optional[str], tags: Optional[dict[str, Any]], active: bool = False) -> Any:
        if active:
            return self.mlflow.active_run() or self.mlflow.start_run(run_name=run_name, experiment_id=self.experiment_id,
                                                                     tags=tags or {})
        return self.client().create_run(run_name=run_name, experiment_id=self.experiment_id, tags=tags or {})

    def log_params(self, params: dict[str, Any], run_id: Optional[str] = None) -> None:
        flat = flatten_dict(params)
        if run_id:
            client = self.client()
            for k, v in flat.items():
                client.log_param(run_id=run_id, key=k, value=v)
        else:
            for k, v in flat.items():
                self.mlflow.log_param(key=k, value=v)

    def log_metrics(self, metrics: dict[str, Any], step: Any, run_id: str) -> None:
        """The values that convert to a float (Ray's rule: others are skipped), flattened."""
        numbers = {}
        for k, v in flatten_dict(metrics).items():
            try:
                numbers[k] = float(v)
            except (TypeError, ValueError):
                continue
        client = self.client()
        for k, v in numbers.items():
            client.log_metric(run_id=run_id, key=k, value=v, step=step)

    def save_artifacts(self, directory: str, run_id: str) -> None:
        self.client().log_artifacts(run_id=run_id, local_dir=directory)

    def end_run(self, status: str, run_id: str) -> None:
        active = self.mlflow.active_run()
        if active and active.info.run_id == run_id:
            self.mlflow.end_run(status=status)
        else:
            self.client().set_terminated(run_id=run_id, status=status)


class MLflowLoggerCallback(LoggerCallback):
    """Ray's ``MLflowLoggerCallback``: a run per trial, named after the trial (tag ``trial_name``
    and your ``tags``), in the experiment ``experiment_name`` (found or made) at ``tracking_uri``;
    the trial's configuration as parameters when it starts (or, with
    ``log_params_on_trial_end``, when it ends); every result's numeric values as metrics at step
    ``timesteps_total`` or ``training_iteration``; the run FINISHED, or FAILED for a trial that
    raised; with ``save_artifact`` the trial folder as the run's artifacts."""

    def __init__(self, tracking_uri: Optional[str] = None, *, registry_uri: Optional[str] = None,
                 experiment_name: Optional[str] = None, tags: Optional[dict[str, Any]] = None,
                 tracking_token: Optional[str] = None, save_artifact: bool = False,
                 log_params_on_trial_end: bool = False) -> None:
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri
        self.experiment_name = experiment_name
        self.tags = tags
        self.tracking_token = tracking_token
        self.should_save_artifact = save_artifact
        self.log_params_on_trial_end = log_params_on_trial_end
        self._tracker: Optional[_Tracker] = None
        self._trial_runs: dict["Trial", str] = {}

    def setup(self, *args: Any, **kwargs: Any) -> None:
        self._tracker = _Tracker()
        self._tracker.setup(tracking_uri=self.tracking_uri, registry_uri=self.registry_uri,
                            experiment_name=self.experiment_name, tracking_token=self.tracking_token)
        if self.tags is None:
            self.tags = {}
        self._trial_runs = {}

    def _get(self) -> _Tracker:
        if self._tracker is None:
            self.setup()
        assert self._tracker is not None
        return self._tracker

    def log_trial_start(self, trial: "Trial") -> None:
        tracker = self._get()
        if trial not in self._trial_runs:
            tags = dict(self.tags or {})
            tags["trial_name"] = str(trial)
            self._trial_runs[trial] = tracker.start_run(run_name=str(trial), tags=tags).info.run_id
        if not self.log_params_on_trial_end:
            tracker.log_params(trial.config, run_id=self._trial_runs[trial])

    def log_trial_result(self, iteration: int, trial: "Trial", result: dict[str, Any]) -> None:
        step = result.get("timesteps_total") or result["training_iteration"]
        self._get().log_metrics(result, step=step, run_id=self._trial_runs[trial])

    def log_trial_end(self, trial: "Trial", failed: bool = False) -> None:
        tracker = self._get()
        run_id = self._trial_runs[trial]
        if self.should_save_artifact:
            tracker.save_artifacts(trial.local_path, run_id=run_id)
        if self.log_params_on_trial_end:
            tracker.log_params(trial.config, run_id=run_id)
        tracker.end_run(status="FAILED" if failed else "FINISHED", run_id=run_id)


def setup_mlflow(config: Optional[dict[str, Any]] = None, tracking_uri: Optional[str] = None,
                 registry_uri: Optional[str] = None, experiment_id: Optional[str] = None,
                 experiment_name: Optional[str] = None, tracking_token: Optional[str] = None,
                 artifact_location: Optional[str] = None, run_name: Optional[str] = None,
                 create_experiment_if_not_exists: bool = False, tags: Optional[dict[str, Any]] = None,
                 rank_zero_only: bool = True) -> Any:
    """Ray's ``setup_mlflow``, called inside a trainable: an active MLflow run in the experiment
    given (by default the one whose id is the trial's id, else named after the trial), named
    ``run_name`` (by default the experiment's name), with ``config`` logged as parameters;
    returns the ``mlflow`` module. Outside a trial the experiment must be given. Needs the process
    executor (mlflow's active run belongs to the process).
    ``rank_zero_only`` concerns Ray Train's workers, which Tune trials are not (Ray ignores it
    for Tune too)."""
    from ...tune.session import current_session

    _mlflow()
    session = current_session()
    if session is not None and type(session).__name__ == "TrialSession":
        raise NotImplementedError("setup_mlflow in the thread executor is not supported by swifttune: mlflow's active "
                                  "run belongs to the process, which the trials' threads share; use the process executor "
                                  "(TuneConfig(executor='process'), the default), or MLflowLoggerCallback.")
    default_id = str(session.trial_id) if session is not None else None
    default_name = str(session.trial_name) if session is not None else None
    experiment_id = experiment_id or default_id
    experiment_name = experiment_name or default_name
    tracker = _Tracker()
    tracker.setup(tracking_uri=tracking_uri, registry_uri=registry_uri, experiment_id=experiment_id,
                  experiment_name=experiment_name, tracking_token=tracking_token,
                  artifact_location=artifact_location, create_experiment_if_not_exists=create_experiment_if_not_exists)
    tracker.start_run(run_name=run_name or experiment_name, tags=tags, active=True)
    tracker.log_params(dict(config) if config else {})
    return tracker.mlflow
