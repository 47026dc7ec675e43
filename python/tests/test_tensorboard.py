"""TensorBoard event files per trial, as Ray Tune's ``TBXLoggerCallback`` writes them, read back
by TensorBoard's own reader (``EventAccumulator``): the tags, steps and values equal the trials'
results; lists and numpy values; the hparams summaries; Ray's switches (on by default with
tensorboardX, ``TUNE_DISABLE_AUTO_CALLBACK_LOGGERS=1``, an explicit ``TBXLoggerCallback``); the
file is readable while the trial runs; a retried trial logs each run, as under Ray.

Needs ``tensorboard`` (and tensorboardX) in the test environment (`make test` installs them)."""
from __future__ import annotations

import json
import logging
import math
import re
import socket
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import THREAD, FileLog, tc
from swifttune import tune

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

_DROPPED = {"config", "pid", "timestamp", "time_total_s", "training_iteration"}


def _accumulator(folder: Any) -> Any:
    acc = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0, "images": 0,
                                                                           "tensors": 0})
    acc.Reload()
    return acc


def _read(folder: Any) -> dict[str, list[tuple[int, float]]]:
    """The scalars TensorBoard reads in a trial folder: tag -> [(step, value)]."""
    acc = _accumulator(folder)
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def _f32(x: float) -> float:
    return float(struct.unpack("f", struct.pack("f", x))[0])


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}/"))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _expected(folder: Any) -> dict[str, list[tuple[int, float]]]:
    """Ray's scalars of a trial's result.json rows (plain values only)."""
    out: dict[str, list[tuple[int, float]]] = {}
    for line in (Path(folder) / "result.json").read_text().splitlines():
        row = json.loads(line)
        step = row.get("timesteps_total") or row["training_iteration"]
        for key, value in _flat({k: v for k, v in row.items() if k not in _DROPPED}).items():
            if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
                out.setdefault("ray/tune/" + re.sub(r"[^-/\w.]", "_", key), []).append((int(step), _f32(float(value))))
    return out


def _event_files(folder: Any) -> list[Path]:
    return sorted(Path(folder).glob("events.out.tfevents.*"))


