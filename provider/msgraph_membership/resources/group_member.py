"""`GroupMember`: one member of one Entra ID group.

Example::

    from msgraph_membership import GroupMember

    GroupMember("alice-in-devs",
                group_id="9a1b...-...",      # the group's object id (or an azuread.Group's object_id)
                member_id="5c2d...-...")     # a user, group, device, service principal or contact

Id: `{group_id}/member/{member_id}` (the azuread import format). Any change replaces.
An existing membership is adopted (`adopted` is true), not an error; deleting removes it.
"""
from __future__ import annotations

from typing import Any, Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource

from ..graph import errors as E
from ..graph.rules import GROUPS, permission_hint, unified_member_problem
from ..graph.references import GROUP_KINDS, GROUP_MEMBER_KINDS
from ._refs import ReferenceArg, carry
from ._base import (ApplyError, InputError, MembershipProvider, check_guid, graph_message, group_type_fallback,
                    has_unknown, member_type_problem, member_types, writable_group)

ARGS = ("group_id", "member_id")


def group_member_id(group_id: str, member_id: str) -> str:
    return f"{group_id}/member/{member_id}"


def parse_group_member_id(id_: str) -> tuple[str, str]:
    group_id, sep, member_id = id_.partition("/member/")
    if not sep or not group_id or not member_id:
        raise ValueError(f"{id_!r} is not a GroupMember id ({{group_id}}/member/{{member_id}})")
    return group_id, member_id


class GroupMemberProvider(MembershipProvider):
    reference_args = (ReferenceArg("group_id", GROUP_KINDS), ReferenceArg("member_id", GROUP_MEMBER_KINDS))

    def check_inputs(self, olds: dict, news: dict):
        inputs = {k: v for k, v in news.items() if k in ARGS}
        problems: list[tuple[str, str]] = []
        for k, what in (("group_id", "the group's object id"), ("member_id", "the member's object id")):
            v = news.get(k)
            if has_unknown(v):
                continue
            inputs[k], p = check_guid(v, what)
            if p:
                problems.append((k, p))
        if not problems and not has_unknown(inputs.get("group_id")) and inputs.get("group_id") == inputs.get("member_id"):
            problems.append(("member_id", "is the group itself; a group cannot be a member of itself"))
        if not problems:
            problems = self.directory_problems(olds, inputs, ARGS, lambda: self._directory_problems(inputs))
        return self.check_result(inputs, problems)

    def _directory_problems(self, inputs: dict) -> list[tuple[str, str]]:
        try:
            self._validate(inputs["group_id"], inputs["member_id"])
        except InputError as e:
            return [(e.prop, e.reason)]
        return []

    def _validate(self, group_id: str, member_id: str) -> str | None:
        """Everything the directory must confirm before the write; returns the member type."""
        c = self.client
        group = writable_group(c, group_id)
        types = member_types(c, [member_id])
        if types is None:  # no Directory.Read.All: only a group member can still be checked
            member_type = group_type_fallback(c, member_id)
            if member_type is not None:
                p = group.member_problem(member_id, member_type)
                if p:
                    raise InputError("member_id", p)
                if c.is_unified_group(member_id):
                    raise InputError("member_id", unified_member_problem(member_id))
            return member_type
        member_type = types.get(member_id)
        if member_type is None:
            raise InputError("member_id", f"object {member_id} does not exist in the directory; "
                                          "give the object id of a user, group, device, service principal or contact")
        p = group.member_problem(member_id, member_type) or member_type_problem(c, member_id, member_type)
        if p:
            raise InputError("member_id", p)
        if c.is_unified_group(member_id):
            raise InputError("member_id", unified_member_problem(member_id))
        return member_type

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        replaces = [k for k in ARGS if has_unknown(news.get(k)) or olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(replaces), replaces=replaces, stables=[],
                          delete_before_replace=False)

    def create(self, props: dict) -> CreateResult:
        group_id, member_id = props["group_id"], props["member_id"]
        try:
            member_type = self._validate(group_id, member_id)
        except InputError as e:
            raise ApplyError(f"{e.prop}: {e.reason}") from None
        c = self.client
        try:
            added = c.add_group_member(group_id, member_id)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("add", c.get_group(group_id), member_type))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None
        if not added:
            pulumi.log.info(f"group {group_id}: {member_id} was already a member; adopted")
        if member_type is None:  # not resolved before the write: the listing names its type
            listed = c.member_ids(GROUPS, group_id).get(member_id)
            member_type = listed if listed != "directoryObject" else None
        return carry(CreateResult(group_member_id(group_id, member_id),
                            {"group_id": group_id, "member_id": member_id,
                             "member_type": member_type, "adopted": not added}), props)

    @staticmethod
    def _ids(id_: str, props: dict) -> tuple[str, str]:
        group_id, member_id = props.get("group_id"), props.get("member_id")
        if not group_id or not member_id:
            group_id, member_id = parse_group_member_id(id_)
        return group_id, member_id

    def read(self, id_: str, props: dict) -> ReadResult:
        group_id, member_id = self._ids(id_, props)
        c = self.client
        try:
            members = c.member_ids(GROUPS, group_id)
        except E.NotFound:
            return ReadResult(None, {})
        if member_id not in members and c.still_absent(GROUPS, group_id, member_id):
            return ReadResult(None, {})
        listed = c.member_ids(GROUPS, group_id).get(member_id, "directoryObject")
        outs = {"group_id": group_id, "member_id": member_id,
                "member_type": listed if listed != "directoryObject" else props.get("member_type"),
                "adopted": bool(props.get("adopted", False))}
        return carry(ReadResult(id_, outs, inputs={"group_id": group_id, "member_id": member_id}), props)

    def delete(self, id_: str, props: dict) -> None:
        group_id, member_id = self._ids(id_, props)
        c = self.client
        try:
            c.remove_member(GROUPS, group_id, member_id)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("remove"))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None


class GroupMember(Resource, module="msgraph", name="GroupMember"):
    """One direct member of an Entra ID group.

    Arguments: `group_id` (the group's object id), `member_id` (a user, group, device, service
    principal or organizational contact). Outputs: `member_type`, `adopted`.

    Example::

        GroupMember("alice-platform-admins", group_id=admins.object_id, member_id=alice.object_id)
    """

    group_id: pulumi.Output[str]
    member_id: pulumi.Output[str]
    member_type: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(self, resource_name: str, group_id: pulumi.Input[str], member_id: pulumi.Input[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(GroupMemberProvider(), resource_name,
                         {"group_id": group_id, "member_id": member_id, "member_type": None, "adopted": None},
                         opts)
