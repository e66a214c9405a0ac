"""AdministrativeUnitMember through the real provider server against the emulator."""
from __future__ import annotations

import pytest

from .support import graph_writes, new_id, unit_members

UNITS = "/directory/administrativeUnits"


@pytest.fixture
def world(emu):
    w = {"paris": new_id(), "lyon": new_id(), "alice": new_id(), "bob": new_id(), "laptop": new_id(),
         "devs": new_id(), "sp": new_id(), "contact": new_id()}
    emu.seed({
        "users": [{"id": w["alice"], "displayName": "Alice"}, {"id": w["bob"], "displayName": "Bob"}],
        "devices": [{"id": w["laptop"], "displayName": "laptop"}],
        "servicePrincipals": [{"id": w["sp"], "displayName": "pipeline"}],
        "orgContacts": [{"id": w["contact"], "displayName": "Partner"}],
        "groups": [{"id": w["devs"], "displayName": "Devs", "mailNickname": "devs", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": []}],
        "administrativeUnits": [{"id": w["paris"], "displayName": "Paris", "members": [w["bob"]]},
                                {"id": w["lyon"], "displayName": "Lyon"}],
    })
    emu.clear_requests()
    return w


def test_create_read_diff_delete_a_unit_membership(emu, stack, world):
    r = stack("AdministrativeUnitMember")
    outs = r.up(administrative_unit_id=world["paris"], member_id=world["alice"])
    assert r.id == f"/directory/administrativeUnits/{world['paris']}/members/{world['alice']}"
    assert outs["member_type"] == "user" and outs["adopted"] is False
    assert unit_members(emu, world["paris"]) == {world["alice"], world["bob"]}

    rid, routs, rins = r.refresh()
    assert rid == r.id and routs["member_type"] == "user"
    assert rins == {"administrative_unit_id": world["paris"], "member_id": world["alice"]}

    assert r.preview(administrative_unit_id=world["paris"], member_id=world["alice"]) == []
    assert r.last_diff.changes == "none"
    r.destroy()
    assert unit_members(emu, world["paris"]) == {world["bob"]}  # only what it manages is touched


@pytest.mark.parametrize("member, member_type", [("laptop", "device"), ("devs", "group")])
def test_units_take_devices_and_groups(emu, stack, world, member, member_type):
    outs = stack("AdministrativeUnitMember").up(administrative_unit_id=world["paris"], member_id=world[member])
    assert outs["member_type"] == member_type
    assert world[member] in unit_members(emu, world["paris"])


def test_an_existing_membership_is_adopted_with_one_write(emu, stack, world):
    outs = stack("AdministrativeUnitMember").up(administrative_unit_id=world["paris"], member_id=world["bob"])
    assert outs["adopted"] is True
    assert len(graph_writes(emu)) == 1
    assert unit_members(emu, world["paris"]) == {world["bob"]}


def test_removed_outside_refresh_drops_it_and_up_adds_it_again(emu, stack, fresh, world, outside_graph):
    r = stack("AdministrativeUnitMember")
    args = dict(administrative_unit_id=world["paris"], member_id=world["alice"])
    r.up(**args)
    outside_graph.remove(f"{UNITS}/{world['paris']}", world["alice"])

    rid, _, _ = r.refresh(fresh())  # a later `pulumi refresh` is a new provider process
    assert rid == "" and r.id == ""
    r.up(**args)
    assert world["alice"] in unit_members(emu, world["paris"])


def test_unit_change_replaces(stack, world):
    r = stack("AdministrativeUnitMember")
    r.up(administrative_unit_id=world["paris"], member_id=world["alice"])
    assert r.preview(administrative_unit_id=world["lyon"], member_id=world["alice"]) == []
    assert r.last_diff.changes == "some" and r.last_diff.replaces == ["administrative_unit_id"]


def test_replacing_moves_the_member_to_the_new_unit(emu, stack, world):
    r = stack("AdministrativeUnitMember")
    r.up(administrative_unit_id=world["paris"], member_id=world["alice"])
    r.up(administrative_unit_id=world["lyon"], member_id=world["alice"])
    assert r.last_diff.replaces == ["administrative_unit_id"]
    assert world["alice"] not in unit_members(emu, world["paris"])
    assert unit_members(emu, world["lyon"]) == {world["alice"]}


def test_delete_of_what_is_already_gone_succeeds(emu, stack, world):
    r = stack("AdministrativeUnitMember")
    r.up(administrative_unit_id=world["paris"], member_id=world["alice"])
    r.destroy()
    r.destroy()  # the membership is gone
    emu.reset()
    r.destroy()  # the unit itself is gone
    assert emu.directory()["administrativeUnits"] == []


@pytest.mark.parametrize("unit, member, prop, needle", [
    ("paris", "not-a-guid", "member_id", "not a GUID"),
    ("", "alice", "administrative_unit_id", "is required"),
    ("ghost", "alice", "administrative_unit_id", "does not exist"),
    ("paris", "ghost", "member_id", "do not exist"),
    ("paris", "sp", "member_id", "servicePrincipal"),
    ("paris", "contact", "member_id", "orgContact"),
])
def test_preview_fails_naming_the_argument_and_writes_nothing(emu, stack, world, unit, member, prop, needle):
    w = {**world, "ghost": new_id(), "": ""}
    failures = stack("AdministrativeUnitMember").preview(administrative_unit_id=w.get(unit, unit),
                                                         member_id=w.get(member, member))
    assert [p for p, _ in failures] == [prop], failures
    assert needle in failures[0][1]
    assert graph_writes(emu) == []
