"""Administrative units (docs/graph-behaviour.md §1.7, §1.8)."""

from __future__ import annotations

from .conftest import (AU, BOB, CAROL, CONTACT, DEVICE, M365, MEMBER_ONLY_APP, MEMBER_ONLY_SECRET, MISSING,
                       RESTRICTED_AU, SEC, Graph, error_of)

AU_PATH = f"directory/administrativeUnits/{AU}"


def _au_members(emu, au=AU):
    return next(a for a in emu.directory()["administrativeUnits"] if a["id"] == au)["members"]


def test_get_administrative_unit(graph):
    """§1.7: GET /directory/administrativeUnits/{id}."""
    r = graph.get(AU_PATH)
    assert r.status_code == 200 and r.json()["displayName"] == "Paris"


def test_au_add_member_ref_users_groups_devices(graph, emu):
    """§1.7: POST …/members/$ref with users, groups and devices -> 204."""
    for ref in (graph.ref(BOB, "users"), graph.ref(SEC, "groups"), graph.ref(DEVICE, "devices")):
        assert graph.post(f"{AU_PATH}/members/$ref", ref).status_code == 204
    assert _au_members(emu) == sorted([BOB, SEC, DEVICE])


def test_au_add_existing_member_is_400_already_exist(graph):
    """§1.7 [inferred]: the same "already exist" message as groups."""
    graph.post(f"{AU_PATH}/members/$ref", graph.ref(BOB))
    r = graph.post(f"{AU_PATH}/members/$ref", graph.ref(BOB))
    assert error_of(r) == (400, "Request_BadRequest", "One or more added object references already exist for "
                           "the following modified properties: 'members'.")


def test_au_add_takes_one_member_at_a_time(graph, emu):
    """§1.7: "only possible to add one member at a time": a body with several is rejected."""
    refs = [graph.ref(BOB)["@odata.id"], graph.ref(CAROL)["@odata.id"]]
    assert graph.post(f"{AU_PATH}/members/$ref", {"@odata.id": refs}).status_code == 400
    assert graph.post(f"{AU_PATH}/members/$ref", {"members@odata.bind": refs}).status_code == 400
    assert _au_members(emu) == []


def test_au_refuses_contacts_and_service_principals(graph):
    """§1.7: AUs hold users, groups and devices."""
    assert error_of(graph.post(f"{AU_PATH}/members/$ref", graph.ref(CONTACT)))[:2] == (400, "Request_BadRequest")


def test_restricted_au_takes_only_plain_security_groups(graph):
    """§1.7: restricted-management AU: only non-unified, security-enabled, non-mail groups."""
    path = f"directory/administrativeUnits/{RESTRICTED_AU}/members/$ref"
    assert graph.post(path, graph.ref(M365, "groups")).status_code == 400
    assert graph.post(path, graph.ref(SEC, "groups")).status_code == 204


def test_au_remove_member_and_non_member(graph, emu):
    """§1.7: DELETE …/members/{id}/$ref -> 204; a non-member -> 404 template."""
    graph.post(f"{AU_PATH}/members/$ref", graph.ref(BOB))
    assert graph.delete(f"{AU_PATH}/members/{BOB}/$ref").status_code == 204
    assert error_of(graph.delete(f"{AU_PATH}/members/{BOB}/$ref"))[:2] == (404, "Request_ResourceNotFound")
    assert _au_members(emu) == []


def test_au_list_members_paging_and_cast(graph, emu):
    """§1.7: list with the same envelope, paging and casts as groups."""
    for ref in (graph.ref(BOB), graph.ref(CAROL), graph.ref(DEVICE)):
        graph.post(f"{AU_PATH}/members/$ref", ref)
    body = graph.get(f"{AU_PATH}/members?$top=2").json()
    assert len(body["value"]) == 2 and body["@odata.nextLink"].startswith("https://")
    assert sorted(graph.member_ids(AU, "directory/administrativeUnits")) == sorted([BOB, CAROL, DEVICE])
    users = graph.get(f"{AU_PATH}/members/microsoft.graph.user").json()["value"]
    assert sorted(u["id"] for u in users) == [BOB, CAROL]


