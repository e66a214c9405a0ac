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
holds what is a unit role's: the role argument, the listing and writes by assignment.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Optional, Sequence

import pulumi
from pulumi.dynamic import DiffResult, ReadResult

from ..graph.delegated import signed_in
from ..graph.entra_roles import UNIT_SCOPE_ROLES, unit_scope_role
from ..graph.references import SP, UNIT_KINDS, USER
from ..graph.references import GROUP as GROUP_KIND
from ._base import InputError, has_unknown
from ._batch import BatchMembersResource, BatchProvider
from ._containers import Anchor, at_most_ten, existing_types
from ._inputs import Ids
from .administrative_unit_member import UNITS_PREFIX

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport

ROLE_UNIT = Anchor("administrative_unit_id", "the administrative unit's object id", "administrative unit", UNIT_KINDS,
                   frozenset({USER, GROUP_KIND, SP}), "a unit cannot hold a role", "role_add", "role_remove")
PRINCIPAL_TYPES = ("user", "group", "servicePrincipal")
PERMISSION_HINT = ("the app most likely lacks RoleManagement.ReadWrite.Directory (application permission, admin "
                   "consent); signed in as a person, Privileged Role Administrator is needed")
_ROLE: ContextVar[Optional[str]] = ContextVar("unit_role", default=None)  # the role of the call in progress


@contextmanager
def _role_of(props: dict):
    token = _ROLE.set(props.get("role"))
    try:
        yield
    finally:
        _ROLE.reset(token)


def role_members_id(unit_id: str, role_id: Optional[str] = None) -> str:
    return f"{UNITS_PREFIX}{unit_id}/roles/{role_id or _ROLE.get()}/members"


def parse_role_members_id(id_: str) -> str:
    return _parse(id_)[0]


def _parse(id_: str) -> tuple[str, str]:
    parts = id_[len(UNITS_PREFIX):].split("/") if id_.startswith(UNITS_PREFIX) else []
    if len(parts) != 4 or parts[1] != "roles" or parts[3] != "members":
        raise ValueError(f"{id_!r} is not an AdministrativeUnitRoleMembers id "
                         "(/directory/administrativeUnits/{au_id}/roles/{role template id}/members)")
    return parts[0], parts[2]


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
    def role(self) -> str:
        return _ROLE.get() or ""

    @property
    def args(self) -> tuple[str, ...]:
        return super().args + ("role",)

    def subject(self, anchor_id: str) -> str:
        return f"{UNIT_SCOPE_ROLES.get(self.role, self.role)} of administrative unit {anchor_id}"

    def progress(self, anchor_id: str, adding: int, removing: int) -> str:
        return f"{self.subject(anchor_id)}: assigning {adding}, unassigning {removing} principal(s)"

    def hint(self, op: str, anchor_id: str, failed: Optional[dict] = None) -> str:
        if op == "read":
            return "the app most likely lacks RoleManagement.Read.Directory (or RoleManagement.ReadWrite.Directory)"
        return PERMISSION_HINT

    # -- the role: resolved before every check, and the context of every other call ------------------

    def check_inputs(self, olds: dict, news: dict):
        news = dict(news)
        if not has_unknown(news.get("role")):
            if problem := role_problem(news.get("role")):
                return self.check_result({k: v for k, v in news.items() if k in self.args}, [("role", problem)])
            news["role"] = unit_scope_role(news["role"])
        with _role_of(news):
            return super().check_inputs(olds, news)

    def _replacement_problems(self, olds: dict):
        with _role_of(olds):
            return super()._replacement_problems(olds)

    def _removal_problems(self, olds: dict, inputs: dict):
        """A new role replaces the resource: the old role's assignments go with the old resource
        (under its guard), and none of them counts as dropped from the new role's list."""
        same_unit = olds.get(self.anchor.arg) == inputs.get(self.anchor.arg)
        if same_unit and olds.get("role") and olds["role"] != inputs.get("role"):
            return self._replacement_problems(olds) + super()._removal_problems({**olds, self.list_arg: []}, inputs)
        return super()._removal_problems(olds, inputs)

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        with _role_of(news):
            result = super().diff(id_, olds, news)
        if has_unknown(news.get("role")) or olds.get("role") != news.get("role"):
            return DiffResult(changes=True, replaces=sorted(set(result.replaces or []) | {"role"}), stables=[],
                              delete_before_replace=False)
        return result

    def create(self, props: dict):
        with _role_of(props):
            return super().create(props)

    def update(self, id_: str, olds: dict, news: dict):
        with _role_of(news):
            return super().update(id_, olds, news)

    def read(self, id_: str, props: dict) -> ReadResult:
        with _role_of({"role": props.get("role") or _parse(id_)[1]}):
            return super().read(id_, props)

    def delete(self, id_: str, props: dict) -> None:
        with _role_of({"role": props.get("role") or _parse(id_)[1]}):
            return super().delete(id_, props)

    def _outputs(self, anchor_id: str, ids: list[str], authoritative: bool, adopted: list[str], props: dict) -> dict:
        return {**super()._outputs(anchor_id, ids, authoritative, adopted, props), "role": self.role}

    # -- the directory: assignments at the unit's scope --------------------------------------------

    def listed(self, anchor_id: str, max_age_s: Optional[float] = None) -> dict[str, str]:
        from ..graph.unit_roles import holders

        return {p: "roleAssignment" for p in holders(self.client, anchor_id, self.role, max_age_s=max_age_s)}

    def present(self, anchor_id: str, managed: set[str]) -> set[str]:
        return set(self.listed(anchor_id))  # the listing this process just made, if any (unit_roles.KEEP_S)

    def confirm(self, anchor_id: str, present: set[str], absent: set[str]) -> None:
        pass  # one listing answers (no membership replication to wait out)

    def validate(self, anchor_id: str, ids: Sequence[str]) -> None:
        """The unit exists; a person signed in holds Privileged Role Administrator; each principal
        exists and is a user, a service principal or a role-assignable group."""
        c = self.client
        if c.get_unit(anchor_id) is None:
            raise InputError("administrative_unit_id", f"administrative unit {anchor_id} does not exist in the "
                                                       "directory (check the id, and that the app can read "
                                                       "administrative units: AdministrativeUnit.Read.All)")
        if not ids:
            return
        if problem := signed_in(c).role_assign_problem(anchor_id):
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

    def add(self, anchor_id: str, ids: Sequence[str]) -> WriteReport:
        from ..graph.unit_roles import assign

        return assign(self.client, anchor_id, self.role, ids)

    def remove(self, anchor_id: str, ids: Sequence[str]) -> WriteReport:
        from ..graph.unit_roles import holders, unassign

        held = holders(self.client, anchor_id, self.role, max_age_s=0)
        return unassign(self.client, anchor_id, {p: held[p] for p in ids if p in held})


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
