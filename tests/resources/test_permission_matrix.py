"""Least privilege, per resource: the provider server (over gRPC, as the engine drives it) signs in
to the emulator as an app holding exactly the resource's documented minimum (docs/permissions.md)
and runs preview, up, refresh and destroy; then, with each permission of that minimum removed in
turn, the run stops at preview, names the missing permission, and writes nothing.

The emulator enforces the Microsoft Learn permission tables (tests/emulator/test_permissions.py),
so a provider call that needed more than the minimum would fail here.
"""
from __future__ import annotations

import uuid

import grpc
import pytest

from harness.program import collect
from harness.server import ProviderServer, emulator_config

from .support import Stack, graph_writes, group, group_members, new_id, unit_members

TYPES = ("GroupMember", "GroupMembers", "AdministrativeUnitMember", "AdministrativeUnitMembers",
         "AdministrativeUnitGroup", "MemberOf")
TYPES += ("GroupOwner", "GroupOwners")  # a group's owners

# The documented minimum of each resource (README, docs/permissions.md), for user and group members.
MINIMUM = {
    "GroupMember": {"GroupMember.ReadWrite.All"},
    "GroupMembers": {"GroupMember.ReadWrite.All"},
    "MemberOf": {"GroupMember.ReadWrite.All"},
    "AdministrativeUnitMember": {"AdministrativeUnit.ReadWrite.All"},
    "AdministrativeUnitMembers": {"AdministrativeUnit.ReadWrite.All"},
    "AdministrativeUnitGroup": {"Group.ReadWrite.All", "AdministrativeUnit.Read.All"},
}
MINIMUM.update({"GroupOwner": {"Group.ReadWrite.All"}, "GroupOwners": {"Group.ReadWrite.All"}})


@pytest.fixture(scope="module")
def blobs() -> dict[str, str]:
    import msgraph_membership as m

    x = "00000000-0000-4000-8000-000000000001"
    regs = collect(lambda: [
        m.GroupMember("a", group_id=x, member_id=x),
        m.GroupMembers("b", group_id=x, member_ids=[x]),
        m.AdministrativeUnitMember("c", administrative_unit_id=x, member_id=x),
        m.AdministrativeUnitMembers("d", administrative_unit_id=x, member_ids=[x]),
        m.AdministrativeUnitGroup("e", administrative_unit_id=x, display_name="e", mail_nickname="e"),
        m.MemberOf("f", member_id=x, group_ids=[x]),
        m.GroupOwner("g", group_id=x, owner_id=x),
        m.GroupOwners("h", group_id=x, owner_ids=[x]),
    ])
    return {r.typ.rsplit(":", 1)[1]: r.inputs["__provider"] for r in regs}


@pytest.fixture
def signed_in(emu):
    """A provider process signed in as a new app holding exactly the given application permissions."""
    started: list[ProviderServer] = []

    def start(roles) -> ProviderServer:
        client_id, secret = str(uuid.uuid4()), "s-" + uuid.uuid4().hex
        emu.seed({"apps": [{"client_id": client_id, "client_secret": secret, "roles": sorted(roles)}]})
        started.append(ProviderServer(config=emulator_config(
            emu, **{"msgraph:clientId": client_id, "msgraph:clientSecret": secret})))
        return started[-1]

    yield start
    for s in started:
        s.stop()


