"""Trial checkpoints (Ray's ``tune.Checkpoint``, ``tune.CheckpointConfig``, ``tune.get_checkpoint``).

A trial reports ``tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(d))``; the
directory is copied into the trial's folder as ``checkpoint_NNNNNN`` (under a temporary name,
then renamed, so a half-copied checkpoint never carries a real name), and the engine records its
name with the result. A trial that runs again (after a failure, a pause or a restore) gets that
latest checkpoint from ``tune.get_checkpoint()``.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Union

__all__ = ["Checkpoint", "CheckpointConfig"]

_METADATA = ".metadata.json"
_PREFIX = "checkpoint_"


class Checkpoint:
    """A directory of checkpoint data (Ray's ``Checkpoint`` on the local filesystem)."""

    def __init__(self, path: Union[str, os.PathLike[str]]) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Checkpoint path must be a str or os.PathLike, got {type(path).__name__}")
        self.path = os.path.normpath(os.path.expanduser(os.fspath(path)))

    @classmethod
    def from_directory(cls, path: Union[str, os.PathLike[str]]) -> "Checkpoint":
        """A checkpoint of the data in a local directory."""
        return cls(path)

    def to_directory(self, path: Optional[Union[str, os.PathLike[str]]] = None) -> str:
        """Copies the checkpoint's files into ``path`` (a new temporary directory if None) and
        returns it."""
        target = os.fspath(path) if path is not None else tempfile.mkdtemp(prefix="swifttune_checkpoint_")
        target = os.path.normpath(os.path.expanduser(target))
        if os.path.abspath(target) != os.path.abspath(self.path):
            shutil.copytree(self.path, target, dirs_exist_ok=True)
        return target

    @contextlib.contextmanager
    def as_directory(self) -> Iterator[str]:
        """The checkpoint's directory itself (it is local): treat it as read-only."""
        if not os.path.isdir(self.path):
            raise FileNotFoundError(f"The checkpoint directory {self.path} does not exist")
        yield self.path

    def get_metadata(self) -> dict[str, Any]:
        """The checkpoint's metadata (a JSON dict kept beside its files)."""
        try:
            with open(os.path.join(self.path, _METADATA), encoding="utf-8") as f:
                data = json.load(f)
            return data if isinstance(data, dict) else {}
        except FileNotFoundError:
            return {}

    def set_metadata(self, metadata: dict[str, Any]) -> None:
        """Replaces the checkpoint's metadata (JSON-serialisable)."""
        if not isinstance(metadata, dict):
            raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
        with open(os.path.join(self.path, _METADATA), "w", encoding="utf-8") as f:
            json.dump(metadata, f)

    def update_metadata(self, metadata: dict[str, Any]) -> None:
        """Adds to the checkpoint's metadata."""
        self.set_metadata({**self.get_metadata(), **metadata})

    def __fspath__(self) -> str:
        return self.path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Checkpoint) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"Checkpoint(filesystem=local, path={self.path})"


