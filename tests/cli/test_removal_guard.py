"""Every path that removes memberships, through the real `pulumi` (inline programs), with the
emulator's directory as the ground truth (docs/resources.md, "The guard against mass removal" and
"What a resource manages"):

- `max_removals` holds on destroy, on removal from the program and on a replacement (a changed
  `group_id` / `member_id`): the refusal names the resource, the count and the members, and
  nothing is written; `retain_on_delete` and raising the limit first are the ways through;
- a refresh of an authoritative resource shows members added by hand as drift without making
  them its own: turning `authoritative` off, or destroying, leaves them;
- after a failed update, rolling the program back converges with `authoritative=True`, and
  without it leaves exactly what docs/guarantees.md says;
- an `AdministrativeUnitGroup` adopted by its unique name takes the declared properties in the
  same run.
"""
from __future__ import annotations

import uuid

import pulumi
import pytest

from harness.cli import UNKNOWN, CliStack, StackError
from harness.emulated import emulator_fixtures, members_of
from harness.outside import OutsideGraph
from lifecycle.conftest import graph_writes

pytestmark = pytest.mark.cli


def oid(tag: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"removal-guard-{tag}"))


A, B, C, D, E = (oid(f"user-{n}") for n in "abcde")
NAMES = {A: "alice", B: "bob", C: "carol", D: "dave", E: "eve"}
DEVS, OPS, UNIT = oid("developers"), oid("ops"), oid("unit")
NOBODY = oid("nobody")  # an id no object has
LIMITED = {"client_id": oid("limited-app"), "client_secret": "limited-app-secret-" + oid("s")[:8],
           "roles": ["GroupMember.ReadWrite.All"]}  # no Directory.Read.All: members are judged on write


def seed() -> dict:
    return {"users": [{"id": u, "displayName": n, "userPrincipalName": f"{n}@contoso.test"} for u, n in NAMES.items()],
            "groups": [{"id": g, "displayName": n, "mailNickname": n.lower(), "securityEnabled": True,
                        "mailEnabled": False, "groupTypes": []} for g, n in ((DEVS, "Developers"), (OPS, "Ops"))],
            "administrativeUnits": [{"id": UNIT, "displayName": "Guarded unit"}]}


emu, fresh = emulator_fixtures(seed)


def said(err: pytest.ExceptionInfo) -> str:
    s = err.value.summary
    return "\n".join([str(err.value), s.stdout, s.stderr, *s.diagnostics])


def assert_refusal(text: str, resource: str, count: int, ids, *, action: str) -> None:
    """The refusal names the resource (as Pulumi shows it), what it would do, how many and which."""
    assert f"GroupMembers ({resource})" in text or f"MemberOf ({resource})" in text, text[-3000:]
    assert f"{action} would remove {count} " in text, text[-3000:]
    assert all(i in text for i in ids), text[-3000:]


# -- 1. max_removals on every delete -------------------------------------------------------------------

def test_destroy_and_removal_from_the_program_are_held_to_max_removals(fresh, tmp_path):
    from msgraph_membership import GroupMembers

    spec = {"declared": True, "retain": False}

    def program():
        if spec["declared"]:
            GroupMembers("team", group_id="group:Developers", member_ids=[A, B, C], max_removals=0,
                         opts=pulumi.ResourceOptions(retain_on_delete=spec["retain"]))

    stack = CliStack.inline(fresh, "guard-destroy", program, tmp_path)
    stack.up()
    assert members_of(fresh, DEVS) == {A, B, C}

    fresh.clear_requests()
    with pytest.raises(StackError) as refused:
        stack.destroy()
    text = said(refused)
    assert_refusal(text, "team", 3, [A, B, C], action="deleting this resource")
    assert "retain_on_delete" in text and "raise or unset max_removals" in text
    assert graph_writes(fresh) == [] and members_of(fresh, DEVS) == {A, B, C}

    # Dropped from the program (the refactoring accident): the same refusal, nothing removed.
    spec["declared"] = False
    with pytest.raises(StackError) as dropped:
        stack.up()
    assert_refusal(said(dropped), "team", 3, [A, B, C], action="deleting this resource")
    assert graph_writes(fresh) == [] and members_of(fresh, DEVS) == {A, B, C}

    # The way out the message names: retain_on_delete, deployed first, then the removal goes
    # through and the members stay.
    spec.update(declared=True, retain=True)
    stack.up()
    spec["declared"] = False
    assert stack.up().counts == {"delete": 1}
    assert stack.resources() == [] and members_of(fresh, DEVS) == {A, B, C}


