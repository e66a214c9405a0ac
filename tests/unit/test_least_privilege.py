"""The provider's least-privilege helpers: what a token lacks for a resource, the one warning,
and the permission a 403 names (docs/permissions.md)."""
from __future__ import annotations

import pytest

from msgraph_membership.graph import errors as E
from msgraph_membership.graph.rules import permission_hint
from msgraph_membership.resources import _base


def test_a_token_without_roles_is_not_judged():
    """A delegated token (Azure CLI) lists no application permissions: Graph decides."""
    assert _base.missing_permissions(None, "GroupMemberProvider") == []


@pytest.mark.parametrize("resource,roles,missing", [
    ("GroupMemberProvider", {"GroupMember.ReadWrite.All"}, []),
    ("GroupMemberProvider", {"Group.ReadWrite.All"}, []),
    ("GroupMembersProvider", {"GroupMember.Read.All", "Directory.Read.All"}, ["GroupMember.ReadWrite.All"]),
    ("MemberOfProvider", set(), ["GroupMember.ReadWrite.All"]),
    ("AdministrativeUnitMemberProvider", {"Directory.ReadWrite.All"}, ["AdministrativeUnit.ReadWrite.All"]),
    ("AdministrativeUnitMembersProvider", {"AdministrativeUnit.ReadWrite.All"}, []),
    ("AdministrativeUnitGroupProvider", {"Group.Create", "AdministrativeUnit.Read.All"}, ["Group.ReadWrite.All"]),
    ("AdministrativeUnitGroupProvider", {"Group.ReadWrite.All", "AdministrativeUnit.ReadWrite.All"}, []),
    ("AdministrativeUnitGroupProvider", {"Group.ReadWrite.All"}, ["AdministrativeUnit.Read.All"]),
])
def test_missing_permissions_names_the_least_privileged_choice(resource, roles, missing):
    assert _base.missing_permissions(roles, resource) == missing


def test_the_missing_directory_read_warning_is_given_once(monkeypatch):
    import pulumi

    said = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: said.append(msg))
    monkeypatch.setattr(_base, "_warned", set())

    class Refusing:
        def object_types(self, ids):
            raise E.Forbidden("Insufficient privileges to complete the operation.")

    assert _base.member_types(Refusing(), ["a"]) is None
    assert _base.member_types(Refusing(), ["b"]) is None
    assert len(said) == 1 and "Directory.Read.All" in said[0]


@pytest.mark.parametrize("member_type,named", [("device", "Device.ReadWrite.All"),
                                               ("servicePrincipal", "Application.ReadWrite.All"),
                                               ("orgContact", "OrgContact.Read.All")])
def test_a_refused_add_names_the_member_type_permission(member_type, named):
    hint = permission_hint("add", member_type=member_type)
    assert "GroupMember.ReadWrite.All" in hint and named in hint
    assert "Device.ReadWrite.All" not in permission_hint("add", member_type="user")


@pytest.mark.parametrize("resource,roles,missing", [
    ("GroupOwnerProvider", {"GroupMember.ReadWrite.All"}, ["Group.ReadWrite.All"]),  # it changes members only
    ("GroupOwnersProvider", {"Group.ReadWrite.All"}, []),
    ("GroupOwnersProvider", {"Directory.ReadWrite.All"}, []),
])
def test_owners_need_group_read_write_all(resource, roles, missing):
    """group-post-owners and group-delete-owners list Group.ReadWrite.All and Directory.ReadWrite.All only."""
    assert _base.missing_permissions(roles, resource) == missing


def test_a_refused_owner_change_names_group_read_write_all_and_the_role_permission():
    from msgraph_membership.graph.rules import GroupInfo

    assert "Group.ReadWrite.All" in permission_hint("owner_add") and "RoleManagement" not in permission_hint("owner_add")
    privileged = GroupInfo(id="g1", display_name="Admins", is_assignable_to_role=True)
    assert "RoleManagement.ReadWrite.Directory" in permission_hint("owner_remove", privileged)
