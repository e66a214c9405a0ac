"""Directory rules: permissions, group kinds, allowed member types, mail nicknames.

graph-semantics.md §1.1 (member-type table), §1.7/§1.8 (administrative units), §3 (403 cases) and
§8 (group kinds, mailNickname).
"""

from __future__ import annotations

import re

from . import errors

# --- application permissions (token "roles") ------------------------------------------------------
READ = frozenset({"GroupMember.Read.All", "GroupMember.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All",
                  "Directory.Read.All", "Directory.ReadWrite.All"})
# Reading AUs and plain directory objects is also granted by the narrower object permissions.
READ_AU = READ | {"AdministrativeUnit.Read.All", "AdministrativeUnit.ReadWrite.All"}
READ_OBJECTS = READ | {"User.Read.All", "User.ReadWrite.All", "Device.Read.All", "Device.ReadWrite.All",
                       "Application.Read.All", "Application.ReadWrite.All", "OrgContact.Read.All"}
GROUP_MEMBER_WRITE = frozenset({"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"})
GROUP_WRITE = frozenset({"Group.ReadWrite.All", "Directory.ReadWrite.All"})
GROUP_CREATE = frozenset({"Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"})
AU_WRITE = frozenset({"AdministrativeUnit.ReadWrite.All", "Directory.ReadWrite.All"})
ROLE_MANAGEMENT = "RoleManagement.ReadWrite.Directory"


def require(roles, allowed) -> None:
    """403 Authorization_RequestDenied unless the token has one of ``allowed``."""
    if not set(roles) & set(allowed):
        raise errors.denied()


# --- group kinds (§8) -----------------------------------------------------------------------------
def is_unified(group: dict) -> bool:
    return "Unified" in (group.get("groupTypes") or [])


def is_dynamic(group: dict) -> bool:
    return "DynamicMembership" in (group.get("groupTypes") or [])


def is_read_only(group: dict) -> bool:
    """Mail-enabled security and distribution groups, and groups synced from AD (§8)."""
    if group.get("onPremisesSyncEnabled"):
        return True
    return not is_unified(group) and bool(group.get("mailEnabled"))


def check_member_writable(group: dict, roles) -> None:
    """The 403s of §3 for member changes: dynamic, read-only, role-assignable without the role."""
    if is_dynamic(group) or is_read_only(group):
        raise errors.denied()
    if group.get("isAssignableToRole") and ROLE_MANAGEMENT not in roles:
        raise errors.denied()


# --- member types (§1.1 table, §1.7, owners §1.9) ------------------------------------------------
_CONTAINER_NAMES = {"unified": "Microsoft 365 group", "security": "security group",
                    "administrativeUnit": "administrative unit"}


def member_type_allowed(container_kind: str, container: dict, rel: str, member_kind: str, member: dict) -> bool:
    if rel == "owners":
        return member_kind in ("user", "servicePrincipal")
    if container_kind == "administrativeUnit":
        # §1.7: users, groups (any kind) and devices.
        return member_kind in ("user", "group", "device")
    if is_unified(container):
        return member_kind == "user"
    if member_kind == "group":
        # A Microsoft 365 group can be a member of nothing (§1.1).
        return not is_unified(member)
    return member_kind in ("user", "device", "servicePrincipal", "orgContact")


def check_member_type(container_kind: str, container_id: str, container: dict, rel: str,
                      member_kind: str, member_id: str, member: dict) -> None:
    if container_id == member_id:
        raise errors.bad_request(errors.SELF_MEMBERSHIP)
    if not member_type_allowed(container_kind, container, rel, member_kind, member):
        name = _CONTAINER_NAMES["administrativeUnit"] if container_kind == "administrativeUnit" else (
            _CONTAINER_NAMES["unified"] if is_unified(container) else _CONTAINER_NAMES["security"])
        raise errors.bad_request(errors.UNSUPPORTED_MEMBER_TYPE.format(
            container=name, member_type=member_kind, prop=rel))


# --- mail nickname (§8) ---------------------------------------------------------------------------
_FORBIDDEN_NICKNAME = set('@()\\[]";:.<>, ')
MAX_NICKNAME = 64


def mail_nickname_valid(value) -> bool:
    if not isinstance(value, str) or not value or len(value) > MAX_NICKNAME:
        return False
    return all(32 < ord(c) < 127 and c not in _FORBIDDEN_NICKNAME for c in value)


GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))
