"""GroupOwners and GroupOwner through the real provider server against the emulator: adoption,
names, the guard, authoritative drift, and Graph's refusal to remove a group's last owner, caught
at preview (or before any write on delete)."""
from __future__ import annotations

import pytest

from .support import graph_writes, group_owners, new_id, users


@pytest.fixture
def world(emu):
    people = [{**p, "userPrincipalName": f"owner{i}-{p['id'][:8]}@contoso.test"} for i, p in enumerate(users(30))]
    w = {"devs": new_id(), "ops": new_id(), "lists": new_id(), "sp": new_id(), "u": [p["id"] for p in people],
         "upn": [p["userPrincipalName"] for p in people]}
    sec = {"securityEnabled": True, "mailEnabled": False, "groupTypes": []}
    emu.seed({
        "users": people,
        "servicePrincipals": [{"id": w["sp"], "displayName": "pipeline", "appId": new_id()}],
        # devs is owned by u[20] before Pulumi manages it; ops has no owner; lists is a distribution group.
        "groups": [{"id": w["devs"], "displayName": "Devs", "mailNickname": "devs", **sec, "owners": [w["u"][20]]},
                   {"id": w["ops"], "displayName": "Ops", "mailNickname": "ops", **sec},
                   {"id": w["lists"], "displayName": "Lists", "mailNickname": "lists", "securityEnabled": False,
                    "mailEnabled": True, "groupTypes": []}],
    })
    emu.clear_requests()
    return w


def owner_writes(emu) -> list[dict]:
    return [w for w in graph_writes(emu) if "/owners" in w["path"] or w["path"].endswith("$batch")]


def test_create_adds_owners_by_id_and_name_and_adopts_the_one_there(emu, stack, world):
    u, devs = world["u"], world["devs"]
    r = stack("GroupOwners")
    outs = r.up(group_id=devs, owner_ids=[world["upn"][0], u[1], world["sp"], u[20]])
    assert r.id == f"{devs}/owners"
    assert outs["owner_ids"] == sorted([u[0], u[1], world["sp"], u[20]])
    assert outs["adopted_owner_ids"] == [u[20]]
    assert outs["references"] == {world["upn"][0]: u[0]}
    assert group_owners(emu, devs) == {u[0], u[1], u[20], world["sp"]}
    assert r.preview(group_id=devs, owner_ids=[world["upn"][0], u[1], world["sp"], u[20]]) == []
    assert r.last_diff.changes == "none"


def test_25_owners_are_added_in_two_batches(emu, stack, world):
    u, ops = world["u"], world["ops"]
    r = stack("GroupOwners")
    r.up(group_id=ops, owner_ids=u[0:25])
    assert group_owners(emu, ops) == set(u[0:25])
    assert [w["path"].rsplit("/", 1)[-1] for w in owner_writes(emu)] == ["$batch", "$batch"]


@pytest.mark.parametrize("case, prop, needle", [
    ("group owner", "owner_ids", "a group cannot own a group"),
    ("missing", "owner_ids", "do not exist in the directory"),
    ("distribution", "group_id", "does not manage the owners"),
    ("self", "owner_ids", "a group cannot own itself"),
])
def test_preview_refuses_what_graph_would_refuse_before_any_write(emu, stack, world, case, prop, needle):
    u, devs = world["u"], world["devs"]
    args = {"group owner": dict(group_id=devs, owner_ids=[u[0], world["ops"]]),
            "missing": dict(group_id=devs, owner_ids=[u[0], new_id()]),
            "distribution": dict(group_id=world["lists"], owner_ids=[u[0]]),
            "self": dict(group_id=devs, owner_ids=[devs])}[case]
    failures = stack("GroupOwners").preview(**args)
    assert [p for p, _ in failures] == [prop] and needle in failures[0][1], failures
    assert owner_writes(emu) == []


