"""The profile's own `bin/az` (emulator/azprofile.py): it runs the next `az` on PATH with the profile's
sitecustomize.py first on PYTHONPATH, for that process alone, so that MSAL skips user-realm discovery
for the emulator's host in `az` and in no other Python of the shell. The real Azure CLI through it
is tests/emulator/test_azure_cli.py's; here a program named `az` reports what it was given."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from msgraph_membership.emulator import azprofile

# What the Azure CLI's Python would see: whether MSAL skips realm discovery for the emulator's host.
MSAL_PROBE = ("import os, sys; from msal.authority import Authority; "
              "print('127.0.0.1' in Authority._domains_without_user_realm_discovery); "
              "print(os.environ.get('PYTHONPATH', '')); print(sys.argv[1:])")


@pytest.fixture
def ready(tmp_path) -> dict:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nemulator test CA\n-----END CERTIFICATE-----\n")
    return {"base_url": "https://127.0.0.1:8443", "ca_bundle": str(ca)}


@pytest.fixture
def cli_dir(tmp_path) -> Path:
    """A folder with a program named `az` in Python, as the Azure CLI is."""
    d = tmp_path / "azure-cli" / "bin"
    d.mkdir(parents=True)
    az = d / "az"
    az.write_text(f"#!/bin/sh\nexec {sys.executable} -c \"{MSAL_PROBE}\" \"$@\"\n")
    az.chmod(0o755)
    return d


def run(env: dict, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=60)


def test_the_profiles_az_runs_the_next_az_with_realm_discovery_skipped(tmp_path, ready, cli_dir):
    profile = azprofile.write_profile(ready, tmp_path / "az", path=f"{cli_dir}{os.pathsep}/usr/bin:/bin")
    env = {**os.environ, **profile, "PYTHONPATH": "/users/own"}
    assert env["PATH"].split(os.pathsep)[:2] == [str(tmp_path / "az" / "bin"), str(cli_dir)]
    res = run(env, "az", "group", "show", "-g", "two words")
    assert res.returncode == 0, res.stderr
    skipped, pythonpath, argv = res.stdout.splitlines()
    assert skipped == "True"
    assert pythonpath == f"{tmp_path / 'az' / 'python'}:/users/own"
    assert argv == str(["group", "show", "-g", "two words"])


def test_no_other_python_of_the_shell_loads_the_sitecustomize(tmp_path, ready, cli_dir):
    profile = azprofile.write_profile(ready, tmp_path / "az", path=f"{cli_dir}{os.pathsep}/usr/bin:/bin")
    assert "PYTHONPATH" not in profile
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = run({**env, **profile}, sys.executable, "-c", MSAL_PROBE)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[:2] == ["False", ""]


def test_written_again_the_profiles_bin_is_on_path_once(tmp_path, ready, cli_dir):
    first = azprofile.write_profile(ready, tmp_path / "az", path=f"{cli_dir}{os.pathsep}/bin")
    again = azprofile.write_profile(ready, tmp_path / "az", path=first["PATH"])
    assert again["PATH"].split(os.pathsep) == [str(tmp_path / "az" / "bin"), str(cli_dir), "/bin"]


def test_without_an_azure_cli_on_path_the_profiles_az_says_so(tmp_path, ready):
    profile = azprofile.write_profile(ready, tmp_path / "az", path="/bin")
    res = run({**os.environ, **profile}, "az", "version")
    assert res.returncode == 127
    assert f"no Azure CLI on PATH besides {tmp_path / 'az' / 'bin' / 'az'}" in res.stderr
