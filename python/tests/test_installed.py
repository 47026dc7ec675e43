"""The installed package is what is tested: `make test` installs the wheel into the test venv and
runs these tests from outside the source tree."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import swifttune
from swifttune._lib import library_path

SOURCE_TREE = Path(__file__).resolve().parents[1]  # python/

pytestmark = pytest.mark.installed


def test_the_package_is_the_installed_wheel() -> None:
    package = Path(swifttune.__file__).resolve().parent
    assert "site-packages" in package.parts, package
    assert SOURCE_TREE not in package.parents, f"{package} is the source tree, not the installed wheel"
    assert library_path().resolve() == package / "_lib" / "libswifttune.so"


def test_every_public_module_imports() -> None:
    names = [m.name for m in pkgutil.walk_packages(swifttune.__path__, "swifttune.")]
    public = [n for n in names if not any(part.startswith("_") for part in n.split(".")[1:])]
    for name in names:
        importlib.import_module(name)
    # The module paths Ray Tune and hyperopt users import, and the integration the README shows.
    for name in ("swifttune.tune", "swifttune.tune.tuner", "swifttune.tune.tune_config", "swifttune.tune.callback",
                 "swifttune.tune.session", "swifttune.tune.context", "swifttune.tune.trainable",
                 "swifttune.tune.search.searcher", "swifttune.tune.search.basic_variant",
                 "swifttune.tune.search.concurrency_limiter", "swifttune.tune.search.hyperopt",
                 "swifttune.tune.search.hyperopt.hyperopt_search", "swifttune.tune.schedulers.trial_scheduler",
                 "swifttune.tune.schedulers.async_hyperband", "swifttune.tune.schedulers.median_stopping_rule",
                 "swifttune.tune.schedulers.hyperband", "swifttune.tune.utils.mock_trainable",
                 "swifttune.tune.experiment", "swifttune.tune.impl.config", "swifttune.train", "swifttune.hyperopt",
                 "swifttune.integrations.ray"):
        assert name in public, f"{name} is not in the installed wheel"


def test_public_names_are_exported() -> None:
    # Every name in a public module's __all__ exists.
    for info in pkgutil.walk_packages(swifttune.__path__, "swifttune."):
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), f"{info.name}.__all__ names {name!r}, which it does not define"