def test_removing_the_last_owner_fails_at_preview_naming_group_and_owner(emu, stack, world):
    u, devs = world["u"], world["devs"]
    r = stack("GroupOwners")
    r.up(group_id=devs, owner_ids=[u[20]])  # adopts the group's only owner
    emu.clear_requests()
    [(prop, reason)] = r.preview(group_id=devs, owner_ids=[])
    assert prop == "owner_ids" and f"group {devs} (Devs) would be left without owners" in reason and u[20] in reason
    assert "protected_owner_ids" in reason
    assert owner_writes(emu) == []
    # Authoritative with another owner: the new owner is added first, then the old one goes.
    r.up(group_id=devs, owner_ids=[u[1]], authoritative=True)
    assert group_owners(emu, devs) == {u[1]}


def test_authoritative_shows_strangers_at_preview_and_hand_added_owners_as_drift(emu, stack, fresh, world,
                                                                                  outside_graph):
    u, devs = world["u"], world["devs"]
    r = stack("GroupOwners")
    assert r.preview(group_id=devs, owner_ids=[u[0]], authoritative=True) == []
    r.up(group_id=devs, owner_ids=[u[0]], authoritative=True)
    assert r.inputs["outside_owners_to_remove"] == {u[20]: "user"}
    assert group_owners(emu, devs) == {u[0]}

    outside_graph.call("POST", f"/groups/{devs}/owners/$ref", {"@odata.id": f"{outside_graph.base}/directoryObjects/{u[5]}"})
    before = r.inputs
    srv = fresh()
    _, routs, rins = r.refresh(srv)
    assert routs["owner_ids"] == [u[0]] and routs["outside_owners_to_remove"] == {u[5]: "user"}
    assert "outside_owners_to_remove" not in rins
    assert srv.diff(r.urn, r.id, routs, before).changes == "some"
    r.up(group_id=devs, owner_ids=[u[0]], authoritative=True)
    assert group_owners(emu, devs) == {u[0]}


def test_max_removals_and_protected_owners(emu, stack, world):
    u, ops = world["u"], world["ops"]
    r = stack("GroupOwners")
    r.up(group_id=ops, owner_ids=u[0:6], protected_owner_ids=[u[5]], max_removals=2)
    emu.clear_requests()
    [(prop, reason)] = r.preview(group_id=ops, owner_ids=u[0:2], protected_owner_ids=[u[5]], max_removals=2)
    assert prop == "max_removals" and "would remove 3 owner(s)" in reason  # u[2..4]; u[5] is protected
    assert owner_writes(emu) == []
    r.up(group_id=ops, owner_ids=u[0:2], protected_owner_ids=[u[5]], max_removals=3)
    assert group_owners(emu, ops) == {u[0], u[1], u[5]}
    r.destroy()  # the protected owner stays: the group keeps an owner
    assert group_owners(emu, ops) == {u[5]}


def test_destroy_leaves_the_last_owner_with_a_warning_naming_group_and_owner(emu, stack, world):
    """A delete has no preview, and the group itself is often deleted next (its owners go with it):
    the others are removed, the last one stays, and the warning says which and why."""
    u, ops = world["u"], world["ops"]
    r = stack("GroupOwners")
    r.up(group_id=ops, owner_ids=u[0:3])
    emu.clear_requests()
    r.destroy()
    kept = min(u[0:3])  # the first by id: the same one whichever process deletes
    assert group_owners(emu, ops) == {kept}
    assert len([w for w in owner_writes(emu) if w["method"] == "DELETE" or w["path"].endswith("$batch")]) == 1
    said = "\n".join(r.server.stderr_lines)
    assert f"group {ops} (Ops): {kept} stays its owner" in said and "group-delete-owners" in said


def test_the_guard_on_destroy_counts_only_the_owners_it_removes(emu, stack, world):
    """The last owner a delete leaves is no removal: max_removals=2 lets three owners go to one."""
    u, ops = world["u"], world["ops"]
    r = stack("GroupOwners")
    r.up(group_id=ops, owner_ids=u[0:3], max_removals=2)
    r.destroy()
    assert group_owners(emu, ops) == {min(u[0:3])}


