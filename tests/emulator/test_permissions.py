"""The emulator enforces each Graph API page's application-permission table (docs/permissions.md).

One test per row: the call succeeds for an app holding only the row's least-privileged
permission(s), and is refused with Graph's exact 403 body for an app holding every other
permission the emulator knows, none of the row's. Plus the documented extras: member-type
permissions, limited information in listings, and `$batch` items judged one by one.
"""
from __future__ import annotations

import uuid

import pytest

from msgraph_membership.emulator import rules

from .conftest import (ALICE, AU, BOB, CONTACT, DEVICE, EMPTY, NESTED, SEC, SP, Graph, error_of)

DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

# Every permission any row names, plus the extras: the universe an "everything else" app draws from.
UNIVERSE = sorted({p for alts in rules.PERMISSIONS.values() for alt in alts for p in alt}
                  | set(rules.MEMBER_TYPE_PERMISSION.values()) | {rules.ROLE_MANAGEMENT})


def app(emu, roles) -> Graph:
    """A fresh app whose tokens carry exactly ``roles``."""
    client_id, secret = str(uuid.uuid4()), "s-" + uuid.uuid4().hex
    emu.seed({"apps": [{"client_id": client_id, "client_secret": secret, "roles": sorted(roles)}]})
    return Graph(emu, client_id, secret)


def everything_but(operation: str) -> set[str]:
    """Every known permission except those that satisfy ``operation`` (and what implies them)."""
    named = {p for alt in rules.PERMISSIONS[operation] for p in alt}
    implying = {p for p, implied in rules.IMPLIED.items() if implied & named}
    return set(UNIVERSE) - named - implying


