"""What `GroupMembers` and `AdministrativeUnitMembers` share: a managed set of members of one
container (a group or a unit), converged from the directory's actual state.

A subclass names its container argument and kind, and says how to validate and add members;
listing, removing, planning, adoption, drift, and errors are here once.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from ..graph import errors as E
from ..graph.rules import permission_hint
from ._base import (ApplyError, InputError, MembershipProvider, check_bool, check_guid, check_guid_list,
                    graph_message, has_unknown, is_unknown)
from ._converge import describe_failures, plan, short_list
from ._refs import ReferenceArg, carry
from ._guard import MAX_REMOVALS, check_guard_args, guard_outputs, too_many, unprotected

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport


DIFF_KEY = "members"  # the checked input that `pulumi preview --diff` shows instead of member_ids
PROTECTED = "protected_member_ids"
# With authoritative=True, the members outside member_ids that the run would remove (id -> type),
# found by listing the container at preview: a checked input, so `pulumi preview --diff` shows it.
OUTSIDE_KEY = "outside_members_to_remove"


def id_set(ids) -> dict[str, str]:
    """Member ids as a map of id -> "", the form `pulumi preview --diff` shows readably.

    The engine shows `preview --diff` from the old and new inputs (a Python dynamic provider
    cannot return a detailed diff). It compares lists index by index, so one id removed near the
    start of a sorted list of 1,000 shows as 1,000 changed lines; in a map it shows the ids added
    and removed, and it leaves out unchanged entries whose value is empty. So the checked inputs
    carry this map beside `member_ids`, whose own diff the resource hides (`hide_diffs`)."""
    return {i: "" for i in sorted(ids)}


def hide_member_ids_diff(opts: "pulumi.ResourceOptions | None") -> "pulumi.ResourceOptions | None":
    """The resource's options with `member_ids`' own diff hidden (the `members` map shows it)."""
    try:
        hidden = pulumi.ResourceOptions(hide_diffs=["member_ids"])
    except TypeError:  # a Pulumi SDK older than the hide_diffs option: the list diff shows too
        return opts
    return pulumi.ResourceOptions.merge(opts, hidden)


class BatchMembersProvider(MembershipProvider):
    container_arg: str            # "group_id"
    container_what: str           # "the group's object id"
    container_noun: str           # "group"
    kind: str                     # graph.rules.GROUPS or UNITS
    add_op: str                   # permission_hint operation for adds
    remove_op: str                # ... and removals

    # -- what differs per container ---------------------------------------------------------------

    def resource_id(self, container_id: str) -> str:
        raise NotImplementedError

    def container_of(self, id_: str) -> str:
        raise NotImplementedError

    def validate_members(self, container_id: str, member_ids: Sequence[str]) -> None:
        """Raise InputError for what the directory would refuse (before any write)."""
        raise NotImplementedError

    def add_members(self, container_id: str, member_ids: Sequence[str]) -> WriteReport:
        raise NotImplementedError

    def self_membership_problem(self, container_id: str) -> str:
        return f"contains the {self.container_noun} itself ({container_id})"

    # -- the lifecycle ------------------------------------------------------------------------------

    @property
    def args(self) -> tuple[str, str, str]:
        return (self.container_arg, "member_ids", "authoritative")

    member_kinds: frozenset[str]  # what member_ids may name (graph/references.py)
    container_kinds: frozenset[str]

    @property
    def reference_args(self) -> tuple[ReferenceArg, ...]:
        return (ReferenceArg(self.container_arg, self.container_kinds),
                ReferenceArg("member_ids", self.member_kinds, many=True),
                ReferenceArg(PROTECTED, self.member_kinds, many=True))

    def check_inputs(self, olds: dict, news: dict):
        cid_arg = self.container_arg
        inputs = {k: v for k, v in news.items() if k in self.args}
        guard_problems = check_guard_args(news, inputs, PROTECTED, "member object ids")
        problems: list[tuple[str, str]] = []
        if not has_unknown(news.get(cid_arg)):
            inputs[cid_arg], p = check_guid(news.get(cid_arg), self.container_what)
            if p:
                problems.append((cid_arg, p))
        if not is_unknown(news.get("member_ids")):
            value, ps = check_guid_list(news.get("member_ids"), "member object ids")
            if not has_unknown(news.get("member_ids")):
                inputs["member_ids"] = value
                if not ps:
                    inputs[DIFF_KEY] = id_set(value or [])
            problems += [("member_ids", p) for p in ps]
            cid = inputs.get(cid_arg)
            if not ps and isinstance(cid, str) and cid in (value or []):
                problems.append(("member_ids", self.self_membership_problem(cid)))
        if not is_unknown(news.get("authoritative")):
            inputs["authoritative"], p = check_bool(news.get("authoritative"), False)
            if p:
                problems.append(("authoritative", p))
        problems += guard_problems
        if not problems:
            problems = self.directory_problems(olds, inputs, self.args,
                                               lambda: self._directory_problems(inputs, olds))
        if not problems:
            problems = self._removal_problems(olds, inputs)
        return self.check_result(inputs, problems)

    # -- the guard against mass removal (_guard.py) ----------------------------------------------------


    def _removal_problems(self, olds: dict, inputs: dict) -> list[tuple[str, str]]:
        """What this run would remove, known before any write: members dropped from member_ids
        and, with authoritative=True, the members outside the list (one listing of the container).
        Those outside are added to the checked inputs and named in a warning; more removals than
        max_removals fail the preview. Unknown inputs leave it to the same check at apply."""
        keys = (self.container_arg, "member_ids", "authoritative", PROTECTED, MAX_REMOVALS)
        if any(has_unknown(inputs.get(k)) for k in keys):
            return []
        cid = inputs[self.container_arg]
        desired = set(inputs.get("member_ids") or [])
        protected = set(inputs.get(PROTECTED) or [])
        dropped: set[str] = set()
        if olds.get(self.container_arg) == cid:
            dropped = set(olds.get("member_ids") or []) - desired
        outside: dict[str, str] = {}
        if inputs.get("authoritative"):
            try:
                current = self.client.member_ids(self.kind, cid, max_age_s=0)  # as the apply will see it
            except E.NotFound:
                current = {}  # a container created in this run: nothing to remove
            except E.GraphError as e:
                return [("provider", f"could not list the {self.container_noun}'s members to show what "
                                     f"authoritative=True would remove: {graph_message(e, hint=permission_hint('read'))}")]
            dropped &= set(current)
            outside = {m: t for m, t in sorted(current.items()) if m not in desired and m not in protected}
        if outside:
            inputs[OUTSIDE_KEY] = outside
            pulumi.log.warn(f"{self.container_noun} {cid}: authoritative=True will remove {len(outside)} member(s) "
                            f"not in member_ids: {short_list(outside, 20)}")
        refusal = too_many(unprotected(dropped | set(outside), protected), inputs.get(MAX_REMOVALS),
                           where=f"{self.container_noun} {cid}")
        return [(MAX_REMOVALS, refusal)] if refusal else []

    def _directory_problems(self, inputs: dict, olds: dict) -> list[tuple[str, str]]:
        new_ids = set(inputs.get("member_ids") or [])
        if olds.get(self.container_arg) == inputs.get(self.container_arg):
            new_ids -= set(olds.get("member_ids") or [])  # only what changed needs the directory
        self.validate_members(inputs[self.container_arg], sorted(new_ids))
        return []

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        cid = self.container_arg
        replaces = [cid] if has_unknown(news.get(cid)) or olds.get(cid) != news.get(cid) else []
        changed = list(replaces)
        if has_unknown(news.get("member_ids")) or \
                sorted(olds.get("member_ids") or []) != sorted(news.get("member_ids") or []):
            changed.append("member_ids")
        if has_unknown(news.get("authoritative")) or bool(olds.get("authoritative")) != bool(news.get("authoritative")):
            changed.append("authoritative")
        if has_unknown(news.get(PROTECTED)) or sorted(olds.get(PROTECTED) or []) != sorted(news.get(PROTECTED) or []):
            changed.append(PROTECTED)
        if has_unknown(news.get(MAX_REMOVALS)) or olds.get(MAX_REMOVALS) != news.get(MAX_REMOVALS):
            changed.append(MAX_REMOVALS)
        if news.get(OUTSIDE_KEY):  # authoritative and members outside the list: the update removes them
            changed.append(OUTSIDE_KEY)
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)

    def create(self, props: dict) -> CreateResult:
        cid = props[self.container_arg]
        outs = self._converge(cid, list(props.get("member_ids") or []), bool(props.get("authoritative")),
                              managed_before=set(), adopted_before=set(), guard=props)
        return carry(CreateResult(self.resource_id(cid), outs), props)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        outs = self._converge(news[self.container_arg], list(news.get("member_ids") or []),
                              bool(news.get("authoritative")),
                              managed_before=set(olds.get("member_ids") or []),
                              adopted_before=set(olds.get("adopted_member_ids") or []), guard=news)
        return carry(UpdateResult(outs), news)

    def _converge(self, cid: str, desired: list[str], authoritative: bool, *, managed_before: set[str],
                  adopted_before: set[str], guard: dict) -> dict:
        """Make the directory match from its actual state, so a half-done earlier apply converges.
        Protected members are never removed; more removals than max_removals stop before any write."""
        c = self.client
        subject = f"{self.container_noun} {cid}"
        try:
            self.validate_members(cid, sorted(set(desired) - managed_before))
        except InputError as e:
            raise ApplyError(f"{e.prop}: {e.reason}") from None
        try:
            current = c.member_ids(self.kind, cid, max_age_s=0)
        except E.GraphError as e:
            raise ApplyError(graph_message(e, hint=permission_hint("read"))) from None
        p = plan(current.keys(), desired, managed_before=managed_before, adopted_before=adopted_before,
                 authoritative=authoritative)
        protected = guard.get(PROTECTED) or []
        to_remove = unprotected(p.to_remove, protected)
        refusal = too_many(to_remove, guard.get(MAX_REMOVALS), where=subject)
        if refusal:
            raise ApplyError(f"{MAX_REMOVALS}: {refusal} (nothing was changed)")
        if p.to_add or to_remove:
            pulumi.log.info(f"{subject}: adding {len(p.to_add)}, removing {len(to_remove)} member(s)")
        try:
            added = self.add_members(cid, p.to_add)
            removed = c.remove_members(self.kind, cid, to_remove)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=self.hint(self.add_op, cid))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None
        # Adopted: there before this resource managed it. "Already exists" on our add also means
        # that, except for members this resource managed already (their add was lagging).
        adopted = p.adopted | ((added.unchanged & set(desired)) - managed_before)
        c.confirm(self.kind, cid, present=added.done, absent=removed.done)
        failed = {**added.failed, **removed.failed}
        if failed:
            raise ApplyError(describe_failures(subject, failed, "changed", hint=self.hint(self.add_op, cid)))
        return {self.container_arg: cid, "member_ids": sorted(set(desired)), "authoritative": authoritative,
                "adopted_member_ids": sorted(adopted), **guard_outputs(guard, PROTECTED)}

    def hint(self, op: str, cid: str) -> str:
        return permission_hint(op)

    def read(self, id_: str, props: dict) -> ReadResult:
        cid = props.get(self.container_arg) or self.container_of(id_)
        authoritative = bool(props.get("authoritative"))
        try:
            current = self.client.member_ids(self.kind, cid)
        except E.NotFound:
            return ReadResult(None, {})
        managed = set(props.get("member_ids") or [])
        listed = set(current)
        if managed - listed:  # perhaps only not replicated yet: look again before calling it drift
            listed |= (managed - listed) - self.client.missing_after_wait(self.kind, cid, managed - listed)
        # Authoritative: everything present is drift to show, except protected members outside the list.
        protected = set(props.get(PROTECTED) or [])
        present = sorted(listed - (protected - managed)) if authoritative else sorted(managed & listed)
        outs = {self.container_arg: cid, "member_ids": present, "authoritative": authoritative,
                "adopted_member_ids": sorted(set(props.get("adopted_member_ids") or []) & set(present)),
                **guard_outputs(props, PROTECTED)}
        return carry(ReadResult(id_, outs, inputs={self.container_arg: cid, "member_ids": present, DIFF_KEY: id_set(present),
                                             "authoritative": authoritative, **guard_outputs(props, PROTECTED)}), props)

    def delete(self, id_: str, props: dict) -> None:
        cid = props.get(self.container_arg) or self.container_of(id_)
        ids = unprotected(props.get("member_ids") or [], props.get(PROTECTED) or [])
        if not ids:
            return
        try:
            rep = self.client.remove_members(self.kind, cid, ids)
        except E.NotFound:
            return  # the container is gone, and its memberships with it
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=self.hint(self.remove_op, cid))) from None
        if rep.failed:
            raise ApplyError(describe_failures(f"{self.container_noun} {cid}", rep.failed, "removed",
                                               hint=self.hint(self.remove_op, cid)))
