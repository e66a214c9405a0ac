"""Entra role assignments as Graph's role-management API serves them: list (filtered), create,
get and delete ``unifiedRoleAssignment`` objects at the tenant or an administrative unit's scope.

The assignments live where roles.py keeps them (the store's metadata), so an assignment created
here is one that roles.py's judgement of a person's writes counts at once: a user given Groups
Administrator at ``/administrativeUnits/{id}`` may then change the members of that unit's groups,
and of no other group.

Sources (docs/graph-behaviour.md, "Role assignments at a unit's scope"):
- https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments ($filter on
  principalId, roleDefinitionId, directoryScopeId: ``eq``, per
  https://learn.microsoft.com/graph/api/resources/unifiedroleassignment);
- https://learn.microsoft.com/graph/api/rbacapplication-post-roleassignments (201 with the
  assignment; RoleManagement.ReadWrite.Directory; a person needs Privileged Role Administrator);
- https://learn.microsoft.com/graph/api/unifiedroleassignment-get, -delete (204);
- principals: users, role-assignable groups and service principals (the resource page);
- the roles a unit's scope takes:
  https://learn.microsoft.com/entra/identity/role-based-access-control/admin-units-assign-roles
  (custom roles are not modelled: the emulator has no role definitions).
"""

from __future__ import annotations

import re

from . import errors, rules
from .roles import GLOBAL_ADMIN, META, PRIVILEGED_ROLE_ADMIN, TENANT, add_assignments, assignments, unit_scope

# "Roles that can be assigned with administrative unit scope" (admin-units-assign-roles), by
# template id (permissions-reference). The emulator's own copy: it may not import the provider.
UNIT_SCOPE_ROLES = frozenset({
    "c4e39bd9-1100-46d3-8c65-fb160da0071f",  # Authentication Administrator
    "7698a772-787b-4ac8-901f-60d6b08affd2",  # Cloud Device Administrator
    "fdd7a751-b60b-444a-984c-02652fe8fa1c",  # Groups Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a",  # License Administrator
    "966707d0-3269-4727-9be2-8c3a10f19b9d",  # Password Administrator
    "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f",  # Printer Administrator
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",  # Privileged Authentication Administrator
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",  # SharePoint Administrator
    "69091246-20e8-4a56-aa4d-066075b2a7a8",  # Teams Administrator
    "3d762c5a-1b6c-493f-843e-55a3b42923d4",  # Teams Devices Administrator
    "fe930be7-5e62-47db-91af-98c3a49a38b1",  # User Administrator
})
ASSIGNERS = frozenset({PRIVILEGED_ROLE_ADMIN, GLOBAL_ADMIN})  # who assigns roles, as a person
# What Graph answers a second assignment of one role to one principal at one scope
# (docs/graph-behaviour.md, "Role assignments at a unit's scope").
CONFLICT = "A conflicting object with one or more of the specified property values is present in the directory."
NOT_AT_UNIT_SCOPE = ("The role definition '{role}' cannot be assigned at an administrative unit scope "
                     "'{scope}'.")
NOT_A_PRINCIPAL = ("Role assignments take users, role-assignable groups and service principals; "
                   "'{id}' is a {kind}.")
_CLAUSE = re.compile(r"^\s*(principalId|roleDefinitionId|directoryScopeId)\s+eq\s+'([^']*)'\s*$")
_UNIT_SCOPE = re.compile(r"^/administrativeUnits/([^/]+)$")


def _clauses(raw: str) -> list[tuple[str, str]]:
    """``a eq 'x' and b eq 'y'``: each clause an ``eq`` on a filterable property."""
    out = []
    for part in re.split(r"\s+and\s+", raw):
        match = _CLAUSE.match(part)
        if not match:
            raise errors.bad_request(errors.INVALID_FILTER.format(detail=raw), code="BadRequest")
        out.append((match.group(1), match.group(2)))
    return out


