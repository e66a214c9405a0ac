"""`AdministrativeUnitRoleMembers`: the principals holding one Entra role scoped to one
administrative unit, the unit's delegated administrators.

Example::

    from msgraph_membership import AdministrativeUnitRoleMembers

    AdministrativeUnitRoleMembers("paris-group-admins",
                                  administrative_unit_id=paris.object_id,
                                  role="Groups Administrator",        # or its template id
                                  member_ids=["alice@contoso.com", "sp:Paris provisioning"])

Id: `/directory/administrativeUnits/{au_id}/roles/{role template id}/members`. `member_ids`,
`authoritative` and the guard change in place; `administrative_unit_id` and `role` replace. A
role is written as a role assignment at the unit's scope (graph/unit_roles.py; docs/graph-behaviour.md):
one `POST` per principal and one `DELETE` per assignment, in `$batch`es of 20. Only the roles
Microsoft allows at a unit's scope are taken, checked at preview. Assignments already there are
adopted (`adopted_member_ids`). What every batch resource does is in _batch.py; this module
holds what is a unit role's: the role argument, the key (unit, role) every step takes, the
listing and writes by assignment.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import pulumi
from pulumi.dynamic import DiffResult, ReadResult

from ..graph.delegated import signed_in
from ..graph.entra_roles import UNIT_SCOPE_ROLES, unit_scope_role
from ..graph.references import SP, UNIT_KINDS, USER
from ..graph.references import GROUP as GROUP_KIND
from ..graph.rules import UNIT_ROLES, UnitRole
from ._base import InputError, has_unknown
from ._batch import BatchMembersResource, BatchProvider
from ._containers import Anchor, at_most_ten, existing_types
from ._inputs import Ids
from .administrative_unit_member import UNITS_PREFIX

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport

ROLE_UNIT = Anchor("administrative_unit_id", "the administrative unit's object id", "administrative unit", UNIT_KINDS,
                   frozenset({USER, GROUP_KIND, SP}), "a unit cannot hold a role", "role_add", "role_remove",
                   UNIT_ROLES)
PRINCIPAL_TYPES = ("user", "group", "servicePrincipal")
PERMISSION_HINT = ("the app most likely lacks RoleManagement.ReadWrite.Directory (application permission, admin "
                   "consent); signed in as a person, Privileged Role Administrator is needed")


def role_members_id(key: UnitRole) -> str:
    return f"{UNITS_PREFIX}{key.unit}/roles/{key.role}/members"


def parse_role_members_id(id_: str) -> UnitRole:
    parts = id_[len(UNITS_PREFIX):].split("/") if id_.startswith(UNITS_PREFIX) else []
    if len(parts) != 4 or parts[1] != "roles" or parts[3] != "members":
        raise ValueError(f"{id_!r} is not an AdministrativeUnitRoleMembers id "
                         "(/directory/administrativeUnits/{au_id}/roles/{role template id}/members)")
    return UnitRole(parts[0], parts[2])


def role_problem(value) -> Optional[str]:
    """Why `value` names no role a unit's scope takes, listing those that do."""
    if isinstance(value, str) and unit_scope_role(value):
        return None
    return (f"{value!r} is not a role Microsoft allows at an administrative unit's scope; give one of "
            f"{', '.join(sorted(UNIT_SCOPE_ROLES.values()))} (by display name or template id); see "
            "https://learn.microsoft.com/entra/identity/role-based-access-control/admin-units-assign-roles")


