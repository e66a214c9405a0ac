"""`MemberOf`: one member's direct membership in a list of groups.

Example::

    from msgraph_membership import MemberOf

    MemberOf("build-sp-groups",
             member_id=build_sp.object_id,               # a user, group, device, SP or contact
             group_ids=[deployers.object_id, readers.object_id])

Id: `{member_id}/memberOf`. `group_ids` changes in place; `member_id` replaces. Only the listed
groups are managed: other groups the member belongs to are left alone (there is no
`authoritative` argument). Graph has no documented write on `memberOf` (docs/graph-behaviour.md §1.9),
so each group gets `POST /groups/{g}/members/$ref`, sent through `$batch`; one group that
refuses does not stop the others, and is reported by id. Memberships that already exist are
adopted (`adopted_group_ids`).

This is the batch resource (_batch.py) seen from the member's side: the member is the
object and the groups the list; this module holds the member's validation, listing and writes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Collection, Optional, Sequence

import pulumi
from pulumi.dynamic import Resource

from ..graph import errors as E
from ..graph.references import GROUP_KINDS, MEMBER_OF_KINDS
from ..graph.rules import permission_hint, unified_member_problem
from ._base import InputError, group_type_fallback, groups_holding, member_type_problem, member_types
from ._batch import BatchProvider, suffixed_ids
from ._inputs import Ids
from ._converge import short_list
from ._containers import Anchor, at_most_ten

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport


member_of_id, parse_member_of_id = suffixed_ids("/memberOf", "MemberOf", "member_id")


# The member as the anchor: its groups are the list, written through the groups' members.
MEMBER = Anchor("member_id", "the member's object id", "member", MEMBER_OF_KINDS, GROUP_KINDS,
                "a group cannot be a member of itself", "add", "remove")


class MemberOfProvider(BatchProvider):
    anchor = MEMBER
    resource_id, parse_id = staticmethod(member_of_id), staticmethod(parse_member_of_id)
    list_arg = "group_ids"
    list_what = "group object ids"
    protected_arg = "protected_group_ids"
    adopted_arg = "adopted_group_ids"
    takes_authoritative = False
    diff_key = None
    item_noun = "group"
    removal_noun = "group membership"
    removed_verb = "left"

    def removal_where(self, anchor_id: str) -> str:
        return f"member {anchor_id}'s groups"

    def progress(self, anchor_id: str, adding: int, removing: int) -> str:
        return f"{anchor_id}: joining {adding}, leaving {removing} group(s)"

    # -- the member's side: its groups are listed, joined and left from it ---------------------------

    def current(self, anchor_id: str, candidates: set[str]) -> Collection[str]:
        return groups_holding(self.client, anchor_id, candidates)

    def present(self, anchor_id: str, managed: set[str]) -> set[str]:
        return groups_holding(self.client, anchor_id, managed, wait=True)

    def add(self, anchor_id: str, ids: Sequence[str]) -> WriteReport:
        return self.client.add_to_groups(anchor_id, ids)

    def remove(self, anchor_id: str, ids: Sequence[str]) -> WriteReport:
        return self.client.remove_from_groups(anchor_id, ids)

    def confirm(self, anchor_id: str, present: set[str], absent: set[str]) -> None:
        self.client.confirm_member_of(anchor_id, present=present, absent=absent)

    def hint(self, op: str, anchor_id: str, failed: Optional[dict] = None) -> str:
        # A 403 on a role-assignable group needs one more permission than the others.
        for g, err in (failed or {}).items():
            if isinstance(err, E.Forbidden):
                info = self.client.get_group(g)
                if info is not None and info.is_assignable_to_role:
                    return permission_hint(op, info)
        return permission_hint(op)

    def validate(self, anchor_id: str, ids: Sequence[str]) -> None:
        """The member exists, and each group exists and can take it. Raises InputError naming
        `member_id` or `group_ids` with every offending group."""
        c, member_id = self.client, anchor_id
        types = member_types(c, [member_id])
        member_type = types.get(member_id) if types is not None else group_type_fallback(c, member_id)
        if member_type is None and types is not None:
            raise InputError("member_id", f"object {member_id} does not exist in the directory; give the object "
                                          "id of a user, group, device, service principal or contact")
        if not ids:
            return
        # Only a group can be a Microsoft 365 group (and asking about another kind of object would
        # need Directory.Read.All to learn its type).
        if member_type == "group" and c.is_unified_group(member_id):
            raise InputError("member_id", unified_member_problem(member_id))
        p = member_type_problem(c, member_id, member_type)
        if p:
            raise InputError("member_id", p)
        # One GET per group, bounded by the client's shared limit on concurrent calls.
        found = c.get_groups(ids)
        missing = [g for g, info in found.items() if info is None]
        if missing:
            raise InputError("group_ids", f"{len(missing)} group(s) do not exist in the directory: "
                                          f"{short_list(missing)} (check the ids, and that the app can read groups)")
        bad = [p for info in found.values() if (p := info.membership_problem()
                                                or (member_type and info.member_problem(member_id, member_type))
                                                or c.write_permission_problem(info))]
        if bad:
            raise InputError("group_ids", at_most_ten(bad))


class MemberOf(Resource, module="msgraph", name="MemberOf"):
    """One directory object's direct membership in several Entra ID groups.

    Arguments: `member_id` (a user, group, device, service principal or contact), `group_ids`
    (order and duplicates do not matter), and the guard against mass removal:
    `protected_group_ids` (never left by this resource, not even on destroy) and `max_removals`
    (a run that would leave more groups fails before any write). Outputs: `group_ids` (sorted,
    unique), `adopted_group_ids`. Only the listed groups are managed.

    Example::

        MemberOf("build-sp-groups", member_id=build_sp.object_id,
                 group_ids=[deployers.object_id, readers.object_id])
    """

    member_id: pulumi.Output[str]
    group_ids: pulumi.Output[list[str]]
    adopted_group_ids: pulumi.Output[list[str]]
    protected_group_ids: pulumi.Output[Optional[list[str]]]
    max_removals: pulumi.Output[Optional[int]]

    def __init__(self, resource_name: str, member_id: pulumi.Input[str], group_ids: Ids,
                 opts: Optional[pulumi.ResourceOptions] = None, *,
                 protected_group_ids: Optional[Ids] = None, max_removals: Optional[pulumi.Input[int]] = None):
        super().__init__(MemberOfProvider(), resource_name,
                         {"member_id": member_id, "group_ids": group_ids, "adopted_group_ids": None,
                          "protected_group_ids": protected_group_ids, "max_removals": max_removals}, opts)
