"""What owning a group means to `GroupOwner` and `GroupOwners`: the group as the anchor of its
owners, the checks before owners are added (Graph manages the group's owners, each owner is a
user or service principal, the app may change them), and Graph's refusal to remove a group's last
owner: an update that would leave the group without owners fails at preview, and a delete (which
has no preview) leaves the last owner in place with a warning; the owner then goes with the group
(docs/graph-behaviour.md §1.9).

Each check raises `InputError` naming the argument to change, so a preview fails before any write.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import pulumi

from ..graph import errors as E
from ..graph.references import GROUP_KINDS, OWNER_KINDS
from ..graph.rules import OWNERS, last_owner_problem, owner_type_problem, permission_hint
from ._base import InputError
from ._containers import Anchor, at_most_ten, existing_types

if TYPE_CHECKING:
    from ..graph.client import GraphClient
    from ..graph.rules import GroupInfo

# The group as the anchor of its owners: listed and written through /groups/{id}/owners.
OWNED_GROUP = Anchor("group_id", "the group's object id", "group", GROUP_KINDS, OWNER_KINDS,
                     "a group cannot own itself", "owner_add", "owner_remove", OWNERS)


def owned_group(client: "GraphClient", group_id: str) -> "GroupInfo":
    """The group, once the directory confirms this app can change its owners: it exists, Graph
    manages its owners (not a distribution, mail-enabled security or synchronised group), and a
    role-assignable group comes with RoleManagement.ReadWrite.Directory. Raises InputError."""
    group = client.get_group(group_id)
    if group is None:
        raise InputError("group_id", f"group {group_id} does not exist in the directory "
                                     "(check the id, and that the app can read groups)")
    problem = group.owners_problem()
    roles = client.app_roles()
    if not problem and group.is_assignable_to_role and roles is not None \
            and "RoleManagement.ReadWrite.Directory" not in roles:
        problem = (f"{group.label} is role-assignable: changing its owners needs the application permission "
                   "RoleManagement.ReadWrite.Directory (with admin consent), which the app's token does not "
                   "carry; grant it, or choose a group that is not role-assignable")
    if problem:
        raise InputError("group_id", problem)
    return group


def validate_owners(client: "GraphClient", group_id: str, owner_ids: Sequence[str], *, prop: str) -> dict[str, str]:
    """What the directory must confirm before `owner_ids` are made owners of the group: the
    group (`owned_group`), and each owner exists and is a user or service principal. Returns
    owner id -> type ({} when the app may not resolve types: Graph then judges on write)."""
    owned_group(client, group_id)
    if not owner_ids:
        return {}
    types = existing_types(client, owner_ids, prop, "give the object ids of users or service principals")
    if types is None:
        return {}
    bad = [p for o in owner_ids if (p := owner_type_problem(o, types[o]))]
    if bad:
        raise InputError(prop, at_most_ten(bad))
    return types


def last_owner_refusal(client: "GraphClient", group_id: str, removals: set[str], adds: set[str], *,
                       fix: str) -> str | None:
    """Why Graph would refuse removing `removals` from the group's owners once `adds` are added:
    the group has owners now and would have none (the listing the caller just made serves it).
    None when it would keep one, or when the owners cannot be listed (the write then answers)."""
    if not removals:
        return None
    try:
        now = set(client.member_ids(OWNERS, group_id))
    except E.GraphError:
        return None
    after = (now | adds) - removals
    return last_owner_problem(OWNED_GROUP.label(client, group_id), now & removals or now, after, fix)


def last_owner_kept(client: "GraphClient", group_id: str, removals: set[str]) -> str | None:
    """The one of `removals` a delete leaves because it would be the group's last owner, said in a
    warning naming the group and the owner; None when the group keeps another owner (or cannot be
    listed: the removal then answers for itself)."""
    if not removals:
        return None
    try:
        now = set(client.member_ids(OWNERS, group_id, max_age_s=0))
    except E.GraphError:
        return None
    if not now or now - removals or not now & removals:
        return None
    kept = sorted(now & removals)[0]
    warn_kept(client, group_id, kept)
    return kept


def warn_kept(client: "GraphClient", group_id: str, owner_id: str) -> None:
    pulumi.log.warn(f"{OWNED_GROUP.label(client, group_id)}: {owner_id} stays its owner: Graph refuses to remove a "
                    "group's last owner (https://learn.microsoft.com/graph/api/group-delete-owners). It goes when "
                    "the group is deleted; to remove it, add another owner first")


def owner_hint(client: "GraphClient", op: str, group_id: str) -> str:
    """What a 403 on a group's owners most likely means is missing; a hint must not replace the
    error it explains, so a group that cannot be read gives the general hint."""
    try:
        group = client.get_group(group_id)
    except E.GraphError:
        group = None
    return permission_hint(op, group)
