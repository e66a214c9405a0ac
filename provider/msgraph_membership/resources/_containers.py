"""Groups and administrative units as the anchor of a membership resource: how its arguments
and messages name them, what references may name (graph/references.py), which permission a
refused write hints at, and what the directory must confirm before members are written.

`GroupMember`, `GroupMembers`, `AdministrativeUnitMember` and `AdministrativeUnitMembers` are
anchored on a container (`GROUP`, `UNIT`); `MemberOf` on its member (member_of.py); `GroupOwner`
and `GroupOwners` on the group whose owners they are (_owners.py). Each check
raises `InputError` naming the argument to change, so a preview fails before any write; the same
check runs again at apply, for inputs a preview could not know.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Sequence

from ..graph.delegated import signed_in
from ..graph.errors import GraphError
from ..graph.references import GROUP_KINDS, GROUP_MEMBER_KINDS, UNIT_KINDS, UNIT_MEMBER_KINDS
from ..graph.rules import GROUPS, OWNERS, UNITS, au_member_problem, unified_member_problem
from ._base import InputError, group_type_fallback, member_type_problem, member_types, writable_group
from ._converge import short_list

if TYPE_CHECKING:
    from ..graph.client import GraphClient


@dataclass(frozen=True)
class Anchor:
    """The one object a membership resource is anchored on, and what links to it."""

    arg: str                    # its argument: "group_id"
    what: str                   # how a problem with the argument names it: "the group's object id"
    noun: str                   # how messages name it: "group {id}: ..."
    kinds: frozenset[str]       # what `arg` may name by reference
    other_kinds: frozenset[str]  # ... and what the other end may name
    self_reason: str            # why it cannot be linked to itself
    add_op: str                 # graph.rules.permission_hint operations for a refused add
    remove_op: str              # ... and removal
    kind: Optional[str] = None  # a container's kind (GROUPS, UNITS, UNIT_ROLES): whose listing and writes to use

    def label(self, client: "GraphClient", anchor_id: str) -> str:
        """How info lines name it: "group {id} (Developers)", as GroupInfo.label does. The name is
        what this process already read (the checks before every write read the container), else
        one read, kept like any other; the id alone when that fails or there is no container."""
        name = None
        try:
            if self.kind in (GROUPS, OWNERS):
                info = client.get_group(anchor_id, max_age_s=LABEL_AGE_S)
                name = info.display_name if info else None
            elif self.kind == UNITS:
                unit = client.get_unit(anchor_id, max_age_s=LABEL_AGE_S)
                name = unit.get("displayName") if unit else None
        except GraphError:
            pass  # a name is a nicety: never fail a write for it
        return f"{self.noun} {anchor_id}" + (f" ({name})" if name else "")


# What a batch resource is anchored on, as its methods take it (_batch.py `key_of`): the anchor's
# id, or a tuple when more names the resource (AdministrativeUnitRoleMembers: unit_roles.UnitRole).
Key = Any

LABEL_AGE_S = 3600.0  # a display name read this recently still names the container well enough


GROUP = Anchor("group_id", "the group's object id", "group", GROUP_KINDS, GROUP_MEMBER_KINDS,
               "a group cannot be a member of itself", "add", "remove", GROUPS)
UNIT = Anchor("administrative_unit_id", "the administrative unit's object id", "administrative unit", UNIT_KINDS,
              UNIT_MEMBER_KINDS, "units take users, groups and devices", "au_add", "au_remove", UNITS)


def at_most_ten(problems: list[str]) -> str:
    """The first ten problems in one message, and how many more."""
    return "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")


def _group_member_problem(client: "GraphClient", group, member_id: str, member_type: str) -> str | None:
    """Why `group` cannot take this member, or None: the group's own rules, the permission the
    member's type needs, and no Microsoft 365 group as a member."""
    p = group.member_problem(member_id, member_type) or member_type_problem(client, member_id, member_type)
    if not p and client.is_unified_group(member_id):
        p = unified_member_problem(member_id)
    return p


def existing_types(client: "GraphClient", ids: Sequence[str], prop: str, give: str) -> dict[str, str] | None:
    """id -> type of `ids` once each exists (InputError naming `prop` and what to `give` instead),
    or None when the app may not resolve types (no Directory.Read.All: Graph judges them on write)."""
    types = member_types(client, list(ids))
    if types is None:
        return None
    missing = [m for m in ids if m not in types]
    if missing:
        raise InputError(prop, f"{len(missing)} id(s) do not exist in the directory: {short_list(missing)}; {give}")
    return types


def validate_group_member(client: "GraphClient", group_id: str, member_id: str) -> str | None:
    """One member of a group: the group can be changed, the member exists and the group takes
    it. Returns the member type (None when the app may not resolve types and it is no group)."""
    group = writable_group(client, group_id)
    types = member_types(client, [member_id])
    if types is None:  # no Directory.Read.All: only a group member can still be checked
        member_type = group_type_fallback(client, member_id)
    else:
        member_type = types.get(member_id)
        if member_type is None:
            raise InputError("member_id", f"object {member_id} does not exist in the directory; give the "
                                          "object id of a user, group, device, service principal or contact")
    if member_type is not None and (p := _group_member_problem(client, group, member_id, member_type)):
        raise InputError("member_id", p)
    return member_type


def validate_group_members(client: "GraphClient", group_id: str, member_ids: Sequence[str]) -> None:
    """Many members of a group, every offending id named under `member_ids`."""
    group = writable_group(client, group_id)
    types = existing_types(client, member_ids, "member_ids", "correct them or remove them from member_ids")
    if types is None:  # no Directory.Read.All: Graph judges the members on write
        return
    bad = [p for m in member_ids if (p := _group_member_problem(client, group, m, types[m]))]
    if bad:
        raise InputError("member_ids", at_most_ten(bad))


def validate_unit_members(client: "GraphClient", unit_id: str, member_ids: Sequence[str], *,
                          prop: str) -> dict[str, str]:
    """What the directory must confirm before adding `member_ids` to a unit: the unit exists,
    each member exists and is a type units take. Returns member id -> type; raises InputError
    naming `administrative_unit_id` or `prop`."""
    unit = client.get_unit(unit_id)
    if unit is None:
        raise InputError("administrative_unit_id",
                         f"administrative unit {unit_id} does not exist in the directory (check the id, and "
                         "that the app can read administrative units: AdministrativeUnit.Read.All)")
    if member_ids and (problem := signed_in(client).unit_members_problem(unit_id)):
        raise InputError("administrative_unit_id", problem)
    if not member_ids:
        return {}
    types = existing_types(client, member_ids, prop, "give the object ids of users, groups or devices")
    if types is None:
        return {}
    bad = [p for m in member_ids if (p := au_member_problem(m, types[m]))]
    if not bad and unit.get("isMemberManagementRestricted"):
        # Restricted-management units take only plain security groups (docs/graph-behaviour.md §1.7).
        for m in member_ids:
            if types[m] != "group":
                continue
            g = client.get_group(m)
            if g is not None and (g.is_unified or g.mail_enabled or not g.security_enabled or g.on_premises_sync_enabled):
                bad.append(f"{g.label} is a {g.kind}; administrative unit {unit_id} is a restricted-management "
                           "unit, which takes only cloud security groups (not mail-enabled, not synchronised)")
    if bad:
        raise InputError(prop, at_most_ten(bad))
    return types
