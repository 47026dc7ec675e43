"""Loading libswifttune with ctypes, and calling it.

The library is looked for, in order: the path in the ``SWIFTTUNE_LIBRARY`` environment variable;
``swifttune/_lib/libswifttune.so`` inside the installed package; the development build of the
repository this package sits in (``.build/release/libswifttune.so``).
"""
from __future__ import annotations

import ctypes
import json
import numbers
import os
import threading
from pathlib import Path
from typing import Any, Collection, NamedTuple, Optional

from . import _capi

__all__ = ["lib", "SwiftTuneError", "library_path", "EXPECTED_VERSION", "FinishInfo", "ReportInfo"]

# The boundary's constants and signatures are generated into _capi.py (scripts/gen_header.py);
# the short names below are what the rest of the package imports.
EXPECTED_VERSION = _capi.ST_VERSION

ST_OK = _capi.ST_OK
ST_WAIT = _capi.ST_WAIT
STATUS_NAMES = _capi.ST_STATUS_NAMES
NEXT_START, NEXT_WAIT, NEXT_FINISHED = _capi.ST_NEXT_START, _capi.ST_NEXT_WAIT, _capi.ST_NEXT_FINISHED
CONTINUE, STOP, PAUSE = _capi.ST_CONTINUE, _capi.ST_STOP, _capi.ST_PAUSE
END_COMPLETED, END_STOPPED, END_FAILED = _capi.ST_END_COMPLETED, _capi.ST_END_STOPPED, _capi.ST_END_FAILED
OUTCOME_COMPLETED, OUTCOME_NO_METRIC, OUTCOME_FAILED = (_capi.ST_OUTCOME_COMPLETED, _capi.ST_OUTCOME_NO_METRIC,
                                                        _capi.ST_OUTCOME_FAILED)
# A trial's status by st_trial_status code, with Ray's names ("PENDING", ..., "ERROR").
TRIAL_STATUS = {code: name[len("ST_TRIAL_"):] for code, name in _capi.ST_TRIAL_STATUS_NAMES.items()}
# Why a trial's metric is unusable, by st_metric_status code: None, "missing" or "not_finite".
METRIC_PROBLEM = {code: (None if code == _capi.ST_METRIC_OK else name[len("ST_METRIC_"):].lower())
                  for code, name in _capi.ST_METRIC_STATUS_NAMES.items()}


class FinishInfo(NamedTuple):
    """What st_experiment_finish says became of a trial."""

    status: str  # "PENDING" (a failed run that is retried), "PAUSED", "TERMINATED" or "ERROR"
    num_failures: int  # how many of its runs failed so far
    metric_problem: Optional[str]  # None, "missing" or "not_finite" (then the searcher learnt a failure)

    @property
    def retried(self) -> bool:
        """Whether a failed run runs again (the trial is PENDING)."""
        return self.status == "PENDING"


class ReportInfo(NamedTuple):
    """What st_experiment_report answers: the decision and the automatic fields of the result."""

    decision: int  # CONTINUE, STOP or PAUSE
    training_iteration: float  # NaN when the report was not recorded (after a STOP or PAUSE)
    time_total_s: float
    should_checkpoint: bool = False  # the engine's checkpoint rule (checkpoint_frequency, checkpoint_at_end, a pause)


