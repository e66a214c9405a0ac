"""The examples' lifecycle with the real `pulumi` CLI, through the Automation API: a local file
backend, passphrase secrets, the provider pointed at the local Graph emulator through the
environment (as scripts/quickstart.sh does). Skipped when `pulumi` is not on PATH; the engine
harness (tests/lifecycle) covers the same lifecycle without it.

    up -> up again changes nothing (and writes nothing to Graph) -> a membership removed outside
    shows on refresh -> up puts it back -> destroy leaves the directory as it was
"""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from lifecycle.conftest import EXAMPLES, GraphAdmin, graph_writes, load_seed, memberships

pytestmark = [
    pytest.mark.cli,
    pytest.mark.skipif(shutil.which("pulumi") is None,
                       reason="the Pulumi CLI is not on PATH; install it to run the CLI tests"),
]

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(EXAMPLES / "batch"))
import batch_directory  # noqa: E402  (the batch example's id scheme)


@dataclass
class Case:
    example: str
    drift: tuple[str, str, str]  # (container kind, container id, member id) to remove outside
    adopted: set = field(default_factory=set)  # memberships the seed had that the program adopts


CASES = [
    Case("quickstart", ("groups", "0b000001-0000-4000-8000-000000000002", "0a000001-0000-4000-8000-000000000002"),
         adopted={("groups", "0b000001-0000-4000-8000-000000000001", "0a000001-0000-4000-8000-000000000001")}),
    Case("batch", ("groups", batch_directory.GROUP_ID, batch_directory.user_ids()[7])),
    Case("bootstrap", ("administrativeUnits", "0f000001-0000-4000-8000-000000000001",
                       "0d000001-0000-4000-8000-000000000003")),
]


def only_same(changes: dict | None) -> bool:
    """A change summary (op -> count) with nothing but unchanged resources."""
    return set((changes or {}).keys()) <= {"same"}


def workspace_copy(example: str, tmp_path: Path) -> Path:
    """The example, copied so the CLI's stack files stay out of the repo; its virtualenv made
    absolute (the copy no longer sits two levels under the repo)."""
    work = tmp_path / example
    shutil.copytree(EXAMPLES / example, work, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    project = yaml.safe_load((work / "Pulumi.yaml").read_text())
    project["runtime"]["options"]["virtualenv"] = str(REPO / ".venv")
    (work / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    return work


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.example)
def test_example_lifecycle_with_the_pulumi_cli(case: Case, tmp_path):
    from pulumi import automation as auto
    from msgraph_membership.emulator.process import start_emulator

    seed = load_seed(case.example)
    with start_emulator(seed=str(EXAMPLES / case.example / "seed.yaml")) as emu:
        backend = tmp_path / "backend"
        backend.mkdir()
        env = {**emu.env(), "PULUMI_CONFIG_PASSPHRASE": "lifecycle-test", "PULUMI_SKIP_UPDATE_CHECK": "true",
               "PULUMI_BACKEND_URL": f"file://{backend}"}
        stack = auto.create_or_select_stack(
            "dev", work_dir=str(workspace_copy(case.example, tmp_path)),
            opts=auto.LocalWorkspaceOptions(env_vars=env, secrets_provider="passphrase"))
        before = memberships(emu.directory())
        try:
            preview = stack.preview()
            assert preview.change_summary.get("create", 0) >= 1

            up = stack.up()
            assert up.summary.result == "succeeded"
            assert up.summary.resource_changes.get("create", 0) >= 1

            emu.clear_requests()
            again = stack.up()
            assert only_same(again.summary.resource_changes), again.summary.resource_changes
            assert graph_writes(emu) == [], "an up without changes must not write to Graph"
            assert only_same(stack.preview().change_summary)

            kind, container, member = case.drift
            GraphAdmin(emu).remove_member(container, member, kind=kind)
            refresh = stack.refresh()
            assert not only_same(refresh.summary.resource_changes), "the removal must show as drift"
            assert (kind, container, member) not in memberships(emu.directory())
            stack.up()
            assert (kind, container, member) in memberships(emu.directory())
            assert only_same(stack.preview().change_summary)
        finally:
            stack.destroy()
        # Deleting a resource removes what it manages, adopted or not (interface.md).
        assert memberships(emu.directory()) == before - case.adopted
        stack.workspace.remove_stack("dev")
    assert seed  # the seed parsed: the directory above is the example's
