"""What a restore trusts: an experiment folder is code (restoring unpickles files of it), so
``Tuner.restore`` refuses a folder that another user could have written, naming the entry."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from swifttune import tune


def objective(config):
    tune.report({"loss": config["x"]})


def _experiment(tmp_path: Path, name: str) -> Path:
    def failing(config):
        if config["x"] == 1:
            raise ValueError("an error.pkl to unpickle")
        tune.report({"loss": config["x"]})

    tune.Tuner(failing, param_space={"x": tune.grid_search([0, 1])}, tune_config=tune.TuneConfig(executor="thread"),
               run_config=tune.RunConfig(name=name, storage_path=str(tmp_path), verbose=0)).fit()
    return tmp_path / name


@pytest.mark.parametrize("where", ["folder", "tuner.pkl", "error.pkl", "trial folder"])
def test_restore_refuses_a_folder_others_can_write(tmp_path: Path, where: str) -> None:
    """Restoring unpickles files of the experiment folder (code): a folder or file in it that every
    user can write is refused, naming it; once it is the user's alone, the restore goes on."""
    exp = _experiment(tmp_path, "shared")
    trial = next(p for p in exp.iterdir() if (p / "error.pkl").exists())
    target = {"folder": exp, "tuner.pkl": exp / "tuner.pkl", "error.pkl": trial / "error.pkl",
              "trial folder": trial}[where]
    assert target.exists()
    mode = target.stat().st_mode
    os.chmod(target, mode | 0o002)
    with pytest.raises(PermissionError, match=rf"Tuner.restore refuses {exp}: {target} is writable by every user"):
        tune.Tuner.restore(str(exp), objective)
    os.chmod(target, mode)
    grid = tune.Tuner.restore(str(exp), objective).get_results()
    assert sorted(type(r.error).__name__ for r in grid) == ["NoneType", "ValueError"]


def test_restore_refuses_files_of_another_user(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs the superuser (CI runs as root)")
    exp = _experiment(tmp_path, "theirs")
    os.chown(exp / "tuner.pkl", 4321, -1)
    with pytest.raises(PermissionError, match=r"tuner.pkl belongs to another user \(uid 4321\)"):
        tune.Tuner.restore(str(exp), objective)
    os.chown(exp / "tuner.pkl", 0, -1)
    assert len(tune.Tuner.restore(str(exp), objective).get_results()) == 2
