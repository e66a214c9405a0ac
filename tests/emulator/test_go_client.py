"""A Go client (tests/emulator/goclient, standard library only) uses the emulator as a custom cloud:
Go's TLS trusts the emulator's CA through SSL_CERT_FILE, the cloud metadata names the login
endpoint and Graph, and azuread's membership read (``$filter=id eq`` on ``/beta/.../members``)
is answered. Needs Go; skipped without it, except under CI=true, where that is a failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from .conftest import BOB, FULL_APP, FULL_SECRET, SEC, TENANT

HERE = Path(__file__).parent / "goclient"


@pytest.fixture(scope="module")
def goclient(tmp_path_factory) -> str:
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Go is not installed: CI must have it (the azuread tooling needs it too)")
        pytest.skip("Go is not installed")
    out = tmp_path_factory.mktemp("goclient") / "goclient"
    r = subprocess.run([go, "build", "-o", str(out), "."], cwd=HERE, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "GOFLAGS": "-mod=mod", "GOWORK": "off"})
    assert r.returncode == 0, r.stderr
    return str(out)


def _run(goclient, emu, path: str, ca: str | None):
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    env.update({"EMU_HOST": urlsplit(emu.graph_url).netloc, "EMU_TENANT": TENANT, "EMU_CLIENT_ID": FULL_APP,
                "EMU_CLIENT_SECRET": FULL_SECRET, "EMU_PATH": path, "SSL_CERT_DIR": "/nonexistent"})
    if ca:
        env["SSL_CERT_FILE"] = ca
    else:
        env["SSL_CERT_FILE"] = "/nonexistent"
    return subprocess.run([goclient], capture_output=True, text=True, timeout=60, env=env)


def test_go_client_reads_a_membership_through_the_cloud_metadata(goclient, emu, graph):
    assert graph.add_member(SEC, BOB).status_code == 204
    path = f"beta/groups/{SEC}/members?" + quote(f"$filter=id eq '{BOB}'", safe="$=")
    r = _run(goclient, emu, path, emu.ca_bundle)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["graph"] == emu.graph_url and out["login"] == emu.graph_url
    assert out["status"] == 200 and [m["id"] for m in out["body"]["value"]] == [BOB]
    assert FULL_SECRET not in r.stdout


def test_go_client_does_not_trust_the_emulator_without_its_ca(goclient, emu):
    r = _run(goclient, emu, f"v1.0/groups/{SEC}", None)
    assert r.returncode != 0 and "certificate" in r.stderr
