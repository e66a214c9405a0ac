"""Every example through its whole life with the real `pulumi`, in both ways users run programs:
a project directory (`pulumi` typed in the directory with Pulumi.yaml, through the Python language
host) and an inline program of the Automation API (the engine talks to the test process).

    preview shows the creates -> up -> up again changes nothing and writes nothing to Graph ->
    a membership removed outside shows as drift on refresh -> up puts it back -> removed again,
    `up --refresh` puts it back in one command -> destroy leaves the directory as it was

(The Automation API over a project directory runs in tests/lifecycle, example by example.)
"""
from __future__ import annotations

import runpy
import sys
from dataclasses import dataclass, field

import pytest

from harness.cli import CliStack, ShellStack, copy_example
from harness.outside import OutsideGraph
from lifecycle.conftest import EXAMPLES, graph_writes, memberships

pytestmark = pytest.mark.cli

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


def inline_program(example: str):
    """The example's __main__.py as an inline program (what a user's function would do)."""
    path = str(EXAMPLES / example)

    def program() -> None:
        runpy.run_path(path, run_name="__main__")
    return program


def make_stack(mode: str, case: Case, emu, tmp_path):
    if mode == "project":
        return ShellStack.for_directory(emu, copy_example(EXAMPLES / case.example, tmp_path / case.example), tmp_path)
    return CliStack.inline(emu, f"msgraph-membership-{case.example}", inline_program(case.example), tmp_path)


@pytest.mark.parametrize("mode", ["project", "inline"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.example)
def test_example_lifecycle(case: Case, mode: str, tmp_path):
    from msgraph_membership.emulator.process import start_emulator

    with start_emulator(seed=str(EXAMPLES / case.example / "seed.yaml")) as emu:
        stack = make_stack(mode, case, emu, tmp_path)
        before = memberships(emu.directory())
        try:
            plan = stack.preview()
            assert plan.ops() and set(plan.ops().values()) == {"create"}, plan.ops()
            assert memberships(emu.directory()) == before and graph_writes(emu) == []

            up = stack.up()
            assert up.ops() == plan.ops()
            assert memberships(emu.directory()) > before

            emu.clear_requests()
            again = stack.up()
            assert again.changes == 0 and set(again.ops().values()) == {"same"}, again.ops()
            assert graph_writes(emu) == [], "an up without changes must not write to Graph"

            kind, container, member = case.drift
            admin = OutsideGraph(emu)
            admin.remove_member(container, member, kind=kind)
            drift = stack.refresh()
            assert drift.changes >= 1, "the removal must show as drift"
            assert (kind, container, member) not in memberships(emu.directory()), "refresh must not write"
            stack.up()
            assert (kind, container, member) in memberships(emu.directory())
            assert stack.preview().changes == 0

            admin.remove_member(container, member, kind=kind)
            healed = stack.up(refresh=True)
            assert healed.changes >= 1
            assert (kind, container, member) in memberships(emu.directory())
            assert stack.preview().changes == 0
        finally:
            gone = stack.destroy()
        assert set(gone.ops().values()) == {"delete"}
        # Deleting a resource removes what it manages, adopted or not: the directory is as it was,
        # less the memberships the seed had and the program adopted.
        assert memberships(emu.directory()) == before - case.adopted
