"""Shared pieces of the lifecycle tests: one emulator per test module, a fresh directory and a fresh
stack (the real `pulumi`, tests/harness/cli.py) per test, and `graph_admin` to change memberships
"outside" (straight through Graph, as an admin would: tests/harness/outside.py).

Each test module sets `EXAMPLE = "<name>"` (a directory under examples/ with `__main__.py` and
`seed.yaml`) and uses the `stack` fixture.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.cli import CliStack, copy_example
from harness.emulated import fresh_directory
from harness.outside import OutsideGraph
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
def graph_admin(example_emulator) -> OutsideGraph:
    return OutsideGraph(example_emulator)
