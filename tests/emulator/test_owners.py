"""A group's owners as the emulator's model enforces them (emulator/owners.py, docs/graph-behaviour.md
§1.9): what may own a group, which groups have owners in Graph, who may change them, and the
refusal to remove the last owner, through `$ref`, `owners@odata.bind` and `$batch` alike."""
from __future__ import annotations

import uuid

import pytest

from .conftest import (ALICE, BOB, CAROL, DEVICE, DISTRIBUTION, EMPTY, M365, MAIL_SEC, ROLE_GROUP, SEC, SP, Graph,
                       error_of)

DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
LAST = (400, "Request_BadRequest", "The group must have at least one owner, hence this owner cannot be removed.")


def app(emu, *roles) -> Graph:
    client_id, secret = str(uuid.uuid4()), "s-" + uuid.uuid4().hex
    emu.seed({"apps": [{"client_id": client_id, "client_secret": secret, "roles": list(roles)}]})
    return Graph(emu, client_id, secret)


def owners(graph, group: str) -> list[str]:
    r = graph.get(f"groups/{group}/owners?$select=id")
    assert r.status_code == 200, r.text
    return sorted(o["id"] for o in r.json()["value"])


@pytest.mark.parametrize("owner, ok", [(BOB, True), (SP, True), (DEVICE, False), (EMPTY, False)])
def test_users_and_service_principals_own_groups_devices_and_groups_do_not(graph, owner, ok):
    r = graph.post(f"groups/{M365}/owners/$ref", graph.ref(owner))
    if ok:
        assert r.status_code == 204, r.text
        assert owners(graph, M365) == [owner]
    else:
        assert r.status_code == 400 and owners(graph, M365) == []


@pytest.mark.parametrize("group", [DISTRIBUTION, MAIL_SEC])
def test_groups_created_in_exchange_have_no_owners_in_graph(graph, group):
    """group-list-owners: owners are not available for distribution and Exchange groups."""
    assert error_of(graph.post(f"groups/{group}/owners/$ref", graph.ref(BOB))) == DENIED
    assert error_of(graph.patch(f"groups/{group}", {"owners@odata.bind": [graph.ref(BOB)["@odata.id"]]})) == DENIED


def test_a_role_assignable_groups_owners_need_the_role_permission(emu):
    weak = app(emu, "Group.ReadWrite.All")
    assert error_of(weak.post(f"groups/{ROLE_GROUP}/owners/$ref", weak.ref(BOB))) == DENIED
    assert error_of(weak.patch(f"groups/{ROLE_GROUP}", {"owners@odata.bind": [weak.ref(BOB)["@odata.id"]]})) == DENIED
    strong = app(emu, "Group.ReadWrite.All", "RoleManagement.ReadWrite.Directory")
    assert strong.post(f"groups/{ROLE_GROUP}/owners/$ref", strong.ref(BOB)).status_code == 204


def test_owners_are_listed_with_the_least_privileged_read(emu):
    """group-list-owners: GroupMember.Read.All is the least privileged."""
    assert owners(app(emu, "GroupMember.Read.All"), SEC) == [ALICE]


def test_once_a_group_has_owners_the_last_one_stays(graph):
    """group-delete-owners: an ownerless group gets one; from then on the last cannot be removed."""
    assert graph.post(f"groups/{EMPTY}/owners/$ref", graph.ref(SP)).status_code == 204
    assert error_of(graph.delete(f"groups/{EMPTY}/owners/{SP}/$ref")) == LAST
    assert graph.post(f"groups/{EMPTY}/owners/$ref", graph.ref(BOB)).status_code == 204
    assert graph.delete(f"groups/{EMPTY}/owners/{SP}/$ref").status_code == 204
    assert error_of(graph.delete(f"groups/{EMPTY}/owners/{BOB}/$ref")) == LAST
    assert owners(graph, EMPTY) == [BOB]


def test_a_batch_removing_every_owner_keeps_the_last(graph):
    """Each `$batch` item is judged on its own, in order: all but the last removal succeed."""
    for who in (BOB, CAROL):
        assert graph.post(f"groups/{SEC}/owners/$ref", graph.ref(who)).status_code == 204
    items = [{"id": str(i), "method": "DELETE", "url": f"/groups/{SEC}/owners/{who}/$ref"}
             for i, who in enumerate((ALICE, BOB, CAROL))]
    r = graph.post("$batch", {"requests": items})
    assert r.status_code == 200, r.text
    statuses = sorted(x["status"] for x in r.json()["responses"])
    assert statuses == [204, 204, 400]
    assert len(owners(graph, SEC)) == 1