def test_group_owner_adopts_reads_drift_and_keeps_the_last_owner(emu, stack, fresh, world, outside_graph):
    u, devs = world["u"], world["devs"]
    a = stack("GroupOwner", "a")
    outs = a.up(group_id=devs, owner_id=u[20])
    assert a.id == f"{devs}/owner/{u[20]}" and outs["adopted"] is True and outs["owner_type"] == "user"
    b = stack("GroupOwner", "b")
    outs = b.up(group_id=devs, owner_id=world["sp"])
    assert outs["adopted"] is False and outs["owner_type"] == "servicePrincipal"
    assert group_owners(emu, devs) == {u[20], world["sp"]}
    b.destroy()
    assert group_owners(emu, devs) == {u[20]}
    # Moving it to another owner of the same group adds the new one first, then removes the old.
    assert a.preview(group_id=devs, owner_id=u[1]) == []
    a.up(group_id=devs, owner_id=u[1])
    assert group_owners(emu, devs) == {u[1]}
    # Removed by hand: a refresh (in a new process) drops it.
    outside_graph.call("POST", f"/groups/{devs}/owners/$ref", {"@odata.id": f"{outside_graph.base}/directoryObjects/{u[2]}"})
    outside_graph.call("DELETE", f"/groups/{devs}/owners/{u[1]}/$ref")
    rid, _, _ = a.refresh(fresh())
    assert rid == ""
    # The last owner: the delete leaves it, says so, and writes nothing.
    c = stack("GroupOwner", "c")
    c.up(group_id=devs, owner_id=u[2])
    emu.clear_requests()
    c.destroy()
    assert group_owners(emu, devs) == {u[2]} and owner_writes(emu) == []
    assert f"{u[2]} stays its owner" in "\n".join(c.server.stderr_lines)


def test_group_owner_preview_refuses_a_device_or_group(emu, stack, world):
    failures = stack("GroupOwner").preview(group_id=world["devs"], owner_id=world["ops"])
    assert [p for p, _ in failures] == ["owner_id"] and "a group cannot own a group" in failures[0][1]


def test_a_role_assignable_group_needs_the_role_permission_named_at_preview(emu, blobs, world):
    """The emulator asks for RoleManagement.ReadWrite.Directory to change a role-assignable group's
    owners (docs/permissions.md note 9); the preview names it before any write."""
    import uuid

    from harness.server import ProviderServer, emulator_config

    from .support import Stack

    admins = new_id()
    client_id, secret = str(uuid.uuid4()), "s-" + uuid.uuid4().hex
    emu.seed({"groups": [{"id": admins, "displayName": "Admins", "mailNickname": "admins-" + admins[:6],
                          "securityEnabled": True, "mailEnabled": False, "isAssignableToRole": True}],
              "apps": [{"client_id": client_id, "client_secret": secret, "roles": ["Group.ReadWrite.All"]}]})
    with ProviderServer(config=emulator_config(emu, **{"msgraph:clientId": client_id,
                                                        "msgraph:clientSecret": secret})) as server:
        emu.clear_requests()
        failures = Stack(server, "GroupOwners", "r", blobs["GroupOwners"]).preview(group_id=admins,
                                                                                    owner_ids=[world["u"][0]])
        assert [p for p, _ in failures] == ["group_id"] and "RoleManagement.ReadWrite.Directory" in failures[0][1]
        assert owner_writes(emu) == []


def test_two_group_owners_of_the_last_two_owners_deleted_at_once_keep_one(emu, stack, world):
    """The engine deletes in parallel: each delete sees the other owner, Graph refuses the second
    removal, and that owner is kept with the warning instead of failing the destroy."""
    from concurrent.futures import ThreadPoolExecutor

    u, ops = world["u"], world["ops"]
    rs = [stack("GroupOwner", f"o{i}") for i in range(2)]
    for r, o in zip(rs, u[0:2]):
        r.up(group_id=ops, owner_id=o)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda r: r.destroy(), rs))
    left = group_owners(emu, ops)
    assert len(left) == 1 and left <= set(u[0:2])
    [kept] = left
    assert f"{kept} stays its owner" in "\n".join(rs[0].server.stderr_lines)
