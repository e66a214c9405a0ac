"""Group members and owners: add, remove, list, PATCH bind, entities (docs/graph-behaviour.md §1.1–§1.6)."""

from __future__ import annotations

import pytest

from .conftest import (ALICE, BOB, CAROL, CONTACT, DEVICE, EMPTY, M365, MISSING, NESTED, SEC, SP, Graph,
                       error_of, gid)

ALREADY = "One or more added object references already exist for the following modified properties: 'members'."


def _members_of(emu, group):
    return next(g for g in emu.directory()["groups"] if g["id"] == group)["members"]


def test_add_member_ref_returns_204_and_is_in_directory(graph, emu):
    """§1.1: POST /groups/{id}/members/$ref -> 204, no body."""
    r = graph.add_member(SEC, BOB)
    assert r.status_code == 204 and r.content == b""
    assert _members_of(emu, SEC) == [BOB]


def test_add_existing_member_is_400_already_exist(graph):
    """§1.1/§3: already a member -> 400 Request_BadRequest with the exact message."""
    graph.add_member(SEC, BOB)
    r = graph.add_member(SEC, BOB)
    assert error_of(r) == (400, "Request_BadRequest", ALREADY)


def test_add_missing_object_is_404_with_member_id(graph):
    """§1.1/§3: member object does not exist -> 404 Request_ResourceNotFound naming it."""
    r = graph.add_member(SEC, MISSING)
    assert error_of(r) == (404, "Request_ResourceNotFound", f"Resource '{MISSING}' does not exist or one of its "
                           "queried reference-property objects are not present.")


def test_add_to_missing_group_is_404_with_group_id(graph):
    """§3: group in the path does not exist -> 404 template with the group id."""
    r = graph.add_member(MISSING, BOB)
    assert error_of(r)[:2] == (404, "Request_ResourceNotFound") and MISSING in error_of(r)[2]


def test_non_guid_group_id_in_path_is_invalid_object_identifier(graph):
    """§2: invalid group id in the path -> 400 "Invalid object identifier '{value}'."."""
    r = graph.get("groups/not-a-guid/members")
    assert error_of(r) == (400, "Request_BadRequest", "Invalid object identifier 'not-a-guid'.")


def test_remove_member_ref_returns_204(graph, emu):
    """§1.4: DELETE /groups/{g}/members/{m}/$ref -> 204."""
    graph.add_member(SEC, BOB)
    r = graph.remove_member(SEC, BOB)
    assert r.status_code == 204 and _members_of(emu, SEC) == []


def test_remove_non_member_is_404_template(graph):
    """§1.4: removing a non-member -> 404 Request_ResourceNotFound (the member id)."""
    r = graph.remove_member(SEC, CAROL)
    assert error_of(r) == (404, "Request_ResourceNotFound", f"Resource '{CAROL}' does not exist or one of its "
                           "queried reference-property objects are not present.")


def test_delete_member_without_ref_is_403(graph, emu):
    """§1.4: DELETE /groups/{g}/members/{m} without $ref is refused with 403 (never deletes)."""
    graph.add_member(SEC, BOB)
    r = graph.delete(f"groups/{SEC}/members/{BOB}")
    assert error_of(r)[:2] == (403, "Authorization_RequestDenied")
    assert _members_of(emu, SEC) == [BOB]


def test_post_members_without_ref_is_400_bad_request(graph):
    """§1.3: POST /groups/{id}/members (no $ref) -> 400 BadRequest."""
    r = graph.post(f"groups/{SEC}/members", graph.ref(BOB))
    assert error_of(r) == (400, "BadRequest", "Invalid URL format specified in payload.")


def test_patch_members_ref_is_not_supported(graph):
    """§1.2: PATCH /groups/{id}/members/$ref -> 400 BadRequest "…not supported on the targeted entity set"."""
    r = graph.patch(f"groups/{SEC}/members/$ref", {"members@odata.bind": [graph.ref(BOB)["@odata.id"]]})
    assert error_of(r) == (400, "BadRequest", "The request is currently not supported on the targeted entity set")


def test_list_members_shape_and_types(graph):
    """§1.5: @odata.context, value items with @odata.type and id, every member type listed."""
    for member in (BOB, DEVICE, SP, CONTACT):
        assert graph.add_member(SEC, member).status_code == 204
    body = graph.get(f"groups/{SEC}/members").json()
    assert body["@odata.context"].endswith("/v1.0/$metadata#directoryObjects")
    types = {m["id"]: m["@odata.type"] for m in body["value"]}
    assert types == {BOB: "#microsoft.graph.user", DEVICE: "#microsoft.graph.device",
                     SP: "#microsoft.graph.servicePrincipal", CONTACT: "#microsoft.graph.orgContact"}
    assert "@odata.nextLink" not in body


