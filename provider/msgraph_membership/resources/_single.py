"""What `GroupMember`, `AdministrativeUnitMember` and `GroupOwner` share: one member of one
container (a group or an administrative unit), or one owner of a group, a resource whose every
change replaces it.

A subclass names its container (an `Anchor`, _containers.py), its id format, its member argument
and type output (`member_id`/`member_type`, `owner_id`/`owner_type`), and how the directory
confirms the member; check, diff, create with adoption, read with a look again before
calling a membership gone, delete, and errors are here once (docs/resources.md).
"""
from __future__ import annotations

from typing import Callable, Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult

from ..graph import errors as E
from ..graph.rules import permission_hint
from ._base import (ApplyError, InputError, MembershipProvider, MembershipResource, check_guid, graph_message,
                    has_unknown)
from ._containers import Anchor
from ._refs import ReferenceArg, carry


class SingleMemberProvider(MembershipProvider):
    container: Anchor  # the group or unit: its argument, kind and names (_containers.py)
    member_arg = "member_id"       # the other end's argument ...
    type_output = "member_type"    # ... and the output naming its type
    member_noun = "member"

    # -- what differs per container ---------------------------------------------------------------

    # The id format, as two functions of the resource's module set with staticmethod: the id of a
    # membership, and the (container id, member id) an id names (ValueError when it names none).
    resource_id: Callable[[str, str], str]
    parse_id: Callable[[str], tuple[str, str]]

    def validate(self, container_id: str, member_id: str) -> str | None:
        """Raise InputError for what the directory would refuse; return the member type."""
        raise NotImplementedError

    def hint(self, op: str, container_id: str, member_type: str | None = None) -> str:
        return permission_hint(op)

    def kept_on_delete(self, container_id: str, member_id: str) -> bool:
        """Whether a delete leaves this link because the directory refuses to remove it, said in a
        warning (`GroupOwner`: a group's last owner, which goes with the group)."""
        return False

    # -- the lifecycle ------------------------------------------------------------------------------

    @property
    def args(self) -> tuple[str, str]:
        return (self.container.arg, self.member_arg)

    @property
    def reference_args(self) -> tuple[ReferenceArg, ...]:
        return (ReferenceArg(self.container.arg, self.container.kinds),
                ReferenceArg(self.member_arg, self.container.other_kinds))

    def check_inputs(self, olds: dict, news: dict):
        cid_arg = self.container.arg
        inputs = {k: v for k, v in news.items() if k in self.args}
        problems: list[tuple[str, str]] = []
        for k, what in ((cid_arg, self.container.what), (self.member_arg, f"the {self.member_noun}'s object id")):
            if not has_unknown(news.get(k)):
                inputs[k], p = check_guid(news.get(k), what)
                if p:
                    problems.append((k, p))
        if not problems and not has_unknown(inputs.get(cid_arg)) and inputs.get(cid_arg) == inputs.get(self.member_arg):
            problems.append((self.member_arg, f"is the {self.container.noun} itself; {self.container.self_reason}"))
        if not problems:
            problems = self.directory_problems(olds, inputs, self.args, lambda: self._directory_problems(inputs))
        return self.check_result(inputs, problems)

    def _directory_problems(self, inputs: dict) -> list[tuple[str, str]]:
        self.validate(inputs[self.container.arg], inputs[self.member_arg])  # InputError names the argument
        return []

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        replaces = [k for k in self.args if has_unknown(news.get(k)) or olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(replaces), replaces=replaces, stables=[], delete_before_replace=False)

    def create(self, props: dict) -> CreateResult:
        cid, member_id = props[self.container.arg], props[self.member_arg]
        try:
            member_type = self.validate(cid, member_id)
        except InputError as e:
            raise ApplyError(f"{e.prop}: {e.reason}") from None
        c = self.client
        try:
            added = c.add_member(self.container.kind, cid, member_id)
        except E.GraphError as e:
            hint = self.hint(self.container.add_op, cid, member_type) if isinstance(e, E.Forbidden) else None
            raise ApplyError(graph_message(e, hint=hint)) from None
        if not added:
            pulumi.log.info(f"{self.container.label(c, cid)}: {member_id} was already a {self.member_noun}; adopted")
        if member_type is None:  # not resolved before the write: the listing names its type
            listed = c.member_ids(self.container.kind, cid).get(member_id)
            member_type = listed if listed != "directoryObject" else None
        return carry(CreateResult(self.resource_id(cid, member_id),
                                  {self.container.arg: cid, self.member_arg: member_id,
                                   self.type_output: member_type, "adopted": not added}), props)

    def _ids(self, id_: str, props: dict) -> tuple[str, str]:
        cid, member_id = props.get(self.container.arg), props.get(self.member_arg)
        if not cid or not member_id:
            cid, member_id = self.parse_id(id_)
        return cid, member_id

    def read(self, id_: str, props: dict) -> ReadResult:
        cid, member_id = self._ids(id_, props)
        c = self.client
        try:
            members = c.member_ids(self.container.kind, cid)
        except E.NotFound:
            return ReadResult(None, {})
        if member_id not in members and c.still_absent(self.container.kind, cid, member_id):
            return ReadResult(None, {})
        listed = c.member_ids(self.container.kind, cid).get(member_id, "directoryObject")
        outs = {self.container.arg: cid, self.member_arg: member_id,
                self.type_output: listed if listed != "directoryObject" else props.get(self.type_output),
                "adopted": bool(props.get("adopted", False))}
        return carry(ReadResult(id_, outs, inputs={self.container.arg: cid, self.member_arg: member_id}), props)

    def delete(self, id_: str, props: dict) -> None:
        cid, member_id = self._ids(id_, props)
        try:
            if self.kept_on_delete(cid, member_id):
                return
            self.client.remove_member(self.container.kind, cid, member_id)
        except E.NotFound:
            return  # the container itself is gone: so is the membership ("already gone" is success)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=self.hint(self.container.remove_op, cid))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None


class SingleMemberResource(MembershipResource):
    """The arguments and outputs `GroupMember` and `AdministrativeUnitMember` share; each names
    its container argument and provider."""

    member_id: pulumi.Output[str]
    member_type: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(self, provider: SingleMemberProvider, resource_name: str, opts: Optional[pulumi.ResourceOptions],
                 **args):
        super().__init__(provider, resource_name, {**args, "member_type": None, "adopted": None}, opts)