class AdministrativeUnitRoleMembersProvider(BatchProvider):
    anchor = ROLE_UNIT
    resource_id, parse_id = staticmethod(role_members_id), staticmethod(parse_role_members_id)
    list_what = "principal object ids"
    item_noun = removal_noun = "role member"
    removed_verb = "unassigned"

    @property
    def args(self) -> tuple[str, ...]:
        return super().args + ("role",)

    # -- the key: the unit and the role, from the props or, what they lack, the id ----------------

    def key_of(self, props: dict, id_: Optional[str] = None) -> UnitRole:
        unit, role = props.get(self.anchor.arg), props.get("role")
        if id_ is not None and not (unit and role):
            parsed = parse_role_members_id(id_)
            unit, role = unit or parsed.unit, role or parsed.role
        return UnitRole(unit, role)

    def key_outputs(self, key: UnitRole) -> dict:
        return {self.anchor.arg: key.unit, "role": key.role or ""}

    def subject(self, key: UnitRole) -> str:
        return f"{UNIT_SCOPE_ROLES.get(key.role, key.role)} of administrative unit {key.unit}"

    def progress(self, key: UnitRole, adding: int, removing: int) -> str:
        return f"{self.subject(key)}: assigning {adding}, unassigning {removing} principal(s)"

    def hint(self, op: str, key: UnitRole, failed: Optional[dict] = None) -> str:
        if op == "read":
            return "the app most likely lacks RoleManagement.Read.Directory (or RoleManagement.ReadWrite.Directory)"
        return PERMISSION_HINT

    # -- the role: resolved before every check; a new one replaces -----------------------------------

    def check_inputs(self, olds: dict, news: dict):
        news = dict(news)
        if not has_unknown(news.get("role")):
            if problem := role_problem(news.get("role")):
                return self.check_result({k: v for k, v in news.items() if k in self.args}, [("role", problem)])
            news["role"] = unit_scope_role(news["role"])
        return super().check_inputs(olds, news)

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        result = super().diff(id_, olds, news)
        if has_unknown(news.get("role")) or olds.get("role") != news.get("role"):
            return DiffResult(changes=True, replaces=sorted(set(result.replaces or []) | {"role"}), stables=[],
                              delete_before_replace=False)
        return result

    # -- the directory: assignments at the unit's scope, listed (and confirmed after writes) as the
    # client lists a container (kind UNIT_ROLES, graph/listings.py), written by assignment ------------

    def present(self, key: UnitRole, managed: set[str]) -> set[str]:
        return set(self.listed(key))  # the listing this process just made, if any: no looking again

    def validate(self, key: UnitRole, ids: Sequence[str]) -> None:
        """The unit exists; a person signed in holds Privileged Role Administrator; each principal
        exists and is a user, a service principal or a role-assignable group."""
        c, unit_id = self.client, key.unit
        if c.get_unit(unit_id) is None:
            raise InputError("administrative_unit_id", f"administrative unit {unit_id} does not exist in the "
                                                       "directory (check the id, and that the app can read "
                                                       "administrative units: AdministrativeUnit.Read.All)")
        if not ids:
            return
        if problem := signed_in(c).role_assign_problem(unit_id):
            raise InputError("administrative_unit_id", problem)
        types = existing_types(c, ids, "member_ids", "give the object ids of users, role-assignable groups or service "
                                                  "principals")
        if types is None:  # no Directory.Read.All: Graph judges the principals on write
            return
        bad = [f"{m} is a {types[m]}; a role is held by users, role-assignable groups and service principals"
               for m in ids if types[m] not in PRINCIPAL_TYPES]
        for m in (m for m in ids if types[m] == "group"):
            g = c.get_group(m)
            if g is not None and not g.is_assignable_to_role:
                bad.append(f"{g.label} is not role-assignable (isAssignableToRole is set only when a group is "
                           "created); only role-assignable groups can hold an Entra role")
        if bad:
            raise InputError("member_ids", at_most_ten(bad))

    def add(self, key: UnitRole, ids: Sequence[str]) -> WriteReport:
        from ..graph.unit_roles import assign

        return assign(self.client, key, ids)

    def remove(self, key: UnitRole, ids: Sequence[str]) -> WriteReport:
        from ..graph.unit_roles import holders, unassign

        held = holders(self.client, key, max_age_s=0) if ids else {}
        return unassign(self.client, key, {p: held[p] for p in ids if p in held})


class AdministrativeUnitRoleMembers(BatchMembersResource, module="msgraph", name="AdministrativeUnitRoleMembers"):
    """The principals that hold one Entra role scoped to one administrative unit.

    Arguments: `administrative_unit_id`, `role` (a role Microsoft allows at a unit's scope, e.g.
    "Groups Administrator", by display name or template id), `member_ids` (users, role-assignable
    groups, service principals), `authoritative` (default False: True unassigns the role at this
    unit from everyone else), and the guard against mass removal: `protected_member_ids` and
    `max_removals`. Outputs: `member_ids` (sorted, unique), `adopted_member_ids`, `role` (the
    template id).

    Example::

        AdministrativeUnitRoleMembers("paris-admins", administrative_unit_id=paris.object_id,
                                      role="Groups Administrator", member_ids=[alice.object_id])
    """

    administrative_unit_id: pulumi.Output[str]
    role: pulumi.Output[str]

    def __init__(self, resource_name: str, administrative_unit_id: pulumi.Input[str], role: pulumi.Input[str],
                 member_ids: Ids, authoritative: pulumi.Input[bool] = False,
                 opts: Optional[pulumi.ResourceOptions] = None, *, protected_member_ids: Optional[Ids] = None,
                 max_removals: Optional[pulumi.Input[int]] = None):
        super().__init__(AdministrativeUnitRoleMembersProvider(), resource_name, opts,
                         administrative_unit_id=administrative_unit_id, role=role, member_ids=member_ids,
                         authoritative=authoritative, protected_member_ids=protected_member_ids,
                         max_removals=max_removals)
