"""`GroupOwner`: one owner of one Entra ID group.

Example::

    from msgraph_membership import GroupOwner

    GroupOwner("alice-owns-devs",
               group_id="9a1b...-...",     # the group's object id (or an azuread.Group's object_id)
               owner_id="5c2d...-...")     # a user or service principal

Id: `{group_id}/owner/{owner_id}` (like `GroupMember`'s). Any change replaces. An existing
ownership is adopted (`adopted` is true), not an error; deleting removes it, unless it is the
group's last owner, which Graph refuses to remove: then the delete leaves it, with a warning
naming the group and the owner (the ownership goes when the group is deleted). What every single
link does is in _single.py; the owner rules are in _owners.py.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from ..graph.rules import LAST_OWNER_REFUSED
from ._base import ApplyError, MembershipResource
from ._owners import OWNED_GROUP, last_owner_kept, owner_hint, validate_owners, warn_kept
from ._single import SingleMemberProvider


def group_owner_id(group_id: str, owner_id: str) -> str:
    return f"{group_id}/owner/{owner_id}"


def parse_group_owner_id(id_: str) -> tuple[str, str]:
    group_id, sep, owner_id = id_.partition("/owner/")
    if not sep or not group_id or not owner_id or "/" in owner_id:
        raise ValueError(f"{id_!r} is not a GroupOwner id ({{group_id}}/owner/{{owner_id}})")
    return group_id, owner_id


class GroupOwnerProvider(SingleMemberProvider):
    container = OWNED_GROUP
    resource_id, parse_id = staticmethod(group_owner_id), staticmethod(parse_group_owner_id)
    member_arg, type_output, member_noun = "owner_id", "owner_type", "owner"

    def validate(self, container_id: str, member_id: str) -> str | None:
        return validate_owners(self.client, container_id, [member_id], prop="owner_id").get(member_id)

    def hint(self, op: str, container_id: str, member_type: str | None = None) -> str:
        return owner_hint(self.client, op, container_id)

    def kept_on_delete(self, container_id: str, member_id: str) -> bool:
        return last_owner_kept(self.client, container_id, {member_id}) is not None

    def delete(self, id_: str, props: dict) -> None:
        """Deletes run concurrently: two `GroupOwner`s of a group's last two owners each see
        another owner, and Graph removes one and refuses the other. That one is kept, as above."""
        try:
            super().delete(id_, props)
        except ApplyError as e:
            if LAST_OWNER_REFUSED not in str(e):
                raise
            warn_kept(self.client, *self._ids(id_, props))


class GroupOwner(MembershipResource, module="msgraph", name="GroupOwner"):
    """One owner of an Entra ID group.

    Arguments: `group_id` (the group's object id), `owner_id` (a user or service principal).
    Outputs: `owner_type` ("user" or "servicePrincipal"), `adopted` (the ownership existed
    before this resource).

    Example::

        GroupOwner("alice-owns-devs", group_id=devs.object_id, owner_id=alice.object_id)
    """

    group_id: pulumi.Output[str]
    owner_id: pulumi.Output[str]
    owner_type: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(self, resource_name: str, group_id: pulumi.Input[str], owner_id: pulumi.Input[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(GroupOwnerProvider(), resource_name,
                         {"group_id": group_id, "owner_id": owner_id, "owner_type": None, "adopted": None}, opts)