def _hparams(folder: Any) -> tuple[list[str], dict[str, Any], list[str], int]:
    """The hparams summaries: the experiment's parameter names, the session's values, the
    metric tags, the end status."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = _accumulator(folder).PluginTagToContent("hparams")
    assert sorted(content) == ["_hparams_/experiment", "_hparams_/session_end_info", "_hparams_/session_start_info"]
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    end = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_end_info"]).session_end_info
    values = {k: getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}
    return ([h.name for h in experiment.hparam_infos], values, [m.name.tag for m in experiment.metric_infos],
            end.status)


def plain(config):
    for i in range(1, 4):
        tune.report({"loss": config["x"] * i, "nested": {"a": i, "deep": {"b": -i}}, "flag": i % 2 == 0, "name": "n",
                     "none": None, "nan": float("nan") if i == 2 else 1.0, "inf": float("inf"), "big": 10 ** 20,
                     "mean loss": 0.5 / i, "λ": i})


def test_event_files_read_back_as_the_results(executor, run_config):
    grid = tune.Tuner(plain, param_space={"x": tune.grid_search([0.5, 2.0]), "opt": tune.choice(["adam"]), "c": 3},
                      tune_config=tc(executor), run_config=run_config()).fit()
    assert not grid.errors
    for r in grid:
        files = _event_files(r.path)
        assert [re.fullmatch(rf"events\.out\.tfevents\.\d{{10}}\.{re.escape(socket.gethostname())}", f.name) is not None
                for f in files] == [True]
        scalars = _read(r.path)
        assert scalars == _expected(r.path)
        assert {"ray/tune/loss", "ray/tune/nested/a", "ray/tune/nested/deep/b", "ray/tune/flag", "ray/tune/inf",
                "ray/tune/big", "ray/tune/mean_loss", "ray/tune/λ", "ray/tune/nan", "ray/tune/done",
                "ray/tune/time_this_iter_s", "ray/tune/iterations_since_restore",
                "ray/tune/time_since_restore"} == set(scalars)
        assert [step for step, _ in scalars["ray/tune/nan"]] == [1, 3]  # NaN is left out
        assert scalars["ray/tune/loss"] == [(i, _f32(r.config["x"] * i)) for i in (1, 2, 3)]
        names, values, metrics, status = _hparams(r.path)
        assert sorted(names) == ["opt", "x"] and values == {"x": r.config["x"], "opt": "adam"} and status == 1
        assert set(metrics) == set(scalars) - {"ray/tune/mean_loss"} | {"ray/tune/mean loss"}  # Ray's names, as given


def lists_and_numpy(config):
    import numpy as np

    for i in range(1, 3):
        tune.report({"loss": i, "f32": np.float32(0.25 * i), "i64": np.int64(i), "f16": np.float16(1), "b": np.bool_(1),
                     "lst": [1.0, 2.0, float(i)], "tup": (1, 2), "arr": np.arange(4.0) * i, "empty": [],
                     "img": np.zeros((3, 4, 4), np.uint8), "strs": ["a"], "label": "x[1]", "timesteps_total": 100 * i})


def test_numpy_values_lists_and_arrays(run_config, caplog):
    caplog.set_level(logging.WARNING, logger="swifttune.tune")
    r = tune.Tuner(lists_and_numpy, tune_config=tc(THREAD), run_config=run_config()).fit()[0]
    assert r.error is None
    acc = _accumulator(r.path)
    tags = acc.Tags()
    assert {"ray/tune/loss", "ray/tune/f32", "ray/tune/i64", "ray/tune/timesteps_total"} <= set(tags["scalars"])
    assert not {"ray/tune/f16", "ray/tune/b", "ray/tune/tup", "ray/tune/label"} & set(tags["scalars"])
    assert [(e.step, e.value) for e in acc.Scalars("ray/tune/f32")] == [(100, 0.25), (200, 0.5)]
    assert sorted(tags["histograms"]) == ["ray/tune/arr", "ray/tune/lst"]
    assert [(e.step, e.histogram_value.max, e.histogram_value.num) for e in acc.Histograms("ray/tune/arr")] == \
        [(100, 3.0, 4.0), (200, 6.0, 4.0)]
    assert tags["images"] == ["ray/tune/img"]
    assert "invalid value (ray/tune/strs=['a'])" in caplog.text


def test_the_switches_ray_has(run_config, monkeypatch):
    from swifttune.tune.logger import TBXLoggerCallback
    from swifttune.tune.logger import tensorboardx as module

    assert module.TBXLoggerCallback is TBXLoggerCallback
    assert TBXLoggerCallback._SAVED_FILE_TEMPLATES == ["events.out.tfevents.*"]

    def run(**kw: Any) -> Any:
        return tune.Tuner(lambda config: tune.report({"loss": 1}), tune_config=tc(THREAD, num_samples=2),
                          run_config=run_config(**kw)).fit()

    monkeypatch.setenv("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    assert all(_event_files(r.path) == [] for r in run(name="off"))
    calls = FileLog(Path(run_config().storage_path).parent / "calls.jsonl")

    class Mine(TBXLoggerCallback):
        def log_trial_result(self, iteration, trial, result):
            calls.add(result["training_iteration"])

    for name, callbacks in [("explicit", [TBXLoggerCallback()]), ("subclass", [Mine()])]:
        for r in run(name=name, callbacks=callbacks):
            assert len(_event_files(r.path)) == 1
            assert _read(r.path)["ray/tune/loss"] == [(1, 1.0)]  # written once
    assert calls.read() == [[1], [1]]
    monkeypatch.delenv("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS")
    for r in run(name="default", callbacks=[TBXLoggerCallback()]):
        assert len(_event_files(r.path)) == 1 and _read(r.path)["ray/tune/loss"] == [(1, 1.0)]


def test_without_tensorboardx_as_in_ray(run_config, monkeypatch, caplog):
    from swifttune.tune._internal import trial_events
    from swifttune.tune.logger import TBXLoggerCallback

    monkeypatch.setattr(trial_events, "tensorboardx_importable", lambda: False)
    with pytest.raises(ImportError, match="tensorboardX"):
        TBXLoggerCallback()
    caplog.set_level(logging.WARNING, logger="swifttune.tune")
    r = tune.Tuner(lambda config: tune.report({"loss": 1}), tune_config=tc(THREAD), run_config=run_config()).fit()[0]
    assert _event_files(r.path) == []
    assert "pip install -U tensorboardx" in caplog.text


def watching(config):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    for i in range(1, 4):
        tune.report({"loss": i})
    time.sleep(1.6)  # the trial files' bound is a second
    acc = EventAccumulator(tune.get_context().get_trial_dir())
    acc.Reload()
    FileLog(config["log"]).add([e.step for e in acc.Scalars("ray/tune/loss")])


def test_readable_while_the_trial_runs(run_config, log):
    r = tune.Tuner(watching, param_space={"log": log.path}, tune_config=tc(THREAD), run_config=run_config()).fit()[0]
    assert r.error is None
    assert log.read() == [[[1, 2, 3]]]


def flaky(config):
    marker = Path(tune.get_context().get_trial_dir()) / "failed-once"
    for i in range(1, 4):
        tune.report({"loss": float(i)})
        if i == 2 and not marker.exists():
            marker.touch()
            raise RuntimeError("once")


def failing(config):
    tune.report({"loss": 1.0})
    raise ValueError("boom")


def test_a_retried_trial_and_a_failed_one(run_config):
    r = tune.Tuner(flaky, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(THREAD),
                   run_config=run_config(failure_config=tune.FailureConfig(max_failures=1))).fit()[0]
    assert r.error is None
    # Each run of the trial logs its results, as under Ray (a new writer per run; TensorBoard
    # purges nothing: tensorboardX writes no restart marker): the failed run's two, then three.
    assert _read(r.path)["ray/tune/loss"] == [(1, 1.0), (2, 2.0), (1, 1.0), (2, 2.0), (3, 3.0)]
    assert _expected(r.path)["ray/tune/loss"] == [(1, 1.0), (2, 2.0), (3, 3.0)]
    assert _hparams(r.path)[0] == ["x"]
    r = tune.Tuner(failing, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(THREAD),
                   run_config=run_config(name="failing")).fit()[0]
    assert r.error is not None
    assert _read(r.path)["ray/tune/loss"] == [(1, 1.0)]
    assert _hparams(r.path)[0] == ["x"]  # on_trial_error writes them too


def test_an_event_file_that_cannot_be_written_is_said_once_and_the_experiment_goes_on(run_config, caplog):
    def blocked(config):
        for i in range(1, 4):
            tune.report({"loss": float(i)})

    import os

    from swifttune.tune._internal import trial_events

    original = trial_events.TrialEvents.__init__

    def init(self, trial_dir, now=None):
        now = time.time() if now is None else now
        # a folder where the trial's event file goes (tensorboardX's name), so writing it fails
        os.makedirs(Path(trial_dir) / f"events.out.tfevents.{str(now)[:10]}.{trial_events._hostname()}")
        original(self, trial_dir, now)

    with caplog.at_level(logging.WARNING, logger="swifttune.tune"):
        trial_events.TrialEvents.__init__ = init
        try:
            grid = tune.Tuner(blocked, param_space={"x": tune.grid_search([1, 2])}, tune_config=tc(THREAD),
                              run_config=run_config()).fit()
        finally:
            trial_events.TrialEvents.__init__ = original
    assert grid.num_errors == 0 and all(len(r.metrics_dataframe) == 3 for r in grid)
    said = [m for m in caplog.messages if "could not be written" in m]
    assert len(said) == 2 and all("the experiment goes on without it" in m for m in said)


def test_the_c_functions_say_what_is_wrong(tmp_path):
    import ctypes

    from swifttune._lib import lib
    from swifttune._capi import ST_INVALID_ARGUMENT, ST_INVALID_CONFIG, ST_INVALID_JSON, ST_ERROR

    path = bytes(tmp_path / "events.out.tfevents.test")
    times = (ctypes.c_double * 1)(1.0)

    def results(text: bytes, extras: Any = None) -> tuple[int, str]:
        status = lib.c.st_tfevents_append_results(path, text, len(text), times, 1, extras, len(extras or b""))
        return status, lib.c.st_last_error().decode()

    assert results(b'{"a": }') == (ST_INVALID_JSON, "invalid JSON at byte 6: expected a digit")
    assert results(b'{"a": 1}\n{"a": 2}')[0] == ST_INVALID_JSON
    assert results(b'{"a": 1}', struct.pack("<II", 1, 0)) == (
        ST_INVALID_ARGUMENT, "extras: result index 1 at byte 0, but there are 1 results")
    assert results(b'{"a": 1}', struct.pack("<II", 0, 5))[0] == ST_INVALID_ARGUMENT
    assert not (tmp_path / "events.out.tfevents.test").exists()  # nothing written by a failed call
    assert lib.c.st_tfevents_append_hparams(path, b'{"hparams": []}', 1.0) == ST_INVALID_CONFIG
    assert lib.c.st_tfevents_start(bytes(tmp_path / "no" / "such" / "folder"), 1.0) == ST_ERROR
    assert "No such file or directory" in lib.c.st_last_error().decode()
    assert lib.c.st_tfevents_start(None, 1.0) == ST_INVALID_ARGUMENT
    assert results(b'{"a": 1, "training_iteration": 4}', struct.pack("<II", 0, 0)) == (0, "")
    assert _read(tmp_path) == {"ray/tune/a": [(4, 1.0)]}
