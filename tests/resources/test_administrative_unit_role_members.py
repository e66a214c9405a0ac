"""AdministrativeUnitRoleMembers through the real provider server against the emulator: role
assignments at a unit's scope, adopted, converged, guarded, and checked at preview."""
from __future__ import annotations

import pytest

from .support import graph_writes, new_id, unit_role_holders, users

GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
ASSIGNMENTS = "/roleManagement/directory/roleAssignments"


@pytest.fixture
def world(emu):
    people = users(30)
    w = {"paris": new_id(), "lyon": new_id(), "laptop": new_id(), "sp": new_id(), "admins": new_id(),
         "plain": new_id(), "u": [p["id"] for p in people]}
    emu.seed({
        "users": people,
        "devices": [{"id": w["laptop"], "displayName": "laptop"}],
        "servicePrincipals": [{"id": w["sp"], "displayName": "provisioning"}],
        "groups": [{"id": w["admins"], "displayName": "Paris admins", "mailNickname": "parisadmins",
                    "securityEnabled": True, "isAssignableToRole": True},
                   {"id": w["plain"], "displayName": "Plain", "mailNickname": "plain", "securityEnabled": True}],
        "administrativeUnits": [{"id": w["paris"], "displayName": "Paris"}, {"id": w["lyon"], "displayName": "Lyon"}],
        # u[20] holds the role before Pulumi manages it; u[21] holds another role there.
        "roleAssignments": [
            {"principalId": w["u"][20], "roleDefinitionId": GROUPS_ADMIN,
             "directoryScopeId": f"/administrativeUnits/{w['paris']}"},
            {"principalId": w["u"][21], "roleDefinitionId": HELPDESK_ADMIN,
             "directoryScopeId": f"/administrativeUnits/{w['paris']}"}],
    })
    emu.clear_requests()
    return w


def holders(emu, w, role=GROUPS_ADMIN, unit="paris") -> set[str]:
    return unit_role_holders(emu, w[unit], role)


def batches(emu) -> list[dict]:
    return [r for r in graph_writes(emu) if r["path"].endswith("$batch")]


def test_create_assigns_adopts_and_a_second_preview_changes_nothing(emu, stack, world):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitRoleMembers")
    outs = r.up(administrative_unit_id=paris, role="Groups Administrator",
                member_ids=[u[0], u[1], world["admins"], world["sp"], u[20]])
    assert r.id == f"/directory/administrativeUnits/{paris}/roles/{GROUPS_ADMIN}/members"
    assert outs["role"] == GROUPS_ADMIN
    assert outs["member_ids"] == sorted([u[0], u[1], world["admins"], world["sp"], u[20]])
    assert outs["adopted_member_ids"] == [u[20]]
    assert holders(emu, world) == {u[0], u[1], world["admins"], world["sp"], u[20]}
    assert holders(emu, world, HELPDESK_ADMIN) == {u[21]}  # another role: untouched
    # The same role by template id or in another case is no change.
    for role in (GROUPS_ADMIN, "groups administrator"):
        assert r.preview(administrative_unit_id=paris, role=role,
                         member_ids=[u[20], u[0], u[1], world["admins"], world["sp"]]) == []
        assert r.last_diff.changes == "none"


def test_25_principals_are_assigned_in_two_batches_and_removed_in_two(emu, stack, world):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitRoleMembers")
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=u[0:20] + [world["admins"],
                                                                                           world["sp"]])
    assert len(batches(emu)) == 2 and [w for w in graph_writes(emu) if not w["path"].endswith("$batch")] == []
    emu.clear_requests()
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=u[0:2])
    assert holders(emu, world) == {u[0], u[1], u[20]}  # u[20] was never this resource's
    assert len(batches(emu)) == 1


@pytest.mark.parametrize("role", ["Global Administrator", "Directory Writers", "Privileged Role Administrator",
                                  "62e90394-69f5-4237-9190-012177145e10", "Groups Admin"])
def test_a_role_the_unit_scope_does_not_take_fails_preview_listing_those_it_does(emu, stack, world, role):
    r = stack("AdministrativeUnitRoleMembers")
    failures = r.preview(administrative_unit_id=world["paris"], role=role, member_ids=[world["u"][0]])
    assert [p for p, _ in failures] == ["role"]
    message = failures[0][1]
    for allowed in ("Groups Administrator", "User Administrator", "Helpdesk Administrator", "License Administrator"):
        assert allowed in message
    assert graph_writes(emu) == []


@pytest.mark.parametrize("case, prop, needle", [
    ("device", "member_ids", "is a device"),
    ("plain_group", "member_ids", "not role-assignable"),
    ("ghost", "member_ids", "do not exist"),
    ("ghost_unit", "administrative_unit_id", "does not exist"),
    ("unit_itself", "member_ids", "a unit cannot hold a role"),
])
def test_principals_are_checked_at_preview(emu, stack, world, case, prop, needle):
    paris = world["paris"]
    args = {"device": dict(administrative_unit_id=paris, member_ids=[world["laptop"]]),
            "plain_group": dict(administrative_unit_id=paris, member_ids=[world["plain"]]),
            "ghost": dict(administrative_unit_id=paris, member_ids=[new_id()]),
            "ghost_unit": dict(administrative_unit_id=new_id(), member_ids=[world["u"][0]]),
            "unit_itself": dict(administrative_unit_id=paris, member_ids=[paris])}[case]
    failures = stack("AdministrativeUnitRoleMembers").preview(role="Groups Administrator", **args)
    assert [p for p, _ in failures] == [prop] and needle in failures[0][1], failures
    assert graph_writes(emu) == []


