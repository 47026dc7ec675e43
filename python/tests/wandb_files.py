"""W&B's offline run files read back, for the tests: each ``run-<id>.wandb`` file (a log of
protobuf records in wandb's own framing: a 7-byte file header, then 32 KiB blocks of chunks, each
with a 7-byte header of checksum, length and kind) decoded with wandb's ``wandb.proto`` messages."""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

_FILE_HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
_BLOCK = 32 * 1024
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def _records(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert data[:len(_FILE_HEADER)] == _FILE_HEADER, f"{path} is not a W&B run file"
    out: list[bytes] = []
    pos, pending = len(_FILE_HEADER), b""
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # a block's tail too short for a chunk header is padding
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        payload = data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind == _FULL:
            out.append(payload)
        elif kind == _FIRST:
            pending = payload
        elif kind == _MIDDLE:
            pending += payload
        elif kind == _LAST:
            out.append(pending + payload)
        else:  # zeros: the rest of the block is padding
            pos += _BLOCK - pos % _BLOCK if pos % _BLOCK else 0
    return out


def _items(items: Any) -> dict[str, Any]:
    """Record items as a dict: an item with a nested key (wandb-core splits a logged dict, such as
    a media value, into one item per field) goes into a dict under its first part."""
    out: dict[str, Any] = {}
    for item in items:
        path = [item.key] if item.key else list(item.nested_key)
        target = out
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = json.loads(item.value_json)
    return out


def read_run(path: Path) -> dict[str, Any]:
    """One run file as a dict: id, name, group, project; init_config (what ``wandb.init`` was
    given) and config (those values, then every update in order); history (one dict per logged
    step, with its step, wandb's own ``_`` keys left out); artifacts (name, type, file paths);
    whether the run was finished (an exit record)."""
    from wandb.proto import wandb_internal_pb2 as pb

    run: dict[str, Any] = {"config": {}, "history": [], "artifacts": [], "finished": False, "path": str(path)}
    for raw in _records(path):
        record = pb.Record()
        record.ParseFromString(raw)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            r = record.run
            run.update(id=r.run_id, name=r.display_name, group=r.run_group, project=r.project)
            run["init_config"] = {k: v for k, v in _items(r.config.update).items() if k != "_wandb"}
            run["config"].update(run["init_config"])
        elif kind == "config":
            run["config"].update(_items(record.config.update))
        elif kind == "history":
            row = _items(record.history.item)
            row = {k: v for k, v in row.items() if not k.startswith("_")}
            run["history"].append({"step": record.history.step.num, **row})
        elif kind == "artifact":
            a = record.artifact
            run["artifacts"].append({"name": a.name, "type": a.type,
                                     "files": sorted(c.path for c in a.manifest.contents)})
        elif kind == "exit":
            run["finished"] = True
    run["config"].pop("_wandb", None)
    return run


def read_runs(root: Path) -> list[dict[str, Any]]:
    """Every run under `root` (its ``wandb/offline-run-*`` folders, at any depth), by name."""
    return sorted((read_run(p) for p in Path(root).rglob("run-*.wandb")), key=lambda r: (r.get("name", ""), r["path"]))
