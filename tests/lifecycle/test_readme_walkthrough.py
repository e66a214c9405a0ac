"""The README's "Your own stack against the emulator" runs as written, in a fresh directory.

The block is taken from README.md and run by bash. Its `pulumi` is the real CLI when it is on
PATH; otherwise a stand-in that runs the same program through the project's engine harness
(`pulumi stack init` does nothing, `pulumi up` is `harness.engine up .`). Only the port differs
from the README, so that a developer's own emulator on 8443 is left alone.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
HEADING = "### Your own stack against the emulator"

STAND_IN = """#!/usr/bin/env bash
# `pulumi` for this test where the CLI is missing: the engine harness runs the program instead.
case "$1" in
  stack) exit 0 ;;
  up) exec "{python}" -m harness.engine up . --state "${{PULUMI_BACKEND_URL#file://}}/harness.json" ;;
  *) echo "stand-in pulumi: $* is not supported" >&2; exit 2 ;;
esac
"""


def walkthrough() -> str:
    text = (REPO / "README.md").read_text()
    section = text[text.index(HEADING):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_walkthrough_puts_the_members_in_the_emulator(tmp_path):
    script = walkthrough()
    assert 'eval "$(msgraph-emulator env --seed directory.yaml)"' in script
    port = free_port()
    script = script.replace("msgraph-emulator env --seed", f"msgraph-emulator env --port {port} --seed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if not shutil.which("pulumi"):
        shim = bin_dir / "pulumi"
        shim.write_text(STAND_IN.format(python=sys.executable))
        shim.chmod(0o755)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(REPO / "tests"),
           "PULUMI_SKIP_UPDATE_CHECK": "true",
           "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]])}
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
