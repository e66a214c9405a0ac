"""What `GroupMembers`, `AdministrativeUnitMembers` and `MemberOf` share: a managed set of
links from one object (the anchor) to many, converged from the directory's actual state.

The batch resources are anchored on a container (a group or a unit, _containers.py) and manage a
list of its members (`member_ids`), or of a group's owners (`GroupOwners`, `owner_ids`), or of
the holders of a role at a unit (`AdministrativeUnitRoleMembers`); `MemberOf` is the same set
seen from the member's side: anchored on one member, it manages the list of its groups. A
subclass names its anchor, ids and list, and says how to validate and add; every step takes the
resource's key (`key_of`: the anchor's id, or what else names the resource, as a unit and a
role). Check, diff, planning, adoption, confirmation, drift, and errors are here once, and what a
run would remove, with who may refuse it, in _batch_removals.py. Listing and writing through the
container are the defaults; `MemberOf` lists and writes through the member instead
(docs/resources.md).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Collection, Optional, Sequence

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from ..graph import errors as E
from ..graph.rules import permission_hint
from ._base import (ApplyError, InputError, MembershipProvider, MembershipResource, check_bool, check_guid,
                    check_guid_list, graph_message, has_unknown, is_unknown)
from ._batch_removals import BatchRemovals
from ._containers import Anchor, Key
from ._converge import describe_failures, plan
from ._diffview import DIFF_KEY, hide_list_diff, id_set
from ._refs import ReferenceArg, carry
from ._progress import REPORTER, estimate, planned_writes
from ._guard import FIX_DELETE, MAX_REMOVALS, check_guard_args, guard_outputs, unprotected

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport


# With authoritative=True, the members outside member_ids that the run would remove (id -> type),
# found by listing the container at preview: a checked input, so `pulumi preview --diff` shows it.
OUTSIDE_KEY = "outside_members_to_remove"


def suffixed_ids(suffix: str, resource: str, anchor_arg: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """A batch resource's id format `{anchor id}{suffix}`: the id of the resource anchored on an
    object, and the anchor's id an id names (ValueError when it names none)."""
    def make(anchor_id: str) -> str:
        return f"{anchor_id}{suffix}"

    def parse(id_: str) -> str:
        anchor_id, sep, rest = id_.partition(suffix)
        if not sep or rest or not anchor_id:
            raise ValueError(f"{id_!r} is not a {resource} id ({{{anchor_arg}}}{suffix})")
        return anchor_id
    return make, parse


