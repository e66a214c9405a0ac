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

from typing import Optional, Sequence

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from ..graph import errors as E
from ..graph.rules import GROUPS, permission_hint, unified_member_problem
from ._base import (ApplyError, InputError, MembershipProvider, check_bool, check_guid, check_guid_list,
                    graph_message, has_unknown, is_unknown)

ARGS = ("group_id", "member_ids", "authoritative")


def describe_failures(container: str, failed: dict[str, E.GraphError], verb: str) -> str:
    lines = [f"{container}: {len(failed)} member(s) could not be {verb}; the others were:"]
    for m, err in sorted(failed.items())[:50]:
        lines.append(f"  {m}: {err.graph_message or err}")
    if len(failed) > 50:
        lines.append(f"  ... and {len(failed) - 50} more")
    lines.append("Fix or remove these ids and run again; what was done is kept.")
    return "\n".join(lines)


class GroupMembersProvider(MembershipProvider):
    def check(self, olds: dict, news: dict):
        inputs = {k: v for k, v in news.items() if k in ARGS}
        problems: list[tuple[str, str]] = []
        if not has_unknown(news.get("group_id")):
            inputs["group_id"], p = check_guid(news.get("group_id"), "the group's object id")
            if p:
                problems.append(("group_id", p))
        if not is_unknown(news.get("member_ids")):
            value, ps = check_guid_list(news.get("member_ids"), "member object ids")
            if not has_unknown(news.get("member_ids")):
                inputs["member_ids"] = value
            problems += [("member_ids", p) for p in ps]
            gid = inputs.get("group_id")
            if not ps and isinstance(gid, str) and gid in (value or []):
                problems.append(("member_ids", f"contains the group itself ({gid}); a group cannot be a member of itself"))
        if not is_unknown(news.get("authoritative")):
            inputs["authoritative"], p = check_bool(news.get("authoritative"), False)
            if p:
                problems.append(("authoritative", p))
        if not problems:
            problems = self.directory_problems(olds, inputs, ARGS, lambda: self._directory_problems(inputs, olds))
        return self.check_result(inputs, problems)

    def _directory_problems(self, inputs: dict, olds: dict) -> list[tuple[str, str]]:
        new_ids = set(inputs.get("member_ids") or [])
        if olds.get("group_id") == inputs.get("group_id"):
            new_ids -= set(olds.get("member_ids") or [])  # only what changed needs the directory
        try:
            self._validate(inputs["group_id"], sorted(new_ids))
        except InputError as e:
            return [(e.prop, e.reason)]
        return []

    def _validate(self, group_id: str, member_ids: Sequence[str]) -> dict[str, str]:
        c = self.client
        group = c.get_group(group_id)
        if group is None:
            raise InputError("group_id", f"group {group_id} does not exist in the directory "
                                         "(check the id, and that the app can read groups)")
        p = group.membership_problem()
        if p:
            raise InputError("group_id", p)
        types = c.object_types(member_ids)
        missing = [m for m in member_ids if m not in types]
        if missing:
            raise InputError("member_ids", f"{len(missing)} id(s) do not exist in the directory: "
                                           f"{', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}; "
                                           "correct them or remove them from member_ids")
        bad = []
        for m in member_ids:
            p = group.member_problem(m, types[m])
            if not p and c.is_unified_group(m):
                p = unified_member_problem(m)
            if p:
                bad.append(p)
        if bad:
            raise InputError("member_ids", "; ".join(bad[:10]) + (f"; and {len(bad) - 10} more" if len(bad) > 10 else ""))
        return types

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        replaces = ["group_id"] if has_unknown(news.get("group_id")) or olds.get("group_id") != news.get("group_id") else []
        changed = list(replaces)
        if has_unknown(news.get("member_ids")) or sorted(olds.get("member_ids") or []) != sorted(news.get("member_ids") or []):
            changed.append("member_ids")
        if bool(olds.get("authoritative")) != bool(news.get("authoritative")):
            changed.append("authoritative")
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)

    def create(self, props: dict) -> CreateResult:
        group_id, desired, authoritative = props["group_id"], list(props.get("member_ids") or []), bool(props.get("authoritative"))
        outs = self._converge(group_id, desired, authoritative, managed_before=set(), adopted_before=set(), creating=True)
        return CreateResult(f"{group_id}/members", outs)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        group_id = news["group_id"]
        outs = self._converge(group_id, list(news.get("member_ids") or []), bool(news.get("authoritative")),
                              managed_before=set(olds.get("member_ids") or []),
                              adopted_before=set(olds.get("adopted_member_ids") or []), creating=False)
        return UpdateResult(outs)

    def _converge(self, group_id: str, desired: list[str], authoritative: bool, *, managed_before: set[str],
                  adopted_before: set[str], creating: bool) -> dict:
        """Make the directory match from its actual state, so a half-done earlier apply converges."""
        c = self.client
        to_check = sorted(set(desired) - managed_before)
        try:
            self._validate(group_id, to_check)
        except InputError as e:
            raise ApplyError(f"{e.prop}: {e.reason}") from None
        desired_set = set(desired)
        current = c.member_ids(GROUPS, group_id, max_age_s=0)
        to_add = sorted(desired_set - current.keys())
        if authoritative:
            to_remove = sorted(current.keys() - desired_set)
        else:
            to_remove = sorted((managed_before - desired_set) & current.keys())
        adopted = (adopted_before & desired_set) | ((desired_set - managed_before) & current.keys())
        if to_add or to_remove:
            pulumi.log.info(f"group {group_id}: adding {len(to_add)}, removing {len(to_remove)} member(s)")
        try:
            added = c.add_group_members(group_id, to_add)
            removed = c.remove_members(GROUPS, group_id, to_remove)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("add", c.get_group(group_id)))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None
        adopted |= added.unchanged & desired_set
        c.confirm(GROUPS, group_id, present=added.done, absent=removed.done)
        failed = {**added.failed, **removed.failed}
        if failed:
            raise ApplyError(describe_failures(f"group {group_id}", failed, "changed"))
        return {"group_id": group_id, "member_ids": sorted(desired_set), "authoritative": authoritative,
                "adopted_member_ids": sorted(adopted)}

    def read(self, id_: str, props: dict) -> ReadResult:
        group_id = props.get("group_id") or id_.rsplit("/members", 1)[0]
        authoritative = bool(props.get("authoritative"))
        c = self.client
        try:
            current = c.member_ids(GROUPS, group_id)
        except E.NotFound:
            return ReadResult(None, {})
        managed = set(props.get("member_ids") or [])
        present = sorted(current.keys()) if authoritative else sorted(managed & current.keys())
        outs = {"group_id": group_id, "member_ids": present, "authoritative": authoritative,
                "adopted_member_ids": sorted(set(props.get("adopted_member_ids") or []) & set(present))}
        return ReadResult(id_, outs, inputs={"group_id": group_id, "member_ids": present,
                                             "authoritative": authoritative})

    def delete(self, id_: str, props: dict) -> None:
        group_id = props.get("group_id") or id_.rsplit("/members", 1)[0]
        ids = list(props.get("member_ids") or [])
        if not ids:
            return
        c = self.client
        try:
            rep = c.remove_members(GROUPS, group_id, ids)
        except E.NotFound:
            return
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("remove"))) from None
        if rep.failed:
            raise ApplyError(describe_failures(f"group {group_id}", rep.failed, "removed"))


class GroupMembers(Resource, module="msgraph", name="GroupMembers"):
    """Several direct members of one Entra ID group, managed together with batched writes.

    Arguments: `group_id`, `member_ids` (list; order and duplicates do not matter),
    `authoritative` (default False). Outputs: `member_ids` (sorted, unique), `adopted_member_ids`.
    """

    group_id: pulumi.Output[str]
    member_ids: pulumi.Output[list]
    authoritative: pulumi.Output[bool]
    adopted_member_ids: pulumi.Output[list]

    def __init__(self, resource_name: str, group_id: pulumi.Input[str],
                 member_ids: pulumi.Input[Sequence[pulumi.Input[str]]], authoritative: pulumi.Input[bool] = False,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(GroupMembersProvider(), resource_name,
                         {"group_id": group_id, "member_ids": member_ids, "authoritative": authoritative,
                          "adopted_member_ids": None}, opts)
