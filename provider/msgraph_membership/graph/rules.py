"""What Graph will refuse, known before writing (docs/graph-behaviour.md §1.1 table, §3, §8).

Used to fail at preview or before the first write with a message that says what to change,
instead of an opaque 400/403 halfway through an apply.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

# Container kinds: where a membership lives. OWNERS: a group's owners, listed and written like its
# members (https://learn.microsoft.com/graph/api/group-list-owners).
GROUPS = "groups"
UNITS = "administrativeUnits"
OWNERS = "owners"
# UNIT_ROLES: who holds one role at one unit's scope, a container named by the pair (UnitRole),
# listed and written through role assignments (unit_roles.py).
UNIT_ROLES = "unitRoles"


class UnitRole(NamedTuple):
    """One role (its template id) at one unit's scope: the container of its holders (UNIT_ROLES)."""

    unit: str
    role: str


def link_path(kind: str, container_id: str) -> str:
    """The collection of a container's links of one kind: its members, or a group's owners."""
    if kind == UNITS:
        return f"/directory/administrativeUnits/{container_id}/members"
    return f"/groups/{container_id}/" + ("owners" if kind == OWNERS else "members")

MEMBER_TYPES = ("user", "group", "device", "servicePrincipal", "orgContact")

# mailNickname: no @()\[]";:.<>, or space; ASCII; at most 64 characters (docs/graph-behaviour.md §8).
_NICKNAME_FORBIDDEN = set('@()\\[]";:.<>, ')
NICKNAME_MAX = 64


# The canonical 8-4-4-4-12 hex form, either case: what uuid.UUID accepts and prints back unchanged
# (a regular expression: a list of 100,000 ids is checked at every preview).
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_guid(value: object) -> bool:
    return isinstance(value, str) and _GUID.fullmatch(value) is not None


def mail_nickname_problem(nick: str) -> str | None:
    """Why a mailNickname is invalid, or None."""
    if not nick:
        return "must not be empty"
    if len(nick) > NICKNAME_MAX:
        return f"is {len(nick)} characters long; at most {NICKNAME_MAX} are allowed"
    bad = sorted({c for c in nick if c in _NICKNAME_FORBIDDEN})
    if bad:
        shown = " ".join("SPACE" if c == " " else c for c in bad)
        return f"contains {shown}; these characters are not allowed: @ ( ) \\ [ ] \" ; : . < > , SPACE"
    if any(ord(c) > 127 or ord(c) < 33 for c in nick):
        return "must contain only printable ASCII characters"
    return None


def odata_type_to_member_type(odata_type: str | None) -> str | None:
    """'#microsoft.graph.user' -> 'user'."""
    if not odata_type:
        return None
    return odata_type.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class GroupInfo:
    id: str
    display_name: str | None = None
    group_types: tuple[str, ...] = ()
    mail_enabled: bool = False
    security_enabled: bool = True
    is_assignable_to_role: bool = False
    membership_rule: str | None = None
    on_premises_sync_enabled: bool = False
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    SELECT = ("id,displayName,groupTypes,mailEnabled,securityEnabled,isAssignableToRole,"
              "membershipRule,onPremisesSyncEnabled")

    @classmethod
    def from_graph(cls, d: dict) -> "GroupInfo":
        return cls(
            id=d["id"],
            display_name=d.get("displayName"),
            group_types=tuple(d.get("groupTypes") or ()),
            mail_enabled=bool(d.get("mailEnabled")),
            security_enabled=bool(d.get("securityEnabled")),
            is_assignable_to_role=bool(d.get("isAssignableToRole")),
            membership_rule=d.get("membershipRule"),
            on_premises_sync_enabled=bool(d.get("onPremisesSyncEnabled")),
            raw=d,
        )

    @property
    def label(self) -> str:
        return f"group {self.id}" + (f" ({self.display_name})" if self.display_name else "")

    @property
    def is_unified(self) -> bool:
        return "Unified" in self.group_types

    @property
    def is_dynamic(self) -> bool:
        return "DynamicMembership" in self.group_types

    @property
    def kind(self) -> str:
        if self.is_unified:
            return "Microsoft 365 group"
        if self.mail_enabled and self.security_enabled:
            return "mail-enabled security group"
        if self.mail_enabled:
            return "distribution group"
        return "security group"

    def membership_problem(self) -> str | None:
        """Why Graph cannot change this group's members at all, or None."""
        if self.is_dynamic:
            return (f"{self.label} is a dynamic-membership group; its members are set by its rule "
                    f"({self.membership_rule or 'membershipRule'}) and cannot be managed through Graph. "
                    "Change the rule instead, or use an assigned-membership group")
        if self.on_premises_sync_enabled:
            return (f"{self.label} is synchronised from on-premises Active Directory; manage its "
                    "members there")
        if not self.is_unified and self.mail_enabled:
            return (f"{self.label} is a {self.kind}; Graph cannot change its members (they are "
                    "managed in Exchange). Use a security or Microsoft 365 group")
        return None

    def member_problem(self, member_id: str, member_type: str | None) -> str | None:
        """Why this object cannot be a direct member of this group, or None (docs/graph-behaviour.md §1.1 table)."""
        if member_id.lower() == self.id.lower():
            return f"{self.label} cannot be a member of itself"
        if member_type is None:
            return None
        if member_type not in MEMBER_TYPES:
            return f"object {member_id} is a {member_type}, which cannot be a group member"
        if self.is_unified and member_type != "user":
            return (f"{self.label} is a Microsoft 365 group, which takes only users as members; "
                    f"{member_id} is a {member_type}. Use a security group for non-user members")
        return None

    def owners_problem(self) -> str | None:
        """Why Graph cannot manage this group's owners, or None: owners are not available for
        groups created in Exchange, distribution groups, or groups synchronised from on-premises
        (https://learn.microsoft.com/graph/api/group-list-owners)."""
        if self.on_premises_sync_enabled:
            return f"{self.label} is synchronised from on-premises Active Directory; Graph does not manage its owners"
        if not self.is_unified and self.mail_enabled:
            return (f"{self.label} is a {self.kind}; Graph does not manage the owners of groups created in "
                    "Exchange or of distribution groups. Use a security or Microsoft 365 group")
        return None


