"""GroupMember end to end: the SDK's real provider server, driven over gRPC as the engine
drives it, against the local Graph emulator; the emulator's directory is checked after each step."""
from __future__ import annotations

import pytest

from harness.program import collect
from harness.server import ProviderServer, emulator_config, urn_for

GROUP = "0b000001-0000-4000-8000-0000000000a1"
OTHER_GROUP = "0b000001-0000-4000-8000-0000000000a2"
DYNAMIC = "0b000001-0000-4000-8000-0000000000a3"
M365 = "0b000001-0000-4000-8000-0000000000a4"
ALICE = "0a000001-0000-4000-8000-0000000000b1"
BOB = "0a000001-0000-4000-8000-0000000000b2"
SP = "0a000003-0000-4000-8000-0000000000c1"
GHOST = "0a000001-0000-4000-8000-0000000000ff"

SEED = {
    "users": [{"id": ALICE, "displayName": "Alice"}, {"id": BOB, "displayName": "Bob"}],
    "servicePrincipals": [{"id": SP, "displayName": "pipeline"}],
    "groups": [
        {"id": GROUP, "displayName": "Devs", "mailNickname": "devs", "securityEnabled": True,
         "mailEnabled": False, "groupTypes": [], "members": [BOB]},
        {"id": OTHER_GROUP, "displayName": "Ops", "mailNickname": "ops", "securityEnabled": True,
         "mailEnabled": False, "groupTypes": []},
        {"id": DYNAMIC, "displayName": "Sales (dynamic)", "mailNickname": "sales", "securityEnabled": True,
         "mailEnabled": False, "groupTypes": ["DynamicMembership"], "membershipRule": 'user.department -eq "Sales"'},
        {"id": M365, "displayName": "Everyone", "mailNickname": "everyone", "securityEnabled": False,
         "mailEnabled": True, "groupTypes": ["Unified"]},
    ],
}


READ_ONLY_POSTS = ("/directoryObjects/getByIds", "/checkMemberGroups", "/checkMemberObjects")


def graph_writes(emu):
    """Graph requests that can change the directory (reads made with POST excluded)."""
    return [r for r in emu.requests() if r.get("kind") == "graph" and r["method"] in ("POST", "PATCH", "DELETE")
            and not any(p in r["path"] for p in READ_ONLY_POSTS)]


def members_of(emu, group_id):
    g = next(g for g in emu.directory()["groups"] if g["id"] == group_id)
    return set(g["members"])


@pytest.fixture(scope="module")
def blob():
    from msgraph_membership import GroupMember

    # The blob a real program produces, not one made by hand.
    regs = collect(lambda: GroupMember("m", group_id=GROUP, member_id=ALICE))
    return regs[0].inputs["__provider"]


@pytest.fixture
def server(emu):
    emu.seed(SEED)
    s = ProviderServer(config=emulator_config(emu))
    yield s
    s.stop()


def news(blob, group_id=GROUP, member_id=ALICE):
    return {"__provider": blob, "group_id": group_id, "member_id": member_id}


URN = urn_for("GroupMember", "alice-devs")


def test_configure_check_create_diff_read_delete_adds_and_removes_a_real_membership(emu, server, blob):
    inputs, failures = server.check(URN, {}, news(blob))
    assert failures == []
    assert ALICE not in members_of(emu, GROUP)

    id_, outs = server.create(URN, inputs)
    assert id_ == f"{GROUP}/member/{ALICE}"
    assert outs["member_type"] == "user" and outs["adopted"] is False
    assert outs["__provider"] == blob
    assert ALICE in members_of(emu, GROUP)

    same = server.diff(URN, id_, outs, news(blob))
    assert same.changes == "none"
    moved = server.diff(URN, id_, outs, news(blob, group_id=OTHER_GROUP))
    assert moved.changes == "some" and moved.replaces == ["group_id"]

    rid, routs, rins = server.read(URN, id_, outs, inputs)
    assert rid == id_ and routs["member_type"] == "user"
    assert rins["group_id"] == GROUP and rins["member_id"] == ALICE

    server.delete(URN, id_, outs)
    assert ALICE not in members_of(emu, GROUP)
    assert BOB in members_of(emu, GROUP)  # only what the resource manages is touched


def test_create_adopts_an_existing_membership_and_says_so(emu, server, blob):
    inputs, _ = server.check(URN, {}, news(blob, member_id=BOB))
    id_, outs = server.create(URN, inputs)
    assert outs["adopted"] is True
    assert BOB in members_of(emu, GROUP)
    writes = graph_writes(emu)
    assert len(writes) == 1  # one add that found the link there, no list-then-fail dance


def test_read_after_the_membership_is_removed_outside_drops_the_resource(emu, server, blob, outside):
    inputs, _ = server.check(URN, {}, news(blob))
    id_, outs = server.create(URN, inputs)
    # Removed outside Pulumi; a fresh provider process (a new `pulumi refresh`) reads.
    outside.remove_member(GROUP, ALICE)
    fresh = ProviderServer(config=emulator_config(emu))
    try:
        rid, routs, _ = fresh.read(URN, id_, outs, inputs)
        assert rid == ""
    finally:
        fresh.stop()


def test_delete_of_a_membership_already_gone_succeeds(emu, server, blob):
    inputs, _ = server.check(URN, {}, news(blob))
    id_, outs = server.create(URN, inputs)
    server.delete(URN, id_, outs)
    server.delete(URN, id_, outs)  # again: already gone is success
    assert ALICE not in members_of(emu, GROUP)


@pytest.mark.parametrize("group_id, member_id, prop, needle", [
    (GROUP, "not-a-guid", "member_id", "not a GUID"),
    (GROUP, GROUP, "member_id", "itself"),
    (GROUP, GHOST, "member_id", "does not exist"),
    ("0b000001-0000-4000-8000-0000000000ee", ALICE, "group_id", "does not exist"),
    (DYNAMIC, ALICE, "group_id", "dynamic-membership"),
    (M365, SP, "member_id", "Microsoft 365 group"),
])
def test_preview_fails_naming_the_argument_and_writes_nothing(emu, server, blob, group_id, member_id, prop, needle):
    _, failures = server.check(URN, {}, news(blob, group_id=group_id, member_id=member_id))
    assert [p for p, _ in failures] == [prop]
    assert needle in failures[0][1]
    assert graph_writes(emu) == []


def test_a_wrong_secret_fails_at_preview_with_a_clear_message(emu, blob):
    emu.seed(SEED)
    s = ProviderServer(config=emulator_config(emu, **{"msgraph:clientSecret": "wrong-secret"}))
    try:
        _, failures = s.check(URN, {}, news(blob))
    finally:
        s.stop()
    assert failures and failures[0][0] == ""  # the provider's own problem: no input property
    assert "sign-in failed" in failures[0][1] and "wrong-secret" not in failures[0][1]
