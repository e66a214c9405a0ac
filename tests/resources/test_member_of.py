"""MemberOf through the real provider server against the emulator."""
from __future__ import annotations

import pytest

from .support import graph_writes, groups_of, new_id


def security_group(gid: str, name: str, members=()) -> dict:
    return {"id": gid, "displayName": name, "mailNickname": name.lower(), "securityEnabled": True,
            "mailEnabled": False, "groupTypes": [], "members": list(members)}


@pytest.fixture
def world(emu):
    w = {k: new_id() for k in ("alice", "bob", "sp", "m365_member", "dynamic", "m365", "distribution")}
    w["g"] = [new_id() for _ in range(6)]
    emu.seed({
        "users": [{"id": w["alice"], "displayName": "Alice"}, {"id": w["bob"], "displayName": "Bob"}],
        "servicePrincipals": [{"id": w["sp"], "displayName": "pipeline"}],
        "groups": [security_group(g, f"G{i}", members=[w["alice"]] if i in (0, 5) else []) for i, g in enumerate(w["g"])]
        + [
            {"id": w["dynamic"], "displayName": "Sales", "mailNickname": "sales", "securityEnabled": True,
             "mailEnabled": False, "groupTypes": ["DynamicMembership"], "membershipRule": 'user.department -eq "Sales"'},
            {"id": w["m365"], "displayName": "Everyone", "mailNickname": "everyone", "securityEnabled": False,
             "mailEnabled": True, "groupTypes": ["Unified"]},
            {"id": w["m365_member"], "displayName": "Team", "mailNickname": "team", "securityEnabled": False,
             "mailEnabled": True, "groupTypes": ["Unified"]},
            {"id": w["distribution"], "displayName": "News", "mailNickname": "news", "securityEnabled": False,
             "mailEnabled": True, "groupTypes": []},
        ],
    })
    emu.clear_requests()
    return w


def test_create_joins_each_group_through_documented_endpoints_and_adopts_existing(emu, stack, world):
    g, alice = world["g"], world["alice"]
    r = stack("MemberOf")
    outs = r.up(member_id=alice, group_ids=[g[2], g[1], g[0], g[1]])
    assert r.id == f"{alice}/memberOf"
    assert outs["group_ids"] == sorted([g[0], g[1], g[2]]) and outs["adopted_group_ids"] == [g[0]]
    assert groups_of(emu, alice) == {g[0], g[1], g[2], g[5]}  # g[5] is not managed: kept
    writes = graph_writes(emu)
    assert not any("memberOf" in w["path"] for w in writes)  # never the undocumented memberOf/$ref
    assert r.preview(member_id=alice, group_ids=[g[0], g[1], g[2]]) == [] and r.last_diff.changes == "none"


def test_update_changes_only_the_listed_groups_in_place(emu, stack, world):
    g, alice = world["g"], world["alice"]
    r = stack("MemberOf")
    r.up(member_id=alice, group_ids=[g[0], g[1], g[2]])
    outs = r.up(member_id=alice, group_ids=[g[2], g[3], g[4]])
    assert r.last_diff.changes == "some" and r.last_diff.replaces == []
    assert outs["group_ids"] == sorted([g[2], g[3], g[4]]) and outs["adopted_group_ids"] == []
    assert groups_of(emu, alice) == {g[2], g[3], g[4], g[5]}  # g[0] adopted but no longer listed: removed


def test_removed_outside_refresh_shrinks_and_up_rejoins(emu, stack, fresh, world, outside_graph):
    g, bob = world["g"], world["bob"]
    r = stack("MemberOf")
    r.up(member_id=bob, group_ids=[g[0], g[1]])
    outside_graph.remove(f"/groups/{g[1]}", bob)

    r.server = fresh()  # `pulumi refresh` and the next `pulumi up` run new provider processes
    _, routs, rins = r.refresh()
    assert routs["group_ids"] == [g[0]] and rins["group_ids"] == [g[0]]
    r.up(member_id=bob, group_ids=[g[0], g[1]])
    assert r.last_diff.changes == "some"
    assert groups_of(emu, bob) == {g[0], g[1]}


def test_member_change_replaces(stack, world):
    g = world["g"]
    r = stack("MemberOf")
    r.up(member_id=world["bob"], group_ids=[g[0]])
    assert r.preview(member_id=world["alice"], group_ids=[g[0]]) == []
    assert r.last_diff.replaces == ["member_id"]


def test_delete_leaves_the_groups_and_again_succeeds(emu, stack, world):
    g, alice = world["g"], world["alice"]
    r = stack("MemberOf")
    r.up(member_id=alice, group_ids=[g[0], g[1]])
    r.destroy()
    assert groups_of(emu, alice) == {g[5]}
    r.destroy()
    emu.reset()
    r.destroy()  # member and groups gone


def test_refresh_after_the_member_is_deleted_drops_the_resource(emu, stack, fresh, world):
    r = stack("MemberOf")
    r.up(member_id=world["bob"], group_ids=[world["g"][0]])
    emu.reset()  # the member (and the groups) deleted outside Pulumi
    rid, _, _ = r.refresh(fresh())
    assert rid == ""