class SwiftTuneError(RuntimeError):
    """An error reported by libswifttune, with its status code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.status_name = STATUS_NAMES.get(status, str(status))


def _candidates() -> list[Path]:
    env = os.environ.get("SWIFTTUNE_LIBRARY")
    if env:
        return [Path(env)]
    here = Path(__file__).resolve().parent
    return [here / "_lib" / "libswifttune.so", here.parent.parent / ".build" / "release" / "libswifttune.so"]


def library_path() -> Path:
    """The path of the libswifttune that this package loads."""
    for path in _candidates():
        if path.is_file():
            return path
    tried = ", ".join(str(p) for p in _candidates())
    raise ImportError(
        f"libswifttune.so was not found (tried {tried}). Build it with `make lib` in the swifttune "
        "repository, install the swifttune wheel, or set SWIFTTUNE_LIBRARY to its path."
    )


class _Library:
    """The loaded library with Pythonic wrappers that raise SwiftTuneError."""

    def __init__(self) -> None:
        self._cdll: Optional[ctypes.CDLL] = None
        self._lock = threading.Lock()

    @property
    def c(self) -> ctypes.CDLL:
        if self._cdll is None:
            with self._lock:
                if self._cdll is None:
                    path = library_path()
                    cdll = ctypes.CDLL(str(path))
                    _capi.declare(cdll)
                    version = cdll.st_version().decode()
                    if version != EXPECTED_VERSION:
                        raise ImportError(
                            f"{path} is libswifttune {version}, but this swifttune package needs {EXPECTED_VERSION}"
                        )
                    self._cdll = cdll
        return self._cdll

    def version(self) -> str:
        return self.c.st_version().decode()

    def check(self, status: int) -> int:
        if status not in (ST_OK, ST_WAIT):
            message = self.c.st_last_error().decode("utf-8", "replace")
            raise SwiftTuneError(status, message)
        return status

    def take_string(self, p: ctypes.c_void_p) -> Optional[str]:
        """The C string at `p` (owned by us), freed after copying."""
        if not p.value:
            return None
        try:
            return ctypes.string_at(p.value).decode("utf-8")
        finally:
            self.c.st_free(p.value)

    def call_string(self, fn: str, *args: Any) -> Optional[str]:
        out = ctypes.c_void_p()
        status = getattr(self.c, fn)(*args, ctypes.byref(out))
        self.check(status)
        return self.take_string(out)

    def call_handle(self, fn: str, *args: Any) -> int:
        out = ctypes.c_void_p()
        self.check(getattr(self.c, fn)(*args, ctypes.byref(out)))
        assert out.value
        return out.value


lib = _Library()


def dumps(value: Any) -> bytes:
    """JSON for libswifttune: Python's json with NaN/Infinity allowed, UTF-8."""
    return json.dumps(value, allow_nan=True).encode("utf-8")


def loads(text: Optional[str]) -> Any:
    return None if text is None else json.loads(text)


class Handle:
    """Owns one libswifttune handle and frees it."""

    _free = ""

    def __init__(self, pointer: int) -> None:
        self._p: Optional[int] = pointer

    @property
    def p(self) -> int:
        if self._p is None:
            raise ValueError("this handle was closed")
        return self._p

    def close(self) -> None:
        if self._p is not None:
            getattr(lib.c, self._free)(self._p)
            self._p = None

    def __del__(self) -> None:  # pragma: no cover - interpreter shutdown order varies
        try:
            self.close()
        except Exception:
            pass


class SearcherHandle(Handle):
    _free = "st_searcher_free"

    def suggest_with_assignment(self, trial_id: str) -> Optional[tuple[Any, dict[str, Any]]]:
        """A new trial's configuration and its assignment (hyperopt's ``misc.vals`` view: label ->
        value, choices by option index, in the space's order), both decoded from JSON; None while
        the concurrency limit holds suggestions back."""
        config, assignment = ctypes.c_void_p(), ctypes.c_void_p()
        status = lib.check(lib.c.st_searcher_suggest_with_assignment(self.p, trial_id.encode(), ctypes.byref(config),
                                                                      ctypes.byref(assignment)))
        if status == ST_WAIT:
            return None
        return loads(lib.take_string(config)), loads(lib.take_string(assignment))


class SchedulerHandle(Handle):
    _free = "st_scheduler_free"


class ReportSlots:
    """The four answers of ``st_experiment_report`` (decision, training_iteration, time_total_s,
    should_checkpoint) and pointers to them, made once per trial session and reused: the report
    path then allocates no ctypes objects for them. Not shared between threads."""

    __slots__ = ("decision", "iteration", "total", "due", "refs")

    def __init__(self) -> None:
        self.decision, self.iteration = ctypes.c_int32(), ctypes.c_double()
        self.total, self.due = ctypes.c_double(), ctypes.c_int32()
        self.refs = (ctypes.byref(self.decision), ctypes.byref(self.iteration), ctypes.byref(self.total),
                     ctypes.byref(self.due))