def test_authoritative_unassigns_others_and_refresh_shows_new_ones_as_drift(emu, stack, fresh, world,
                                                                            outside_graph):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitRoleMembers")
    assert r.preview(administrative_unit_id=paris, role="Groups Administrator", member_ids=[u[0]],
                     authoritative=True) == []
    assert r.inputs == {} and holders(emu, world) == {u[20]}  # preview wrote nothing
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=[u[0]], authoritative=True)
    assert holders(emu, world) == {u[0]} and holders(emu, world, HELPDESK_ADMIN) == {u[21]}

    outside_graph.call("POST", ASSIGNMENTS, {"principalId": u[5], "roleDefinitionId": GROUPS_ADMIN,
                                             "directoryScopeId": f"/administrativeUnits/{paris}"})
    before = r.inputs
    srv = fresh()
    _, routs, rins = r.refresh(srv)
    assert routs["member_ids"] == [u[0]] and routs["outside_members_to_remove"] == {u[5]: "roleAssignment"}
    assert srv.diff(r.urn, r.id, routs, before).changes == "some"
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=[u[0]], authoritative=True)
    assert holders(emu, world) == {u[0]}


def test_unassigned_outside_refresh_shrinks_and_up_assigns_back(emu, stack, fresh, world, outside_graph):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitRoleMembers")
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=[u[0], u[1]])
    listed = outside_graph.call("GET", f"{ASSIGNMENTS}?$filter=principalId eq '{u[1]}'").json()["value"]
    outside_graph.call("DELETE", f"{ASSIGNMENTS}/{listed[0]['id']}")
    _, routs, _ = r.refresh(fresh())
    assert routs["member_ids"] == [u[0]]
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=[u[0], u[1]])
    assert r.last_diff.changes == "some" and holders(emu, world) == {u[0], u[1], u[20]}


def test_the_guard_holds_on_update_and_delete(emu, stack, world):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitRoleMembers")
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=u[0:4], protected_member_ids=[u[0]],
         max_removals=2)
    failures = r.preview(administrative_unit_id=paris, role="Groups Administrator", member_ids=[u[0]],
                         protected_member_ids=[u[0]], max_removals=2)
    assert [p for p, _ in failures] == ["max_removals"] and "3 role member" in failures[0][1]
    failures = r.preview(administrative_unit_id=paris, role="Groups Administrator", member_ids=u[0:4],
                         authoritative=True, protected_member_ids=[u[0]], max_removals=0)
    assert [p for p, _ in failures] == ["max_removals"] and u[20] in failures[0][1]  # the adopted-free stranger
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=u[0:4], protected_member_ids=[u[0]],
         max_removals=3)
    r.destroy()
    assert holders(emu, world) == {u[0], u[20]}  # protected, and never managed


def test_role_or_unit_change_replaces_and_delete_is_idempotent(emu, stack, world):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitRoleMembers")
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=[u[0], u[20]])
    assert r.preview(administrative_unit_id=paris, role="Helpdesk Administrator", member_ids=[u[0]]) == []
    assert r.last_diff.replaces == ["role"]
    assert r.preview(administrative_unit_id=world["lyon"], role="Groups Administrator", member_ids=[u[0]]) == []
    assert r.last_diff.replaces == ["administrative_unit_id"]
    r.up(administrative_unit_id=paris, role="Helpdesk Administrator", member_ids=[u[0]])
    assert r.outs["role"] == HELPDESK_ADMIN and holders(emu, world, HELPDESK_ADMIN) == {u[0], u[21]}
    assert holders(emu, world) == set()  # the old resource's delete took the adopted u[20] too
    r.destroy()
    r.destroy()  # already gone
    emu.reset()
    r.destroy()  # the unit is gone too


def test_import_reads_the_role_from_the_id(emu, stack, world):
    paris = world["paris"]
    r = stack("AdministrativeUnitRoleMembers")
    r.id, r.outs = f"/directory/administrativeUnits/{paris}/roles/{GROUPS_ADMIN}/members", {"__provider": r.blob}
    rid, outs, _ = r.refresh()
    assert rid == r.id and outs["role"] == GROUPS_ADMIN and outs["administrative_unit_id"] == paris
    assert outs["member_ids"] == []  # what it manages is what the program then declares (adopted on up)


def test_a_new_role_is_held_at_preview_to_the_guard_the_old_role_was_deployed_with(emu, stack, world):
    """A new role replaces the resource: the old role's assignments go with the old one, under its
    guard, and none of them counts as dropped from the new role's list."""
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitRoleMembers")
    r.up(administrative_unit_id=paris, role="Groups Administrator", member_ids=u[0:3], max_removals=2)
    emu.clear_requests()
    failures = r.preview(administrative_unit_id=paris, role="Helpdesk Administrator", member_ids=[u[0]],
                         max_removals=2)
    assert len(failures) == 1, failures
    message = failures[0][1]
    assert f"AdministrativeUnitRoleMembers /directory/administrativeUnits/{paris}/roles/{GROUPS_ADMIN}/members: " \
           "replacing this resource" in message
    assert "would remove 3 role member(s) from Groups Administrator of administrative unit" in message
    assert "more than max_removals=2" in message
    assert graph_writes(emu) == [] and holders(emu, world) == {u[0], u[1], u[2], u[20]}