def test_a_raised_limit_deployed_first_lets_destroy_remove_them(fresh, tmp_path):
    from msgraph_membership import MemberOf

    spec = {"max": 1}

    def program():
        MemberOf("alice-groups", member_id=A, group_ids=[DEVS, OPS], max_removals=spec["max"])

    stack = CliStack.inline(fresh, "guard-raise", program, tmp_path)
    stack.up()
    with pytest.raises(StackError) as refused:
        stack.destroy()
    assert_refusal(said(refused), "alice-groups", 2, [DEVS, OPS], action="deleting this resource")
    assert A in members_of(fresh, DEVS) and A in members_of(fresh, OPS)
    spec["max"] = 2
    assert stack.up().ops() == {"alice-groups": "update"}
    stack.destroy()
    assert A not in members_of(fresh, DEVS) | members_of(fresh, OPS)


# -- 1. max_removals on a replacement: known at preview ------------------------------------------------

def test_a_changed_group_id_over_max_removals_fails_at_preview(fresh, tmp_path):
    from msgraph_membership import GroupMembers

    spec = {"group": "group:Developers", "max": 0}

    def program():
        GroupMembers("team", group_id=spec["group"], member_ids=[A, B, C], max_removals=spec["max"])

    stack = CliStack.inline(fresh, "guard-replace", program, tmp_path)
    stack.up()
    spec["group"] = "group:Ops"
    fresh.clear_requests()
    with pytest.raises(StackError) as refused:
        stack.preview()
    text = said(refused)
    assert_refusal(text, "team", 3, [A, B, C], action="replacing this resource (group_id changed)")
    assert f"group {DEVS}" in text and "before changing group_id" in text
    with pytest.raises(StackError):
        stack.up()  # the same check runs at up: nothing is created, nothing removed
    assert graph_writes(fresh) == []
    assert members_of(fresh, DEVS) == {A, B, C} and members_of(fresh, OPS) == set()

    # Raising the limit in its own run first (an in-place update, no write), then the move.
    spec.update(group="group:Developers", max=3)
    assert stack.up().ops() == {"team": "update"} and graph_writes(fresh) == []
    spec["group"] = "group:Ops"
    plan = stack.preview()
    assert plan.ops() == {"team": "replace"}
    # The engine's short diff names what the program changed (the name's id map is kept out).
    rows = [ln for ln in plan.stdout.splitlines() if "[diff: " in ln]
    assert rows and all("[diff: ~group_id]" in ln for ln in rows), plan.stdout
    stack.up()
    assert members_of(fresh, DEVS) == set() and members_of(fresh, OPS) == {A, B, C}


def test_a_changed_member_id_of_member_of_over_max_removals_fails_at_preview(fresh, tmp_path):
    from msgraph_membership import MemberOf

    spec = {"member": A}

    def program():
        MemberOf("groups", member_id=spec["member"], group_ids=[DEVS, OPS], max_removals=0)

    stack = CliStack.inline(fresh, "guard-replace-member", program, tmp_path)
    stack.up()
    spec["member"] = B
    fresh.clear_requests()
    with pytest.raises(StackError) as refused:
        stack.preview()
    assert_refusal(said(refused), "groups", 2, [DEVS, OPS], action="replacing this resource (member_id changed)")
    assert graph_writes(fresh) == []
    assert A in members_of(fresh, DEVS) and A in members_of(fresh, OPS)


# -- 2. a refresh does not make members added by hand managed ----------------------------------------

def test_a_refreshed_authoritative_resource_never_takes_hand_added_members_for_its_own(fresh, tmp_path):
    from msgraph_membership import GroupMembers

    spec = {"auth": True}

    def program():
        GroupMembers("devs", group_id=DEVS, member_ids=[A, B], authoritative=spec["auth"])

    stack = CliStack.inline(fresh, "guard-refresh", program, tmp_path)
    stack.up()
    OutsideGraph(fresh).add_member(DEVS, C)
    drift = stack.refresh()
    assert drift.ops() == {"devs": "update"}, "a member added by hand is drift for an authoritative resource"
    after = drift.step("devs").new
    assert after["member_ids"] == sorted([A, B]) and after["outside_members_to_remove"] == {C: "user"}

    # Authoritative turned off: the resource never claimed carol, so the update leaves her.
    spec["auth"] = False
    stack.up()
    assert members_of(fresh, DEVS) == {A, B, C}
    # ... and so does a destroy.
    stack.destroy()
    assert members_of(fresh, DEVS) == {C}


def test_refresh_then_destroy_of_an_authoritative_resource_leaves_hand_added_members(fresh, tmp_path):
    from msgraph_membership import GroupMembers

    def program():
        GroupMembers("devs", group_id=DEVS, member_ids=[A, B], authoritative=True)

    stack = CliStack.inline(fresh, "guard-refresh-destroy", program, tmp_path)
    stack.up()
    OutsideGraph(fresh).add_member(DEVS, D)
    assert stack.refresh().ops() == {"devs": "update"}
    stack.destroy()
    assert members_of(fresh, DEVS) == {D}