def test_a_service_principal_joins_security_groups(emu, stack, world):
    outs = stack("MemberOf").up(member_id=world["sp"], group_ids=world["g"][:2])
    assert outs["group_ids"] == sorted(world["g"][:2])
    assert groups_of(emu, world["sp"]) == set(world["g"][:2])


@pytest.mark.parametrize("member, groups, prop, needle", [
    ("alice", ["not-a-guid"], "group_ids", "not a GUID"),
    ("nobody@contoso.test", ["g0"], "member_id", "matches no object"),
    ("alice smith", ["g0"], "member_id", "not a GUID"),
    ("ghost", ["g0"], "member_id", "does not exist"),
    ("alice", ["g0", "ghost"], "group_ids", "do not exist"),
    ("alice", ["dynamic"], "group_ids", "dynamic-membership"),
    ("alice", ["distribution"], "group_ids", "distribution group"),
    ("sp", ["g0", "m365"], "group_ids", "takes only users"),
    ("m365_member", ["g0"], "member_id", "Microsoft 365 groups cannot be members"),
    ("g0", ["g0"], "group_ids", "itself"),
])
def test_preview_fails_naming_the_argument_and_writes_nothing(emu, stack, world, member, groups, prop, needle):
    w = {**world, "ghost": new_id(), "g0": world["g"][0]}
    failures = stack("MemberOf").preview(member_id=w.get(member, member), group_ids=[w.get(x, x) for x in groups])
    assert [p for p, _ in failures] == [prop], failures
    assert needle in failures[0][1]
    assert graph_writes(emu) == []


@pytest.mark.parametrize("kind", ["MemberOf", "GroupMembers"])
def test_an_update_right_after_create_reports_the_same_adoption_as_the_batch_resources(emu, stack, server, fresh,
                                                                                      world, kind):
    """The same memberships through MemberOf and through GroupMembers, updated by a new provider
    process while Graph's listings still lag the create: the membership the resource itself made
    answers "already exists" to the repeated add, and is not reported as adopted by either."""
    g, bob, alice = world["g"], world["bob"], world["alice"]
    r = stack(kind) if kind == "MemberOf" else _group_members(server)
    emu.faults({"replication_lag_ms": 4000})
    try:
        if kind == "MemberOf":
            r.up(member_id=bob, group_ids=[g[1]])
            r.server = fresh()
            outs = r.up(member_id=bob, group_ids=[g[1], g[2]])
            adopted = outs["adopted_group_ids"]
        else:
            r.up(group_id=g[1], member_ids=[bob])
            r.server = fresh()
            outs = r.up(group_id=g[1], member_ids=[bob, alice])
            adopted = outs["adopted_member_ids"]
    finally:
        emu.faults({})
    assert adopted == []


def _group_members(server):
    from pulumi.dynamic.dynamic import serialize_provider
    from pulumi.runtime._serialization import _serialize

    from msgraph_membership.resources.group_members import GroupMembersProvider

    from .support import Stack

    return Stack(server, "GroupMembers", "r", _serialize(True, serialize_provider, GroupMembersProvider())[0])


def test_a_removal_made_outside_just_after_create_shows_as_drift_in_the_same_process(emu, stack, world, outside_graph):
    """MemberOf confirms its writes like the batch resources: once Graph lists them, the listing
    alone decides, so a membership removed outside moments later is reported gone."""
    g, bob = world["g"], world["bob"]
    r = stack("MemberOf")
    r.up(member_id=bob, group_ids=[g[1], g[2]])
    outside_graph.remove(f"/groups/{g[1]}", bob)
    _, outs, _ = r.refresh()  # the same provider process that made the memberships
    assert outs["group_ids"] == [g[2]]


@pytest.mark.parametrize("recheck", [None, "0"], ids=["default", "turned-off"])
def test_a_refresh_that_looks_again_says_so_and_the_wait_can_be_turned_off(emu, emulator, stack, world,
                                                                          outside_graph, recheck):
    """A refresh in a new process that does not find a managed membership looks again (Graph may
    lag the previous up) and says so in one line; `msgraph:recheckMissingSeconds=0` skips it."""
    import time

    from harness.server import ProviderServer, emulator_config

    g, bob = world["g"], world["bob"]
    r = stack("MemberOf")
    r.up(member_id=bob, group_ids=[g[1], g[2]])
    outside_graph.remove(f"/groups/{g[1]}", bob)
    extra = {} if recheck is None else {"msgraph:recheckMissingSeconds": recheck}
    r.server = ProviderServer(config=emulator_config(emulator, **extra))
    try:
        emu.clear_requests()
        _, outs, _ = r.refresh()
        time.sleep(0.2)  # the provider's stderr is drained by a thread
        said = [line for line in r.server.stderr_lines if "looking again" in line]
    finally:
        r.server.stop()
    assert outs["group_ids"] == [g[2]]
    listings = [q for q in emu.requests() if q["method"] == "GET" and "/memberOf" in q["path"]]
    if recheck is None:
        assert len(said) == 1 and f"member {bob}: 1 managed group membership not listed by Graph" in said[0]
        assert "msgraph:recheckMissingSeconds" in said[0] and len(listings) == 3
    else:
        assert said == [] and len(listings) == 1
