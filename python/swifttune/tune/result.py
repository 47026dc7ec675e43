"""The result keys of Ray Tune (``ray.tune.result``): the names of the automatic fields of a result,
of the keys a result may set (``done``, ``should_checkpoint``) and of a trial's files."""
from __future__ import annotations

__all__ = [
    "DONE", "SHOULD_CHECKPOINT", "HOSTNAME", "TRIAL_ID", "EXPERIMENT_TAG", "NODE_IP", "PID", "DEFAULT_METRIC",
    "EPISODE_REWARD_MEAN", "MEAN_LOSS", "MEAN_ACCURACY", "EPISODES_THIS_ITER", "EPISODES_TOTAL",
    "TIMESTEPS_THIS_ITER", "TIMESTEPS_TOTAL", "TIME_TOTAL_S", "TIME_THIS_ITER_S", "TIMESTAMP", "TRAINING_ITERATION",
    "DEFAULT_EXPERIMENT_INFO_KEYS", "DEFAULT_RESULT_KEYS", "DEBUG_METRICS", "AUTO_RESULT_KEYS",
    "RESULT_DUPLICATE", "TRIAL_INFO", "STDOUT_FILE", "STDERR_FILE", "DEFAULT_EXPERIMENT_NAME", "JOB_META_FILE",
    "EXPR_META_FILE", "CONFIG_PREFIX", "EXPR_PARAM_FILE", "EXPR_PARAM_PICKLE_FILE", "EXPR_PROGRESS_FILE",
    "EXPR_RESULT_FILE", "EXPR_ERROR_FILE", "EXPR_ERROR_PICKLE_FILE",
]

# Keys a result may set.
DONE = "done"
"""(Optional, else filled in) the trial is over: a class trainable's ``step`` returning it ends the trial."""
SHOULD_CHECKPOINT = "should_checkpoint"
"""(Optional) a class trainable's result (or a callback's ``on_trial_result``) setting it true has a
checkpoint saved after the result."""

# Automatic fields.
HOSTNAME = "hostname"
TRIAL_ID = "trial_id"
EXPERIMENT_TAG = "experiment_tag"
NODE_IP = "node_ip"
PID = "pid"
DEFAULT_METRIC = "_metric"
EPISODE_REWARD_MEAN = "episode_reward_mean"
MEAN_LOSS = "mean_loss"
MEAN_ACCURACY = "mean_accuracy"
EPISODES_THIS_ITER = "episodes_this_iter"
EPISODES_TOTAL = "episodes_total"
TIMESTEPS_THIS_ITER = "timesteps_this_iter"
TIMESTEPS_TOTAL = "timesteps_total"
TIME_TOTAL_S = "time_total_s"
TIME_THIS_ITER_S = "time_this_iter_s"
TIMESTAMP = "timestamp"
TRAINING_ITERATION = "training_iteration"

DEFAULT_EXPERIMENT_INFO_KEYS = ("trainable_name", EXPERIMENT_TAG, TRIAL_ID)
DEFAULT_RESULT_KEYS = (TRAINING_ITERATION, TIME_TOTAL_S, MEAN_ACCURACY, MEAN_LOSS)
DEBUG_METRICS = (TRIAL_ID, "experiment_id", "date", TIMESTAMP, PID, HOSTNAME, NODE_IP, "config")
AUTO_RESULT_KEYS = (
    TRAINING_ITERATION, TIME_TOTAL_S, EPISODES_TOTAL, TIMESTEPS_TOTAL, NODE_IP, HOSTNAME, PID, TIME_TOTAL_S,
    TIME_THIS_ITER_S, TIMESTAMP, "date", "time_since_restore", "timesteps_since_restore",
    "iterations_since_restore", "config", "checkpoint_dir_name",
)

RESULT_DUPLICATE = "__duplicate__"
TRIAL_INFO = "__trial_info__"
STDOUT_FILE = "__stdout_file__"
STDERR_FILE = "__stderr_file__"
DEFAULT_EXPERIMENT_NAME = "default"
JOB_META_FILE = "job_status.json"
EXPR_META_FILE = "trial_status.json"
CONFIG_PREFIX = "config"

# A trial's files.
EXPR_PARAM_FILE = "params.json"
EXPR_PARAM_PICKLE_FILE = "params.pkl"
EXPR_PROGRESS_FILE = "progress.csv"
EXPR_RESULT_FILE = "result.json"
EXPR_ERROR_FILE = "error.txt"
EXPR_ERROR_PICKLE_FILE = "error.pkl"