# -- 4. rolling back after a failed update -------------------------------------------------------------

def failing_stack(fresh, tmp_path, name: str, spec: dict) -> CliStack:
    """A stack whose app lacks Directory.Read.All, so an id that names nothing passes preview
    (with a warning) and fails at write: a real update that fails halfway."""
    from msgraph_membership import GroupMembers

    def program():
        GroupMembers("team", group_id=DEVS, member_ids=spec["members"], authoritative=spec["auth"])

    fresh.seed({"apps": [LIMITED]})
    return CliStack.inline(fresh, name, program, tmp_path,
                           env={"ARM_CLIENT_ID": LIMITED["client_id"], "ARM_CLIENT_SECRET": LIMITED["client_secret"]})


@pytest.mark.parametrize("auth, failing, left", [
    (True, [A, B, C, NOBODY], {A, B, C}),   # the failed run added bob and carol and removed eve
    (True, [A, NOBODY], {A}),               # ... or only removed eve: nothing outside the list
    (False, [A, B, C, NOBODY], {A, B, C}),
], ids=["authoritative", "authoritative-only-removed", "not-authoritative"])
def test_rolling_back_after_a_failed_update(fresh, tmp_path, auth, failing, left):
    spec = {"members": [A, E], "auth": auth}
    stack = failing_stack(fresh, tmp_path, f"rollback-{auth}-{len(failing)}", spec)
    stack.up()
    spec["members"] = failing
    with pytest.raises(StackError) as failed:
        stack.up()
    assert NOBODY in said(failed)
    assert members_of(fresh, DEVS) == left, "the failed update did the rest of its work"

    spec["members"] = [A, E]
    if auth:
        # Its preview lists the group: members outside the list, or a declared one missing, make
        # it an update, which converges exactly.
        assert stack.up().ops() == {"team": "update"}
        assert members_of(fresh, DEVS) == {A, E}
        assert stack.up().changes == 0
    else:
        # Nothing records what a failed run added: without a refresh the state still matches the
        # program; a refresh finds eve missing and `up` adds her back; bob and carol stay, as
        # members added by hand would (docs/guarantees.md, "Partial failure").
        assert stack.up().changes == 0
        assert members_of(fresh, DEVS) == {A, B, C}
        stack.up(refresh=True)
        assert members_of(fresh, DEVS) == {A, B, C, E}
        assert stack.up().changes == 0
    stack.destroy()
    assert members_of(fresh, DEVS) == (set() if auth else {B, C})


# -- 3. adoption by unique name -----------------------------------------------------------------------

def test_a_unit_group_adopted_by_its_unique_name_takes_the_declared_properties(fresh, tmp_path):
    from msgraph_membership import AdministrativeUnitGroup

    spec = {"name": "Alpha", "description": "one"}

    def program():
        g = AdministrativeUnitGroup("team", administrative_unit_id=UNIT, display_name=spec["name"],
                                    mail_nickname="guarded-team", description=spec["description"])
        pulumi.export("group", g.group_id)
        pulumi.export("mail_nickname", g.mail_nickname)
        pulumi.export("sid", g.security_identifier)
        pulumi.export("mail", g.mail)  # a security group has none: null

    stack = CliStack.inline(fresh, "adopt-group", program, tmp_path)
    first = stack.up().outputs["group"]
    # An unchanged group previews the outputs that have a value as they are; a null one shows
    # as unknown, which Pulumi's Python SDK does for any null output in a preview (docs/resources.md).
    plan = stack.preview()
    assert plan.ops() == {"team": "same"} and plan.changes == 0
    known = {k: v for k, v in plan.planned_outputs.items() if k != "mail"}
    assert UNKNOWN not in repr(known) and known["group"] == first, plan.planned_outputs
    assert plan.planned_outputs["mail"] == UNKNOWN
    [res] = stack.resources()
    stack.pulumi("state", "delete", res["urn"], "--yes")

    spec.update(name="Beta", description="two")
    res = stack.up()
    assert res.ops() == {"team": "create"} and res.outputs["group"] == first
    text = res.stdout + res.stderr + "\n".join(res.diagnostics)
    assert f"adopted group {first}" in text and "created group" not in text
    [group] = [g for g in fresh.directory()["groups"] if g.get("mailNickname") == "guarded-team"]
    assert (group["displayName"], group.get("description")) == ("Beta", "two")
    assert stack.preview().changes == 0
    stack.destroy()
