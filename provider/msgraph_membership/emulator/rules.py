"""Directory rules: permissions, group kinds, allowed member types, mail nicknames.

The permission rows follow the Permissions table of each Microsoft Graph API page; docs/permissions.md
lists them with their pages. The member-type table follows
https://learn.microsoft.com/graph/api/group-post-members; group kinds and mail nicknames follow
https://learn.microsoft.com/graph/api/resources/group.
"""

from __future__ import annotations

import re

from . import errors

# --- application permissions (token "roles") ------------------------------------------------------
# Each operation maps to its alternatives; an alternative is a set of permissions that must all be
# held. The rows are the "Application" rows of each API page's Permissions table on Microsoft Learn
# (least privileged first, then the higher privileged ones), as listed in docs/permissions.md, which
# names the page of every row. Keep the two in step: when they disagree, the page wins.
_LEARN = "https://learn.microsoft.com/graph/api/"


def _any(*names: str) -> tuple[frozenset, ...]:
    return tuple(frozenset({n}) for n in names)


_READ_AU = ("AdministrativeUnit.Read.All", "AdministrativeUnit.ReadWrite.All", "Directory.Read.All",
            "Directory.ReadWrite.All")
_GROUP_MEMBERS_WRITE = ("GroupMember.ReadWrite.All", "Directory.ReadWrite.All", "Group.ReadWrite.All")
_GROUP_MEMBERSHIP_READ = ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All",
                          "Directory.ReadWrite.All")
_SP_MEMBERSHIP_READ = ("Application.Read.All", "Directory.Read.All", "Application.ReadWrite.All",
                       "Directory.ReadWrite.All")
