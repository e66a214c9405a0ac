"""Shared pieces of the lifecycle tests: one emulator per test module, a fresh directory and a fresh
stack (the real `pulumi`, tests/harness/cli.py) per test, and a way to change memberships
"outside" (straight through Graph, as an admin would).

Each test module sets `EXAMPLE = "<name>"` (a directory under examples/ with `__main__.py` and
`seed.yaml`) and uses the `stack` fixture.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
import yaml

from harness.cli import CliStack, copy_example
from harness.emulated import fresh_directory
from msgraph_membership.emulator.process import start_emulator

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# Graph requests that may change the directory. `getByIds` and friends are POSTs that only read;
# a `$batch` counts as a write, conservatively (it may carry writes).
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
READ_POSTS = ("/directoryObjects/getByIds", "/getMemberObjects", "/checkMemberObjects", "/getMemberGroups")


def load_seed(example: str) -> dict:
    return yaml.safe_load((EXAMPLES / example / "seed.yaml").read_text())


def memberships(directory: dict) -> set[tuple[str, str, str]]:
    """Every direct membership as (container kind, container id, member id)."""
    out = set()
    for kind in ("groups", "administrativeUnits"):
        for c in directory.get(kind, []):
            out |= {(kind, c["id"], m) for m in c.get("members", [])}
    return out


def groups(directory: dict) -> dict[str, dict]:
    return {g["id"]: g for g in directory.get("groups", [])}


class GraphAdmin:
    """Direct Graph calls with the emulator app's token: changes made "outside" Pulumi."""

    def __init__(self, emu):
        self.emu = emu
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE must not override verify=
        r = self.session.post(f"{emu.authority_host}/{emu.tenant_id}/oauth2/v2.0/token", verify=emu.ca_bundle,
                              data={"grant_type": "client_credentials", "client_id": emu.client_id,
                                    "client_secret": emu.client_secret,
                                    "scope": "https://graph.microsoft.com/.default"}, timeout=30)
        r.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        self.base = emu.graph_url.rstrip("/").removesuffix("/v1.0") + "/v1.0"

    def _call(self, method: str, path: str, **kw) -> requests.Response:
        r = self.session.request(method, self.base + path, verify=self.emu.ca_bundle, timeout=30, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r

    def remove_member(self, container_id: str, member_id: str, kind: str = "groups") -> None:
        path = f"/groups/{container_id}" if kind == "groups" else f"/directory/administrativeUnits/{container_id}"
        self._call("DELETE", f"{path}/members/{member_id}/$ref")

    def add_member(self, container_id: str, member_id: str, kind: str = "groups") -> None:
        path = f"/groups/{container_id}" if kind == "groups" else f"/directory/administrativeUnits/{container_id}"
        self._call("POST", f"{path}/members/$ref",
                   json={"@odata.id": f"{self.base}/directoryObjects/{member_id}"})


def graph_writes(emu) -> list[dict]:
    """The logged Graph requests that could have changed the directory."""
    out = []
    for e in emu.requests():
        if e.get("kind") != "graph" or e.get("method") not in WRITE_METHODS:
            continue
        path = e.get("path", "").split("?")[0]
        if e["method"] == "POST" and path.endswith(READ_POSTS):
            continue
        out.append(e)
    return out


@pytest.fixture(scope="module")
def example_emulator(request):
    example = request.module.EXAMPLE
    emu = start_emulator(seed=str(EXAMPLES / example / "seed.yaml"))
    yield emu
    emu.stop()


@pytest.fixture
def stack(request, example_emulator, tmp_path) -> CliStack:
    """A fresh directory (the example's seed), a private copy of the example program and a new
    stack of it on a local backend; `CONFIG` in the test module is set as stack config."""
    example = request.module.EXAMPLE
    seed = load_seed(example)
    seed.pop("apps", None)  # apps survive a reset; seeding them again would change the secret
    emu = fresh_directory(example_emulator, seed)
    program = copy_example(EXAMPLES / example, tmp_path / example)
    st = CliStack.for_directory(emu, program, tmp_path)
    for key, value in (getattr(request.module, "CONFIG", None) or {}).items():
        st.set_config(key, str(value))
    return st


@pytest.fixture
def graph_admin(example_emulator) -> GraphAdmin:
    return GraphAdmin(example_emulator)