class BatchProvider(BatchRemovals, MembershipProvider):
    anchor: Anchor                # the one object: a group or unit (_containers.py), or MemberOf's member
    list_arg = "member_ids"       # the many
    list_what = "member object ids"
    protected_arg = "protected_member_ids"
    adopted_arg = "adopted_member_ids"
    takes_authoritative = True    # the `authoritative` argument (MemberOf has none)
    diff_key: Optional[str] = DIFF_KEY
    outside_key = OUTSIDE_KEY     # authoritative: what is outside the list, to remove (see read)
    item_noun = "member"          # what one link is called in failures
    removal_noun = "member"       # ... and in a max_removals refusal
    removed_verb = "removed"
    adds_per_write = 1            # members one add write links (a bind links 20)

    # -- what differs per resource ----------------------------------------------------------------

    # The id format, as two functions of the resource's module set with staticmethod: the id of
    # the resource with a key (below), and the key an id names.
    resource_id: Callable[[Key], str]
    parse_id: Callable[[str], Key]

    # What every method below takes as `key`: what the resource is anchored on, and whose listing
    # and writes it uses. The anchor's id by default; a resource named by more than its anchor
    # (AdministrativeUnitRoleMembers: a unit and a role) overrides these two.

    def key_of(self, props: dict, id_: Optional[str] = None) -> Key:
        """The key of the resource with these inputs or outputs, or, where they lack it, of its id."""
        found = props.get(self.anchor.arg)
        return found if found or id_ is None else self.parse_id(id_)

    def key_outputs(self, key: Key) -> dict:
        """The outputs (and inputs) that name the key."""
        return {self.anchor.arg: key}

    def validate(self, key: Key, ids: Sequence[str]) -> None:
        """Raise InputError for what the directory would refuse (before any write)."""
        raise NotImplementedError

    def add(self, key: Key, ids: Sequence[str]) -> WriteReport:
        raise NotImplementedError

    def hint(self, op: str, key: Key, failed: Optional[dict] = None) -> str:
        """What a 403 most likely means is missing; `failed` holds the per-item failures, if any."""
        return permission_hint(op)

    def progress(self, key: Key, adding: int, removing: int) -> str:
        return f"{self.anchor.label(self.client, key)}: adding {adding}, removing {removing} {self.item_noun}(s)"

    # The container's side: its listing and writes. MemberOf reads and writes the member's instead.

    def listed(self, key: Key, max_age_s: Optional[float] = None) -> dict[str, str]:
        """What is linked to the anchor (id -> type); raises NotFound when the anchor is gone."""
        return self.client.member_ids(self.anchor.kind, key, max_age_s=max_age_s)

    def current(self, key: Key, candidates: set[str]) -> Collection[str]:
        """What is linked now, fresh from Graph (as an apply must see it)."""
        return self.listed(key, max_age_s=0)

    def present(self, key: Key, managed: set[str]) -> set[str]:
        """What is linked now for a refresh: a managed link missing is looked at again before it
        counts as drift (replication lag). Raises NotFound when the anchor is gone."""
        listed = set(self.listed(key))
        if managed - listed:  # perhaps only not replicated yet: look again before calling it drift
            listed |= (managed - listed) - self.client.missing_after_wait(self.anchor.kind, key, managed - listed)
        return listed

    def remove(self, key: Key, ids: Sequence[str]) -> WriteReport:
        return self.client.remove_members(self.anchor.kind, key, ids)

    def confirm(self, key: Key, present: set[str], absent: set[str]) -> None:
        self.client.confirm(self.anchor.kind, key, present=present, absent=absent)

    # -- check ----------------------------------------------------------------------------------------

    @property
    def args(self) -> tuple[str, ...]:
        return (self.anchor.arg, self.list_arg) + (("authoritative",) if self.takes_authoritative else ())

    @property
    def reference_args(self) -> tuple[ReferenceArg, ...]:
        return (ReferenceArg(self.anchor.arg, self.anchor.kinds),
                ReferenceArg(self.list_arg, self.anchor.other_kinds, many=True),
                ReferenceArg(self.protected_arg, self.anchor.other_kinds, many=True))

    def check_inputs(self, olds: dict, news: dict):
        one, many = self.anchor.arg, self.list_arg
        inputs = {k: v for k, v in news.items() if k in self.args}
        guard_problems = check_guard_args(news, inputs, self.protected_arg, self.list_what)
        problems: list[tuple[str, str]] = []
        if not has_unknown(news.get(one)):
            inputs[one], p = check_guid(news.get(one), self.anchor.what)
            if p:
                problems.append((one, p))
        if not is_unknown(news.get(many)):
            value, ps = check_guid_list(news.get(many), self.list_what)
            if not has_unknown(news.get(many)):
                inputs[many] = value
                if not ps and self.diff_key:
                    inputs[self.diff_key] = id_set(value or [])
            problems += [(many, p) for p in ps]
            anchor_id = inputs.get(one)
            if not ps and isinstance(anchor_id, str) and anchor_id in (value or []):
                problems.append((many, f"contains the {self.anchor.noun} itself ({anchor_id}); "
                                       f"{self.anchor.self_reason}"))
        if self.takes_authoritative and not is_unknown(news.get("authoritative")):
            inputs["authoritative"], p = check_bool(news.get("authoritative"), False)
            if p:
                problems.append(("authoritative", p))
        problems += guard_problems
        if not problems:
            problems = self.directory_problems(olds, inputs, self.args,
                                               lambda: self._directory_problems(inputs, olds))
        if not problems:
            problems = self._removal_problems(olds, inputs)
        if not problems and isinstance(inputs.get(many), list):  # a long apply says so in the preview
            new, old = set(inputs[many]), set(olds.get(many) or [])
            estimate(self.subject(self.key_of(inputs)),
                     planned_writes(len(new - old), len(old - new), self.adds_per_write))
        return self.check_result(inputs, problems)

    def _directory_problems(self, inputs: dict, olds: dict) -> list[tuple[str, str]]:
        new_ids = set(inputs.get(self.list_arg) or [])
        if olds.get(self.anchor.arg) == inputs.get(self.anchor.arg):
            new_ids -= set(olds.get(self.list_arg) or [])  # only what changed needs the directory
        self.validate(self.key_of(inputs), sorted(new_ids))
        return []

    # -- diff, create, update, read, delete -----------------------------------------------------------

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        """`olds` are outputs and `news` inputs: of the last apply and the program (preview, up),
        or of a refresh and the last apply (a refresh's drift, which Pulumi shows inverted)."""
        def differs(k: str, norm=lambda v: v) -> bool:
            return has_unknown(news.get(k)) or norm(olds.get(k)) != norm(news.get(k))

        def as_set(v):
            return sorted(v or [])

        replaces = [self.anchor.arg] if differs(self.anchor.arg) else []
        changed = list(replaces)
        changed += [k for k, norm in ((self.list_arg, as_set), ("authoritative", bool), (self.protected_arg, as_set),
                                      (MAX_REMOVALS, lambda v: v)) if differs(k, norm)]
        if not changed and news.get("authoritative") is True and self._directory_differs(news):
            changed.append(self.outside_key)
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)

    def _directory_differs(self, news: dict) -> bool:
        """Authoritative: whether the container holds anything but `news`' list (protected members
        aside), or lacks a listed member. The listing is the one check or read just made (cached),
        so this costs no request; it is what makes members outside the list show as drift on
        refresh (the inputs a refresh diffs against are the last apply's), and a run that failed
        halfway converge on the next `up`."""
        key, desired = self.key_of(news), set(news.get(self.list_arg) or [])
        try:
            listed = self.present(key, desired)  # a missing one looked at again (replication lag)
            missing = desired - listed
        except E.NotFound:
            return bool(desired)
        except E.GraphError:
            return bool(news.get(self.outside_key))  # what check found, then
        return bool(missing or listed - desired - set(news.get(self.protected_arg) or []))

    def create(self, props: dict) -> CreateResult:
        key = self.key_of(props)
        outs = self._converge(key, props, managed_before=set(), adopted_before=set())
        return carry(CreateResult(self.resource_id(key), outs), props)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        # What it managed is what the last apply (or refresh) recorded: never members outside the list.
        outs = self._converge(self.key_of(news), news, managed_before=set(olds.get(self.list_arg) or []),
                              adopted_before=set(olds.get(self.adopted_arg) or []))
        return carry(UpdateResult(outs), news)

    def _converge(self, key: Key, props: dict, *, managed_before: set[str], adopted_before: set[str]) -> dict:
        """Make the directory match from its actual state, so a half-done earlier apply converges.
        Protected links are never removed; more removals than max_removals stop before any write."""
        desired = set(props.get(self.list_arg) or [])
        authoritative = bool(props.get("authoritative"))
        try:
            self.validate(key, sorted(desired - managed_before))
        except InputError as e:
            raise ApplyError(f"{e.prop}: {e.reason}") from None
        try:
            current = self.current(key, desired | managed_before)
        except E.GraphError as e:
            raise ApplyError(graph_message(e, hint=self.hint("read", key))) from None
        p = plan(current, desired, managed_before=managed_before, adopted_before=adopted_before,
                 authoritative=authoritative)
        refused = self._refusal(p.to_remove, props, key)
        if refused:
            raise ApplyError(f"{MAX_REMOVALS}: {refused} (nothing was changed)")
        to_remove = unprotected(p.to_remove, props.get(self.protected_arg) or [])
        if to_remove and (denied := self.directory_refusal(key, set(to_remove), set(p.to_add))):
            raise ApplyError(f"{self.list_arg}: {denied} (nothing was changed)")
        if p.to_add or to_remove:
            pulumi.log.info(self.progress(key, len(p.to_add), len(to_remove)))
        try:
            with REPORTER.work(self.subject(key), planned_writes(len(p.to_add), len(to_remove),
                                                                       self.adds_per_write)):
                added = self.add(key, p.to_add)
                removed = self.remove(key, to_remove)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=self.hint(self.anchor.add_op, key))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None
        # Adopted: there before this resource managed it. "Already exists" on our add also means
        # that, except for links this resource managed already (their add was lagging).
        adopted = p.adopted | ((added.unchanged & desired) - managed_before)
        self.confirm(key, present=added.done, absent=removed.done)
        failed = {**added.failed, **removed.failed}
        if failed:
            raise ApplyError(describe_failures(self.subject(key), failed, "changed", noun=self.item_noun,
                                               hint=self.hint(self.anchor.add_op, key, failed)))
        return self._outputs(key, sorted(desired), authoritative, sorted(adopted), props)

    def _outputs(self, key: Key, ids: list[str], authoritative: bool, adopted: list[str], props: dict) -> dict:
        return {**self.key_outputs(key), self.list_arg: ids,
                **({"authoritative": authoritative} if self.takes_authoritative else {}),
                self.adopted_arg: adopted, **guard_outputs(props, self.protected_arg)}

    def read(self, id_: str, props: dict) -> ReadResult:
        """The list stays what the resource manages (what it declared or adopted, as far as the
        directory still holds it); with authoritative=True, the members outside it go to
        `outside_members_to_remove`, an output only: they show as drift, and no later update or
        delete takes them for managed."""
        key = self.key_of(props, id_)
        authoritative = bool(props.get("authoritative"))
        managed = set(props.get(self.list_arg) or [])
        try:
            listed = self.present(key, managed)
        except E.NotFound:
            return ReadResult(None, {})  # the anchor itself is gone
        present = sorted(managed & listed)
        outs = self._outputs(key, present, authoritative,
                             sorted(set(props.get(self.adopted_arg) or []) & set(present)), props)
        inputs = {k: v for k, v in outs.items() if k != self.adopted_arg}
        if self.diff_key:
            inputs[self.diff_key] = id_set(present)
        outside = listed - managed - set(props.get(self.protected_arg) or [])
        if authoritative and outside:
            types = self.listed(key)  # the listing just made
            outs[self.outside_key] = {m: types.get(m, "directoryObject") for m in sorted(outside)}
        return carry(ReadResult(id_, outs, inputs=inputs), props)

    def delete(self, id_: str, props: dict) -> None:
        """Removes what the resource manages (its list in the last outputs: declared or adopted,
        never members outside it), protected ones aside, under the same guard as an update."""
        key = self.key_of(props, id_)
        try:
            ids = self._still_there(key, props.get(self.list_arg) or [], props)
        except E.NotFound:
            return  # the anchor is gone, and its memberships with it
        except E.GraphError as e:
            raise ApplyError(graph_message(e, hint=self.hint("read", key))) from None
        ids = sorted(set(ids) - self.kept_on_delete(key, set(ids)))  # the guard counts only real removals
        refused = self._refusal(ids, props, key, action="deleting this resource", fix=FIX_DELETE)
        if refused:
            raise ApplyError(f"{MAX_REMOVALS}: {refused}")
        if not ids:
            return
        try:
            with REPORTER.work(self.subject(key), len(ids)):
                rep = self.remove(key, ids)
        except E.NotFound:
            return  # the anchor is gone, and its memberships with it
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=self.hint(self.anchor.remove_op, key))) from None
        if rep.failed:
            raise ApplyError(describe_failures(self.subject(key), rep.failed, self.removed_verb,
                                               noun=self.item_noun,
                                               hint=self.hint(self.anchor.remove_op, key, rep.failed)))


class BatchMembersResource(MembershipResource):
    """The arguments and outputs `GroupMembers` and `AdministrativeUnitMembers` share; each names
    its container argument and provider."""

    member_ids: pulumi.Output[list[str]]
    authoritative: pulumi.Output[bool]
    adopted_member_ids: pulumi.Output[list[str]]
    protected_member_ids: pulumi.Output[Optional[list[str]]]
    max_removals: pulumi.Output[Optional[int]]

    def __init__(self, provider: BatchProvider, resource_name: str, opts: Optional[pulumi.ResourceOptions],
                 **args):
        super().__init__(provider, resource_name, {**args, "adopted_member_ids": None}, hide_list_diff(opts))