@dataclass
class CheckpointConfig:
    """Which checkpoints of a trial to keep (Ray's ``CheckpointConfig``): all by default; with
    ``num_to_keep``, the best ``num_to_keep`` by ``checkpoint_score_attribute`` (the most recent
    without one). The latest checkpoint is always kept: a retried trial resumes from it.

    For class trainables, when to save one (the engine's rule, as Ray's ``Trial.should_checkpoint``):
    every ``checkpoint_frequency`` iterations (0: never) and, with ``checkpoint_at_end``, after the
    trial's last result; also after a result whose ``should_checkpoint`` is true (set by ``step``
    or by a callback's ``on_trial_result``). Function trainables report their own checkpoints:
    both raise ``ValueError`` for them, as in Ray."""

    num_to_keep: Optional[int] = None
    checkpoint_score_attribute: Optional[str] = None
    checkpoint_score_order: str = "max"
    checkpoint_frequency: int = 0
    checkpoint_at_end: Optional[bool] = None

    def __post_init__(self) -> None:
        if self.num_to_keep is not None and (isinstance(self.num_to_keep, bool) or not isinstance(self.num_to_keep, int)
                                             or self.num_to_keep <= 0):
            raise ValueError(f"Received invalid num_to_keep: {self.num_to_keep}. Must be None or an integer >= 1.")
        if self.checkpoint_score_attribute is not None and not isinstance(self.checkpoint_score_attribute, str):
            raise TypeError("checkpoint_score_attribute must be a str (a reported metric) or None, got "
                            f"{type(self.checkpoint_score_attribute).__name__}")
        if self.checkpoint_score_order not in ("max", "min"):
            raise ValueError('checkpoint_score_order must be either "max" or "min".')
        if isinstance(self.checkpoint_frequency, bool) or not isinstance(self.checkpoint_frequency, int):
            raise TypeError(f"checkpoint_frequency must be an int, got {type(self.checkpoint_frequency).__name__}")
        if self.checkpoint_frequency < 0:
            raise ValueError(f"checkpoint_frequency must be >=0, got {self.checkpoint_frequency}")
        if self.checkpoint_at_end is not None and not isinstance(self.checkpoint_at_end, bool):
            raise TypeError(f"checkpoint_at_end must be a bool or None, got {type(self.checkpoint_at_end).__name__}")


def checkpoint_name(index: int) -> str:
    return f"{_PREFIX}{index:06d}"


def checkpoint_index(name: str) -> Optional[int]:
    if name.startswith(_PREFIX) and name[len(_PREFIX):].isdigit():
        return int(name[len(_PREFIX):])
    return None


def persist(source: Checkpoint, trial_dir: Path, index: int) -> str:
    """Copies a reported checkpoint into the trial's folder as ``checkpoint_<index>`` (through a
    temporary name, renamed once complete); its name."""
    if not isinstance(source, Checkpoint):
        raise TypeError(f"checkpoint must be a tune.Checkpoint, got {type(source).__name__}")
    if not os.path.isdir(source.path):
        raise FileNotFoundError(f"The checkpoint directory {source.path} does not exist")
    name = checkpoint_name(index)
    final = trial_dir / name
    if os.path.abspath(source.path) == os.path.abspath(final):
        return name  # already in place
    tmp = trial_dir / f".{name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(source.path, tmp)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    return name


def keep_reported(session: Any, checkpoint: Optional[Checkpoint]) -> Optional[str]:
    """A trial session's reported checkpoint, copied in as its next ``checkpoint_<n>``; its name
    (None without one). The session (the driver's or a worker's) has `trial_dir`,
    `next_checkpoint` and `checkpoint`, which becomes the new latest."""
    if checkpoint is None:
        return None
    name = persist(checkpoint, session.trial_dir, session.next_checkpoint)
    session.next_checkpoint += 1
    session.checkpoint = Checkpoint(session.trial_dir / name)
    return name


