"""Microsoft Entra roles in the emulator's directory, and how Graph judges a write by a person.

Owns: the seeded role assignments, kept in the store's metadata as Graph's ``{id, principalId,
roleDefinitionId, directoryScopeId}`` (the built-in roles by template id are below), and the
rule a delegated caller's write must pass on top of the scope in its token: the signed-in user
needs a role, an ownership or a unit-scoped role that covers the write.

Sources (docs/permissions.md, "Signed in as a person"):
- group members: https://learn.microsoft.com/graph/api/group-post-members (and group-delete-members):
  group owners, Directory Writers, Groups Administrator, Identity Governance Administrator, User
  Administrator; Exchange, SharePoint, Teams, Yammer Administrators only for Microsoft 365 groups;
  Intune Administrator only for security groups; a role-assignable group needs Privileged Role
  Administrator (and ``RoleManagement.ReadWrite.Directory`` in the token);
- unit members: https://learn.microsoft.com/graph/api/administrativeunit-post-members: Privileged
  Role Administrator; a group created in a unit: Groups Administrator or User Administrator at the
  unit's scope;
- role ids: https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference;
- restricted-management units: only administrators assigned at the unit's scope change the
  objects in it; tenant-wide roles (Global Administrator included), group owners and application
  permissions do not
  (https://learn.microsoft.com/entra/identity/role-based-access-control/admin-units-restricted-management).
"""

from __future__ import annotations

import uuid

from . import errors, rules

# The built-in roles by template id (the emulator's own copy: it is an oracle independent of the
# provider, tests/emulator/test_process.py).
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
DIRECTORY_WRITERS = "9360feb5-f418-4baa-8175-e2a00bac4301"
IDENTITY_GOVERNANCE_ADMIN = "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e"
INTUNE_ADMIN = "3a2c62db-5318-420d-8d74-23affee5d9d5"
EXCHANGE_SHAREPOINT_TEAMS_YAMMER = frozenset({"29232cdf-9323-42fd-ade2-1d097af3e4de", "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
                                              "69091246-20e8-4a56-aa4d-066075b2a7a8", "810a2642-a034-447f-a5e8-41beaa378541"})
GROUP_MEMBERS_ANY = frozenset({GLOBAL_ADMIN, DIRECTORY_WRITERS, GROUPS_ADMIN, IDENTITY_GOVERNANCE_ADMIN, USER_ADMIN})
UNIT_MEMBERS = frozenset({GLOBAL_ADMIN, PRIVILEGED_ROLE_ADMIN})
GROUP_IN_UNIT = frozenset({GLOBAL_ADMIN, GROUPS_ADMIN, USER_ADMIN})
TENANT = "/"


def unit_scope(unit_id: str) -> str:
    return f"/administrativeUnits/{unit_id}"

META = "role_assignments"  # listed, created and deleted through Graph by role_assignments.py


def assignments(store) -> list[dict]:
    return list(store.get_meta(META) or [])


def add_assignments(store, entries: list[dict]) -> list[str]:
    """Seeded assignments (upserted by id); their ids."""
    current = {a["id"]: a for a in assignments(store)}
    ids = []
    for entry in entries:
        doc = {"id": entry.get("id") or str(uuid.uuid4()), "principalId": entry["principalId"].lower(),
               "roleDefinitionId": entry["roleDefinitionId"].lower(),
               "directoryScopeId": entry.get("directoryScopeId") or TENANT}
        current[doc["id"]] = doc
        ids.append(doc["id"])
    store.set_meta(META, list(current.values()))
    return ids


def group_member_roles(group: dict) -> frozenset:
    """The roles that change this group's members (group-post-members)."""
    if group.get("isAssignableToRole"):
        return UNIT_MEMBERS  # Privileged Role Administrator (or Global Administrator), as for units
    return GROUP_MEMBERS_ANY | (EXCHANGE_SHAREPOINT_TEAMS_YAMMER if rules.is_unified(group) else
                                frozenset({INTUNE_ADMIN}) if group.get("securityEnabled") else frozenset())


class RoleRules:
    """Mixed into ``Directory`` (directory.py); uses its ``store`` and ``_transitive_groups``."""

    def principal_assignments(self, principal_id: str) -> list[dict]:
        """A principal's assignments, its own and those of the role-assignable groups it is in."""
        holders = {principal_id} | self._transitive_groups(principal_id, None)
        return [a for a in assignments(self.store) if a["principalId"] in holders]

    def restricted_units_of(self, obj_id: str) -> list[str]:
        """The restricted-management units that hold the object."""
        units = self.store.get_objects(self.store.container_ids(obj_id, "members"))
        return [u.id for u in units.values()
                if u.kind == "administrativeUnit" and u.props.get("isMemberManagementRestricted")]

    def _has_role(self, who, wanted, scopes: set[str]) -> bool:
        return any(a["roleDefinitionId"] in wanted and a["directoryScopeId"] in scopes
                   for a in self.principal_assignments(who.oid))

    def judge_group_members(self, who, group) -> None:
        """403 unless the caller may change this group's members, as a person or in a restricted unit."""
        restricted = self.restricted_units_of(group.id)
        if restricted and not who.delegated:
            raise errors.denied()  # application permissions do not reach into a restricted unit
        if not who.delegated:
            return
        wanted = group_member_roles(group.props)  # the token's role-management scope: rules.check_member_writable
        if restricted:
            if not self._has_role(who, wanted, {unit_scope(u) for u in restricted}):
                raise errors.denied()
            return
        units = {unit_scope(u) for u in self.store.container_ids(group.id, "members")}
        if self.store.is_linked(group.id, "owners", who.oid) and not group.props.get("isAssignableToRole"):
            return
        if not self._has_role(who, wanted, {TENANT} | units):
            raise errors.denied()

    def judge_unit_members(self, who, unit) -> None:
        """Changing a unit's members, as a person: Privileged Role Administrator."""
        if who.delegated and not self._has_role(who, UNIT_MEMBERS, {TENANT}):
            raise errors.denied()

    def judge_group_in_unit(self, who, unit) -> None:
        """Creating a group in a unit, as a person: Groups or User Administrator at the unit's scope."""
        if who.delegated and not self._has_role(who, GROUP_IN_UNIT, {TENANT, unit_scope(unit.id)}):
            raise errors.denied()
