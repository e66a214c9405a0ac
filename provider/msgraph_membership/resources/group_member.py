"""`GroupMember`: one member of one Entra ID group.

Example::

    from msgraph_membership import GroupMember

    GroupMember("alice-in-devs",
                group_id="9a1b...-...",      # the group's object id (or an azuread.Group's object_id)
                member_id="5c2d...-...")     # a user, group, device, service principal or contact

Id: `{group_id}/member/{member_id}` (the azuread import format). Any change replaces.
An existing membership is adopted (`adopted` is true), not an error; deleting removes it.
What every single membership does is in _single.py; this module holds what is a group's.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from ..graph.rules import permission_hint
from ._containers import GROUP, validate_group_member
from ._single import SingleMemberProvider, SingleMemberResource


def group_member_id(group_id: str, member_id: str) -> str:
    return f"{group_id}/member/{member_id}"


def parse_group_member_id(id_: str) -> tuple[str, str]:
    group_id, sep, member_id = id_.partition("/member/")
    if not sep or not group_id or not member_id:
        raise ValueError(f"{id_!r} is not a GroupMember id ({{group_id}}/member/{{member_id}})")
    return group_id, member_id


class GroupMemberProvider(SingleMemberProvider):
    container = GROUP
    resource_id, parse_id = staticmethod(group_member_id), staticmethod(parse_group_member_id)

    def validate(self, container_id: str, member_id: str) -> str | None:
        return validate_group_member(self.client, container_id, member_id)

    def hint(self, op: str, container_id: str, member_type: str | None = None) -> str:
        # An add to a role-assignable group, or of a device, SP or contact, needs one more permission.
        group = self.client.get_group(container_id) if op == "add" else None
        return permission_hint(op, group, member_type)


class GroupMember(SingleMemberResource, module="msgraph", name="GroupMember"):
    """One direct member of an Entra ID group.

    Arguments: `group_id` (the group's object id), `member_id` (a user, group, device, service
    principal or organizational contact). Outputs: `member_type`, `adopted`.

    Example::

        GroupMember("alice-platform-admins", group_id=admins.object_id, member_id=alice.object_id)
    """

    group_id: pulumi.Output[str]

    def __init__(self, resource_name: str, group_id: pulumi.Input[str], member_id: pulumi.Input[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(GroupMemberProvider(), resource_name, opts, group_id=group_id, member_id=member_id)
