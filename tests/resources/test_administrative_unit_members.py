"""AdministrativeUnitMembers through the real provider server against the emulator."""
from __future__ import annotations

import pytest

from .support import graph_writes, new_id, unit_members, users

UNITS = "/directory/administrativeUnits"


@pytest.fixture
def world(emu):
    people = users(80)
    w = {"paris": new_id(), "lyon": new_id(), "laptop": new_id(), "sp": new_id(),
         "u": [p["id"] for p in people]}
    emu.seed({
        "users": people,
        "devices": [{"id": w["laptop"], "displayName": "laptop"}],
        "servicePrincipals": [{"id": w["sp"], "displayName": "pipeline"}],
        # u[70..71] are in the unit before Pulumi manages it: strangers, or adopted when listed.
        "administrativeUnits": [{"id": w["paris"], "displayName": "Paris", "members": w["u"][70:72]},
                                {"id": w["lyon"], "displayName": "Lyon"}],
    })
    emu.clear_requests()
    return w


def batches(emu) -> list[dict]:
    return [r for r in graph_writes(emu) if r["path"].endswith("$batch")]


def test_create_adds_members_and_adopts_the_ones_already_there(emu, stack, world):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitMembers")
    outs = r.up(administrative_unit_id=paris, member_ids=[u[2], u[1], u[0], u[70], u[0].upper(), world["laptop"]])
    assert r.id == f"/directory/administrativeUnits/{paris}/members"
    assert outs["member_ids"] == sorted([u[0], u[1], u[2], u[70], world["laptop"]])
    assert outs["adopted_member_ids"] == [u[70]]
    assert unit_members(emu, paris) == {u[0], u[1], u[2], u[70], u[71], world["laptop"]}  # u[71] not ours: kept
    assert r.preview(administrative_unit_id=paris, member_ids=[u[0], u[1], u[2], u[70], world["laptop"]]) == []
    assert r.last_diff.changes == "none"


def test_one_update_adds_45_and_removes_30_in_batches_of_20(emu, stack, world):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitMembers")
    r.up(administrative_unit_id=paris, member_ids=u[0:35])
    emu.clear_requests()

    outs = r.up(administrative_unit_id=paris, member_ids=u[30:35] + u[35:80])
    assert r.last_diff.changes == "some" and r.last_diff.replaces == []
    assert outs["member_ids"] == sorted(u[30:80])
    assert unit_members(emu, paris) == set(u[30:80])
    # units take one member per request: 45 adds in 3 $batch calls, 30 removals in 2
    assert len(batches(emu)) == 5
    assert [w for w in graph_writes(emu) if not w["path"].endswith("$batch")] == []


def test_authoritative_removes_strangers_and_refresh_shows_new_ones_as_drift(emu, stack, fresh, world, outside_graph):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitMembers")
    outs = r.up(administrative_unit_id=paris, member_ids=[u[0], u[1]], authoritative=True)
    assert outs["member_ids"] == sorted([u[0], u[1]])
    assert unit_members(emu, paris) == {u[0], u[1]}  # u[70], u[71] removed

    outside_graph.add(f"{UNITS}/{paris}", u[5])
    before = r.inputs
    srv = fresh()
    _, routs, rins = r.refresh(srv)
    # The stranger is drift (the engine diffs the refreshed outputs against the last inputs), and
    # is kept out of member_ids: the resource still manages only what it declared.
    assert routs["member_ids"] == sorted([u[0], u[1]]) and rins["member_ids"] == routs["member_ids"]
    assert routs["outside_members_to_remove"] == {u[5]: "user"} and "outside_members_to_remove" not in rins
    assert srv.diff(r.urn, r.id, routs, before).changes == "some"
    r.up(administrative_unit_id=paris, member_ids=[u[0], u[1]], authoritative=True)
    assert r.last_diff.changes == "some"
    assert unit_members(emu, paris) == {u[0], u[1]}


def test_removed_outside_refresh_shrinks_and_up_adds_back(emu, stack, fresh, world, outside_graph):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitMembers")
    r.up(administrative_unit_id=paris, member_ids=[u[0], u[1], u[2]])
    outside_graph.remove(f"{UNITS}/{paris}", u[1])

    _, routs, _ = r.refresh(fresh())
    assert routs["member_ids"] == sorted([u[0], u[2]])
    r.up(administrative_unit_id=paris, member_ids=[u[0], u[1], u[2]])
    assert r.last_diff.changes == "some" and r.last_diff.replaces == []
    assert {u[0], u[1], u[2]} <= unit_members(emu, paris)


def test_a_half_done_apply_converges_on_the_next_up(emu, stack, world, outside_graph):
    """Some adds already happened (say the last apply was killed): the next apply starts from
    the directory's actual state and does only the rest."""
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitMembers")
    r.up(administrative_unit_id=paris, member_ids=[u[0]])
    for m in u[1:4]:
        outside_graph.add(f"{UNITS}/{paris}", m)
    emu.clear_requests()
    outs = r.up(administrative_unit_id=paris, member_ids=u[0:6])
    assert outs["member_ids"] == sorted(u[0:6]) and unit_members(emu, paris) >= set(u[0:6])
    assert len(batches(emu)) == 1  # only u[4], u[5] were sent


def test_unit_change_replaces(stack, world):
    r = stack("AdministrativeUnitMembers")
    r.up(administrative_unit_id=world["paris"], member_ids=[world["u"][0]])
    assert r.preview(administrative_unit_id=world["lyon"], member_ids=[world["u"][0]]) == []
    assert r.last_diff.replaces == ["administrative_unit_id"]


def test_delete_removes_adopted_members_too_and_again_succeeds(emu, stack, world):
    u, paris = world["u"], world["paris"]
    r = stack("AdministrativeUnitMembers")
    r.up(administrative_unit_id=paris, member_ids=[u[0], u[70]])
    r.destroy()
    assert unit_members(emu, paris) == {u[71]}
    r.destroy()  # already gone
    emu.reset()
    r.destroy()  # the unit is gone too


@pytest.mark.parametrize("case, prop, needle", [
    ("bad_guid", "member_ids", "[1]"),
    ("not_a_list", "member_ids", "must be a list"),
    ("ghost_member", "member_ids", "do not exist"),
    ("ghost_unit", "administrative_unit_id", "does not exist"),
    ("sp", "member_ids", "servicePrincipal"),
    ("authoritative", "authoritative", "true or false"),
])
def test_preview_fails_naming_the_argument_and_writes_nothing(emu, stack, world, case, prop, needle):
    u, paris = world["u"], world["paris"]
    args = {
        "bad_guid": dict(administrative_unit_id=paris, member_ids=[u[0], "bob"]),
        "not_a_list": dict(administrative_unit_id=paris, member_ids=u[0]),
        "ghost_member": dict(administrative_unit_id=paris, member_ids=[u[0], new_id()]),
        "ghost_unit": dict(administrative_unit_id=new_id(), member_ids=[u[0]]),
        "sp": dict(administrative_unit_id=paris, member_ids=[world["sp"]]),
        "authoritative": dict(administrative_unit_id=paris, member_ids=[u[0]], authoritative="yes please"),
    }[case]
    failures = stack("AdministrativeUnitMembers").preview(**args)
    assert [p for p, _ in failures] == [prop], failures
    assert needle in failures[0][1]
    assert graph_writes(emu) == []