def test_list_members_select_id(graph):
    """§1.5: $select=id returns only @odata.type and id."""
    graph.add_member(SEC, BOB)
    item = graph.get(f"groups/{SEC}/members?$select=id").json()["value"][0]
    assert item == {"@odata.type": "#microsoft.graph.user", "id": BOB}


def test_list_members_pages_by_100_with_absolute_next_link(graph, emu):
    """§1.5: default page 100, absolute @odata.nextLink with an opaque $skiptoken, followed verbatim."""
    users = [{"id": gid(5000 + i), "displayName": f"u{i}"} for i in range(250)]
    emu.seed({"users": users, "groups": [{"id": gid(4000), "displayName": "big", "mailNickname": "big",
                                          "members": [u["id"] for u in users]}]})
    r = graph.get(f"groups/{gid(4000)}/members")
    body = r.json()
    assert len(body["value"]) == 100
    link = body["@odata.nextLink"]
    host = emu.graph_url.split("://", 1)[1]
    assert link.startswith(f"https://{host}/v1.0/groups/{gid(4000)}/members?") and "$skiptoken=" in link
    assert sorted(graph.member_ids(gid(4000))) == sorted(u["id"] for u in users)


@pytest.mark.parametrize("top,status", [("999", 200), ("1", 200), ("1000", 400), ("0", 400), ("abc", 400)])
def test_list_members_top_accepts_1_to_999(graph, top, status):
    """§1.5: $top accepted 1–999."""
    graph.add_member(SEC, BOB)
    assert graph.get(f"groups/{SEC}/members?$top={top}").status_code == status


