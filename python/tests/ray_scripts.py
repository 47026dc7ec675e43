"""Ray Tune's own example scripts, taken from the installed ray package at test time (none of
their code is in this repository), with only their import lines rewritten for swifttune."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

# Each rule rewrites one kind of import line; nothing else in a script changes.
_IMPORT_RULES = [
    (re.compile(r"^(\s*)import ray$"), r"\1import swifttune as ray"),
    (re.compile(r"^(\s*)from ray import "), r"\1from swifttune import "),
    (re.compile(r"^(\s*)from ray\.(\S+) import "), r"\1from swifttune.\2 import "),
    (re.compile(r"^(\s*)import hyperopt$"), r"\1import swifttune.hyperopt as hyperopt"),
    (re.compile(r"^(\s*)from hyperopt import "), r"\1from swifttune.hyperopt import "),
    (re.compile(r"^(\s*)from hyperopt\.(\S+) import "), r"\1from swifttune.hyperopt.\2 import "),
]


def ray_example(name: str) -> Path:
    """The path of `ray/tune/examples/<name>.py` in the installed ray package."""
    import ray.tune.examples as examples

    path = Path(examples.__file__).parent / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"ray {getattr(sys.modules.get('ray'), '__version__', '?')} has no example {name}.py")
    return path


def rewrite_imports(text: str) -> str:
    """`text` with its `ray` and `hyperopt` import lines pointed at swifttune (only those lines)."""
    lines = []
    for line in text.splitlines(keepends=True):
        body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        if re.match(r"^\s*(import|from)\s+(ray|hyperopt)\b", body):
            for pattern, repl in _IMPORT_RULES:
                new = pattern.sub(repl, body)
                if new != body:
                    body = new
                    break
            else:
                raise ValueError(f"no rewrite rule for the import line {body!r}")
        lines.append(body + end)
    return "".join(lines)


def ray_bohb_python() -> str:
    """The interpreter of the venv where Ray's TuneBOHB runs (hpbandster and ConfigSpace 0.7 need
    NumPy 1.x; `make test` builds it and sets SWIFTTUNE_RAY_BOHB_PYTHON)."""
    python = os.environ.get("SWIFTTUNE_RAY_BOHB_PYTHON")
    assert python and Path(python).exists(), (
        "Ray's side of the BOHB tests needs SWIFTTUNE_RAY_BOHB_PYTHON: the python of a venv with ray[tune]==2.53.0, "
        "hpbandster and ConfigSpace 0.7.1 (`make test` builds .venv-bohb and sets it)")
    return python


class Running:
    """A script started in its own process, its output going to files (not pipes, so that two scripts
    running at once never wait on a reader); `wait` gives what it printed once it ends."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Optional[Path], timeout: float,
                 logs: Path, name: str) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        self.name, self.args, self.timeout = name, args, timeout
        self._out = open(logs / f"{name}.stdout", "w+")
        self._err = open(logs / f"{name}.stderr", "w+")
        self._start = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=self._out, stderr=self._err, text=True, env=env, cwd=cwd)

    def wait(self) -> subprocess.CompletedProcess:
        """Waits for the script (killing it past its timeout) and returns its exit code and output."""
        try:
            self.proc.wait(timeout=max(0.0, self.timeout - (time.monotonic() - self._start)))
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        finally:
            self._out.seek(0), self._err.seek(0)
            out, err = self._out.read(), self._err.read()
            self._out.close(), self._err.close()
        return subprocess.CompletedProcess(self.args, self.proc.returncode, out, err)

    def kill(self) -> None:
        """Ends the script if it is still running (a test that fails leaves nothing behind)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, RAY_DEDUP_LOGS="0", PYTHONWARNINGS="ignore", **extra)
    if env.get("PYTHONPATH"):  # a source-tree run (make check): the same package from another cwd
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep))
    return env


def start_script(script: Path, home: Path, *args: str, timeout: float = 600,
                 python: Optional[str] = None) -> Running:
    """Starts `script` with this interpreter (or `python`), HOME at `home` (so results go to `home`'s
    default storage folder), from `home`."""
    home.mkdir(parents=True, exist_ok=True)
    return Running([python or sys.executable, str(script), *args], _env(HOME=str(home)), home, timeout,
                   home / "_logs", script.stem)


def finish_script(running: Running) -> subprocess.CompletedProcess:
    """Waits for a script `start_script` started; fails with the script's output when it failed."""
    proc = running.wait()
    assert proc.returncode == 0, f"{Path(running.args[1]).name} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def run_script(script: Path, home: Path, *args: str, timeout: float = 600,
               python: Optional[str] = None) -> subprocess.CompletedProcess:
    """Runs `script` as `start_script` starts it and waits for it (`finish_script`)."""
    return finish_script(start_script(script, home, *args, timeout=timeout, python=python))


def experiment_summary(storage: Path) -> list[tuple[int, int]]:
    """Every trial under `storage` (a folder with a result.json) as (results, checkpoint folders),
    sorted: what a script did, independent of its random draws."""
    out = []
    for result_file in storage.rglob("result.json"):
        rows = [json.loads(line) for line in result_file.read_text().splitlines() if line.strip()]
        checkpoints = [p for p in result_file.parent.iterdir() if p.is_dir() and p.name.startswith("checkpoint_")]
        out.append((len(rows), len(checkpoints)))
    return sorted(out)


def result_rows(storage: Path) -> list[dict[str, Any]]:
    """Every result row of every trial under `storage`."""
    rows: list[dict[str, Any]] = []
    for result_file in sorted(storage.rglob("result.json")):
        rows += [json.loads(line) for line in result_file.read_text().splitlines() if line.strip()]
    return rows


def start_parity_script(text: str, tmp_path: Path, timeout: float = 600) -> Running:
    """Starts a parity script (its storage folder is argv[1]) in `tmp_path`."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "script.py"
    script.write_text(text)
    return Running([sys.executable, str(script), str(tmp_path / "results")], _env(), None, timeout, tmp_path, "script")


def finish_parity_script(running: Running) -> dict[str, Any]:
    """Waits for a parity script and returns the JSON it printed after ``PARITY`` on its last such line."""
    proc = running.wait()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = [l for l in proc.stdout.splitlines() if l.startswith("PARITY")][-1]
    return json.loads(line[len("PARITY"):])


def run_parity_script(text: str, tmp_path: Path, timeout: float = 600) -> dict[str, Any]:
    """Runs a parity script (its storage folder is argv[1]) and returns the JSON it printed after
    ``PARITY`` on its last such line."""
    return finish_parity_script(start_parity_script(text, tmp_path, timeout))


def run_both(script: str, ray_imports: str, swifttune_imports: str, tmp_path: Path,
             timeout: float = 900) -> tuple[dict[str, Any], dict[str, Any]]:
    """A parity script (with ``{imports}`` and ``{ray_init_extra}`` to fill) run under real Ray and
    under swifttune, at the same time (separate processes and folders; neither reads the other's
    clock or files, and most of either run is waiting): what each printed after ``PARITY``, Ray's
    first. The two answer the same scenarios, every one of which the caller compares."""
    theirs = start_parity_script(script.format(imports=ray_imports, ray_init_extra=", include_dashboard=False"),
                                 tmp_path / "ray", timeout=timeout)
    try:
        ours = run_parity_script(script.format(imports=swifttune_imports, ray_init_extra=""), tmp_path / "swifttune",
                                 timeout=timeout)
        ray_out = finish_parity_script(theirs)
    finally:
        theirs.kill()
    assert set(ours) == set(ray_out)
    return ray_out, ours
