"""The group alternate key uniqueName, as Microsoft documents it:
https://learn.microsoft.com/graph/api/group-upsert (create or update by uniqueName) and the
group resource's uniqueName property (unique in the tenant, set at creation, never changed)."""

from __future__ import annotations

from .conftest import AU, error_of

AU_PATH = f"directory/administrativeUnits/{AU}"
SECURITY = {"displayName": "Ops", "mailNickname": "ops", "securityEnabled": True, "mailEnabled": False}


def _groups_named(emu, unique_name):
    return [g for g in emu.directory()["groups"] if g.get("uniqueName") == unique_name]


def test_a_group_created_with_a_unique_name_is_read_by_it(graph, emu):
    created = graph.post("groups", {**SECURITY, "uniqueName": "ops-1"})
    assert created.status_code == 201 and created.json()["uniqueName"] == "ops-1"
    r = graph.get("groups(uniqueName='ops-1')")
    assert r.status_code == 200 and r.json()["id"] == created.json()["id"]
    assert graph.get("groups/(uniqueName='ops-1')").json()["id"] == created.json()["id"]


def test_an_unknown_unique_name_is_404(graph):
    assert error_of(graph.get("groups(uniqueName='nobody')"))[:2] == (404, "Request_ResourceNotFound")


def test_a_second_create_with_the_same_unique_name_is_refused(graph, emu):
    assert graph.post("groups", {**SECURITY, "uniqueName": "ops-2"}).status_code == 201
    r = graph.post(f"{AU_PATH}/members", {"@odata.type": "#microsoft.graph.group", **SECURITY,
                                          "mailNickname": "ops2", "uniqueName": "ops-2"})
    status, code, message = error_of(r)
    assert (status, code) == (400, "Request_BadRequest") and "uniqueName" in message
    assert len(_groups_named(emu, "ops-2")) == 1


def test_a_group_created_in_a_unit_keeps_its_unique_name(graph, emu):
    r = graph.post(f"{AU_PATH}/members", {"@odata.type": "#microsoft.graph.group", **SECURITY, "uniqueName": "in-unit"})
    assert r.status_code == 201
    assert graph.get("groups(uniqueName='in-unit')").json()["id"] == r.json()["id"]


def test_upsert_creates_when_missing_then_updates(graph, emu):
    prefer = {"Prefer": "create-if-missing"}
    first = graph.patch("groups(uniqueName='up-1')", SECURITY, headers=prefer)
    assert first.status_code == 201 and first.json()["uniqueName"] == "up-1"
    again = graph.patch("groups(uniqueName='up-1')", {**SECURITY, "description": "now"}, headers=prefer)
    assert again.status_code == 204 and not again.content
    [group] = _groups_named(emu, "up-1")
    assert group["description"] == "now" and group["id"] == first.json()["id"]


def test_patch_without_prefer_is_an_update_only(graph, emu):
    assert error_of(graph.patch("groups(uniqueName='up-2')", SECURITY))[:2] == (404, "Request_ResourceNotFound")
    assert _groups_named(emu, "up-2") == []


def test_a_unique_name_cannot_be_changed(graph):
    gid = graph.post("groups", {**SECURITY, "uniqueName": "fixed"}).json()["id"]
    assert error_of(graph.patch(f"groups/{gid}", {"uniqueName": "other"}))[0] == 400
    assert graph.get("groups(uniqueName='fixed')").json()["id"] == gid


def test_a_quote_in_a_unique_name_is_doubled_in_the_key(graph):
    gid = graph.post("groups", {**SECURITY, "uniqueName": "o'brien"}).json()["id"]
    assert graph.get("groups(uniqueName='o''brien')").json()["id"] == gid


def test_delete_by_unique_name(graph, emu):
    graph.post("groups", {**SECURITY, "uniqueName": "gone"})
    assert graph.delete("groups(uniqueName='gone')").status_code == 204
    assert _groups_named(emu, "gone") == []