class ExperimentHandle(Handle):
    _free = "st_experiment_free"
    _gil_free_report = False
    """Set when a Python stopper callback is registered: reports then release the GIL."""
    schedule_bridge: Optional[Any] = None
    """The experiment's ``tune._internal.schedule_bridge.ScheduleBridge`` (a user's scheduler), if any."""
    stop_bridge: Optional[Any] = None
    """The experiment's ``tune._internal.stop_bridge.StopBridge`` (its Python stoppers), if any."""
    search_bridge: Optional[Any] = None
    """The experiment's ``tune._internal.search_bridge.SearchBridge`` (a user's searcher), if any."""

    def next(self) -> tuple[int, Optional[str], Optional[str]]:
        action = ctypes.c_int32()
        tid, cfg = ctypes.c_void_p(), ctypes.c_void_p()
        lib.check(lib.c.st_experiment_next(self.p, ctypes.byref(action), ctypes.byref(tid), ctypes.byref(cfg)))
        return action.value, lib.take_string(tid), lib.take_string(cfg)

    def _arrays(self, metrics: dict[str, float]) -> tuple[Any, Any, int]:
        """Metric names (arrays cached per key set) and values as C arrays, and their count."""
        keys = tuple(metrics)
        return metric_names(keys), (ctypes.c_double * len(keys))(*metrics.values()), len(keys)

    def report_result(self, trial_id: str, metrics: dict[str, float], checkpoint: Optional[str] = None,
                      slots: Optional["ReportSlots"] = None) -> ReportInfo:
        """The report hot path (names and values, no JSON), with the name of a checkpoint saved
        with the result or None: the engine's decision, and the result's ``training_iteration``
        and ``time_total_s`` as the engine recorded them (the reported ones, or the engine's own
        when the result lacks them), and whether a checkpoint is due with it (save one and give it
        to ``attach_checkpoint``). `slots`: the caller's own answer slots (one per trial session,
        reused report after report), else fresh ones."""
        names, values, count = self._arrays(metrics)
        if slots is None:
            slots = ReportSlots()
        # With a Python stopper the engine calls back, needing the GIL: then the call releases it.
        fn = lib.c.st_experiment_report if self._gil_free_report else _report_fn()
        status = fn(self.p, trial_id.encode(), names, values, count,
                    checkpoint.encode() if checkpoint is not None else None, *slots.refs)
        if status:
            lib.check(status)
        return ReportInfo(slots.decision.value, slots.iteration.value, slots.total.value, bool(slots.due.value))

    def attach_checkpoint(self, trial_id: str, checkpoint: str) -> None:
        """Makes `checkpoint` (a checkpoint folder's name, saved after the running trial's latest
        result) the trial's latest checkpoint, the one it resumes from."""
        lib.check(lib.c.st_experiment_attach_checkpoint(self.p, trial_id.encode(), checkpoint.encode()))

    def finish(self, trial_id: str, end: int, message: Optional[str] = None) -> FinishInfo:
        """Ends the trial's current run; what the engine made of the trial (its status now, its
        failure count, whether its metric is unusable and why)."""
        status, failures, metric = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int32()
        fn = lib.c.st_experiment_finish if self._gil_free_report else _quick_fn("st_experiment_finish")
        lib.check(fn(self.p, trial_id.encode(), end, message.encode() if message else None,
                     ctypes.byref(status), ctypes.byref(failures), ctypes.byref(metric)))
        return FinishInfo(TRIAL_STATUS[status.value], failures.value, METRIC_PROBLEM[metric.value])

    def take_stopped(self) -> list[str]:
        """The ids of the PENDING and PAUSED trials the engine's scheduler ended since the last
        call (HyperBand's halvings): TERMINATED now, their searcher and scheduler told."""
        if self._gil_free_report:
            return loads(lib.call_string("st_experiment_take_stopped", self.p)) or []
        out = ctypes.c_void_p()
        lib.check(_quick_fn("st_experiment_take_stopped")(self.p, ctypes.byref(out)))
        text = ctypes.string_at(out.value) if out.value else b"[]"
        _quick_fn("st_free")(out.value)
        return [] if text == b"[]" else json.loads(text)

    def take_exploits(self) -> list[dict[str, Any]]:
        """The exploits the engine's scheduler made since the last call (Population Based
        Training), with Ray's policy fields; a restored experiment's first call has all of them."""
        return loads(lib.call_string("st_experiment_take_exploits", self.p)) or []

    def trial_summaries(self) -> list[dict[str, Any]]:
        """Every trial, with its number of results (``"num_results"``) in place of the results:
        the cheap listing (``trial(id)`` has one trial's results)."""
        return loads(lib.call_string("st_experiment_trial_summaries", self.p))

    def trial(self, trial_id: str) -> dict[str, Any]:
        return loads(lib.call_string("st_experiment_trial", self.p, trial_id.encode()))

    def max_running(self) -> Optional[int]:
        """How many trials may run at once (``max_concurrent_trials`` and the resources), or None."""
        n = ctypes.c_int32()
        lib.check(lib.c.st_experiment_max_running(self.p, ctypes.byref(n)))
        return None if n.value < 0 else n.value

    def best_trial(self, metric: Optional[str], mode: Optional[str], scope: str, filter_nan_and_inf: bool) -> Optional[dict[str, Any]]:
        return loads(lib.call_string("st_experiment_best_trial", self.p, metric.encode() if metric else None,
                                     mode.encode() if mode else None, scope.encode(), int(filter_nan_and_inf)))

    def save(self) -> str:
        text = lib.call_string("st_experiment_save", self.p)
        assert text is not None
        return text


