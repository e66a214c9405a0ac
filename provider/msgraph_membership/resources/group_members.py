"""`GroupMembers`: many members of one group in one resource, written in batches.

Example::

    from msgraph_membership import GroupMembers

    GroupMembers("devs",
                 group_id=devs.object_id,
                 member_ids=[alice.object_id, bob.object_id, build_sp.object_id],
                 authoritative=False)   # True: the group has exactly these members

Id: `{group_id}/members`. `member_ids` and `authoritative` change in place; `group_id` replaces.
Adds use `PATCH members@odata.bind` 20 at a time; removals `$batch` 20 at a time. Members already
present are adopted (listed in `adopted_member_ids`). Without `authoritative`, only the listed
members are managed; with it, others are removed and show as drift on refresh.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import pulumi
from pulumi.dynamic import Resource

from ..graph.rules import GROUPS, permission_hint, unified_member_problem
from ._base import InputError, member_type_problem, member_types, writable_group
from ..graph.references import GROUP_KINDS, GROUP_MEMBER_KINDS
from ._batch import BatchMembersProvider, hide_member_ids_diff
from ._converge import short_list

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport


class GroupMembersProvider(BatchMembersProvider):
    container_arg = "group_id"
    container_what = "the group's object id"
    container_noun = "group"
    container_kinds = GROUP_KINDS
    member_kinds = GROUP_MEMBER_KINDS
    kind = GROUPS
    add_op = "add"
    remove_op = "remove"

    def resource_id(self, container_id: str) -> str:
        return f"{container_id}/members"

    def container_of(self, id_: str) -> str:
        return id_.rsplit("/members", 1)[0]

    def self_membership_problem(self, container_id: str) -> str:
        return f"contains the group itself ({container_id}); a group cannot be a member of itself"

    def add_members(self, container_id: str, member_ids: Sequence[str]) -> WriteReport:
        return self.client.add_group_members(container_id, member_ids)

    def hint(self, op: str, cid: str) -> str:
        return permission_hint(op, self.client.get_group(cid) if op == "add" else None)

    def validate_members(self, group_id: str, member_ids: Sequence[str]) -> None:
        c = self.client
        group = writable_group(c, group_id)
        types = member_types(c, list(member_ids))
        if types is None:  # no Directory.Read.All: Graph judges the members on write
            return
        missing = [m for m in member_ids if m not in types]
        if missing:
            raise InputError("member_ids", f"{len(missing)} id(s) do not exist in the directory: "
                                           f"{short_list(missing)}; correct them or remove them from member_ids")
        bad = []
        for m in member_ids:
            p = group.member_problem(m, types[m]) or member_type_problem(c, m, types[m])
            if not p and c.is_unified_group(m):
                p = unified_member_problem(m)
            if p:
                bad.append(p)
        if bad:
            raise InputError("member_ids", "; ".join(bad[:10]) + (f"; and {len(bad) - 10} more" if len(bad) > 10 else ""))


class GroupMembers(Resource, module="msgraph", name="GroupMembers"):
    """Several direct members of one Entra ID group, managed together with batched writes.

    Arguments: `group_id`, `member_ids` (list; order and duplicates do not matter),
    `authoritative` (default False), and the guard against mass removal: `protected_member_ids`
    (never removed by this resource, not even on destroy) and `max_removals` (a run that would
    remove more fails before any write). Outputs: `member_ids` (sorted, unique), `adopted_member_ids`.

    Example::

        GroupMembers("developers", group_id=devs.object_id, member_ids=[alice.object_id, bob.object_id])
    """

    group_id: pulumi.Output[str]
    member_ids: pulumi.Output[list]
    authoritative: pulumi.Output[bool]
    adopted_member_ids: pulumi.Output[list]
    protected_member_ids: pulumi.Output[Optional[list]]
    max_removals: pulumi.Output[Optional[int]]

    def __init__(self, resource_name: str, group_id: pulumi.Input[str],
                 member_ids: pulumi.Input[Sequence[pulumi.Input[str]]], authoritative: pulumi.Input[bool] = False,
                 opts: Optional[pulumi.ResourceOptions] = None, *,
                 protected_member_ids: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
                 max_removals: Optional[pulumi.Input[int]] = None):
        super().__init__(GroupMembersProvider(), resource_name,
                         {"group_id": group_id, "member_ids": member_ids, "authoritative": authoritative,
                          "adopted_member_ids": None,
                          "protected_member_ids": protected_member_ids, "max_removals": max_removals},
                         hide_member_ids_diff(opts))
