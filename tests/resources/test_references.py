"""References by name through the real provider server against the emulator: each form, a name
that matches nothing or several objects, a rename, the request budget, and permissions."""
from __future__ import annotations

import uuid

import pytest

from harness.server import ProviderServer, emulator_config

from .support import Stack, graph_writes, group_members, groups_of, new_id, unit_members


@pytest.fixture
def world(emu):
    """A directory whose names carry a fresh tag: the provider process's name cache, shared by the
    module's tests, can never answer one test with another's objects."""
    tag = uuid.uuid4().hex[:8]
    w = {"tag": tag, "alice": new_id(), "bob": new_id(), "carol": new_id(), "devs": new_id(), "ops": new_id(),
         "twin1": new_id(), "twin2": new_id(), "sp": new_id(), "app": new_id(), "laptop": new_id(),
         "paris": new_id()}
    emu.seed({
        "users": [{"id": w["alice"], "displayName": "Alice", "userPrincipalName": f"alice-{tag}@contoso.test"},
                  {"id": w["bob"], "displayName": "Bob", "userPrincipalName": f"bob-{tag}@contoso.test",
                   "mail": f"Bob.Smith-{tag}@contoso.test"},
                  {"id": w["carol"], "displayName": "Carol", "userPrincipalName": f"carol-{tag}@contoso.test"}],
        "groups": [{"id": w["devs"], "displayName": f"Devs {tag}", "mailNickname": f"devs-{tag}", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": []},
                   {"id": w["ops"], "displayName": f"Ops {tag}", "mailNickname": f"ops-{tag}", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": []},
                   {"id": w["twin1"], "displayName": f"Readers {tag}", "mailNickname": f"readers1-{tag}",
                    "securityEnabled": True, "mailEnabled": False, "groupTypes": []},
                   {"id": w["twin2"], "displayName": f"Readers {tag}", "mailNickname": f"readers2-{tag}",
                    "securityEnabled": True, "mailEnabled": False, "groupTypes": []}],
        "servicePrincipals": [{"id": w["sp"], "displayName": f"Pipeline {tag}", "appId": w["app"]}],
        "devices": [{"id": w["laptop"], "displayName": f"LAPTOP-{tag}"}],
        "administrativeUnits": [{"id": w["paris"], "displayName": f"Paris {tag}"}],
    })
    emu.clear_requests()
    return w


def lookups(emu, path: str) -> list[dict]:
    return [r for r in emu.requests() if r.get("kind") == "graph" and r["method"] == "GET"
            and r["path"].split("?")[0].endswith(path)]


def test_group_members_by_every_member_form(emu, stack, world):
    t = world["tag"]
    r = stack("GroupMembers")
    written = [f"alice-{t}@contoso.test", f"user:CAROL-{t}@contoso.test", f"mail:bob.smith-{t}@contoso.test",
               f"nickname:ops-{t}", f"app:{world['app']}", f"device:laptop-{t}"]
    outs = r.up(group_id=f"group:Devs {t}", member_ids=written)
    expected = {world[k] for k in ("alice", "carol", "bob", "ops", "sp", "laptop")}
    assert r.id == f"{world['devs']}/members"
    assert outs["group_id"] == world["devs"] and outs["member_ids"] == sorted(expected)
    assert group_members(emu, world["devs"]) == expected
    assert outs["references"] == {f"group:Devs {t}": world["devs"], **{w: world[k] for w, k in zip(
        written, ("alice", "carol", "bob", "ops", "sp", "laptop"))}}
    # Names to ids, and ids to names: no change.
    assert r.preview(group_id=world["devs"], member_ids=sorted(expected)) == []
    assert r.last_diff.changes == "none"
    assert r.preview(group_id=f"group:Devs {t}", member_ids=written[::-1]) == []
    assert r.last_diff.changes == "none"
    # A refresh keeps what was written.
    _, outs, ins = r.refresh()
    assert ins["__references"][f"group:Devs {t}"] == world["devs"]
    assert outs["references"][f"group:Devs {t}"] == world["devs"]


def test_units_and_member_of_by_name(emu, stack, world):
    t = world["tag"]
    au = stack("AdministrativeUnitMembers")
    au.up(administrative_unit_id=f"unit:paris {t}", member_ids=[f"alice-{t}@contoso.test", f"group:Ops {t}"])
    assert unit_members(emu, world["paris"]) == {world["alice"], world["ops"]}
    one = stack("AdministrativeUnitMember", "one")
    one.up(administrative_unit_id=f"unit:Paris {t}", member_id=f"device:LAPTOP-{t}")
    assert one.id == f"/directory/administrativeUnits/{world['paris']}/members/{world['laptop']}"
    mo = stack("MemberOf")
    mo.up(member_id=f"sp:Pipeline {t}", group_ids=[f"group:Devs {t}", f"nickname:ops-{t}"],
          protected_group_ids=[f"group:Ops {t}"])
    assert mo.id == f"{world['sp']}/memberOf" and groups_of(emu, world["sp"]) == {world["devs"], world["ops"]}
    mo.destroy()
    assert groups_of(emu, world["sp"]) == {world["ops"]}  # protected, by name


def test_a_name_that_matches_nothing_fails_preview_naming_it(emu, stack, world):
    r = stack("GroupMembers")
    failures = r.preview(group_id=world["devs"], member_ids=[f"alice-{world['tag']}@contoso.test", "nobody@contoso.test"])
    assert [p for p, _ in failures] == ["member_ids"]
    assert "[1] 'nobody@contoso.test' matches no object" in failures[0][1]
    assert graph_writes(emu) == []


def test_an_ambiguous_name_fails_preview_listing_the_candidates(emu, stack, world):
    r = stack("MemberOf")
    failures = r.preview(member_id=world["alice"], group_ids=[f"group:Readers {world['tag']}"])
    [(prop, reason)] = failures
    assert prop == "group_ids" and "ambiguous: 2 objects" in reason
    assert world["twin1"] in reason and world["twin2"] in reason and "group 'Readers" in reason


def test_a_renamed_user_shows_as_the_reference_that_no_longer_resolves(emu, stack, fresh, world):
    t = world["tag"]
    r = stack("GroupMembers")
    r.up(group_id=world["devs"], member_ids=[f"alice-{t}@contoso.test"])
    # Alice is renamed in the directory (same object, new sign-in name).
    emu.reset()
    emu.seed({"users": [{"id": world["alice"], "displayName": "Alice", "userPrincipalName": f"alice.b-{t}@contoso.test"}],
              "groups": [{"id": world["devs"], "displayName": f"Devs {t}", "mailNickname": f"devs-{t}",
                          "securityEnabled": True, "mailEnabled": False, "groupTypes": [], "members": [world["alice"]]}]})
    r.server = fresh()  # the next `pulumi preview`: a new provider process
    [(prop, reason)] = r.preview(group_id=world["devs"], member_ids=[f"alice-{t}@contoso.test"])
    assert prop == "member_ids" and f"'alice-{t}@contoso.test' matches no object" in reason
    assert world["alice"] in reason and "renamed" in reason
    # Written with the new name: the same object, so no change.
    assert r.preview(group_id=world["devs"], member_ids=[f"alice.b-{t}@contoso.test"]) == []
    assert r.last_diff.changes == "none"


def test_100_names_cost_7_lookups_and_a_second_resource_none(emu, stack, blobs, world):
    t = world["tag"]
    people = [{"id": new_id(), "displayName": f"p{i}", "userPrincipalName": f"p{i}-{t}@contoso.test"} for i in range(100)]
    emu.seed({"users": people})
    emu.clear_requests()
    r = stack("GroupMembers")
    assert r.preview(group_id=world["devs"], member_ids=[p["userPrincipalName"] for p in people]) == []
    assert len(lookups(emu, "/users")) == 7  # ceil(100 / 15)
    inputs, _ = r.server.check(r.urn, {}, r.news({"group_id": world["devs"],
                                                  "member_ids": [p["userPrincipalName"].upper() for p in people]}))
    assert inputs["member_ids"] == sorted(p["id"] for p in people)
    other = Stack(r.server, "AdministrativeUnitMembers", "other", blobs["AdministrativeUnitMembers"])
    assert other.preview(administrative_unit_id=world["paris"], member_ids=[p["userPrincipalName"] for p in people[:30]]) == []
    assert len(lookups(emu, "/users")) == 7, "names resolved in this process are not asked again"


@pytest.fixture
def signed_in(emu):
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


def test_without_user_read_all_a_sign_in_name_fails_preview_naming_the_permission(emu, signed_in, blobs, world):
    t = world["tag"]
    r = Stack(signed_in(["GroupMember.ReadWrite.All"]), "GroupMembers", "r", blobs["GroupMembers"])
    [(prop, reason)] = r.preview(group_id=world["devs"], member_ids=[f"alice-{t}@contoso.test"])
    assert prop == "member_ids" and "User.Read.All" in reason and f"'alice-{t}@contoso.test'" in reason
    # Group names need only what the resource needs anyway.
    assert r.preview(group_id=f"group:Devs {t}", member_ids=[world["alice"]]) == []
    assert graph_writes(emu) == []


def test_single_memberships_and_a_unit_group_by_name_keep_their_id_formats(emu, stack, world):
    t = world["tag"]
    gm = stack("GroupMember", "one")
    outs = gm.up(group_id=f"nickname:DEVS-{t}", member_id=f"bob-{t}@contoso.test")
    assert gm.id == f"{world['devs']}/member/{world['bob']}" and outs["member_type"] == "user"
    assert world["bob"] in group_members(emu, world["devs"])
    assert gm.preview(group_id=world["devs"], member_id=world["bob"]) == [] and gm.last_diff.changes == "none"
    au = stack("AdministrativeUnitGroup", "team")
    outs = au.up(administrative_unit_id=f"unit:Paris {t}", display_name=f"Team {t}", mail_nickname=f"team-{t}")
    assert outs["administrative_unit_id"] == world["paris"] and au.id in unit_members(emu, world["paris"])
    assert outs["references"] == {f"unit:Paris {t}": world["paris"]}
    # Same unit by id: no change (a new unit would replace the group).
    assert au.preview(administrative_unit_id=world["paris"], display_name=f"Team {t}", mail_nickname=f"team-{t}") == []
    assert au.last_diff.changes == "none"