_quick: dict[str, Any] = {}


def _quick_fn(name: str) -> Any:
    """The C function `name` through ctypes.PyDLL: for calls of a few microseconds on the trials'
    paths (a report, a trial's end), which keep the GIL instead of releasing and re-taking it
    (which, with several trial threads, costs more than the call). Only while no Python callback
    of the experiment's (a stopper, searcher or scheduler of the user's) can be called from
    inside: the engine would then wait for the GIL its caller holds."""
    fn = _quick.get(name)
    if fn is None:
        lib.c  # loads and checks the library first
        fn = getattr(ctypes.PyDLL(str(library_path())), name)
        fn.restype = getattr(lib.c, name).restype
        fn.argtypes = getattr(lib.c, name).argtypes
        _quick[name] = fn
    return fn


_names: dict[tuple[str, ...], Any] = {}


def metric_names(keys: tuple[str, ...]) -> Any:
    """Metric names as a C array, made once per key tuple (a trial reports the same keys over and over)."""
    names = _names.get(keys)
    if names is None:
        names = _names[keys] = (ctypes.c_char_p * len(keys))(*[k.encode() for k in keys])
    return names


def quick_report(experiment: int, trial_id: bytes, names: Any, values: Any, slots: ReportSlots) -> int:
    """st_experiment_report through PyDLL (``_quick_fn``) with the metric `names` (a C array)
    and `values` (plain numbers): its status, the answers in `slots`."""
    n = len(names)
    return _quick_fn("st_experiment_report")(experiment, trial_id, names, (ctypes.c_double * n)(*values), n, None,
                                             *slots.refs)


def _report_fn() -> Any:
    """st_experiment_report through ctypes.PyDLL (``_quick_fn``)."""
    return _quick_fn("st_experiment_report")


def metrics_for_engine(metrics: dict[str, Any], skip: Collection[str] = ()) -> dict[str, float]:
    """The numeric entries of a result (booleans as 0/1) but those named in `skip`; other values
    stay on the Python side."""
    out: dict[str, float] = {}
    for k, v in metrics.items():
        if k in skip:
            continue
        t = type(v)
        if t is float or t is int or t is bool:
            out[k] = float(v)
        elif t is str or v is None:
            continue  # the hot path's text fields (date, hostname, trial_id): no abc check
        elif isinstance(v, numbers.Real):  # numpy scalars and the like
            out[k] = float(v)
    return out