def directory(emu) -> dict:
    """Fresh ids for every test: a security group with one member, a user, a unit."""
    d = {"group": new_id(), "other": new_id(), "user": new_id(), "bob": new_id(), "unit": new_id()}
    emu.seed({
        "users": [{"id": d["user"], "displayName": "Alice"}, {"id": d["bob"], "displayName": "Bob"}],
        "groups": [{"id": d["group"], "displayName": "Devs", "mailNickname": "devs", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": [], "members": [d["bob"]], "owners": [d["bob"]]},
                   {"id": d["other"], "displayName": "Ops", "mailNickname": "ops", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": []}],
        "administrativeUnits": [{"id": d["unit"], "displayName": "Paris"}],
    })
    return d


def args_for(type_name: str, d: dict) -> dict:
    return {
        "GroupMember": {"group_id": d["group"], "member_id": d["user"]},
        "GroupMembers": {"group_id": d["group"], "member_ids": [d["user"], d["other"]]},
        "MemberOf": {"member_id": d["user"], "group_ids": [d["group"], d["other"]]},
        "AdministrativeUnitMember": {"administrative_unit_id": d["unit"], "member_id": d["user"]},
        "AdministrativeUnitMembers": {"administrative_unit_id": d["unit"], "member_ids": [d["user"], d["group"]]},
        "AdministrativeUnitGroup": {"administrative_unit_id": d["unit"], "display_name": "Lyon",
                                    "mail_nickname": "lyon-" + uuid.uuid4().hex[:6]},
        "GroupOwner": {"group_id": d["group"], "owner_id": d["user"]},
        "GroupOwners": {"group_id": d["group"], "owner_ids": [d["user"]]},
    }[type_name]


def present(emu, type_name: str, d: dict, stack: Stack) -> bool:
    """Whether what the resource manages is in the emulator's directory (the ground truth)."""
    if type_name == "GroupMember":
        return d["user"] in group_members(emu, d["group"])
    if type_name == "GroupMembers":
        return {d["user"], d["other"]} <= group_members(emu, d["group"])
    if type_name == "MemberOf":
        return d["user"] in group_members(emu, d["group"]) and d["user"] in group_members(emu, d["other"])
    if type_name == "AdministrativeUnitMember":
        return d["user"] in unit_members(emu, d["unit"])
    if type_name == "AdministrativeUnitMembers":
        return {d["user"], d["group"]} <= unit_members(emu, d["unit"])
    if type_name in ("GroupOwner", "GroupOwners"):
        return d["user"] in group(emu, d["group"])["owners"]
    return bool(stack.id) and group(emu, stack.id) is not None and stack.id in unit_members(emu, d["unit"])


@pytest.mark.parametrize("type_name", TYPES)
def test_the_documented_minimum_is_enough_for_the_whole_life(emu, signed_in, blobs, type_name):
    d = directory(emu)
    server = signed_in(MINIMUM[type_name])
    stack = Stack(server, type_name, "r", blobs[type_name])
    args = args_for(type_name, d)
    assert stack.preview(**args) == []
    stack.up(**args)
    assert present(emu, type_name, d, stack)
    rid, outs, _ = stack.refresh()
    assert rid == stack.id
    stack.destroy()
    assert not present(emu, type_name, d, stack)
    if type_name != "AdministrativeUnitGroup":
        # Bob, there before and not managed, stays (a member, and the group's owner).
        assert d["bob"] in group_members(emu, d["group"]) and d["bob"] in group(emu, d["group"])["owners"]
    # Directory.Read.All only improves preview: its absence costs one warning that names it, no failure.
    warnings = [line for line in server.stderr_lines if "Directory.Read.All" in line]
    if type_name == "AdministrativeUnitGroup":
        assert warnings == []
    else:
        assert len(warnings) == 1, server.stderr_lines


@pytest.mark.parametrize("type_name,missing", [(t, p) for t in TYPES for p in sorted(MINIMUM[t])])
def test_each_permission_of_the_minimum_is_needed_and_named_at_preview(emu, signed_in, blobs, type_name, missing):
    d = directory(emu)
    server = signed_in(MINIMUM[type_name] - {missing})
    stack = Stack(server, type_name, "r", blobs[type_name])
    emu.clear_requests()
    failures = stack.preview(**args_for(type_name, d))
    assert failures, "preview passed without " + missing
    assert any(missing in reason for _, reason in failures), failures
    assert graph_writes(emu) == []


def test_with_directory_read_all_preview_checks_members_without_a_warning(emu, signed_in, blobs):
    d = directory(emu)
    server = signed_in({"GroupMember.ReadWrite.All", "Directory.Read.All"})
    stack = Stack(server, "GroupMember", "r", blobs["GroupMember"])
    failures = stack.preview(group_id=d["group"], member_id=new_id())  # no such object
    assert [p for p, _ in failures] == ["member_id"] and "does not exist" in failures[0][1]
    assert not [line for line in server.stderr_lines if "Directory.Read.All" in line]


def test_without_directory_read_all_a_group_member_is_still_checked(emu, signed_in, blobs):
    """The fallback uses what the app may read: GET /groups/{id} tells a group member apart."""
    d = directory(emu)
    m365 = new_id()
    emu.seed({"groups": [{"id": m365, "displayName": "Team", "mailNickname": "team-" + m365[:6],
                          "securityEnabled": False, "mailEnabled": True, "groupTypes": ["Unified"]}]})
    server = signed_in({"GroupMember.ReadWrite.All"})
    stack = Stack(server, "GroupMember", "r", blobs["GroupMember"])
    failures = stack.preview(group_id=d["group"], member_id=m365)
    assert [p for p, _ in failures] == ["member_id"], failures


def test_a_device_member_needs_its_type_permission_and_the_refusal_names_it(emu, signed_in, blobs):
    """group-post-members: a device member needs Device.ReadWrite.All besides GroupMember.ReadWrite.All."""
    d = directory(emu)
    device = new_id()
    emu.seed({"devices": [{"id": device, "displayName": "laptop"}]})
    args = {"group_id": d["group"], "member_id": device}
    weak = Stack(signed_in({"GroupMember.ReadWrite.All"}), "GroupMember", "r", blobs["GroupMember"])
    with pytest.raises(grpc.RpcError) as err:
        weak.up(**args)
    assert "Device.ReadWrite.All" in err.value.details()
    assert device not in group_members(emu, d["group"])
    ok = Stack(signed_in({"GroupMember.ReadWrite.All", "Device.ReadWrite.All"}), "GroupMember", "r",
               blobs["GroupMember"])
    outs = ok.up(**args)
    assert device in group_members(emu, d["group"]) and outs["member_type"] == "device"
    ok.destroy()
    assert device not in group_members(emu, d["group"])


def test_member_of_without_directory_read_all_sees_drift_through_group_listings(emu, signed_in, blobs, outside):
    """memberOf of a user needs Directory.Read.All (user-list-memberof); without it MemberOf reads
    the listings of the groups it manages, and still reports a membership removed outside."""
    d = directory(emu)
    stack = Stack(signed_in({"GroupMember.ReadWrite.All"}), "MemberOf", "r", blobs["MemberOf"])
    stack.up(member_id=d["user"], group_ids=[d["group"], d["other"]])
    outside.remove_member(d["other"], d["user"])
    later = signed_in({"GroupMember.ReadWrite.All"})  # a later `pulumi refresh` is a new process
    emu.clear_requests()
    rid, outs, _ = stack.refresh(later)
    assert rid and outs["group_ids"] == [d["group"]]
    paths = [r["path"] for r in emu.requests() if r.get("kind") == "graph"]
    assert sum(p.split("?")[0].endswith("/memberOf") for p in paths) == 1, paths  # refused once, not asked again


@pytest.mark.parametrize("type_name", ["GroupMember", "GroupMembers", "MemberOf"])
def test_with_directory_read_all_a_missing_member_type_permission_fails_preview(emu, signed_in, blobs, type_name):
    """When preview can tell the member is a service principal, it names Application.ReadWrite.All."""
    d = directory(emu)
    sp = new_id()
    emu.seed({"servicePrincipals": [{"id": sp, "displayName": "pipeline"}]})
    args = {"GroupMember": {"group_id": d["group"], "member_id": sp},
            "GroupMembers": {"group_id": d["group"], "member_ids": [d["user"], sp]},
            "MemberOf": {"member_id": sp, "group_ids": [d["group"]]}}[type_name]
    stack = Stack(signed_in({"GroupMember.ReadWrite.All", "Directory.Read.All"}), type_name, "r", blobs[type_name])
    emu.clear_requests()
    failures = stack.preview(**args)
    assert failures and all("Application.ReadWrite.All" in r for _, r in failures), failures
    assert graph_writes(emu) == []
    ok = Stack(signed_in({"GroupMember.ReadWrite.All", "Directory.Read.All", "Application.ReadWrite.All"}),
               type_name, "r", blobs[type_name])
    assert ok.preview(**args) == []
    ok.up(**args)
    assert sp in group_members(emu, d["group"])
    ok.destroy()
    assert sp not in group_members(emu, d["group"])
