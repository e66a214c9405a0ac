"""Directory rules: group kinds, member types, @odata.id forms, precedence (docs/graph-behaviour.md §1.1, §2, §3, §8)."""

from __future__ import annotations

import pytest

from .conftest import (BOB, DISTRIBUTION, DYNAMIC, EMPTY, M365, MAIL_SEC, MEMBER_ONLY_APP, MEMBER_ONLY_SECRET,
                       MISSING, NESTED, ROLE_GROUP, SEC, Graph, error_of)

DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


@pytest.mark.parametrize("group", [DYNAMIC, MAIL_SEC, DISTRIBUTION], ids=["dynamic", "mail-enabled-security",
                                                                          "distribution"])
def test_read_only_group_kinds_refuse_member_changes_with_generic_403(graph, group):
    """§3/§8: dynamic, mail-enabled security and distribution groups -> 403 generic, add and remove."""
    assert error_of(graph.add_member(group, BOB)) == DENIED
    assert error_of(graph.remove_member(group, BOB)) == DENIED
    assert error_of(graph.patch(f"groups/{group}", {"members@odata.bind": [graph.ref(BOB)["@odata.id"]]})) == DENIED


def test_role_assignable_group_needs_role_management_permission(emu, graph):
    """§3/§8: isAssignableToRole groups need RoleManagement.ReadWrite.Directory in addition."""
    weak = Graph(emu, MEMBER_ONLY_APP, MEMBER_ONLY_SECRET)
    assert error_of(weak.add_member(ROLE_GROUP, BOB)) == DENIED
    assert weak.add_member(SEC, BOB).status_code == 204  # GroupMember.ReadWrite.All is enough elsewhere
    assert graph.add_member(ROLE_GROUP, BOB).status_code == 204


def test_group_cannot_be_its_own_member(graph):
    """§8 [inferred]: a group added to itself -> 400 Request_BadRequest."""
    assert error_of(graph.add_member(SEC, SEC))[:2] == (400, "Request_BadRequest")


def test_microsoft_365_group_cannot_be_a_member(graph):
    """§1.1 table: a Microsoft 365 group can be a member of nothing; a security group can nest."""
    assert error_of(graph.add_member(SEC, M365))[:2] == (400, "Request_BadRequest")
    assert graph.add_member(SEC, EMPTY).status_code == 204


@pytest.mark.parametrize("template", [
    "https://graph.microsoft.com/v1.0/directoryObjects/{id}",
    "https://graph.microsoft.com/v1.0/users/{id}",
    "https://graph.microsoft.com/beta/directoryObjects/{id}",
    "https://graph.microsoft.com/v1.0/directoryObjects('{id}')",
    "https://graph.microsoft.com/v1.0/users('{id}')",
    "https://graph.microsoft.us/v1.0/directoryObjects/{id}",
    "https://dod-graph.microsoft.us/v1.0/directoryObjects/{id}",
    "https://microsoftgraph.chinacloudapi.cn/v1.0/directoryObjects/{id}",
    "{emulator}/v1.0/directoryObjects/{id}",
])
def test_odata_id_forms_are_accepted(graph, emu, template):
    """§2: /directoryObjects, /users, ('{id}') key syntax, v1.0 or beta, every cloud host or the emulator's."""
    ref = template.format(id=BOB, emulator=emu.graph_url)
    r = graph.post(f"groups/{SEC}/members/$ref", {"@odata.id": ref})
    assert r.status_code == 204, r.text


def test_odata_id_group_and_device_entity_sets(graph):
    """§2: /groups/{id} and /devices/{id} name those objects; a mismatched set is not found."""
    from .conftest import DEVICE
    assert graph.post(f"groups/{SEC}/members/$ref", graph.ref(EMPTY, "groups")).status_code == 204
    assert graph.post(f"groups/{SEC}/members/$ref", graph.ref(DEVICE, "devices")).status_code == 204
    assert graph.post(f"groups/{SEC}/members/$ref", graph.ref(BOB, "devices")).status_code == 404


def test_bare_guid_odata_id_is_invalid_url_format(graph):
    """§2: a bare GUID -> 400 BadRequest "Invalid URL format specified in payload."."""
    r = graph.post(f"groups/{SEC}/members/$ref", {"@odata.id": BOB})
    assert error_of(r) == (400, "BadRequest", "Invalid URL format specified in payload.")


def test_bad_last_segment_is_unsupported_referenced_object(graph):
    """§2: a URL whose last segment is not an object id -> 400 Request_UnsupportedQuery."""
    r = graph.post(f"groups/{SEC}/members/$ref",
                   {"@odata.id": "https://graph.microsoft.com/v1.0/users/alice@contoso.test"})
    assert error_of(r) == (400, "Request_UnsupportedQuery",
                           "Unsupported referenced-object resource identifier for link property 'members'.")


def test_precedence_missing_group_before_bad_body(graph):
    """§3 precedence: 404 (group path) comes before 400 (body shape)."""
    r = graph.post(f"groups/{MISSING}/members/$ref", {"@odata.id": BOB})
    assert error_of(r)[0] == 404


def test_precedence_read_only_group_before_bad_body(graph):
    """§3 precedence: 403 (dynamic group) comes before 400 (body shape)."""
    r = graph.post(f"groups/{DYNAMIC}/members/$ref", {"@odata.id": BOB})
    assert error_of(r) == DENIED


def test_precedence_bad_body_before_missing_member(graph):
    """§3 precedence: 400 (@odata.id shape) before 404 (member object)."""
    r = graph.post(f"groups/{SEC}/members/$ref", {"@odata.id": "https://graph.microsoft.com/v1.0/users/x"})
    assert error_of(r)[:2] == (400, "Request_UnsupportedQuery")


def test_precedence_missing_member_before_type_not_allowed(graph):
    """§3 precedence: 404 (member object) before 400 (type not allowed)."""
    r = graph.post(f"groups/{M365}/members/$ref", graph.ref(MISSING, "devices"))
    assert error_of(r)[0] == 404


def test_precedence_unauthenticated_before_everything(graph):
    """§3 precedence: 401 first."""
    r = graph.post(f"groups/{MISSING}/members/$ref", {"@odata.id": BOB}, auth=False)
    assert error_of(r)[0] == 401


@pytest.mark.parametrize("nickname", ["has space", "a@b", "semi;colon", "dot.ted", "x" * 65, "", "naïve"])
def test_invalid_mail_nickname_is_rejected_on_create(graph, nickname):
    """§8: forbidden characters @()\\[]";:.<>, and SPACE, at most 64, ASCII -> 400 Request_BadRequest."""
    r = graph.post("groups", {"displayName": "x", "mailNickname": nickname, "mailEnabled": False,
                              "securityEnabled": True})
    assert error_of(r) == (400, "Request_BadRequest",
                           "Invalid value specified for property 'mailNickname' of resource 'Group'.")


def test_nested_group_listed_as_group(graph):
    """§1.5: a nested group is listed with #microsoft.graph.group."""
    value = graph.get(f"groups/{NESTED}/members").json()["value"]
    assert [(v["id"], v["@odata.type"]) for v in value] == [(SEC, "#microsoft.graph.group")]