def test_au_writes_need_administrative_unit_permission(emu):
    """§1.7: AdministrativeUnit.ReadWrite.All is required."""
    weak = Graph(emu, MEMBER_ONLY_APP, MEMBER_ONLY_SECRET)
    assert error_of(weak.post(f"{AU_PATH}/members/$ref", weak.ref(BOB)))[:2] == (403, "Authorization_RequestDenied")


def test_beta_administrative_units_alias(emu):
    """§1.7: beta /administrativeUnits/{id}/members/$ref works like /directory/administrativeUnits."""
    beta = Graph(emu, version="beta")
    r = beta.post(f"administrativeUnits/{AU}/members/$ref", {"@odata.id": f"https://graph.microsoft.com/beta/groups/{SEC}"})
    assert r.status_code == 204
    assert _au_members(emu) == [SEC]


def test_create_group_in_au_returns_201_with_default_properties(graph, emu):
    """§1.8: POST …/members (no $ref) with @odata.type group -> 201, groups/$entity, mail from nickname."""
    body = {"@odata.type": "#microsoft.graph.group", "description": "Self help community for golf",
            "displayName": "Golf Assist", "groupTypes": ["Unified"], "mailEnabled": True,
            "mailNickname": "golfassist", "securityEnabled": False}
    r = graph.post(f"{AU_PATH}/members", body)
    assert r.status_code == 201, r.text
    group = r.json()
    assert group["@odata.context"].endswith("/v1.0/$metadata#groups/$entity")
    assert group["mail"] == "golfassist@contoso.test" and group["proxyAddresses"] == ["SMTP:golfassist@contoso.test"]
    assert group["visibility"] == "Public" and group["groupTypes"] == ["Unified"]
    for key in ("id", "deletedDateTime", "classification", "createdDateTime", "expirationDateTime",
                "isAssignableToRole", "membershipRule", "membershipRuleProcessingState", "onPremisesSyncEnabled",
                "preferredDataLocation", "renewedDateTime", "resourceBehaviorOptions", "resourceProvisioningOptions",
                "securityIdentifier", "theme", "onPremisesProvisioningErrors"):
        assert key in group, key
    assert group["createdDateTime"].endswith("Z")
    assert group["id"] in _au_members(emu)


def test_create_group_in_au_without_odata_type_is_400(graph):
    """§1.8: a body without the @odata.type line -> 400 BadRequest [inferred message]."""
    body = {"displayName": "x", "mailEnabled": False, "mailNickname": "x", "securityEnabled": True}
    assert error_of(graph.post(f"{AU_PATH}/members", body))[:2] == (400, "BadRequest")


def test_create_group_in_au_requires_properties(graph):
    """§1.8: displayName, mailEnabled, mailNickname, securityEnabled are required."""
    body = {"@odata.type": "#microsoft.graph.group", "displayName": "x", "mailEnabled": False, "securityEnabled": True}
    assert error_of(graph.post(f"{AU_PATH}/members", body)) == (
        400, "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'Group'.")


def test_create_group_in_au_needs_group_create_permission(emu):
    """§1.8: Group.Create / Group.ReadWrite.All / Directory.ReadWrite.All."""
    weak = Graph(emu, MEMBER_ONLY_APP, MEMBER_ONLY_SECRET)
    body = {"@odata.type": "#microsoft.graph.group", "displayName": "x", "mailEnabled": False,
            "mailNickname": "x", "securityEnabled": True}
    assert error_of(weak.post(f"{AU_PATH}/members", body))[:2] == (403, "Authorization_RequestDenied")


def test_au_missing_is_404(graph):
    """§3: a missing AU in the path -> 404 template."""
    assert error_of(graph.get(f"directory/administrativeUnits/{MISSING}/members"))[:2] == (404, "Request_ResourceNotFound")
