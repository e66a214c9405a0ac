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
"""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from ..graph import errors as E
from ..graph.rules import permission_hint, unified_member_problem
from ..graph.references import GROUP_KINDS, MEMBER_OF_KINDS
from ._refs import ReferenceArg, carry
from ._base import (ApplyError, InputError, MembershipProvider, check_guid, check_guid_list, graph_message,
                    group_type_fallback, groups_holding, has_unknown, is_unknown, member_type_problem,
                    member_types)
from ._converge import describe_failures, plan, short_list
from ._guard import MAX_REMOVALS, check_guard_args, guard_outputs, too_many, unprotected

ARGS = ("member_id", "group_ids")
PROTECTED = "protected_group_ids"


def member_of_id(member_id: str) -> str:
    return f"{member_id}/memberOf"


def parse_member_of_id(id_: str) -> str:
    member_id, sep, rest = id_.partition("/memberOf")
    if not sep or rest or not member_id:
        raise ValueError(f"{id_!r} is not a MemberOf id ({{member_id}}/memberOf)")
    return member_id


class MemberOfProvider(MembershipProvider):
    reference_args = (ReferenceArg("member_id", MEMBER_OF_KINDS), ReferenceArg("group_ids", GROUP_KINDS, many=True),
                      ReferenceArg(PROTECTED, GROUP_KINDS, many=True))

    def check_inputs(self, olds: dict, news: dict):
        inputs = {k: v for k, v in news.items() if k in ARGS}
        problems: list[tuple[str, str]] = []
        if not has_unknown(news.get("member_id")):
            inputs["member_id"], p = check_guid(news.get("member_id"), "the member's object id")
            if p:
                problems.append(("member_id", p))
        if not is_unknown(news.get("group_ids")):
            value, ps = check_guid_list(news.get("group_ids"), "group object ids")
            if not has_unknown(news.get("group_ids")):
                inputs["group_ids"] = value
            problems += [("group_ids", p) for p in ps]
            mid = inputs.get("member_id")
            if not ps and isinstance(mid, str) and mid in (value or []):
                problems.append(("group_ids", f"contains the member itself ({mid}); a group cannot be a member of itself"))
        problems += self._check_guard(olds, inputs, news)
        if not problems:
            problems = self.directory_problems(olds, inputs, ARGS, lambda: self._directory_problems(inputs, olds))
        return self.check_result(inputs, problems)

    @staticmethod
    def _check_guard(olds: dict, inputs: dict, news: dict) -> list[tuple[str, str]]:
        """`protected_group_ids` and `max_removals` into `inputs`; and, when every input is
        known, the groups dropped from group_ids (less the protected ones) against max_removals."""
        problems = check_guard_args(news, inputs, PROTECTED, "group object ids")
        keys = ("member_id", "group_ids", PROTECTED, MAX_REMOVALS)
        if problems or any(has_unknown(inputs.get(k)) for k in keys) or olds.get("member_id") != inputs.get("member_id"):
            return problems
        dropped = unprotected(set(olds.get("group_ids") or []) - set(inputs.get("group_ids") or []),
                              inputs.get(PROTECTED) or [])
        refusal = too_many(dropped, inputs.get(MAX_REMOVALS), where=f"member {inputs['member_id']}'s groups",
                           noun="group membership", protected_arg=PROTECTED, list_arg="group_ids")
        return [(MAX_REMOVALS, refusal)] if refusal else []

    def _directory_problems(self, inputs: dict, olds: dict) -> list[tuple[str, str]]:
        new_ids = set(inputs.get("group_ids") or [])
        if olds.get("member_id") == inputs.get("member_id"):
            new_ids -= set(olds.get("group_ids") or [])  # only what changed needs the directory
        self._validate(inputs["member_id"], sorted(new_ids))
        return []

    def _validate(self, member_id: str, group_ids: Sequence[str]) -> str:
        """The member exists, and each group exists and can take it. Returns the member type;
        raises InputError naming `member_id` or `group_ids` with every offending group."""
        c = self.client
        types = member_types(c, [member_id])
        member_type = types.get(member_id) if types is not None else group_type_fallback(c, member_id)
        if member_type is None and types is not None:
            raise InputError("member_id", f"object {member_id} does not exist in the directory; give the object "
                                          "id of a user, group, device, service principal or contact")
        if not group_ids:
            return member_type
        # Only a group can be a Microsoft 365 group (and asking about another kind of object would
        # need Directory.Read.All to learn its type).
        if member_type == "group" and c.is_unified_group(member_id):
            raise InputError("member_id", unified_member_problem(member_id))
        p = member_type_problem(c, member_id, member_type)
        if p:
            raise InputError("member_id", p)
        # One GET per group, bounded by the client's shared limit on concurrent calls.
        found = c.get_groups(group_ids)
        groups = list(found.values())
        missing = [g for g, info in found.items() if info is None]
        if missing:
            raise InputError("group_ids", f"{len(missing)} group(s) do not exist in the directory: "
                                          f"{short_list(missing)} (check the ids, and that the app can read groups)")
        bad = [p for info in groups if (p := info.membership_problem()
                                        or (member_type and info.member_problem(member_id, member_type))
                                        or c.write_permission_problem(info))]
        if bad:
            raise InputError("group_ids", "; ".join(bad[:10]) + (f"; and {len(bad) - 10} more" if len(bad) > 10 else ""))
        return member_type

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        replaces = ["member_id"] if has_unknown(news.get("member_id")) or olds.get("member_id") != news.get("member_id") else []
        changed = list(replaces)
        if has_unknown(news.get("group_ids")) or sorted(olds.get("group_ids") or []) != sorted(news.get("group_ids") or []):
            changed.append("group_ids")
        if has_unknown(news.get(PROTECTED)) or sorted(olds.get(PROTECTED) or []) != sorted(news.get(PROTECTED) or []):
            changed.append(PROTECTED)
        if has_unknown(news.get(MAX_REMOVALS)) or olds.get(MAX_REMOVALS) != news.get(MAX_REMOVALS):
            changed.append(MAX_REMOVALS)
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)

    def create(self, props: dict) -> CreateResult:
        member_id = props["member_id"]
        outs = self._converge(member_id, list(props.get("group_ids") or []), managed_before=set(), adopted_before=set(),
                              guard=props)
        return carry(CreateResult(member_of_id(member_id), outs), props)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        return carry(UpdateResult(self._converge(news["member_id"], list(news.get("group_ids") or []),
                                           managed_before=set(olds.get("group_ids") or []),
                                           adopted_before=set(olds.get("adopted_group_ids") or []), guard=news)), news)

    def _converge(self, member_id: str, desired: list[str], *, managed_before: set[str],
                  adopted_before: set[str], guard: dict) -> dict:
        """Make the member's direct groups match from the directory's actual state. Protected
        groups are never left; more removals than max_removals stop before any write."""
        c = self.client
        try:
            self._validate(member_id, sorted(set(desired) - managed_before))
        except InputError as e:
            raise ApplyError(f"{e.prop}: {e.reason}") from None
        try:
            current = groups_holding(c, member_id, set(desired) | managed_before)
        except E.GraphError as e:
            raise ApplyError(graph_message(e, hint=permission_hint("read"))) from None
        p = plan(current, desired, managed_before=managed_before, adopted_before=adopted_before)
        to_remove = unprotected(p.to_remove, guard.get(PROTECTED) or [])
        refusal = too_many(to_remove, guard.get(MAX_REMOVALS), where=f"member {member_id}'s groups",
                           noun="group membership", protected_arg=PROTECTED, list_arg="group_ids")
        if refusal:
            raise ApplyError(f"{MAX_REMOVALS}: {refusal} (nothing was changed)")
        if p.to_add or to_remove:
            pulumi.log.info(f"{member_id}: joining {len(p.to_add)}, leaving {len(to_remove)} group(s)")
        try:
            added = c.add_to_groups(member_id, p.to_add)
            removed = c.remove_from_groups(member_id, to_remove)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("add"))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None
        # As in the batch resources: "already exists" on our add means adopted, except for
        # groups this resource managed already (their add was lagging in Graph's listing).
        adopted = p.adopted | ((added.unchanged & set(desired)) - managed_before)
        c.confirm_member_of(member_id, present=added.done, absent=removed.done)
        failed = {**added.failed, **removed.failed}
        if failed:
            raise ApplyError(describe_failures(f"member {member_id}", failed, "changed", noun="group",
                                               hint=self._hint(failed)))
        return {"member_id": member_id, "group_ids": sorted(set(desired)), "adopted_group_ids": sorted(adopted),
                **guard_outputs(guard, PROTECTED)}

    def _hint(self, failed: dict[str, E.GraphError]) -> str:
        # A 403 on a role-assignable group needs one more permission than the others.
        for g, err in failed.items():
            if isinstance(err, E.Forbidden):
                info = self.client.get_group(g)
                if info is not None and info.is_assignable_to_role:
                    return permission_hint("add", info)
        return permission_hint("add")

    def read(self, id_: str, props: dict) -> ReadResult:
        member_id = props.get("member_id") or parse_member_of_id(id_)
        managed = set(props.get("group_ids") or [])
        try:
            current = groups_holding(self.client, member_id, managed, wait=True)
        except E.NotFound:
            return ReadResult(None, {})  # the member itself is gone
        present = sorted(managed & current)
        outs = {"member_id": member_id, "group_ids": present,
                "adopted_group_ids": sorted(set(props.get("adopted_group_ids") or []) & set(present)),
                **guard_outputs(props, PROTECTED)}
        return carry(ReadResult(id_, outs, inputs={"member_id": member_id, "group_ids": present, **guard_outputs(props, PROTECTED)}), props)

    def delete(self, id_: str, props: dict) -> None:
        member_id = props.get("member_id") or parse_member_of_id(id_)
        ids = unprotected(props.get("group_ids") or [], props.get(PROTECTED) or [])
        if not ids:
            return
        try:
            rep = self.client.remove_from_groups(member_id, ids)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("remove"))) from None
        if rep.failed:
            raise ApplyError(describe_failures(f"member {member_id}", rep.failed, "left", noun="group",
                                               hint=self._hint(rep.failed)))


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
    group_ids: pulumi.Output[list]
    adopted_group_ids: pulumi.Output[list]
    protected_group_ids: pulumi.Output[Optional[list]]
    max_removals: pulumi.Output[Optional[int]]

    def __init__(self, resource_name: str, member_id: pulumi.Input[str],
                 group_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
                 opts: Optional[pulumi.ResourceOptions] = None, *,
                 protected_group_ids: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
                 max_removals: Optional[pulumi.Input[int]] = None):
        super().__init__(MemberOfProvider(), resource_name,
                         {"member_id": member_id, "group_ids": group_ids, "adopted_group_ids": None,
                          "protected_group_ids": protected_group_ids, "max_removals": max_removals}, opts)
