"""The README's "Your own stack against the emulator" runs as written, in a fresh directory.

The block is taken from README.md and run by bash with the real `pulumi` (the project's build,
tests/harness/cli.py), as a user without a terminal would run it (PULUMI_SKIP_CONFIRMATIONS stands
for answering "yes"). Only the port differs from the README, so that a developer's own emulator on
8443 is left alone.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from harness.cli import pulumi_bin

REPO = Path(__file__).resolve().parents[2]
HEADING = "### Your own stack against the emulator"

def walkthrough() -> str:
    text = (REPO / "README.md").read_text()
    section = text[text.index(HEADING):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.cli
def test_readme_walkthrough_puts_the_members_in_the_emulator(tmp_path):
    script = walkthrough()
    assert 'eval "$(msgraph-emulator env --seed directory.yaml)"' in script
    port = free_port()
    script = script.replace("msgraph-emulator env --seed", f"msgraph-emulator env --port {port} --seed")
    bin_dir = pulumi_bin()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_SKIP_CONFIRMATIONS": "true",
           "PATH": os.pathsep.join([bin_dir, str(Path(sys.executable).parent), os.environ["PATH"]])}
    env.pop("PULUMI_PYTHON_CMD", None)  # the README's `runtime: python` finds python3 on PATH
    for name in ("MSGRAPH_ENDPOINT", "AZURE_AUTHORITY_HOST", "MSGRAPH_CA_BUNDLE", "ARM_TENANT_ID",
                 "ARM_CLIENT_ID", "ARM_CLIENT_SECRET"):
        env.pop(name, None)
    work = tmp_path / "work"
    work.mkdir()
    try:
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script + "\necho CA_BUNDLE=$MSGRAPH_CA_BUNDLE\n"],
                             cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        ca = re.search(r"CA_BUNDLE=(.*)", run.stdout).group(1)
        s = requests.Session()
        s.trust_env = False
        directory = s.get(f"https://127.0.0.1:{port}/_emulator/directory", verify=ca, timeout=30).json()
    finally:
        subprocess.run([sys.executable, "-m", "msgraph_membership.emulator", "stop", "--port", str(port)],
                       env=env, capture_output=True, timeout=60)
    developers = next(g for g in directory["groups"] if g["displayName"] == "Developers")
    assert developers["members"] == ["11111111-0000-4000-8000-000000000001", "11111111-0000-4000-8000-000000000002"]