_DEVICE_MEMBERSHIP_READ = ("Device.Read.All", "Device.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
_USER_GROUPS_READ = (frozenset({"User.Read.All", "GroupMember.Read.All"}), frozenset({"User.Read.All", "Group.Read.All"}),
                     frozenset({"Directory.Read.All"}))

PERMISSIONS: dict[str, tuple[frozenset, ...]] = {
    # reads of one object, by its type
    "user.get": _any("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "group.get": _any("GroupMember.Read.All", "Group.ReadWrite.All", "Directory.Read.All",
                      "Directory.ReadWrite.All", "Group.Read.All"),
    "device.get": _any("Device.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "servicePrincipal.get": _any("Application.Read.All", "Application.ReadWrite.OwnedBy",
                                 "Application.ReadWrite.All", "Directory.Read.All"),
    "orgContact.get": _any("OrgContact.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "directoryObject.get": _any("Directory.Read.All"),
    "administrativeUnit.get": _any(*_READ_AU),
    # collections of one type
    "group.list": _any("Group-NestingSupport.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All",
                       "Group.ManageProtection.All", "Group.Read.All", "Group.ReadWrite.All",
                       "GroupMember.Read.All"),
    "device.list": _any("Device.Read.All", "Device.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "servicePrincipal.list": _any("Application.Read.All", "Application.ReadWrite.OwnedBy",
                                  "Application.ReadWrite.All", "Directory.Read.All"),
    "orgContact.list": _any("OrgContact.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "administrativeUnit.list": _any(*_READ_AU),
    "directoryObject.getByIds": _any("Directory.Read.All"),
    # membership reads
    "group.members.list": _any("GroupMember.Read.All", "Directory.Read.All", "Group.Read.All",
                               "Group.ReadWrite.All", "GroupMember.ReadWrite.All"),
    "group.transitiveMembers.list": _any("GroupMember.Read.All", "Directory.Read.All", "Group.Read.All",
                                         "Group.ReadWrite.All", "GroupMember.ReadWrite.All"),
    "administrativeUnit.members.list": _any(*_READ_AU),
    "administrativeUnit.members.get": _any(*_READ_AU),
    "user.memberOf": _any("Directory.Read.All", "Directory.ReadWrite.All"),
    "group.memberOf": _any("GroupMember.Read.All", "Directory.Read.All", "Directory.ReadWrite.All", "Group.Read.All"),
    "servicePrincipal.memberOf": _any("Application.Read.All", "Application.ReadWrite.All",
                                      "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"),
    "device.memberOf": _any("Device.Read.All", "Device.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "orgContact.memberOf": _any("OrgContact.Read.All", "Directory.Read.All", "Directory.ReadWrite.All",
                                "Group.Read.All"),
    # transitive memberships of a user (user-list-transitivememberof); other types: their memberOf row
    "user.transitiveMemberOf": _any("User.Read.All", "GroupMember.Read.All", "Group.Read.All", "Directory.Read.All",
                                    "Directory.ReadWrite.All"),
    # membership checks, one table per type of the path (directoryobject-checkmembergroups, -checkmemberobjects)
    "directoryObject.checkMemberGroups": _USER_GROUPS_READ,
    "user.checkMemberGroups": _USER_GROUPS_READ,
    "group.checkMemberGroups": _any(*_GROUP_MEMBERSHIP_READ),
    "servicePrincipal.checkMemberGroups": _any(*_SP_MEMBERSHIP_READ),
    "orgContact.checkMemberGroups": _any("Directory.Read.All", "Directory.ReadWrite.All"),
    "device.checkMemberGroups": _any(*_DEVICE_MEMBERSHIP_READ),
    "directoryObject.checkMemberObjects": _any("Directory.Read.All"),
    "user.checkMemberObjects": _any("User.Read.All", "Directory.Read.All", "User.ReadWrite.All",
                                    "Directory.ReadWrite.All"),
    "group.checkMemberObjects": _any(*_GROUP_MEMBERSHIP_READ),
    "servicePrincipal.checkMemberObjects": _any(*_SP_MEMBERSHIP_READ),
    "orgContact.checkMemberObjects": _any("Directory.Read.All", "Directory.ReadWrite.All"),
    "device.checkMemberObjects": _any(*_DEVICE_MEMBERSHIP_READ),
    # membership writes
    "group.members.add": _any(*_GROUP_MEMBERS_WRITE),
    "group.members.remove": _any(*_GROUP_MEMBERS_WRITE),
    # owners (group-post-owners, group-delete-owners): GroupMember.ReadWrite.All is not enough
    "group.owners.add": _any("Group.ReadWrite.All", "Directory.ReadWrite.All"),
    "group.owners.remove": _any("Group.ReadWrite.All", "Directory.ReadWrite.All"),
    "administrativeUnit.members.add": _any("AdministrativeUnit.ReadWrite.All"),
    "administrativeUnit.members.remove": _any("AdministrativeUnit.ReadWrite.All"),
    # groups
    "group.create": _any("Group.Create", "Directory.ReadWrite.All", "Group-PreferredDataLocation.ReadWrite.All",
                         "Group.ReadWrite.All"),
    "administrativeUnit.createGroup": tuple(frozenset({g, a}) for g in ("Group.Create", "Group.ReadWrite.All")
                                            for a in _READ_AU) + _any("Directory.ReadWrite.All"),
    "group.update": _any("Group-NestingSupport.ReadWrite.All", "Directory.ReadWrite.All",
                         "Group-PreferredDataLocation.ReadWrite.All", "Group.ManageProtection.All",
                         "Group.ReadWrite.All"),
    "group.delete": _any("Group.ReadWrite.All"),
    # administrative units as objects (least privileged and the only one listed: AdministrativeUnit.ReadWrite.All)
    "administrativeUnit.create": _any("AdministrativeUnit.ReadWrite.All"),
    "administrativeUnit.update": _any("AdministrativeUnit.ReadWrite.All"),
    "administrativeUnit.delete": _any("AdministrativeUnit.ReadWrite.All"),
    "group.upsert": _any("Group.ReadWrite.All", "Directory.ReadWrite.All"),
    # Entra role assignments (read by the provider to explain what a signed-in person lacks)
    "roleAssignment.list": _any("RoleManagement.Read.Directory", "Directory.Read.All", "Directory.ReadWrite.All",
                                "RoleManagement.ReadWrite.Directory", "RoleManagement.Read.All"),
    # Entra role assignments as writes (rbacapplication-post-roleassignments, unifiedroleassignment-delete):
    # RoleManagement.ReadWrite.Directory, nothing else; reading one as listing them (unifiedroleassignment-get)
    "roleAssignment.get": _any("RoleManagement.Read.Directory", "Directory.Read.All", "Directory.ReadWrite.All",
                               "RoleManagement.ReadWrite.Directory", "RoleManagement.Read.All"),
    "roleAssignment.create": _any("RoleManagement.ReadWrite.Directory"),
    "roleAssignment.delete": _any("RoleManagement.ReadWrite.Directory"),
}

# The Learn page each row comes from (its name after ``_LEARN``), as docs/permissions.md shows.
_PAGES: dict[str, str] = {
    # reads: one object, a collection, members
    "user.get": "user-get", "group.get": "group-get", "device.get": "device-get",
    "servicePrincipal.get": "serviceprincipal-get", "orgContact.get": "orgcontact-get",
    "directoryObject.get": "directoryobject-get", "administrativeUnit.get": "administrativeunit-get",
    "group.list": "group-list", "device.list": "device-list", "servicePrincipal.list": "serviceprincipal-list",
    "orgContact.list": "orgcontact-list", "administrativeUnit.list": "directory-list-administrativeunits",
    "directoryObject.getByIds": "directoryobject-getbyids", "group.members.list": "group-list-members",
    "group.transitiveMembers.list": "group-list-transitivemembers",
    "administrativeUnit.members.list": "administrativeunit-list-members",
    "administrativeUnit.members.get": "administrativeunit-get-members",
    # membership reads
    "user.memberOf": "user-list-memberof", "group.memberOf": "group-list-memberof",
    "servicePrincipal.memberOf": "serviceprincipal-list-memberof", "device.memberOf": "device-list-memberof",
    "orgContact.memberOf": "orgcontact-list-memberof",
    # membership writes
    "group.members.add": "group-post-members", "group.members.remove": "group-delete-members",
    "administrativeUnit.members.add": "administrativeunit-post-members",
    "administrativeUnit.members.remove": "administrativeunit-delete-members",
    # groups and units as objects
    "group.create": "group-post-groups", "administrativeUnit.createGroup": "administrativeunit-post-members",
    "group.update": "group-update", "group.delete": "group-delete",
    "administrativeUnit.create": "directory-post-administrativeunits",
    "administrativeUnit.update": "administrativeunit-update",
    "administrativeUnit.delete": "administrativeunit-delete", "group.upsert": "group-upsert",
    "roleAssignment.list": "rbacapplication-list-roleassignments",
    "roleAssignment.get": "unifiedroleassignment-get", "roleAssignment.create": "rbacapplication-post-roleassignments",
    "roleAssignment.delete": "unifiedroleassignment-delete",
}
SOURCES: dict[str, str] = {operation: _LEARN + page for operation, page in _PAGES.items()}

# The membership checks (one table per type of the path), a user's transitive memberships, owners.
SOURCES.update({f"{kind}.{check}": _LEARN + "directoryobject-" + check.lower()
                for kind in ("directoryObject", "user", "group", "servicePrincipal", "orgContact", "device")
                for check in ("checkMemberGroups", "checkMemberObjects")})
SOURCES.update({"user.transitiveMemberOf": _LEARN + "user-list-transitivememberof",
                "group.owners.add": _LEARN + "group-post-owners", "group.owners.remove": _LEARN + "group-delete-owners"})

ROLE_MANAGEMENT = "RoleManagement.ReadWrite.Directory"

# What a permission grants beyond its own name, from its description in the permissions reference
# (https://learn.microsoft.com/graph/permissions-reference): each ReadWrite permission reads what
# its Read counterpart reads ("Allows the app to read and write ..."), so
# GroupMember.ReadWrite.All "allows the app to list groups, read basic properties, read and update
# the membership of the groups" and Directory.ReadWrite.All answers getByIds.
IMPLIED: dict[str, frozenset] = {
    name: frozenset({name.replace(".ReadWrite.", ".Read.")})
    for alts in PERMISSIONS.values() for alt in alts for name in alt if ".ReadWrite." in name}

# Directory.AccessAsUser.All, a delegated permission only, "allows the app to have the same access to
# information in the directory as the signed-in user" (permissions-reference): every row above, the
# user's roles deciding. The role-management scope is the exception group-post-members names: a
# role-assignable group needs RoleManagement.ReadWrite.Directory in the token itself.
ACCESS_AS_USER = "Directory.AccessAsUser.All"


def delegated_scopes(scopes) -> set:
    """What a person's token may call: its scopes, and with ``Directory.AccessAsUser.All`` every row."""
    held = set(scopes)
    if ACCESS_AS_USER in held:
        held |= {name for alts in PERMISSIONS.values() for alt in alts for name in alt} - {ROLE_MANAGEMENT}
    return held


# Adding a member of these types to a group also needs the type's own permission (group-post-members,
# the per-resource table). Users and groups need nothing more.
MEMBER_TYPE_PERMISSION = {"device": "Device.ReadWrite.All", "servicePrincipal": "Application.ReadWrite.All",
                          "orgContact": "OrgContact.Read.All"}

# Reading one object of a type (which also decides "limited information" in listings).
READ_OPERATION = {"user": "user.get", "group": "group.get", "device": "device.get",
                  "servicePrincipal": "servicePrincipal.get", "orgContact": "orgContact.get",
                  "administrativeUnit": "administrativeUnit.get"}


# What a memberOf listing holds, and what each container may hold (a type cast outside these is
# 400 Request_UnsupportedQuery: docs/graph-behaviour.md §11).
CONTAINER_KINDS = ("group", "administrativeUnit")
_HOLDS = {("group", "members"): ("user", "group", "device", "servicePrincipal", "orgContact"),
          ("group", "owners"): ("user", "servicePrincipal"),
          ("administrativeUnit", "members"): ("user", "group", "device"),
          (None, "memberOf"): CONTAINER_KINDS}


def check_cast(container_kind: str | None, nav: str, kinds) -> None:
    """400 for a cast (``/transitiveMembers/microsoft.graph.administrativeUnit``) to a type ``nav`` never holds."""
    for kind in kinds or ():
        if kind not in _HOLDS[(container_kind, nav)]:
            raise errors.bad_request(errors.UNSUPPORTED_CAST.format(cast=f"microsoft.graph.{kind}", nav=nav),
                                     code="Request_UnsupportedQuery")


def member_of_operation(kind: str, transitive: bool) -> str:
    """The permission row of a memberOf listing: the page of the member's own type (a unit has none:
    the directoryObject read); a user's transitive memberships have their own page."""
    if kind == "administrativeUnit":
        return "directoryObject.get"
    return "user.transitiveMemberOf" if transitive and kind == "user" else f"{kind}.memberOf"


def check_member_operation(kind: str | None, groups_only: bool) -> str:
    """The permission row of checkMemberGroups/checkMemberObjects on the path's type (None: /directoryObjects)."""
    return f"{kind or 'directoryObject'}.{'checkMemberGroups' if groups_only else 'checkMemberObjects'}"


def effective(roles) -> set:
    """The token's roles plus what they imply."""
    out = set(roles or ())
    for r in list(out):
        out |= IMPLIED.get(r, frozenset())
    return out


def allowed(roles, operation: str) -> bool:
    held = effective(roles)
    return any(alt <= held for alt in PERMISSIONS[operation])


def require(roles, operation: str) -> None:
    """403 Authorization_RequestDenied unless the token holds one alternative of ``operation``."""
    if not allowed(roles, operation):
        raise errors.denied()


def can_read(roles, kind: str) -> bool:
    """Whether the app may read objects of ``kind``; listings show others with limited information."""
    op = READ_OPERATION.get(kind)
    return op is not None and allowed(roles, op)


def require_member_type(roles, member_kind: str) -> None:
    """group-post-members: adding a device, service principal or contact needs that type's permission too."""
    extra = MEMBER_TYPE_PERMISSION.get(member_kind)
    if extra and extra not in effective(roles):
        raise errors.denied()


# --- group kinds (docs/graph-behaviour.md §8) -----------------------------------------------------
def is_unified(group: dict) -> bool:
    return "Unified" in (group.get("groupTypes") or [])


def is_dynamic(group: dict) -> bool:
    return "DynamicMembership" in (group.get("groupTypes") or [])


def is_read_only(group: dict) -> bool:
    """Mail-enabled security and distribution groups, and groups synced from AD (docs/graph-behaviour.md §8)."""
    if group.get("onPremisesSyncEnabled"):
        return True
    return not is_unified(group) and bool(group.get("mailEnabled"))


def check_member_writable(group: dict, roles) -> None:
    """The 403s for member changes: dynamic, read-only, role-assignable without the role."""
    if is_dynamic(group) or is_read_only(group):
        raise errors.denied()
    if group.get("isAssignableToRole") and ROLE_MANAGEMENT not in roles:
        raise errors.denied()


# --- member types (docs/graph-behaviour.md §1.1 table, §1.7, owners §1.9) ------------------------
_CONTAINER_NAMES = {"unified": "Microsoft 365 group", "security": "security group",
                    "administrativeUnit": "administrative unit"}


def member_type_allowed(container_kind: str, container: dict, rel: str, member_kind: str, member: dict) -> bool:
    if rel == "owners":
        return member_kind in ("user", "servicePrincipal")
    if container_kind == "administrativeUnit":
        # docs/graph-behaviour.md §1.7: users, groups (any kind) and devices.
        return member_kind in ("user", "group", "device")
    if is_unified(container):
        return member_kind == "user"
    if member_kind == "group":
        # A Microsoft 365 group can be a member of nothing (docs/graph-behaviour.md §1.1).
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


# --- mail nickname (docs/graph-behaviour.md §8) ---------------------------------------------------
_FORBIDDEN_NICKNAME = set('@()\\[]";:.<>, ')
MAX_NICKNAME = 64


def mail_nickname_valid(value) -> bool:
    if not isinstance(value, str) or not value or len(value) > MAX_NICKNAME:
        return False
    return all(32 < ord(c) < 127 and c not in _FORBIDDEN_NICKNAME for c in value)


GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))
