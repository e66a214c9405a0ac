"""`GroupOwners` and `GroupOwner` through the real `pulumi` (inline programs) against the emulator,
whose directory is the ground truth: preview, up, refresh with an owner added by hand, destroy,
and Graph's refusal to remove a group's last owner: caught at preview before any write on an
update; on a destroy (no preview) the last owner stays, with a warning.
"""
from __future__ import annotations

import uuid

import pulumi
import pytest

from harness.cli import CliStack, StackError
from harness.emulated import emulator_fixtures
from harness.outside import OutsideGraph
from lifecycle.conftest import graph_writes

pytestmark = pytest.mark.cli


def oid(tag: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"group-owners-cli-{tag}"))


A, B, C, D, E = (oid(f"user-{n}") for n in "abcde")
NAMES = {A: "alice", B: "bob", C: "carol", D: "dave", E: "eve"}
BUILD_SP = oid("build-sp")
DEVS, OPS, SOLO = oid("developers"), oid("ops"), oid("solo")


def seed() -> dict:
    sec = {"securityEnabled": True, "mailEnabled": False, "groupTypes": []}
    # alice owns each group before Pulumi manages any of them
    return {"users": [{"id": u, "displayName": n, "userPrincipalName": f"{n}@contoso.test"} for u, n in NAMES.items()],
            "servicePrincipals": [{"id": BUILD_SP, "displayName": "build pipeline", "appId": oid("build-app")}],
            "groups": [{"id": g, "displayName": n, "mailNickname": n.lower(), "owners": [A], **sec}
                       for g, n in ((DEVS, "Developers"), (OPS, "Ops"), (SOLO, "Solo"))]}


emu, fresh = emulator_fixtures(seed)


def owners_of(emu, group: str) -> set[str]:
    return set(next(g for g in emu.directory()["groups"] if g["id"] == group).get("owners", []))


def said(err: pytest.ExceptionInfo) -> str:
    s = err.value.summary
    return "\n".join([str(err.value), s.stdout, s.stderr, *s.diagnostics])


def test_owners_preview_up_refresh_with_drift_and_destroy(fresh, tmp_path):
    from msgraph_membership import GroupOwner, GroupOwners

    def program():
        GroupOwners("devs-owners", group_id="group:Developers", owner_ids=["bob@contoso.test", C, "sp:build pipeline"],
                    authoritative=True)
        GroupOwner("eve-owns-ops", group_id=OPS, owner_id="eve@contoso.test")

    stack = CliStack.inline(fresh, "owners-life", program, tmp_path)
    preview = stack.preview()
    assert preview.ops() == {"devs-owners": "create", "eve-owns-ops": "create"}
    assert graph_writes(fresh) == []

    up = stack.up()
    assert up.counts == {"create": 2}
    assert owners_of(fresh, DEVS) == {B, C, BUILD_SP}  # alice, outside the list, removed (authoritative)
    assert owners_of(fresh, OPS) == {A, E}
    outs = up.step("devs-owners").new
    assert outs["owner_ids"] == sorted([B, C, BUILD_SP]) and outs["adopted_owner_ids"] == []
    assert up.step("eve-owns-ops").new["owner_type"] == "user"
    assert stack.preview().changes == 0

    # An owner added by hand is drift for the authoritative resource, named in its outputs.
    OutsideGraph(fresh).call("POST", f"/groups/{DEVS}/owners/$ref",
                             {"@odata.id": f"{OutsideGraph(fresh).base}/directoryObjects/{D}"})
    drift = stack.refresh()
    assert drift.ops() == {"devs-owners": "update", "eve-owns-ops": "same"}
    after = drift.step("devs-owners").new
    assert after["owner_ids"] == sorted([B, C, BUILD_SP]) and after["outside_owners_to_remove"] == {D: "user"}

    # Destroy removes what the resources manage; dave (hand-added) and alice (Ops) keep each group owned.
    stack.destroy()
    assert owners_of(fresh, DEVS) == {D} and owners_of(fresh, OPS) == {A}
    assert stack.resources() == []


def test_removing_the_last_owner_is_refused_at_preview_naming_the_group_and_owner(fresh, tmp_path):
    from msgraph_membership import GroupOwners

    spec = {"owners": [A]}

    def program():
        GroupOwners("solo-owners", group_id=SOLO, owner_ids=spec["owners"])

    stack = CliStack.inline(fresh, "owners-last", program, tmp_path)
    up = stack.up()
    assert up.step("solo-owners").new["adopted_owner_ids"] == [A]

    spec["owners"] = []
    fresh.clear_requests()
    with pytest.raises(StackError) as refused:
        stack.preview()
    text = said(refused)
    assert f"group {SOLO} (Solo) would be left without owners" in text and A in text, text[-3000:]
    assert "Graph refuses to remove a group's last owner" in text and "protected_owner_ids" in text
    with pytest.raises(StackError) as again:
        stack.up()
    assert "would be left without owners" in said(again)
    assert graph_writes(fresh) == [] and owners_of(fresh, SOLO) == {A}

    # Another owner first, in the same run: the new one is added, then alice goes.
    spec["owners"] = [B]
    assert stack.preview().ops() == {"solo-owners": "update"}
    stack.up()
    assert owners_of(fresh, SOLO) == {B}

    # A destroy has no preview, and deleting a group takes its owners along: the last owner stays,
    # and the warning names the group and the owner.
    gone = stack.destroy()
    assert gone.ops() == {"solo-owners": "delete"} and owners_of(fresh, SOLO) == {B}
    text = "\n".join([gone.stdout, *gone.diagnostics])
    assert f"group {SOLO} (Solo): {B} stays its owner" in text, text[-3000:]