# Owners are users or service principals (https://learn.microsoft.com/graph/api/group-post-owners).
OWNER_TYPES = ("user", "servicePrincipal")


def owner_type_problem(owner_id: str, owner_type: str | None) -> str | None:
    if owner_type is not None and owner_type not in OWNER_TYPES:
        return (f"object {owner_id} is a {owner_type}; a group's owners are users and service principals "
                "(a group cannot own a group)")
    return None


# Graph's answer to removing a group's last owner (400 Request_BadRequest; observed, docs/graph-behaviour.md §1.4).
LAST_OWNER_REFUSED = "The group must have at least one owner"


def short_list(ids: Iterable[str], limit: int = 20) -> str:
    """The first `limit` ids, and how many more: every message that names ids names them so."""
    ids = list(ids)
    return ", ".join(ids[:limit]) + (f" ... ({len(ids) - limit} more)" if len(ids) > limit else "")


def last_owner_problem(group_label: str, owners_before: set[str], owners_after: set[str], fix: str) -> str | None:
    """Why Graph would refuse the removals that take a group from `owners_before` to
    `owners_after`: once a group has owners, its last owner cannot be removed
    (https://learn.microsoft.com/graph/api/group-delete-owners)."""
    if not owners_before or owners_after:
        return None
    return (f"{group_label} would be left without owners: Graph refuses to remove a group's last owner, so removing "
            f"{short_list(sorted(owners_before), 5)} would fail. {fix}")


def unified_member_problem(member_id: str) -> str:
    """A Microsoft 365 group can be a member of nothing (docs/graph-behaviour.md §1.1 table)."""
    return (f"group {member_id} is a Microsoft 365 group; Microsoft 365 groups cannot be members "
            "of other groups")


AU_MEMBER_TYPES = ("user", "group", "device")


def au_member_problem(member_id: str, member_type: str | None) -> str | None:
    if member_type is not None and member_type not in AU_MEMBER_TYPES:
        return (f"object {member_id} is a {member_type}; administrative units take users, groups "
                "and devices")
    return None


# Adding one of these member types to a group needs its permission besides GroupMember.ReadWrite.All
# (https://learn.microsoft.com/graph/api/group-post-members, the per-resource permissions table).
MEMBER_TYPE_PERMISSION = {"device": "Device.ReadWrite.All", "servicePrincipal": "Application.ReadWrite.All",
                          "orgContact": "OrgContact.Read.All"}


def with_implied(permissions) -> set[str]:
    """Permissions and what they imply: each ReadWrite permission reads what its Read counterpart
    reads (its description in https://learn.microsoft.com/graph/permissions-reference, "read and
    write"), as Graph and the emulator (emulator/rules.py ``IMPLIED``) grant it."""
    held = set(permissions)
    return held | {p.replace(".ReadWrite.", ".Read.") for p in held if ".ReadWrite." in p}


def permission_hint(operation: str, group: GroupInfo | None = None, member_type: str | None = None) -> str:
    """The application permission a 403 most likely means is missing (docs/permissions.md)."""
    if operation in ("au_add", "au_remove"):
        return ("the app most likely lacks AdministrativeUnit.ReadWrite.All (application permission, "
                "admin consent) or the Privileged Role Administrator role")
    if operation == "au_create_group":
        return ("the app most likely lacks Group.Create (or Group.ReadWrite.All) with "
                "AdministrativeUnit.Read.All, or a Groups Administrator role scoped to the unit")
    if operation in ("owner_add", "owner_remove"):
        base = ("the app most likely lacks Group.ReadWrite.All (application permission, admin consent); "
                "GroupMember.ReadWrite.All does not change owners")
        if group is not None and group.is_assignable_to_role:
            return f"{group.label} is role-assignable: the app also needs RoleManagement.ReadWrite.Directory; " + base
        return base
    if operation == "group_update":
        return "the app most likely lacks Group.ReadWrite.All"
    if operation == "read":
        return "the app most likely lacks GroupMember.Read.All (or Directory.Read.All)"
    base = "the app most likely lacks GroupMember.ReadWrite.All (application permission, admin consent)"
    if operation == "add":
        if member_type in MEMBER_TYPE_PERMISSION:
            base += f"; adding a {member_type} also needs {MEMBER_TYPE_PERMISSION[member_type]}"
        elif member_type is None:
            base += ("; adding a device, service principal or contact also needs Device.ReadWrite.All, "
                     "Application.ReadWrite.All or OrgContact.Read.All respectively")
    if group is not None and group.is_assignable_to_role:
        return (f"{group.label} is role-assignable: the app also needs "
                "RoleManagement.ReadWrite.Directory; " + base)
    return base