def _shown(a: dict) -> dict:
    return {"id": a["id"], "principalId": a["principalId"], "roleDefinitionId": a["roleDefinitionId"],
            "directoryScopeId": a["directoryScopeId"], "appScopeId": None}


class RoleAssignmentRules:
    """Mixed into ``Directory`` (directory.py); uses its ``store``, ``load`` and ``_has_role``."""

    def _judge_assigner(self, who, operation: str) -> None:
        rules.require(who.roles, operation)
        if who.delegated and not self._has_role(who, ASSIGNERS, {TENANT}):
            raise errors.denied()

    def list_role_assignments(self, who, options: dict) -> list[dict]:
        """``GET /roleManagement/directory/roleAssignments[?$filter=...]``."""
        rules.require(who.roles, "roleAssignment.list")
        found = assignments(self.store)
        raw = options.get("$filter")
        for key, value in _clauses(raw) if raw is not None else ():
            found = [a for a in found if a[key].lower() == value.lower()]
        return [_shown(a) for a in sorted(found, key=lambda a: a["id"])]

    def get_role_assignment(self, who, assignment_id: str) -> dict:
        rules.require(who.roles, "roleAssignment.get")
        for a in assignments(self.store):
            if a["id"] == assignment_id:
                return _shown(a)
        raise errors.not_found(assignment_id)

    def create_role_assignment(self, who, payload) -> tuple[str, dict]:
        """``POST /roleManagement/directory/roleAssignments``: the new assignment's id and properties."""
        self._judge_assigner(who, "roleAssignment.create")
        doc = payload.object()
        fields = {k: doc.get(k) for k in ("principalId", "roleDefinitionId", "directoryScopeId")}
        for key, value in fields.items():
            if not isinstance(value, str) or not value:
                raise errors.bad_request(errors.INVALID_PROPERTY_VALUE.format(prop=key).replace(
                    "'Group'", "'unifiedRoleAssignment'"))
        principal_id, role, scope = fields["principalId"].lower(), fields["roleDefinitionId"].lower(), \
            fields["directoryScopeId"]
        if not rules.is_guid(role):
            raise errors.bad_request(errors.INVALID_OBJECT_ID.format(value=role))
        principal = self.load(who, principal_id, None, write=True)
        if principal.kind not in ("user", "servicePrincipal", "group") or (
                principal.kind == "group" and not principal.props.get("isAssignableToRole")):
            kind = "group that is not role-assignable" if principal.kind == "group" else principal.kind
            raise errors.bad_request(NOT_A_PRINCIPAL.format(id=principal_id, kind=kind))
        unit = _UNIT_SCOPE.match(scope)
        if unit:
            scope = unit_scope(self.load(who, unit.group(1), ("administrativeUnit",)).id)
            if role not in UNIT_SCOPE_ROLES:
                raise errors.bad_request(NOT_AT_UNIT_SCOPE.format(role=role, scope=scope))
        elif scope != TENANT:
            raise errors.bad_request(errors.INVALID_PROPERTY_VALUE.format(prop="directoryScopeId").replace(
                "'Group'", "'unifiedRoleAssignment'"))
        if any((a["principalId"], a["roleDefinitionId"], a["directoryScopeId"]) == (principal_id, role, scope)
               for a in assignments(self.store)):
            raise errors.bad_request(CONFLICT)
        [new_id] = add_assignments(self.store, [{"principalId": principal_id, "roleDefinitionId": role,
                                                 "directoryScopeId": scope}])
        return new_id, {k: v for k, v in _shown({"id": new_id, "principalId": principal_id, "roleDefinitionId": role,
                                                  "directoryScopeId": scope}).items() if k != "id"}

    def delete_role_assignment(self, who, assignment_id: str) -> None:
        """``DELETE /roleManagement/directory/roleAssignments/{id}``: 204, or 404 when there is none."""
        self._judge_assigner(who, "roleAssignment.delete")
        current = assignments(self.store)
        kept = [a for a in current if a["id"] != assignment_id]
        if len(kept) == len(current):
            raise errors.not_found(assignment_id)
        self.store.set_meta(META, kept)
