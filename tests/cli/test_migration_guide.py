"""docs/migrating-from-azuread.md, run as written: its programs and commands (the blocks marked
`<!-- rehearsal: NAME -->`, tests/harness/rehearsal.py), step by step, through the real `pulumi`
with pulumi-azuread 6.10.0, against an emulator seeded with the guide's own directory.yaml and
reached through the guide's own exports. After each step: the directory holds every membership
(none removed), and the Graph writes the emulator logged are the ones the guide says (none, or
exactly one refused add per single resource on adoption).

Needs pulumi-azuread's provider plugin 6.10.0 installed for the Pulumi CLI (scripts/azuread-cli.sh
builds and installs it: minutes of Go builds) and the pulumi-azuread Python package 6.10.0 in the
tests' virtualenv, so it skips wherever either is missing, CI included, and says which.
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from harness import rehearsal
from harness.cli import ShellStack
from lifecycle.conftest import graph_writes, memberships

AZUREAD = "6.10.0"


def _missing() -> str | None:
    plugin = rehearsal.pulumi_home() / "plugins" / f"resource-azuread-v{AZUREAD}" / "pulumi-resource-azuread"
    if not plugin.exists():
        return (f"pulumi-azuread's provider plugin {AZUREAD} is not installed for the Pulumi CLI ({plugin} is "
                "missing; scripts/azuread-cli.sh builds and installs it)")
    try:
        have = metadata.version("pulumi-azuread")
    except metadata.PackageNotFoundError:
        return f"the pulumi-azuread Python package is not installed (pip install 'pulumi-azuread=={AZUREAD}')"
    if have != AZUREAD:
        return f"pulumi-azuread {have} is installed; the guide is tested with {AZUREAD}"
    return None


pytestmark = [pytest.mark.cli, pytest.mark.slow, pytest.mark.skipif(_missing() is not None, reason=_missing() or "")]


class Rehearsal:
    """The guide's project: one stack, a program swapped in per step, the request log per step."""

    def __init__(self, emu, found: dict[str, str], tmp_path: Path):
        self.emu, self.found = emu, found
        self.work = tmp_path / rehearsal.PROJECT
        self.work.mkdir()
        (self.work / "Pulumi.yaml").write_text(f"name: {rehearsal.PROJECT}\nruntime:\n  name: python\n")
        self.stack = ShellStack(emu, self.work, {**ShellStack.env_for(emu, tmp_path),
                                                 **rehearsal.emulator_exports(found, emu)}, rehearsal.STACK)

    def program(self, name: str) -> None:
        (self.work / "__main__.py").write_text(self.found[name])
        self.emu.clear_requests()

    def urns(self) -> set[str]:
        return {r["urn"] for r in self.stack.export().get("resources", [])}

    def outputs(self, name: str, type_prefix: str = "pulumi-python:dynamic") -> dict:
        """The outputs in state of the resource `name` (ours, unless another type is named)."""
        [res] = [r for r in self.stack.export()["resources"]
                 if r["urn"].endswith(f"::{name}") and r["type"].startswith(type_prefix)]
        return res.get("outputs", {})


def writes(emu) -> list[tuple[str, str, int]]:
    return [(e["method"], e["path"].split("?")[0], e["status"]) for e in graph_writes(emu)]


def test_the_guide_moves_every_membership_to_this_package_and_removes_none(tmp_path):
    from msgraph_membership.emulator.process import start_emulator

    found = rehearsal.blocks()
    seed = rehearsal.seed(found)
    ids = rehearsal.ids_by_name(seed)
    alice, bob, admins, paris = ids["Alice"], ids["Bob"], ids["Admins"], ids["Paris"]
    with start_emulator(seed=seed) as emu:
        r = Rehearsal(emu, found, tmp_path)

        # Before: pulumi-azuread creates the group with its members and the two memberships.
        r.program("before.py")
        assert r.stack.up().counts == {"create": 3}
        devs = next(g["id"] for g in emu.directory()["groups"] if g["displayName"] == "Developers")
        held = {("groups", devs, alice), ("groups", devs, bob), ("groups", admins, alice),
                ("administrativeUnits", paris, bob)}
        assert memberships(emu.directory()) == held

        # Step 1, the first way: `pulumi state delete` with the guide's URN; no Graph request at all.
        urn = rehearsal.state_delete_urn(found)
        assert urn in r.stack.run("stack", "--show-urns").stdout  # where the guide says to find it
        emu.clear_requests()
        r.stack.run("state", "delete", urn, "--yes")
        assert urn not in r.urns()
        assert [e for e in emu.requests() if e.get("kind") == "graph"] == []

        # The second way, and `members=` gone: preview shows no change to the group; up writes nothing.
        r.program("step-1.py")
        plan = r.stack.preview()
        assert plan.ops()["devs"] == "same", plan.stdout
        assert "alice-admins" not in plan.ops()
        r.stack.up()
        assert writes(emu) == [] and memberships(emu.directory()) == held
        assert r.outputs("bob-paris", "azuread:")  # still in state, now retained

        r.program("step-1-done.py")
        done = r.stack.up()
        assert done.ops()["bob-paris"] == "delete" and done.ops()["devs"] == "same"
        assert writes(emu) == [] and memberships(emu.directory()) == held
        assert not [u for u in r.urns() if "Member" in u], "no azuread membership left in state"

        # Steps 2 and 3: preview shows the creates and writes nothing; up adopts. The batch resource
        # sends no write; each single one sends its add, which Graph refuses as already there.
        r.program("step-2.py")
        plan = r.stack.preview()
        assert {k: v for k, v in plan.ops().items() if k != "devs"} == {
            "alice-admins": "create", "bob-paris": "create", "devs-members": "create"}
        assert plan.ops()["devs"] == "same" and writes(emu) == []
        emu.clear_requests()
        up = r.stack.up()
        assert up.counts == {"create": 3, "same": 1}
        assert sorted(writes(emu)) == [("POST", f"/v1.0/directory/administrativeUnits/{paris}/members/$ref", 400),
                                       ("POST", f"/v1.0/groups/{admins}/members/$ref", 400)]
        assert memberships(emu.directory()) == held
        assert r.outputs("alice-admins")["adopted"] is True
        assert r.outputs("bob-paris")["adopted"] is True
        assert sorted(r.outputs("devs-members")["adopted_member_ids"]) == sorted([alice, bob])

        # Step 4: up again changes nothing and writes nothing.
        emu.clear_requests()
        again = r.stack.up()
        assert again.changes == 0 and writes(emu) == []
        assert memberships(emu.directory()) == held
