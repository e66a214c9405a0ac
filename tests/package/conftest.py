"""The package as a user gets it: the sdist and wheel built and checked once per session
(scripts/package.sh; in CI, .ci/run builds them first and names their directory in
MSGRAPH_PACKAGE_DIST), and a fresh virtualenv outside the repository with the wheel installed."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Installed:
    dist: Path     # the directory with the sdist and the wheel
    wheel: Path
    sdist: Path
    venv: Path     # a virtualenv outside the repository, with the wheel installed

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def quiet_pip_env() -> dict[str, str]:
    return {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    given = os.environ.get("MSGRAPH_PACKAGE_DIST")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("dist")
    res = subprocess.run(["bash", str(REPO / "scripts" / "package.sh"), str(out)], capture_output=True, text=True,
                         timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return Path(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def installed(dist, tmp_path_factory) -> Installed:
    [wheel] = dist.glob("pulumi_msgraph_membership-*.whl")
    [sdist] = dist.glob("pulumi_msgraph_membership-*.tar.gz")
    venv = tmp_path_factory.mktemp("user") / "venv"
    assert not venv.is_relative_to(REPO)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    res = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], capture_output=True, text=True,
                         env=quiet_pip_env(), timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return Installed(dist, wheel, sdist, venv)
