"""`GroupOwners`: many owners of one group in one resource.

Example::

    from msgraph_membership import GroupOwners

    GroupOwners("devs-owners",
                group_id=devs.object_id,
                owner_ids=["alice@contoso.com", build_sp.object_id],   # users and service principals
                authoritative=False)   # True: the group has exactly these owners

Id: `{group_id}/owners`. `owner_ids` and `authoritative` change in place; `group_id` replaces.
Owners are added one `$ref` POST each and removed one `$ref` DELETE each, sent through `$batch`
20 at a time (docs/graph-behaviour.md §1.9). Owners already present are adopted
(`adopted_owner_ids`). Without `authoritative`, only the listed owners are managed; with it, others
are removed (`outside_owners_to_remove` at preview) and show as drift on refresh. Graph refuses to
remove a group's last owner: an update that would leave the group without owners fails at preview,
naming the group and the owners; a delete (destroy, or the resource dropped from the program)
removes the others and leaves the last owner, with a warning (it goes when the group is deleted). What every batch resource does is
in _batch.py; the owner rules are in _owners.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import pulumi

from ..graph.rules import OWNERS
from ._base import MembershipResource
from ._batch import BatchProvider, suffixed_ids
from ._diffview import hide_list_diff
from ._inputs import Ids
from ._owners import OWNED_GROUP, last_owner_kept, last_owner_refusal, owner_hint, validate_owners

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport

_FIX = ("Keep one owner: leave it in owner_ids or list it in protected_owner_ids, or add another owner to the "
        "group first")


group_owners_id, parse_group_owners_id = suffixed_ids("/owners", "GroupOwners", "group_id")


class GroupOwnersProvider(BatchProvider):
    anchor = OWNED_GROUP
    resource_id, parse_id = staticmethod(group_owners_id), staticmethod(parse_group_owners_id)
    list_arg = "owner_ids"
    list_what = "owner object ids"
    protected_arg = "protected_owner_ids"
    adopted_arg = "adopted_owner_ids"
    diff_key = "owners"
    outside_key = "outside_owners_to_remove"
    item_noun = removal_noun = "owner"

    def validate(self, anchor_id: str, ids: Sequence[str]) -> None:
        validate_owners(self.client, anchor_id, ids, prop="owner_ids")

    def add(self, anchor_id: str, ids: Sequence[str]) -> WriteReport:
        return self.client.add_one_by_one(OWNERS, anchor_id, ids)  # $ref POSTs, $batch of 20

    def hint(self, op: str, anchor_id: str, failed: Optional[dict] = None) -> str:
        return owner_hint(self.client, op, anchor_id)

    def directory_refusal(self, anchor_id: str, removals: set[str], adds: set[str]) -> str | None:
        return last_owner_refusal(self.client, anchor_id, removals, adds, fix=_FIX)

    def kept_on_delete(self, anchor_id: str, removals: set[str]) -> set[str]:
        kept = last_owner_kept(self.client, anchor_id, removals)
        return {kept} if kept else set()


class GroupOwners(MembershipResource, module="msgraph", name="GroupOwners"):
    """Several owners of one Entra ID group, managed together with batched writes.

    Arguments: `group_id`, `owner_ids` (users and service principals; order and duplicates do
    not matter), `authoritative` (default False), and the guard against mass removal:
    `protected_owner_ids` (never removed by this resource, not even on destroy) and
    `max_removals` (a run that would remove more fails before any write). Outputs: `owner_ids`
    (sorted, unique), `adopted_owner_ids`; with authoritative=True, `outside_owners_to_remove`.

    Example::

        GroupOwners("devs-owners", group_id=devs.object_id, owner_ids=[alice.object_id, bob.object_id])
    """

    group_id: pulumi.Output[str]
    owner_ids: pulumi.Output[list[str]]
    authoritative: pulumi.Output[bool]
    adopted_owner_ids: pulumi.Output[list[str]]
    protected_owner_ids: pulumi.Output[Optional[list[str]]]
    max_removals: pulumi.Output[Optional[int]]

    def __init__(self, resource_name: str, group_id: pulumi.Input[str], owner_ids: Ids,
                 authoritative: pulumi.Input[bool] = False, opts: Optional[pulumi.ResourceOptions] = None, *,
                 protected_owner_ids: Optional[Ids] = None, max_removals: Optional[pulumi.Input[int]] = None):
        super().__init__(GroupOwnersProvider(), resource_name,
                         {"group_id": group_id, "owner_ids": owner_ids, "authoritative": authoritative,
                          "protected_owner_ids": protected_owner_ids, "max_removals": max_removals,
                          "adopted_owner_ids": None}, hide_list_diff(opts, "owner_ids"))
