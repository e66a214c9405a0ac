"""The real Azure CLI for tests (scripts/azure-cli.sh installs it outside the repository; CI
installs it): its binary, and a person signed in to an emulator in a profile of its own."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSION = "2.91.0"
INSTALLED = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pulumi-msgraph-membership" / \
    f"azure-cli-{VERSION}" / "bin" / "az"


def az_binary() -> Path:
    """The installed `az`; outside CI without it, the test skips saying how to install it."""
    if not INSTALLED.exists():
        if not os.environ.get("CI"):
            pytest.skip(f"the Azure CLI is not installed at {INSTALLED}: bash scripts/azure-cli.sh installs it")
        subprocess.run(["bash", str(REPO / "scripts" / "azure-cli.sh")], check=True, stdout=subprocess.DEVNULL)
    return INSTALLED


def person_env(emu, profile: Path) -> dict[str, str]:
    """The environment of a shell that uses an az profile for `emu` (no ARM_* or AZURE_* of ours),
    as `eval "$(msgraph-emulator az)"` leaves it: the profile's `bin/az` first on PATH, then the
    installed Azure CLI's folder."""
    from msgraph_membership.emulator import azprofile

    base = {k: v for k, v in os.environ.items() if not k.startswith(("ARM_", "AZURE_"))}
    path = f"{az_binary().parent}{os.pathsep}{base.get('PATH', '')}"
    return {**base, **azprofile.write_profile(emu.ready, profile, path=path)}


def az_on_path(env: dict) -> str:
    """The `az` a shell with `env` runs: the profile's own `bin/az` (it runs the installed one)."""
    found = shutil.which("az", path=env["PATH"])
    assert found == os.path.join(env["AZURE_CONFIG_DIR"], "bin", "az"), found
    return found


def az(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([az_on_path(env), *args, "-o", "json"], env=env, capture_output=True, text=True,
                          timeout=180)


def sign_in(emu, profile: Path, upn: str, password: str) -> dict[str, str]:
    """`az login -u -p` as `upn` in a profile of its own; the profile's environment."""
    env = person_env(emu, profile)
    res = az(env, "login", "-u", upn, "-p", password, "--allow-no-subscriptions")
    assert res.returncode == 0, res.stderr
    assert [a["user"]["name"] for a in json.loads(res.stdout)] == [upn]
    return env
