"""A study shared by four worker processes through Optuna's RDB storage on a real PostgreSQL
server (Debian's package: ``.ci/run`` installs it when missing), each worker with
``swifttune.optuna.TPESampler``: the checks of test_optuna_sampler.py's SQLite run. The server is
started here, for this module, in a fresh data directory on a free loopback port."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from test_optuna_sampler import check_shared, shared_study

pytest.importorskip("optuna", reason="make test installs Optuna")
pytest.importorskip("psycopg2", reason="make test installs psycopg2-binary")


def _postgres_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed: install Debian's postgresql package (.ci/run does)")
    return found


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the package's `postgres` user."""
    if os.geteuid() != 0:
        return args
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in args)]


@pytest.fixture(scope="module")
def postgres_url():
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    root = tempfile.mkdtemp(prefix="swifttune-pg-")
    data = os.path.join(root, "data")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(_as_server_user([initdb, "-D", data, "-A", "trust", "-U", "swifttune"]), check=True,
                   capture_output=True)
    subprocess.run(_as_server_user([pg_ctl, "-D", data, "-w", "-l", os.path.join(root, "log"), "-o",
                                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg2://swifttune@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([pg_ctl, "-D", data, "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_four_workers_share_a_postgresql_study(postgres_url, tmp_path):
    trials, seen = shared_study(postgres_url, tmp_path)
    check_shared(trials, seen)