class CheckpointManager:
    """One trial's checkpoints on disk: registers each reported one and deletes those beyond
    ``num_to_keep`` (never the latest). Rebuilt from the trial folder when a trial runs again."""

    def __init__(self, config: CheckpointConfig, trial_dir: Path) -> None:
        self.config = config
        self.trial_dir = trial_dir
        self.kept: list[tuple[str, dict[str, Any]]] = []  # (name, result), in report order
        self.latest: Optional[str] = None

    def next_index(self) -> int:
        indices = [i for p in self.trial_dir.iterdir() if (i := checkpoint_index(p.name)) is not None] \
            if self.trial_dir.is_dir() else []
        return max(indices, default=-1) + 1

    def resync(self, rows: list[dict[str, Any]], latest: Optional[str], foreign: bool = False) -> None:
        """After a restart: the results the trial keeps say which checkpoints are real; other
        checkpoint folders (reported after the latest one the engine knows, or half-copied) go.
        With `foreign`, `latest` is another trial's (PBT's exploit): every checkpoint of the
        trial's own stays."""
        self.latest = None if foreign else latest
        self.kept = listed_checkpoints(self.trial_dir, rows, self.latest, bounded=not foreign)
        present = {p.name for p in self.trial_dir.iterdir()} if self.trial_dir.is_dir() else set()
        keep = {n for n, _ in self.kept}
        for name in present:
            if (checkpoint_index(name) is not None and name not in keep) or (name.startswith(".checkpoint_") and name.endswith(".tmp")):
                shutil.rmtree(self.trial_dir / name, ignore_errors=True)

    def register(self, name: str, result: dict[str, Any]) -> list[str]:
        """Records a new latest checkpoint; the names of those now beyond ``num_to_keep`` (for the
        caller to delete once the experiment state naming the new latest one is on disk)."""
        self.latest = name
        self.kept.append((name, result))
        n = self.config.num_to_keep
        if n is None or len(self.kept) <= n:
            return []
        ranked = self.ranked()
        drop = {name for name, _ in ranked[:-n]} - {self.latest}
        self.kept = [(k, r) for k, r in self.kept if k not in drop]
        return sorted(drop)

    def ranked(self) -> list[tuple[str, dict[str, Any]]]:
        """The kept checkpoints from worst to best (by report order without a score attribute)."""
        attr = self.config.checkpoint_score_attribute
        if attr is None:
            return list(self.kept)
        sign = 1.0 if self.config.checkpoint_score_order == "max" else -1.0

        def score(item: tuple[int, tuple[str, dict[str, Any]]]) -> tuple[bool, float, int]:
            order, (_, result) = item
            v = result.get(attr)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(float(v)):
                return (False, -math.inf, order)
            return (True, sign * float(v), order)

        return [kr for _, kr in sorted(enumerate(self.kept), key=score)]

    def delete(self, names: list[str]) -> None:
        for name in names:
            shutil.rmtree(self.trial_dir / name, ignore_errors=True)


def best_checkpoints(trial_dir: Path, rows: list[dict[str, Any]], config: CheckpointConfig) -> list[tuple[Checkpoint, dict[str, Any]]]:
    """Ray's ``Result.best_checkpoints``: the checkpoints on disk with their results, worst to best
    under ``config`` (report order without a score attribute)."""
    m = CheckpointManager(config, trial_dir)
    m.kept = listed_checkpoints(trial_dir, rows, None, bounded=False)
    return [(Checkpoint(trial_dir / name), result) for name, result in m.ranked()]


def listed_checkpoints(trial_dir: Path, rows: list[dict[str, Any]], latest: Optional[str],
                       bounded: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """A trial folder's real checkpoints with their results, in order: those its result rows name
    (reported by a function trainable) and those a class trainable saved (their result beside
    their files), up to `latest` when `bounded` (a later one was never attached to a result)."""
    from .trainable.trainable import STATE_FILE

    present = sorted(p.name for p in trial_dir.iterdir() if checkpoint_index(p.name) is not None) \
        if trial_dir.is_dir() else []
    named = {r["checkpoint_dir_name"]: r for r in rows if isinstance(r.get("checkpoint_dir_name"), str)}
    limit = (checkpoint_index(latest) if latest is not None else -1) if bounded else None
    out: list[tuple[str, dict[str, Any]]] = []
    for name in present:
        if name in named:
            out.append((name, named[name]))
            continue
        index = checkpoint_index(name)
        state = trial_dir / name / STATE_FILE
        if state.is_file() and (limit is None or (index is not None and index <= limit)):
            try:
                with open(state, encoding="utf-8") as f:
                    result = json.load(f).get("last_result") or {}
            except ValueError:
                continue
            out.append((name, result if isinstance(result, dict) else {}))
    return out
