"""What a batch resource (_batch.py) would remove, known before any write, and who may refuse it:
the guard against mass removal (_guard.py: protected ids, `max_removals`) and the directory's
own rules (`directory_refusal`, `kept_on_delete`: a group's last owner, docs/graph-behaviour.md
§1.9). Every removal passes here: at preview (check), on an update, a replacement and a delete.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Collection, Iterable

import pulumi

from ..graph import errors as E
from ._base import graph_message, has_unknown
from ._converge import short_list
from ._guard import FIX_REPLACE, FIX_UPDATE, MAX_REMOVALS, limit, refusal, unprotected

if TYPE_CHECKING:
    from ..graph.client import GraphClient
    from ._containers import Anchor, Key


class BatchRemovals:
    """Mixed into `BatchProvider`: the removal checks, from its anchor, list and guard arguments."""

    anchor: "Anchor"
    client: "GraphClient"
    list_arg: str
    protected_arg: str
    item_noun: str
    removal_noun: str
    outside_key: str
    resource_id: Callable[["Key"], str]
    # BatchProvider's: the key of props, the anchor's listing (id -> type), a fresh one for an
    # apply, and 403 hints
    key_of: Callable[..., "Key"]
    listed: Callable[..., dict[str, str]]
    current: Callable[["Key", set[str]], Collection[str]]
    hint: Callable[..., str]

    def subject(self, key: "Key") -> str:
        return f"{self.anchor.noun} {key}"

    def removal_where(self, key: "Key") -> str:
        return self.subject(key)

    def directory_refusal(self, key: "Key", removals: set[str], adds: set[str]) -> str | None:
        """Why the directory itself would refuse removing `removals` (after adding `adds`), or
        None: an update it would refuse fails at preview. Nothing by default (`GroupOwners`: the last owner)."""
        return None

    def kept_on_delete(self, key: "Key", removals: set[str]) -> set[str]:
        """What a delete leaves because the directory refuses to remove it, said in a warning.
        Nothing by default; `GroupOwners` leaves a group's last owner (it goes with the group)."""
        return set()

    def _refusal(self, removals, guard: dict, key: "Key", *, action: str = "this run",
                 fix: str = FIX_UPDATE) -> str | None:
        """Why removing `removals` is refused by the guard in `guard` (inputs or outputs), or None."""
        return refusal(removals, guard.get(self.protected_arg) or [], limit(guard),
                       who=f"{type(self).__name__.removesuffix('Provider')} {self.resource_id(key)}",
                       action=action, where=self.removal_where(key), noun=self.removal_noun,
                       fix=fix.format(list_arg=self.list_arg, protected_arg=self.protected_arg,
                                      anchor_arg=self.anchor.arg))

    def _still_there(self, key: "Key", ids: Iterable[str], guard: dict) -> list[str]:
        """`ids` without the protected ones and, when that is more than max_removals, without those
        the directory no longer holds (one listing, only then). Raises NotFound with the anchor."""
        ids = unprotected(ids, guard.get(self.protected_arg) or [])
        most = limit(guard)
        if most is not None and len(ids) > most:
            ids = sorted(set(ids) & set(self.current(key, set(ids))))
        return ids

    def _removal_problems(self, olds: dict, inputs: dict) -> list[tuple[str, str]]:
        """What this run would remove, known before any write: links dropped from the list and,
        with authoritative=True, those outside it (one listing of the anchor); on a replacement,
        what the old resource's delete removes. Those outside are added to the checked inputs and
        named in a warning; more removals than max_removals, or removals the directory would
        refuse, fail the preview. Unknown inputs leave it to the same check at apply."""
        args = (self.anchor.arg, self.list_arg, "authoritative", self.protected_arg, MAX_REMOVALS)
        if any(has_unknown(inputs.get(a)) for a in args):
            return []
        key = self.key_of(inputs)
        old_key = self.key_of(olds) if olds.get(self.anchor.arg) else None
        problems = self._replacement_problems(olds) if old_key is not None and old_key != key else []
        desired = set(inputs.get(self.list_arg) or [])
        dropped = set(olds.get(self.list_arg) or []) - desired if old_key == key else set()
        outside: dict[str, str] = {}
        nouns = f"{self.item_noun}s"
        if inputs.get("authoritative"):
            try:
                current = self.listed(key, max_age_s=0)  # as the apply sees it
            except E.NotFound:
                current = {}  # a container created in this run: nothing to remove
            except E.GraphError as e:
                return problems + [("provider", f"could not list the {self.anchor.noun}'s {nouns} to show what "
                                                f"authoritative=True would remove: "
                                                f"{graph_message(e, hint=self.hint('read', key))}")]
            dropped &= set(current)
            protected = set(inputs.get(self.protected_arg) or [])
            outside = {m: t for m, t in sorted(current.items()) if m not in desired | protected | dropped}
        if outside:
            inputs[self.outside_key] = outside
            pulumi.log.warn(f"{self.subject(key)}: authoritative=True will remove {len(outside)} {self.item_noun}(s) "
                            f"not in {self.list_arg}: {short_list(outside, 20)}")
        refused = self._refusal(dropped | set(outside), inputs, key)
        if refused:
            return problems + [(MAX_REMOVALS, refused)]
        removals = set(unprotected(dropped | set(outside), inputs.get(self.protected_arg) or []))
        denied = self.directory_refusal(key, removals, desired) if removals else None
        return problems + ([(self.list_arg, denied)] if denied else [])

    def _replacement_problems(self, olds: dict) -> list[tuple[str, str]]:
        """A changed key (anchor) replaces the resource, and deleting the old one removes what it
        managed: held, like any delete, to the guard it was last deployed with (in `olds`)."""
        old_key = self.key_of(olds)
        try:
            ids = self._still_there(old_key, olds.get(self.list_arg) or [], olds)
        except E.NotFound:
            return []  # the old anchor is gone, and its memberships with it
        except E.GraphError as e:
            return [("provider", f"could not list {self.subject(old_key)} to check what replacing this resource "
                                 f"would remove: {graph_message(e, hint=self.hint('read', old_key))}")]
        refused = self._refusal(ids, olds, old_key, action=f"replacing this resource ({self.anchor.arg} changed)",
                                fix=FIX_REPLACE)
        return [(self.anchor.arg, refused)] if refused else []
