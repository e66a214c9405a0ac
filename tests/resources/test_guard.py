"""The guard against mass removal (`protected_*_ids`, `max_removals`, and what authoritative=True
would remove, shown at preview) through the real provider server against the emulator."""
from __future__ import annotations

import pytest

from .support import graph_writes, group_members, groups_of, new_id, unit_members, users


@pytest.fixture
def world(emu):
    people = users(40)
    w = {"devs": new_id(), "paris": new_id(), "groups": [new_id() for _ in range(8)],
         "u": [p["id"] for p in people]}
    emu.seed({
        "users": people,
        # u[30..33] are in the group and the unit before Pulumi manages them.
        "groups": [{"id": w["devs"], "displayName": "Devs", "mailNickname": "devs", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": [], "members": w["u"][30:34]}]
                  + [{"id": g, "displayName": f"team {i}", "mailNickname": f"team{i}", "securityEnabled": True,
                      "mailEnabled": False, "groupTypes": []} for i, g in enumerate(w["groups"])],
        "administrativeUnits": [{"id": w["paris"], "displayName": "Paris", "members": w["u"][30:34]}],
    })
    emu.clear_requests()
    return w


CONTAINERS = [("GroupMembers", "group_id", "devs", group_members),
              ("AdministrativeUnitMembers", "administrative_unit_id", "paris", unit_members)]

CONTAINER_PATH = {"GroupMembers": "/groups/", "AdministrativeUnitMembers": "/directory/administrativeUnits/"}


def reasons(failures, prop):
    return [r for p, r in failures if p == prop]


@pytest.mark.parametrize("type_name, arg, key, members", CONTAINERS)
def test_max_removals_stops_a_shrinking_list_at_preview_naming_how_many(emu, stack, world, type_name, arg, key,
                                                                           members):
    u, cid = world["u"], world[key]
    r = stack(type_name)
    r.up(**{arg: cid}, member_ids=u[0:20], max_removals=5)
    emu.clear_requests()

    failures = r.preview(**{arg: cid}, member_ids=u[0:12], max_removals=5)
    [reason] = reasons(failures, "max_removals")
    assert "would remove 8 member(s)" in reason and "max_removals=5" in reason
    removed = sorted(u[12:20])
    assert all(m in reason for m in removed[:5]) and not any(m in reason for m in removed[5:])  # the first few
    assert graph_writes(emu) == []
    # Within the limit it goes through, and the removed ones are gone.
    r.up(**{arg: cid}, member_ids=u[0:15], max_removals=5)
    assert members(emu, cid) == set(u[0:15]) | set(u[30:34])


@pytest.mark.parametrize("type_name, arg, key, members", CONTAINERS)
def test_an_emptied_list_fails_preview_with_max_removals_0(emu, stack, world, type_name, arg, key, members):
    u, cid = world["u"], world[key]
    r = stack(type_name)
    r.up(**{arg: cid}, member_ids=u[0:3], max_removals=0)
    [reason] = reasons(r.preview(**{arg: cid}, member_ids=[], max_removals=0), "max_removals")
    assert "would remove 3 member(s)" in reason
    assert members(emu, cid) == set(u[0:3]) | set(u[30:34])


@pytest.mark.parametrize("type_name, arg, key, members", CONTAINERS)
def test_authoritative_preview_names_the_outside_members_and_up_removes_them(emu, stack, world, type_name, arg,
                                                                             key, members):
    u, cid = world["u"], world[key]
    r = stack(type_name)
    r.up(**{arg: cid}, member_ids=u[0:5])
    assert members(emu, cid) == set(u[0:5]) | set(u[30:34])
    emu.clear_requests()

    assert r.preview(**{arg: cid}, member_ids=u[0:5], authoritative=True) == []
    inputs, _ = r.server.check(r.urn, r.inputs, r.news({arg: cid, "member_ids": u[0:5], "authoritative": True}))
    assert sorted(inputs["outside_members_to_remove"]) == sorted(u[30:34])
    assert set(inputs["outside_members_to_remove"].values()) == {"user"}
    assert graph_writes(emu) == []  # preview removed nothing
    r.up(**{arg: cid}, member_ids=u[0:5], authoritative=True)
    assert members(emu, cid) == set(u[0:5])
    # Nothing outside any more: the next preview shows no change.
    assert r.preview(**{arg: cid}, member_ids=u[0:5], authoritative=True) == []
    assert r.last_diff.changes == "none"


@pytest.mark.parametrize("type_name, arg, key, members", CONTAINERS)
def test_authoritative_with_outside_members_shows_a_change_even_with_the_same_list(emu, stack, world, type_name,
                                                                                   arg, key, members, outside_graph):
    u, cid = world["u"], world[key]
    r = stack(type_name)
    r.up(**{arg: cid}, member_ids=u[0:5], authoritative=True)
    assert members(emu, cid) == set(u[0:5])
    outside_graph.add(CONTAINER_PATH[type_name] + cid, u[20])
    assert r.preview(**{arg: cid}, member_ids=u[0:5], authoritative=True) == []
    assert r.last_diff.changes == "some"
    r.up(**{arg: cid}, member_ids=u[0:5], authoritative=True)
    assert members(emu, cid) == set(u[0:5])


@pytest.mark.parametrize("type_name, arg, key, members", CONTAINERS)
def test_authoritative_counts_outside_members_against_max_removals(emu, stack, world, type_name, arg, key, members):
    u, cid = world["u"], world[key]
    r = stack(type_name)
    r.up(**{arg: cid}, member_ids=u[0:5])
    emu.clear_requests()
    failures = r.preview(**{arg: cid}, member_ids=u[0:3], authoritative=True, max_removals=5)
    [reason] = reasons(failures, "max_removals")
    assert "would remove 6 member(s)" in reason  # u[3], u[4] dropped, and the 4 outside
    assert graph_writes(emu) == []


@pytest.mark.parametrize("type_name, arg, key, members", CONTAINERS)
def test_protected_members_survive_authoritative_update_and_destroy(emu, stack, world, type_name, arg, key, members):
    u, cid = world["u"], world[key]
    keep = [u[30], u[1]]  # one outside the list, one managed by it
    r = stack(type_name)
    r.up(**{arg: cid}, member_ids=u[0:5], authoritative=True, protected_member_ids=keep)
    assert members(emu, cid) == set(u[0:5]) | {u[30]}
    r.up(**{arg: cid}, member_ids=[u[0]], authoritative=True, protected_member_ids=keep)
    assert members(emu, cid) == {u[0], u[1], u[30]}  # u[1] left the list and stays
    # A refresh does not show the protected outsider as drift.
    _, outs, _ = r.refresh()
    assert outs["member_ids"] == [u[0]] and outs["protected_member_ids"] == sorted(keep)
    r.up(**{arg: cid}, member_ids=[u[0], u[1]], authoritative=True, protected_member_ids=keep)
    r.destroy()  # u[1] is in member_ids and protected: destroy leaves it
    assert members(emu, cid) == {u[1], u[30]}


@pytest.mark.parametrize("type_name, arg, key, members", CONTAINERS)
def test_protected_members_do_not_count_against_max_removals(emu, stack, world, type_name, arg, key, members):
    u, cid = world["u"], world[key]
    r = stack(type_name)
    r.up(**{arg: cid}, member_ids=u[0:6], protected_member_ids=u[0:4], max_removals=2)
    assert r.preview(**{arg: cid}, member_ids=[], protected_member_ids=u[0:4], max_removals=2) == []
    r.up(**{arg: cid}, member_ids=[], protected_member_ids=u[0:4], max_removals=2)
    assert members(emu, cid) == set(u[0:4]) | set(u[30:34])


@pytest.mark.parametrize("type_name, arg, key, members", CONTAINERS)
def test_max_removals_also_holds_at_apply_when_preview_could_not_know(emu, stack, world, type_name, arg, key,
                                                                       members, outside_graph):
    """An authoritative run whose check saw nothing to remove (the outsiders came later, as when
    the inputs were unknown at preview) still stops before any write."""
    u, cid = world["u"], world[key]
    r = stack(type_name)
    r.up(**{arg: cid}, member_ids=u[0:5], authoritative=True)
    inputs, failures = r.server.check(r.urn, r.inputs, r.news({arg: cid, "member_ids": u[0:6], "authoritative": True,
                                                               "max_removals": 1}))
    assert failures == []
    for m in u[20:23]:
        outside_graph.add(CONTAINER_PATH[type_name] + cid, m)
    emu.clear_requests()
    with pytest.raises(Exception) as e:
        r.server.update(r.urn, r.id, r.outs, inputs)
    assert "max_removals" in str(e.value) and "would remove 3" in str(e.value)
    assert graph_writes(emu) == []
    assert members(emu, cid) == set(u[0:5]) | set(u[20:23])


@pytest.mark.parametrize("bad, needle", [(-1, "0 or more"), (2.5, "whole number"), ("many", "whole number"),
                                         (True, "whole number")])
def test_a_bad_max_removals_fails_preview_naming_it(emu, stack, world, bad, needle):
    r = stack("GroupMembers")
    failures = r.preview(group_id=world["devs"], member_ids=world["u"][0:2], max_removals=bad)
    assert [p for p, _ in failures] == ["max_removals"] and needle in failures[0][1]


def test_a_bad_protected_id_fails_preview_naming_it(emu, stack, world):
    r = stack("MemberOf")
    failures = r.preview(member_id=world["u"][0], group_ids=world["groups"][0:1], protected_group_ids=["nope"])
    assert [p for p, _ in failures] == ["protected_group_ids"] and "'nope'" in failures[0][1]


def test_member_of_max_removals_and_protected_groups(emu, stack, world):
    u0, gs = world["u"][0], world["groups"]
    r = stack("MemberOf")
    r.up(member_id=u0, group_ids=gs, protected_group_ids=[gs[7]], max_removals=3)
    assert groups_of(emu, u0) == set(gs)
    emu.clear_requests()
    [reason] = reasons(r.preview(member_id=u0, group_ids=gs[0:2], protected_group_ids=[gs[7]], max_removals=3),
                       "max_removals")
    assert "would remove 5 group membership(s)" in reason and gs[7] not in reason  # 6 dropped, 1 protected
    assert graph_writes(emu) == []
    r.up(member_id=u0, group_ids=gs[0:4], protected_group_ids=[gs[7]], max_removals=3)
    assert groups_of(emu, u0) == set(gs[0:4]) | {gs[7]}
    # Destroy is held to the same limit: 4 to leave, more than 3, so nothing is left.
    emu.clear_requests()
    with pytest.raises(Exception) as refused:
        r.destroy()
    assert "deleting this resource would remove 4 group membership(s)" in str(refused.value)
    assert "retain_on_delete" in str(refused.value) and all(g in str(refused.value) for g in gs[0:4])
    assert graph_writes(emu) == [] and groups_of(emu, u0) == set(gs[0:4]) | {gs[7]}
    r.up(member_id=u0, group_ids=gs[0:4], protected_group_ids=[gs[7]], max_removals=4)
    r.destroy()
    assert groups_of(emu, u0) == {gs[7]}


@pytest.mark.parametrize("type_name, arg, key, members", CONTAINERS)
def test_members_just_dropped_from_the_list_are_removals_not_outsiders(emu, stack, world, type_name, arg, key,
                                                                        members, outside_graph):
    """The preview names as outside (and warns about) only members the list never held; those
    it just dropped still count against max_removals."""
    u, cid = world["u"], world[key]
    r = stack(type_name)
    r.up(**{arg: cid}, member_ids=u[0:5], authoritative=True)
    outside_graph.add(CONTAINER_PATH[type_name] + cid, u[20])
    news = r.news({arg: cid, "member_ids": u[0:3], "authoritative": True})
    inputs, failures = r.server.check(r.urn, r.inputs, news)
    assert failures == [] and inputs["outside_members_to_remove"] == {u[20]: "user"}
    inputs, failures = r.server.check(r.urn, r.inputs, {**news, "max_removals": 2})
    [reason] = reasons(failures, "max_removals")
    assert "would remove 3 member(s)" in reason and all(m in reason for m in (u[3], u[4], u[20]))
