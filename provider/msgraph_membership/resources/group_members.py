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
members are managed; with it, others are removed and show as drift on refresh. What every batch
resource does is in _batch.py; this module holds what is a group's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import pulumi

from ..graph.rules import permission_hint
from ._batch import BatchMembersResource, BatchProvider
from ._inputs import Ids
from ._containers import GROUP, validate_group_members

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport


def group_members_id(group_id: str) -> str:
    return f"{group_id}/members"


def parse_group_members_id(id_: str) -> str:
    return id_.rsplit("/members", 1)[0]


class GroupMembersProvider(BatchProvider):
    anchor = GROUP
    resource_id, parse_id = staticmethod(group_members_id), staticmethod(parse_group_members_id)
    adds_per_write = 20  # links per PATCH members@odata.bind (docs/graph-behaviour.md §1.2)

    def validate(self, anchor_id: str, ids: Sequence[str]) -> None:
        validate_group_members(self.client, anchor_id, ids)

    def add(self, anchor_id: str, ids: Sequence[str]) -> WriteReport:
        return self.client.add_group_members(anchor_id, ids)  # PATCH members@odata.bind, 20 per request

    def hint(self, op: str, anchor_id: str, failed: Optional[dict] = None) -> str:
        # An add to a role-assignable group needs one more permission.
        return permission_hint(op, self.client.get_group(anchor_id) if op == "add" else None)


class GroupMembers(BatchMembersResource, module="msgraph", name="GroupMembers"):
    """Several direct members of one Entra ID group, managed together with batched writes.

    Arguments: `group_id`, `member_ids` (list; order and duplicates do not matter),
    `authoritative` (default False), and the guard against mass removal: `protected_member_ids`
    (never removed by this resource, not even on destroy) and `max_removals` (a run that would
    remove more fails before any write). Outputs: `member_ids` (sorted, unique), `adopted_member_ids`.

    Example::

        GroupMembers("developers", group_id=devs.object_id, member_ids=[alice.object_id, bob.object_id])
    """

    group_id: pulumi.Output[str]

    def __init__(self, resource_name: str, group_id: pulumi.Input[str], member_ids: Ids,
                 authoritative: pulumi.Input[bool] = False, opts: Optional[pulumi.ResourceOptions] = None, *,
                 protected_member_ids: Optional[Ids] = None, max_removals: Optional[pulumi.Input[int]] = None):
        super().__init__(GroupMembersProvider(), resource_name, opts, group_id=group_id, member_ids=member_ids,
                         authoritative=authoritative, protected_member_ids=protected_member_ids,
                         max_removals=max_removals)
