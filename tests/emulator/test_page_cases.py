"""Requests answered as their Microsoft page says, beyond the rows of docs/graph-behaviour.md §11:
permissions named on the checkMember*/transitiveMemberOf/owners/getByIds pages, `$batch` sequencing,
the `OData-Version` header, `@odata.context` with `$select`, and the 20-id limit of the checks.
"""
from __future__ import annotations

import uuid

from .conftest import ALICE, BOB, EMPTY, NESTED, SEC, Graph, error_of

DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def app(emu, *roles) -> Graph:
    client_id, secret = str(uuid.uuid4()), "s-" + uuid.uuid4().hex
    emu.seed({"apps": [{"client_id": client_id, "client_secret": secret, "roles": list(roles)}]})
    return Graph(emu, client_id, secret)


def _ref(obj_id: str) -> dict:
    return {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{obj_id}"}


# --- permissions, as the pages' tables say ----------------------------------------------------------
def test_check_member_groups_of_a_user_with_user_read_and_group_member_read(emu, graph):
    """directoryobject-checkmembergroups, "Group memberships for a user": User.Read.All and GroupMember.Read.All."""
    assert graph.add_member(SEC, ALICE).status_code == 204
    r = app(emu, "User.Read.All", "GroupMember.Read.All").post(f"users/{ALICE}/checkMemberGroups",
                                                                {"groupIds": [SEC, NESTED, EMPTY]})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["value"]) == sorted([SEC, NESTED])
    assert error_of(app(emu, "User.Read.All").post(f"users/{ALICE}/checkMemberGroups", {"groupIds": [SEC]})) == DENIED


def test_check_member_groups_of_a_group_with_group_member_read(emu):
    """"Group memberships for a group": GroupMember.Read.All."""
    r = app(emu, "GroupMember.Read.All").post(f"groups/{SEC}/checkMemberGroups", {"groupIds": [NESTED]})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == [NESTED]


def test_check_member_objects_of_a_user_with_user_read(emu, graph):
    """directoryobject-checkmemberobjects, "Memberships for a user": User.Read.All."""
    assert graph.add_member(SEC, ALICE).status_code == 204
    r = app(emu, "User.Read.All").post(f"users/{ALICE}/checkMemberObjects", {"ids": [SEC, EMPTY]})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == [SEC]


def test_transitive_member_of_a_user_with_user_read(emu, graph):
    """user-list-transitivememberof: User.Read.All is the least privileged."""
    assert graph.add_member(SEC, ALICE).status_code == 204
    r = app(emu, "User.Read.All").get(f"users/{ALICE}/transitiveMemberOf")
    assert r.status_code == 200, r.text
    assert sorted(o["id"] for o in r.json()["value"]) == sorted([SEC, NESTED])


def test_owners_cannot_be_added_with_group_member_readwrite_alone(emu):
    """group-post-owners lists Group.ReadWrite.All and Directory.ReadWrite.All only, for $ref and for a bind."""
    weak = app(emu, "GroupMember.ReadWrite.All")
    assert error_of(weak.post(f"groups/{SEC}/owners/$ref", _ref(BOB))) == DENIED
    assert error_of(weak.patch(f"groups/{SEC}", {"owners@odata.bind": [_ref(BOB)["@odata.id"]]})) == DENIED
    assert app(emu, "Group.ReadWrite.All").post(f"groups/{SEC}/owners/$ref", _ref(BOB)).status_code == 204


def test_get_by_ids_with_directory_readwrite(emu):
    """A ReadWrite permission reads what its Read counterpart reads (docs/permissions.md note 2)."""
    r = app(emu, "Directory.ReadWrite.All").post("directoryObjects/getByIds", {"ids": [ALICE]})
    assert r.status_code == 200, r.text
    assert [o["id"] for o in r.json()["value"]] == [ALICE]


def test_membership_checks_take_at_most_20_ids(graph):
    """checkMemberGroups and checkMemberObjects: "up to 20"."""
    ids = [str(uuid.uuid4()) for _ in range(21)]
    for action, key in (("checkMemberGroups", "groupIds"), ("checkMemberObjects", "ids")):
        r = graph.post(f"users/{ALICE}/{action}", {key: ids})
        assert r.status_code == 400, r.text
        assert graph.post(f"users/{ALICE}/{action}", {key: ids[:20]}).status_code == 200


# --- $batch sequencing (json-batching) ----------------------------------------------------------------
def _get(item_id: str, **extra) -> dict:
    return {"id": item_id, "method": "GET", "url": f"/groups/{SEC}", **extra}


def test_a_batch_mixing_sequential_and_parallel_items_is_refused_whole(graph):
    items = [_get("1"), {**_get("2"), "dependsOn": ["1"]}, _get("3")]
    r = graph.post("$batch", {"requests": items})
    assert error_of(r) == (400, "BadRequest", "Batch should be either fully sequential or fully parallel")
    assert graph.get(f"groups/{SEC}").status_code == 200


def test_fully_sequential_and_fully_parallel_batches_run(graph):
    for items in ([_get("1"), {**_get("2"), "dependsOn": ["1"]}, {**_get("3"), "dependsOn": ["2"]}],
                  [_get("1"), _get("2"), _get("3")]):
        r = graph.post("$batch", {"requests": items})
        assert r.status_code == 200, r.text
        assert sorted(x["status"] for x in r.json()["responses"]) == [200, 200, 200]


# --- the shape of answers --------------------------------------------------------------------------------
def test_every_graph_answer_says_odata_version_4(graph):
    for r in (graph.get(f"groups/{SEC}"), graph.get("groups/nope"),
              graph.get(f"groups/{SEC}/members/$count", headers={"ConsistencyLevel": "eventual"})):
        assert r.headers.get("OData-Version") == "4.0", (r.status_code, dict(r.headers))


def test_odata_context_names_the_select_list(graph):
    """As on group-list-transitivemembers: `$metadata#users(displayName,id)`."""
    r = graph.get("users?$select=displayName,id")
    assert r.json()["@odata.context"].endswith("/v1.0/$metadata#users(displayName,id)")
    r = graph.get(f"groups/{SEC}?$select=id")
    assert r.json()["@odata.context"].endswith("/v1.0/$metadata#groups(id)/$entity")
    assert graph.get("users").json()["@odata.context"].endswith("/v1.0/$metadata#users")
