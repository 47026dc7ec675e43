"""hyperopt's own unit tests, run against swifttune.hyperopt.

At test time the hyperopt 0.3.0 sdist is fetched from PyPI (``pip download --no-binary :all:``; or
taken from ``$SWIFTTUNE_HYPEROPT_SDIST``), and its ``tests/unit/test_fmin.py``, ``test_pchoice.py``,
``test_randint.py``, ``test_progress.py`` and ``test_anneal.py`` (with ``test_domains.py``, which
test_anneal imports) are copied out with only their import lines rewritten (``hyperopt`` ->
``swifttune.hyperopt``), then run by pytest in a subprocess. Every test must pass except the ones
listed in ``EXPECTED_FAILURES`` (each with its reason, also in the README); a listed test that
passes fails this test, so the list stays true. Nothing of hyperopt's is committed."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FILES = ["test_fmin.py", "test_pchoice.py", "test_randint.py", "test_progress.py", "test_anneal.py", "test_domains.py"]

EXPECTED_FAILURES: dict[str, str] = {
    "test_anneal.TestItAtLeastSortOfWorks::test_q1lognormal":
        "numpy's random stream: one seed (8) must reach 0.01 in 50 annealing steps; over seeds 0-19 swifttune's "
        "annealing does so 18 times, hyperopt's 14 times",
    "test_domains.many_distsTester::test_basic":
        "numpy's random stream: one seed (4) of random search must get within 0.2 of 0 in 500 draws; over seeds "
        "1000-1019 swifttune's does so 2 times, hyperopt's once",
    "test_randint.TestSimpleFMin::test_random_finds_constrained_solution":
        "numpy's random stream: 150 random draws from 80 integers must hit the one root (50) exactly; a stream misses "
        "it with probability (79/80)^150, about 15%",
}
"""hyperopt's tests that fail against swifttune, by pytest id, with the reason."""


def rewrite_imports(source: str) -> str:
    """hyperopt's import lines, importing swifttune.hyperopt instead (the name `hyperopt` then refers
    to swifttune.hyperopt where the test uses it); every other line as it is."""
    out = []
    for line in source.splitlines(keepends=True):
        m = re.match(r"^(\s*)from hyperopt((?:\.\w+)*) import (.*)$", line, re.S)
        if m:
            out.append(f"{m.group(1)}from swifttune.hyperopt{m.group(2)} import {m.group(3)}")
            continue
        m = re.match(r"^(\s*)import hyperopt((?:\.\w+)*)\s*$", line)
        if m:
            indent, sub = m.group(1), m.group(2)
            extra = f"import swifttune.hyperopt{sub}; " if sub else ""
            out.append(f"{indent}{extra}from swifttune import hyperopt\n")
            continue
        out.append(line)
    return "".join(out)


def test_rewrite_imports_touches_import_lines_only():
    source = ("import numpy as np\nfrom hyperopt import (\n    fmin,\n)\nfrom hyperopt.base import X\n"
              "    import hyperopt.anneal\nimport hyperopt.pyll.stochastic\nx = hyperopt.anneal.suggest\n")
    assert rewrite_imports(source) == (
        "import numpy as np\nfrom swifttune.hyperopt import (\n    fmin,\n)\nfrom swifttune.hyperopt.base import X\n"
        "    import swifttune.hyperopt.anneal; from swifttune import hyperopt\n"
        "import swifttune.hyperopt.pyll.stochastic; from swifttune import hyperopt\nx = hyperopt.anneal.suggest\n")


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    given = os.environ.get("SWIFTTUNE_HYPEROPT_SDIST")
    if given:
        return Path(given)
    where = tmp_path_factory.mktemp("sdist")
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                    "hyperopt==0.3.0", "-d", str(where)], check=True, timeout=600)
    (found,) = where.glob("hyperopt-0.3.0.tar.gz")
    return found


@pytest.fixture(scope="module")
def outcomes(sdist, tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("hyperopt_tests")
    package = root / "hyperopt_unit"
    package.mkdir()
    (package / "__init__.py").write_text("")
    with tarfile.open(sdist) as tar:
        for name in FILES:
            member = tar.getmember(f"hyperopt-0.3.0/hyperopt/tests/unit/{name}")
            source = tar.extractfile(member).read().decode()  # type: ignore[union-attr]
            (package / name).write_text(rewrite_imports(source))
    report = root / "report.xml"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" or "python" not in v}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                          "-o", "junit_family=xunit2", *[str(package / n) for n in FILES if n != "test_domains.py"],
                          str(package / "test_domains.py")],
                         cwd=root, env={**env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
                         capture_output=True, text=True, timeout=1800)
    print(run.stdout[-5000:], run.stderr[-3000:])
    results: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '').split('.', 1)[-1]}::{case.get('name')}"
        outcome = "passed"
        for kind in ("failure", "error", "skipped"):
            if case.find(kind) is not None:
                outcome = kind
        results[test_id] = outcome
    return results


def test_hyperopts_own_unit_tests_pass(outcomes):
    assert len(outcomes) >= 60, outcomes  # the files were collected
    failing = {t for t, o in outcomes.items() if o != "passed"}
    unexpected = sorted(failing - set(EXPECTED_FAILURES))
    now_passing = sorted(set(EXPECTED_FAILURES) - failing)
    assert not unexpected, f"hyperopt's tests failing against swifttune: {unexpected}"
    assert not now_passing, f"listed as failing but passing now (take them off EXPECTED_FAILURES): {now_passing}"
