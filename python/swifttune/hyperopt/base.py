"""hyperopt's ``hyperopt.base``: the status and job-state constants, the trial document's keys,
``Trials``, ``Domain``, and the functions that move label values between a trial's ``misc`` and the
``idxs``/``vals`` columns (``miscs_to_idxs_vals``, ``miscs_update_idxs_vals``, ``spec_from_misc``)."""
from __future__ import annotations

from typing import Any, Optional


__all__ = ["STATUS_NEW", "STATUS_RUNNING", "STATUS_SUSPENDED", "STATUS_OK", "STATUS_FAIL", "STATUS_STRINGS",
           "JOB_STATE_NEW", "JOB_STATE_RUNNING", "JOB_STATE_DONE", "JOB_STATE_ERROR", "JOB_STATE_CANCEL",
           "JOB_STATES", "JOB_VALID_STATES", "TRIAL_KEYS", "TRIAL_MISC_KEYS", "Trials", "Domain", "miscs_to_idxs_vals",
           "miscs_update_idxs_vals", "spec_from_misc"]


def __getattr__(name: str) -> Any:
    # ``hyperopt.base.Trials`` and ``hyperopt.base.Domain`` live in their own modules (which use these constants).
    if name == "Trials":
        from .trials import Trials

        return Trials
    if name == "Domain":
        from .domain import Domain

        return Domain
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

STATUS_NEW = "new"
STATUS_OK = "ok"
STATUS_FAIL = "fail"
STATUS_RUNNING = "running"
STATUS_SUSPENDED = "suspended"
STATUS_STRINGS = (STATUS_NEW, STATUS_RUNNING, STATUS_SUSPENDED, STATUS_OK, STATUS_FAIL)
"""The statuses an objective's result may have."""

JOB_STATE_NEW = 0
JOB_STATE_RUNNING = 1
JOB_STATE_DONE = 2
JOB_STATE_ERROR = 3
JOB_STATE_CANCEL = 4
JOB_STATES = [JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATE_DONE, JOB_STATE_ERROR, JOB_STATE_CANCEL]
JOB_VALID_STATES = {JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATE_DONE}

TRIAL_KEYS = ["tid", "spec", "result", "misc", "state", "owner", "book_time", "refresh_time", "exp_key"]
"""The keys of a trial document."""
TRIAL_MISC_KEYS = ["tid", "cmd", "idxs", "vals"]
"""The keys of a trial document's ``misc``."""


def miscs_to_idxs_vals(miscs: list[dict[str, Any]], keys: Optional[list[str]] = None
                       ) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The ``idxs`` and ``vals`` columns of the trials' ``misc`` documents, by label (`keys`:
    which labels; default the first document's)."""
    if keys is None:
        if not miscs:
            raise ValueError("cannot infer keys from empty miscs")
        keys = list(miscs[0]["idxs"].keys())
    idxs: dict[str, list[Any]] = {k: [] for k in keys}
    vals: dict[str, list[Any]] = {k: [] for k in keys}
    for misc in miscs:
        for label in keys:
            these_idxs, these_vals = misc["idxs"][label], misc["vals"][label]
            if len(these_idxs) != len(these_vals) or these_idxs not in ([], [misc["tid"]]):
                raise ValueError(f"trial {misc['tid']}'s misc has idxs {these_idxs} and vals {these_vals} for {label!r}")
            idxs[label].extend(these_idxs)
            vals[label].extend(these_vals)
    return idxs, vals


def miscs_update_idxs_vals(miscs: list[dict[str, Any]], idxs: dict[str, list[Any]], vals: dict[str, list[Any]],
                           assert_all_vals_used: bool = True, idxs_map: Optional[dict[Any, Any]] = None
                           ) -> list[dict[str, Any]]:
    """Writes the ``idxs``/``vals`` columns back into the trials' ``misc`` documents (each trial's
    own label values; `idxs_map` renames trial ids); returns `miscs`."""
    idxs_map = idxs_map or {}
    if set(idxs) != set(vals):
        raise ValueError(f"idxs and vals name different labels: {sorted(idxs)} and {sorted(vals)}")
    by_tid = {m["tid"]: m for m in miscs}
    for m in miscs:
        m["idxs"] = {label: [] for label in idxs}
        m["vals"] = {label: [] for label in idxs}
    for label in idxs:
        if len(idxs[label]) != len(vals[label]):
            raise ValueError(f"{label!r} has {len(idxs[label])} idxs but {len(vals[label])} vals")
        for tid, value in zip(idxs[label], vals[label]):
            tid = idxs_map.get(tid, tid)
            if assert_all_vals_used or tid in by_tid:
                by_tid[tid]["idxs"][label] = [tid]
                by_tid[tid]["vals"][label] = [value]
    return miscs


def spec_from_misc(misc: dict[str, Any]) -> dict[str, Any]:
    """A trial's assignment by label (its active labels' values) from its ``misc``."""
    spec = {}
    for label, values in misc["vals"].items():
        if len(values) == 1:
            spec[label] = values[0]
        elif len(values) > 1:
            raise NotImplementedError("multiple values", (label, values))
    return spec