def test_list_members_top_pages_with_top_in_next_link(graph, emu):
    """§1.5: $top=2 over 5 members gives 3 pages, each nextLink absolute."""
    users = [{"id": gid(6000 + i)} for i in range(5)]
    emu.seed({"users": users, "groups": [{"id": gid(4001), "mailNickname": "g5", "members": [u["id"] for u in users]}]})
    pages, url = 0, f"groups/{gid(4001)}/members?$top=2&$select=id"
    seen = []
    while url:
        body = graph.get(url).json()
        seen += [m["id"] for m in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
        assert url is None or ("$top=2" in url and "$select=id" in url)
    assert pages == 3 and sorted(seen) == [u["id"] for u in users]


def test_skip_is_not_supported(graph):
    """§1.5: $skip is not supported on directory objects."""
    assert graph.get(f"groups/{SEC}/members?$skip=2").status_code == 400


def test_list_members_count_with_consistency_level(graph):
    """§1.5: $count=true + ConsistencyLevel: eventual adds @odata.count; /$count is text/plain."""
    graph.add_member(SEC, BOB)
    graph.add_member(SEC, DEVICE)
    h = {"ConsistencyLevel": "eventual"}
    assert graph.get(f"groups/{SEC}/members?$count=true", headers=h).json()["@odata.count"] == 2
    r = graph.get(f"groups/{SEC}/members/$count", headers=h)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain") and r.text == "2"
    assert graph.get(f"groups/{SEC}/members/$count").status_code == 400  # header required


def test_list_members_odata_cast(graph):
    """§1.5: /members/microsoft.graph.user returns only users; …/microsoft.graph.user/$count counts them."""
    for member in (BOB, CAROL, DEVICE):
        graph.add_member(SEC, member)
    users = graph.get(f"groups/{SEC}/members/microsoft.graph.user").json()["value"]
    assert sorted(u["id"] for u in users) == [BOB, CAROL]
    devices = graph.get(f"groups/{SEC}/members/microsoft.graph.device").json()["value"]
    assert [d["id"] for d in devices] == [DEVICE]
    r = graph.get(f"groups/{SEC}/members/microsoft.graph.user/$count", headers={"ConsistencyLevel": "eventual"})
    assert r.text == "2"


def test_beta_behaves_like_v1(emu):
    """§1: v1.0 and beta behave the same for membership."""
    g = Graph(emu, version="beta")
    assert g.add_member(SEC, BOB).status_code == 204
    assert g.get(f"groups/{SEC}/members").json()["@odata.context"].endswith("/beta/$metadata#directoryObjects")


def test_patch_members_bind_adds_all(graph, emu):
    """§1.2: PATCH /groups/{id} with members@odata.bind -> 204, all added."""
    refs = [graph.ref(m)["@odata.id"] for m in (BOB, CAROL, DEVICE)]
    r = graph.patch(f"groups/{SEC}", {"members@odata.bind": refs})
    assert r.status_code == 204
    assert _members_of(emu, SEC) == sorted([BOB, CAROL, DEVICE])


def test_patch_bind_more_than_20_links_is_rejected(graph, emu):
    """§1.2: at most 20 link changes, members and owners counted together."""
    users = [{"id": gid(7000 + i)} for i in range(21)]
    emu.seed({"users": users})
    refs = [graph.ref(u["id"])["@odata.id"] for u in users]
    r = graph.patch(f"groups/{SEC}", {"members@odata.bind": refs})
    assert error_of(r) == (400, "Request_BadRequest", "A resource cannot contain more than 20 link changes")
    r = graph.patch(f"groups/{SEC}", {"members@odata.bind": refs[:19], "owners@odata.bind": refs[19:]})
    assert r.status_code == 400
    assert graph.patch(f"groups/{SEC}", {"members@odata.bind": refs[:20]}).status_code == 204


def test_patch_bind_is_atomic(graph, emu):
    """§1.2: one already-member (or missing) reference rejects the whole request; nothing is added."""
    graph.add_member(SEC, BOB)
    refs = [graph.ref(m)["@odata.id"] for m in (CAROL, BOB)]
    r = graph.patch(f"groups/{SEC}", {"members@odata.bind": refs})
    assert error_of(r) == (400, "Request_BadRequest", ALREADY)
    r = graph.patch(f"groups/{SEC}", {"members@odata.bind": [graph.ref(CAROL)["@odata.id"], graph.ref(MISSING)["@odata.id"]]})
    assert error_of(r)[:2] == (404, "Request_ResourceNotFound")
    r = graph.patch(f"groups/{SEC}", {"members@odata.bind": [graph.ref(CAROL)["@odata.id"]] * 2})
    assert r.status_code == 400
    assert _members_of(emu, SEC) == [BOB]


def test_patch_group_properties(graph):
    """§8: displayName, description, mailNickname, visibility update; immutable ones are refused."""
    r = graph.patch(f"groups/{SEC}", {"displayName": "Developers", "description": "d", "mailNickname": "developers"})
    assert r.status_code == 204
    body = graph.get(f"groups/{SEC}").json()
    assert (body["displayName"], body["description"], body["mailNickname"]) == ("Developers", "d", "developers")
    r = graph.patch(f"groups/{SEC}", {"isAssignableToRole": True})
    assert error_of(r) == (400, "Request_BadRequest", "Property 'isAssignableToRole' is read-only and cannot be set.")
    assert graph.patch(f"groups/{SEC}", {"mailNickname": "bad nick"}).status_code == 400
    assert graph.patch(f"groups/{SEC}", {"nonsense": 1}).status_code == 400


def test_owners_ref_add_list_remove_and_last_owner(graph, emu):
    """§1.9/§1.4: owners $ref add/list/remove; removing the last owner is refused."""
    assert graph.post(f"groups/{SEC}/owners/$ref", graph.ref(BOB)).status_code == 204
    owners = graph.get(f"groups/{SEC}/owners").json()["value"]
    assert sorted(o["id"] for o in owners) == [ALICE, BOB]
    r = graph.post(f"groups/{SEC}/owners/$ref", graph.ref(BOB))
    assert error_of(r)[2] == ("One or more added object references already exist for the following modified "
                              "properties: 'owners'.")
    assert graph.delete(f"groups/{SEC}/owners/{BOB}/$ref").status_code == 204
    r = graph.delete(f"groups/{SEC}/owners/{ALICE}/$ref")
    assert error_of(r) == (400, "Request_BadRequest",
                           "The group must have at least one owner, hence this owner cannot be removed.")


def test_get_group_entity(graph):
    """§1.8: GET /groups/{id} returns the group's default properties with @odata.context."""
    body = graph.get(f"groups/{SEC}").json()
    assert body["@odata.context"].endswith("/v1.0/$metadata#groups/$entity")
    assert body["id"] == SEC and body["securityEnabled"] is True and body["groupTypes"] == []
    assert body["securityIdentifier"].startswith("S-1-12-1-")
    assert graph.get(f"groups/{SEC}?$select=id,displayName").json().keys() >= {"id", "displayName"}


@pytest.mark.parametrize("entity_set,obj,odata_type", [
    ("directoryObjects", BOB, "#microsoft.graph.user"),
    ("directoryObjects", DEVICE, "#microsoft.graph.device"),
    ("users", BOB, None), ("devices", DEVICE, None), ("servicePrincipals", SP, None), ("contacts", CONTACT, None),
])
def test_get_directory_object_by_entity_set(graph, entity_set, obj, odata_type):
    """§1.6/§2: GET /directoryObjects/{id} carries @odata.type; typed sets return their objects."""
    r = graph.get(f"{entity_set}/{obj}")
    assert r.status_code == 200 and r.json()["id"] == obj
    if odata_type:
        assert r.json()["@odata.type"] == odata_type


def test_get_object_from_wrong_entity_set_is_404(graph):
    """§3: /users/{id of a device} is not found."""
    assert graph.get(f"users/{DEVICE}").status_code == 404


def test_get_by_ids_returns_found_objects_with_types(graph):
    """§1.6: POST /directoryObjects/getByIds returns found objects with @odata.type; missing ids absent."""
    r = graph.post("directoryObjects/getByIds", {"ids": [BOB, DEVICE, MISSING, SEC]})
    assert r.status_code == 200
    got = {o["id"]: o["@odata.type"] for o in r.json()["value"]}
    assert got == {BOB: "#microsoft.graph.user", DEVICE: "#microsoft.graph.device", SEC: "#microsoft.graph.group"}
    r = graph.post("directoryObjects/getByIds", {"ids": [BOB, DEVICE], "types": ["user"]})
    assert [o["id"] for o in r.json()["value"]] == [BOB]


def test_check_member_groups_is_transitive(graph):
    """§1.6: checkMemberGroups returns the subset of groups the object is in, transitively (NESTED ⊃ SEC)."""
    graph.add_member(SEC, BOB)
    r = graph.post(f"directoryObjects/{BOB}/checkMemberGroups", {"groupIds": [SEC, NESTED, EMPTY]})
    assert r.status_code == 200 and sorted(r.json()["value"]) == sorted([SEC, NESTED])
    r = graph.post(f"users/{BOB}/checkMemberGroups", {"groupIds": [gid(9000 + i) for i in range(21)]})
    assert r.status_code == 400


def test_check_member_objects_includes_administrative_units(graph):
    """§1.6: checkMemberObjects covers groups and administrative units."""
    from .conftest import AU
    graph.add_member(SEC, BOB)
    graph.post(f"directory/administrativeUnits/{AU}/members/$ref", graph.ref(BOB, "users"))
    r = graph.post(f"directoryObjects/{BOB}/checkMemberObjects", {"ids": [SEC, AU, EMPTY]})
    assert sorted(r.json()["value"]) == sorted([SEC, AU])


def test_member_of_is_direct_and_includes_administrative_units(graph):
    """§1.9: GET /users/{id}/memberOf lists direct groups and AUs (#microsoft.graph.administrativeUnit)."""
    from .conftest import AU
    graph.add_member(SEC, BOB)
    graph.post(f"directory/administrativeUnits/{AU}/members/$ref", graph.ref(BOB, "users"))
    value = graph.get(f"users/{BOB}/memberOf").json()["value"]
    assert {(o["id"], o["@odata.type"]) for o in value} == {
        (SEC, "#microsoft.graph.group"), (AU, "#microsoft.graph.administrativeUnit")}
    value = graph.get(f"groups/{SEC}/memberOf").json()["value"]
    assert [o["id"] for o in value] == [NESTED]


def test_transitive_members(graph):
    """§1.6: /groups/{id}/transitiveMembers includes members of nested groups."""
    graph.add_member(SEC, BOB)
    ids = {o["id"] for o in graph.get(f"groups/{NESTED}/transitiveMembers").json()["value"]}
    assert ids == {SEC, BOB}


def test_create_and_delete_group(graph, emu):
    """§1.8/§8: POST /groups -> 201 with defaults; DELETE /groups/{id} -> 204."""
    r = graph.post("groups", {"displayName": "New", "mailNickname": "new", "mailEnabled": False,
                              "securityEnabled": True, "members@odata.bind": [graph.ref(BOB)["@odata.id"]]})
    assert r.status_code == 201, r.text
    new = r.json()["id"]
    assert _members_of(emu, new) == [BOB]
    assert graph.delete(f"groups/{new}").status_code == 204
    assert graph.get(f"groups/{new}").status_code == 404


def test_member_of_ref_on_beta_adds_group_to_target(emu):
    """§1.9 (beta only): beta POST /groups/{id}/memberOf/$ref adds this group to the referenced group."""
    beta = Graph(emu, version="beta")
    r = beta.post(f"groups/{EMPTY}/memberOf/$ref", {"@odata.id": f"https://graph.microsoft.com/beta/groups/{SEC}"})
    assert r.status_code == 204
    assert _members_of(emu, SEC) == [EMPTY]


def test_member_of_ref_on_v1_is_405(graph):
    """§1.9: memberOf is read-only on v1.0 -> 405 "Specified HTTP method is not allowed for the request target."."""
    r = graph.post(f"groups/{EMPTY}/memberOf/$ref", graph.ref(SEC, "groups"))
    assert error_of(r) == (405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")


def test_unified_group_takes_users_only(graph):
    """§1.1 table: Microsoft 365 groups take only users."""
    assert graph.add_member(M365, BOB).status_code == 204
    for member in (DEVICE, SP, CONTACT, EMPTY):
        r = graph.add_member(M365, member)
        assert error_of(r)[:2] == (400, "Request_BadRequest"), member