def _ref(obj_id: str) -> dict:
    return {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{obj_id}"}


def _add_to_unit(graph: Graph) -> None:
    assert graph.post(f"directory/administrativeUnits/{AU}/members/$ref", _ref(BOB)).status_code == 204


def _add_owner(graph: Graph) -> None:
    assert graph.post(f"groups/{SEC}/owners/$ref", _ref(BOB)).status_code == 204


GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"


def _assign_at_unit(graph: Graph) -> None:
    graph.emu.seed({"roleAssignments": [{"id": "perm-ra", "principalId": BOB, "roleDefinitionId": GROUPS_ADMIN,
                                         "directoryScopeId": f"/administrativeUnits/{AU}"}]})


# checkMemberGroups / checkMemberObjects: (kind, least privileged, path of the member), one table per type.
CHECKS = [("directoryObject", {"User.Read.All", "GroupMember.Read.All"}, f"directoryObjects/{ALICE}"),
          ("user", {"User.Read.All", "GroupMember.Read.All"}, f"users/{ALICE}"),
          ("group", {"GroupMember.Read.All"}, f"groups/{EMPTY}"),
          ("servicePrincipal", {"Application.Read.All"}, f"servicePrincipals/{SP}"),
          ("orgContact", {"Directory.Read.All"}, f"contacts/{CONTACT}"),
          ("device", {"Device.Read.All"}, f"devices/{DEVICE}")]
CHECKS_OBJECTS = [("directoryObject", {"Directory.Read.All"}, f"directoryObjects/{ALICE}"),
                  ("user", {"User.Read.All"}, f"users/{ALICE}"), *CHECKS[2:]]

NEW_GROUP = {"displayName": "New", "mailNickname": "new", "mailEnabled": False, "securityEnabled": True}

# (operation, least privileged set, method, path, body, expected success status, setup with the full app)
ROWS = [
    ("user.get", {"User.Read.All"}, "GET", f"users/{ALICE}", None, 200, None),
    ("group.get", {"GroupMember.Read.All"}, "GET", f"groups/{SEC}", None, 200, None),
    ("device.get", {"Device.Read.All"}, "GET", f"devices/{DEVICE}", None, 200, None),
    ("servicePrincipal.get", {"Application.Read.All"}, "GET", f"servicePrincipals/{SP}", None, 200, None),
    ("orgContact.get", {"OrgContact.Read.All"}, "GET", f"contacts/{CONTACT}", None, 200, None),
    ("directoryObject.get", {"Directory.Read.All"}, "GET", f"directoryObjects/{ALICE}", None, 200, None),
    ("administrativeUnit.get", {"AdministrativeUnit.Read.All"}, "GET", f"directory/administrativeUnits/{AU}",
     None, 200, None),
    ("group.list", {"Group-NestingSupport.ReadWrite.All"}, "GET", "groups", None, 200, None),
    ("device.list", {"Device.Read.All"}, "GET", "devices", None, 200, None),
    ("servicePrincipal.list", {"Application.Read.All"}, "GET", "servicePrincipals", None, 200, None),
    ("orgContact.list", {"OrgContact.Read.All"}, "GET", "contacts", None, 200, None),
    ("administrativeUnit.list", {"AdministrativeUnit.Read.All"}, "GET", "directory/administrativeUnits", None,
     200, None),
    ("directoryObject.getByIds", {"Directory.Read.All"}, "POST", "directoryObjects/getByIds", {"ids": [ALICE]},
     200, None),
    ("group.members.list", {"GroupMember.Read.All"}, "GET", f"groups/{NESTED}/members", None, 200, None),
    ("group.transitiveMembers.list", {"GroupMember.Read.All"}, "GET", f"groups/{NESTED}/transitiveMembers",
     None, 200, None),
    ("administrativeUnit.members.list", {"AdministrativeUnit.Read.All"}, "GET",
     f"directory/administrativeUnits/{AU}/members", None, 200, None),
    ("administrativeUnit.members.get", {"AdministrativeUnit.Read.All"}, "GET",
     f"directory/administrativeUnits/{AU}/members/{BOB}", None, 200, _add_to_unit),
    ("user.memberOf", {"Directory.Read.All"}, "GET", f"users/{ALICE}/memberOf", None, 200, None),
    ("group.memberOf", {"GroupMember.Read.All"}, "GET", f"groups/{SEC}/memberOf", None, 200, None),
    ("servicePrincipal.memberOf", {"Application.Read.All"}, "GET", f"servicePrincipals/{SP}/memberOf", None,
     200, None),
    ("device.memberOf", {"Device.Read.All"}, "GET", f"devices/{DEVICE}/memberOf", None, 200, None),
    ("orgContact.memberOf", {"OrgContact.Read.All"}, "GET", f"contacts/{CONTACT}/memberOf", None, 200, None),
    ("user.transitiveMemberOf", {"User.Read.All"}, "GET", f"users/{ALICE}/transitiveMemberOf", None, 200, None),
    *[(f"{kind}.checkMemberGroups", least, "POST", f"{path}/checkMemberGroups", {"groupIds": [SEC]}, 200, None)
      for kind, least, path in CHECKS],
    *[(f"{kind}.checkMemberObjects", least, "POST", f"{path}/checkMemberObjects", {"ids": [SEC]}, 200, None)
      for kind, least, path in CHECKS_OBJECTS],
    ("group.owners.add", {"Group.ReadWrite.All"}, "POST", f"groups/{SEC}/owners/$ref", _ref(BOB), 204, None),
    ("group.owners.remove", {"Group.ReadWrite.All"}, "DELETE", f"groups/{SEC}/owners/{BOB}/$ref", None, 204,
     _add_owner),
    ("group.members.add", {"GroupMember.ReadWrite.All"}, "POST", f"groups/{SEC}/members/$ref", _ref(BOB), 204,
     None),
    ("group.members.remove", {"GroupMember.ReadWrite.All"}, "DELETE", f"groups/{NESTED}/members/{SEC}/$ref",
     None, 204, None),
    ("administrativeUnit.members.add", {"AdministrativeUnit.ReadWrite.All"}, "POST",
     f"directory/administrativeUnits/{AU}/members/$ref", _ref(BOB), 204, None),
    ("administrativeUnit.members.remove", {"AdministrativeUnit.ReadWrite.All"}, "DELETE",
     f"directory/administrativeUnits/{AU}/members/{BOB}/$ref", None, 204, _add_to_unit),
    ("group.create", {"Group.Create"}, "POST", "groups", NEW_GROUP, 201, None),
    ("administrativeUnit.createGroup", {"Group.Create", "AdministrativeUnit.Read.All"}, "POST",
     f"directory/administrativeUnits/{AU}/members", {"@odata.type": "#microsoft.graph.group", **NEW_GROUP}, 201,
     None),
    ("group.update", {"Group-NestingSupport.ReadWrite.All"}, "PATCH", f"groups/{EMPTY}", {"description": "x"},
     204, None),
    ("group.delete", {"Group.ReadWrite.All"}, "DELETE", f"groups/{EMPTY}", None, 204, None),
    ("administrativeUnit.create", {"AdministrativeUnit.ReadWrite.All"}, "POST", "directory/administrativeUnits",
     {"displayName": "New unit"}, 201, None),
    ("administrativeUnit.update", {"AdministrativeUnit.ReadWrite.All"}, "PATCH", f"directory/administrativeUnits/{AU}",
     {"description": "x"}, 204, None),
    ("administrativeUnit.delete", {"AdministrativeUnit.ReadWrite.All"}, "DELETE",
     f"directory/administrativeUnits/{AU}", None, 204, None),
    ("roleAssignment.list", {"RoleManagement.Read.Directory"}, "GET",
     f"roleManagement/directory/roleAssignments?$filter=principalId eq '{BOB}'", None, 200, None),
    ("roleAssignment.get", {"RoleManagement.Read.Directory"}, "GET",
     "roleManagement/directory/roleAssignments/perm-ra", None, 200, _assign_at_unit),
    ("roleAssignment.create", {"RoleManagement.ReadWrite.Directory"}, "POST",
     "roleManagement/directory/roleAssignments",
     {"principalId": BOB, "roleDefinitionId": GROUPS_ADMIN, "directoryScopeId": f"/administrativeUnits/{AU}"}, 201,
     None),
    ("roleAssignment.delete", {"RoleManagement.ReadWrite.Directory"}, "DELETE",
     "roleManagement/directory/roleAssignments/perm-ra", None, 204, _assign_at_unit),
]


def test_every_operation_has_a_row_and_a_page():
    """The table, its pages and these tests cover the same operations (the upsert, which needs a
    header, has its own pair of tests below)."""
    assert set(rules.PERMISSIONS) == set(rules.SOURCES)
    assert all(url.startswith("https://learn.microsoft.com/graph/api/") for url in rules.SOURCES.values())
    assert {r[0] for r in ROWS} | {"group.upsert"} == set(rules.PERMISSIONS)


UPSERT_HEADERS = {"Prefer": "create-if-missing"}


def test_upsert_allowed_with_its_least_privileged_permission(emu):
    least = {"Group.ReadWrite.All"}
    assert frozenset(least) in rules.PERMISSIONS["group.upsert"]
    r = app(emu, least).call("PATCH", "groups(uniqueName='perm-upsert-1')", json=NEW_GROUP, headers=UPSERT_HEADERS)
    assert r.status_code == 201, r.text


def test_upsert_refused_with_every_other_permission(emu):
    others = everything_but("group.upsert")
    assert "Group.Create" in others  # creating a group is not enough for an upsert
    r = app(emu, others).call("PATCH", "groups(uniqueName='perm-upsert-2')", json=NEW_GROUP, headers=UPSERT_HEADERS)
    assert r.status_code == 403, r.text
    assert error_of(r) == DENIED


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_allowed_with_the_least_privileged_permission(emu, graph, row):
    op, least, method, path, body, status, setup = row
    assert frozenset(least) in rules.PERMISSIONS[op]  # the row's least privileged alternative
    if setup:
        setup(graph)
    r = app(emu, least).call(method, path, json=body)
    assert r.status_code == status, r.text


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_refused_with_every_other_permission(emu, graph, row):
    op, least, method, path, body, status, setup = row
    if setup:
        setup(graph)
    others = everything_but(op)
    assert not (others & least)
    r = app(emu, others).call(method, path, json=body)
    assert r.status_code == 403, r.text
    assert error_of(r) == DENIED


def test_getbyids_is_not_granted_by_narrower_reads(emu):
    """directoryobject-getbyids: Directory.Read.All, higher "Not available": member and user reads do not grant it."""
    narrow = app(emu, ["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "User.Read.All", "Device.Read.All",
                       "Application.Read.All", "OrgContact.Read.All", "AdministrativeUnit.ReadWrite.All"])
    assert error_of(narrow.post("directoryObjects/getByIds", {"ids": [ALICE]})) == DENIED


def test_unit_member_writes_need_administrative_unit_readwrite_even_with_directory_readwrite(emu):
    """administrativeunit-post-members / -delete-members list AdministrativeUnit.ReadWrite.All alone."""
    weak = app(emu, ["Directory.ReadWrite.All"])
    assert error_of(weak.post(f"directory/administrativeUnits/{AU}/members/$ref", _ref(BOB))) == DENIED


def test_unit_group_creation_needs_both_halves_of_the_pair(emu):
    """administrativeunit-post-members: Group.Create *and* AdministrativeUnit.Read.All."""
    body = {"@odata.type": "#microsoft.graph.group", **NEW_GROUP}
    for roles in (["Group.Create"], ["AdministrativeUnit.Read.All"]):
        assert error_of(app(emu, roles).post(f"directory/administrativeUnits/{AU}/members", body)) == DENIED
    r = app(emu, ["Group.ReadWrite.All", "AdministrativeUnit.ReadWrite.All"]).post(
        f"directory/administrativeUnits/{AU}/members", body)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("member,entity,extra", [(DEVICE, "devices", "Device.ReadWrite.All"),
                                                 (SP, "servicePrincipals", "Application.ReadWrite.All"),
                                                 (CONTACT, "contacts", "OrgContact.Read.All")])
def test_member_type_permission_for_devices_service_principals_and_contacts(emu, member, entity, extra):
    """group-post-members: device, servicePrincipal and orgContact members need their type's permission too,
    by `$ref` and by `members@odata.bind`; users and groups do not."""
    base = app(emu, ["GroupMember.ReadWrite.All"])
    assert error_of(base.add_member(SEC, member)) == DENIED
    assert error_of(base.patch(f"groups/{SEC}", {"members@odata.bind": [base.ref(member)["@odata.id"]]})) == DENIED
    assert base.add_member(SEC, BOB).status_code == 204
    assert base.add_member(SEC, EMPTY).status_code == 204
    full = app(emu, ["GroupMember.ReadWrite.All", extra])
    assert full.add_member(SEC, member).status_code == 204
    assert full.remove_member(SEC, member).status_code == 204
    r = full.patch(f"groups/{SEC}", {"members@odata.bind": [full.ref(member)["@odata.id"]]})
    assert r.status_code == 204, r.text


def test_listing_returns_limited_information_for_types_the_app_cannot_read(emu, graph):
    """Limited information for inaccessible member objects: only `@odata.type` and `id`, other properties null."""
    for m in (BOB, DEVICE, SP, CONTACT, EMPTY):
        assert graph.add_member(SEC, m).status_code == 204
    members_only = app(emu, ["GroupMember.Read.All"])
    items = {o["id"]: o for o in members_only.get(f"groups/{SEC}/members").json()["value"]}
    assert set(items) == {BOB, DEVICE, SP, CONTACT, EMPTY}
    for m in (BOB, DEVICE, SP, CONTACT):
        assert items[m]["@odata.type"].startswith("#microsoft.graph.")
        assert {k for k, v in items[m].items() if v is not None} == {"@odata.type", "id"}, items[m]
        assert "displayName" in items[m]  # present, null
    assert items[EMPTY]["displayName"] == "Empty"  # groups are readable with GroupMember.Read.All
    with_users = app(emu, ["GroupMember.Read.All", "User.Read.All"])
    items = {o["id"]: o for o in with_users.get(f"groups/{SEC}/members").json()["value"]}
    assert items[BOB]["displayName"] == "Bob"
    assert items[DEVICE]["displayName"] is None


def test_batch_items_are_judged_one_by_one(emu):
    """json-batching: each request in a batch gets its own answer; one refused item does not fail the rest."""
    g = app(emu, ["GroupMember.ReadWrite.All"])
    body = {"requests": [
        {"id": "1", "method": "POST", "url": f"/groups/{SEC}/members/$ref", "headers": {"Content-Type": "application/json"},
         "body": _ref(BOB)},
        {"id": "2", "method": "POST", "url": "/directoryObjects/getByIds", "headers": {"Content-Type": "application/json"},
         "body": {"ids": [ALICE]}},
    ]}
    r = g.post("$batch", body)
    assert r.status_code == 200, r.text
    by_id = {x["id"]: x for x in r.json()["responses"]}
    assert by_id["1"]["status"] == 204
    assert by_id["2"]["status"] == 403
    assert by_id["2"]["body"]["error"]["code"] == "Authorization_RequestDenied"
    assert by_id["2"]["body"]["error"]["message"] == "Insufficient privileges to complete the operation."


def test_role_assignable_group_delete_needs_role_management(emu, graph):
    """group-delete: a role-assignable group needs RoleManagement.ReadWrite.Directory (or the app as owner)."""
    from .conftest import ROLE_GROUP
    assert error_of(app(emu, ["Group.ReadWrite.All"]).delete(f"groups/{ROLE_GROUP}")) == DENIED
    assert app(emu, ["Group.ReadWrite.All", rules.ROLE_MANAGEMENT]).delete(f"groups/{ROLE_GROUP}").status_code == 204


def test_docs_name_the_page_of_every_row():
    """docs/permissions.md and the emulator's table cite the same Learn pages."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    missing = sorted({url for url in rules.SOURCES.values() if url not in doc})
    assert missing == []
    for op, alts in rules.PERMISSIONS.items():
        for alt in alts:
            for name in alt:
                assert f"`{name}`" in doc, (op, name)
