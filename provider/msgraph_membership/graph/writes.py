"""Membership writes: adds through `PATCH members@odata.bind` (20 links a request), single and
`$batch`ed `$ref` POSTs and DELETEs, one member in many groups, and what each write did by id
(`WriteReport`). "Already a member" and "not a member" answers count as done-before
(unchanged); "not replicated yet" answers are tried again, to a bound (docs/graph-behaviour.md
§5). Every write is recorded in the journal (listings.py). Part of `GraphClient` (client.py).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from . import errors as E
from .coalesce import KeyedCoalescers
from .retry import doubling, retry
from .rules import GROUPS, UNITS, link_path
from .transport import BatchRequest, Response, raise_for_item

log = logging.getLogger("msgraph_membership.graph")

BIND_LIMIT = 20        # members@odata.bind link changes per PATCH (docs/graph-behaviour.md §1.2)


@dataclass
class WriteReport:
    """What a batch write did: `done` changed now, `unchanged` was already so, `failed` by id."""

    done: set[str] = field(default_factory=set)
    unchanged: set[str] = field(default_factory=set)
    failed: dict[str, E.GraphError] = field(default_factory=dict)

    def merge(self, other: "WriteReport") -> None:
        self.done |= other.done
        self.unchanged |= other.unchanged
        self.failed.update(other.failed)

    def file(self, key: str, resp: Response | None, method: str, path: str,
             unchanged: tuple[type[E.GraphError], ...]) -> E.GraphError | None:
        """File one answer under `key`: done, unchanged (`unchanged`: the errors that mean it
        already was so), or failed; returns the failure."""
        if resp is None:
            self.failed[key] = E.Unavailable(f"no answer for {key}")
        elif resp.status < 300:
            self.done.add(key)
        else:
            try:
                raise_for_item(resp, method, path)
            except unchanged:
                self.unchanged.add(key)
            except E.GraphError as err:
                self.failed[key] = err
        return self.failed.get(key)

    def results(self, ids: list[str]) -> dict:
        """Per id: True (changed now), False (already so), or the GraphError."""
        return {m: self.failed[m] if m in self.failed else m in self.done for m in ids}


class Writes:
    """Adds and removals of members, by group or unit, and of one member in many groups."""

    def _init_writes(self) -> None:
        # Single adds and removals from concurrent engine calls, one Graph call per container.
        self._adds = KeyedCoalescers(self._add_results)
        self._removes = KeyedCoalescers(self._remove_results)

    # -- one member ----------------------------------------------------------------------------

    def add_member(self, kind: str, container_id: str, member_id: str) -> bool:
        """Add one member to a group or unit; True if added now, False if it was already there.
        Concurrent single adds to one container are sent together (one PATCH of up to 20 links
        for a group, one `$batch` for a unit)."""
        return _raise_or(self._adds((kind, container_id), [member_id])[member_id])

    def remove_member(self, kind: str, container_id: str, member_id: str) -> bool:
        """Remove one member; True if removed now, False if it was already gone. Concurrent
        single removals from one container share a `$batch`."""
        return _raise_or(self._removes((kind, container_id), [member_id])[member_id])

    def _add_results(self, key: tuple[str, str], ids: list[str]) -> dict:
        kind, cid = key
        rep = self.add_group_members(cid, ids) if kind == GROUPS else self.add_one_by_one(kind, cid, ids)
        return rep.results(ids)

    def _remove_results(self, key: tuple[str, str], ids: list[str]) -> dict:
        kind, cid = key
        return self.remove_members(kind, cid, ids).results(ids)

    # -- many members of one container -----------------------------------------------------------

    def add_group_members(self, group_id: str, ids: Sequence[str]) -> WriteReport:
        """Add members with `PATCH members@odata.bind`, 20 per request, several at once. A chunk
        Graph refuses (it is atomic) is retried item by item through `$batch`, so one bad id
        never blocks the others and is reported by id."""
        ids = list(dict.fromkeys(ids))
        report = WriteReport()
        if len(ids) == 1:
            report.merge(self._add_items(GROUPS, group_id, ids))
        else:
            chunks = [ids[i:i + BIND_LIMIT] for i in range(0, len(ids), BIND_LIMIT)]
            for part in self.t.map_bounded(lambda c: self._bind_chunk(group_id, c), chunks):
                report.merge(part)
        self._record(GROUPS, group_id, report.done | report.unchanged, True)
        return report

    def _bind_chunk(self, group_id: str, chunk: list[str]) -> WriteReport:
        body = {"members@odata.bind": [self.ref(m) for m in chunk]}
        try:
            self._with_lag_retry(lambda: self.t.request("PATCH", f"/groups/{group_id}", json=body))
            return WriteReport(done=set(chunk))
        except (E.BadRequest, E.NotFound) as e:
            if isinstance(e, E.NotFound) and not self.container_exists(GROUPS, group_id):
                raise
            log.info("group %s: a chunk of %d was refused (%s); adding one by one", group_id,
                     len(chunk), e.code or e.status)
            return self._add_items(GROUPS, group_id, chunk)

    def add_unit_members(self, unit_id: str, ids: Sequence[str]) -> WriteReport:
        """Units take one member per request (docs/graph-behaviour.md §1.7), so adds go through
        `$batch`, 20 per call."""
        return self.add_one_by_one(UNITS, unit_id, ids)

    def add_one_by_one(self, kind: str, container_id: str, ids: Sequence[str]) -> WriteReport:
        """Add links one `$ref` POST each, in `$batch`es of 20: a unit's members, a group's owners
        (docs/graph-behaviour.md §1.7, §1.9)."""
        ids = list(dict.fromkeys(ids))
        report = self._add_items(kind, container_id, ids) if ids else WriteReport()
        self._record(kind, container_id, report.done | report.unchanged, True)
        return report

    def _add_items(self, kind: str, container_id: str, ids: list[str]) -> WriteReport:
        """Add members one reference per request, in `$batch`es; per-item results by member id."""
        path = link_path(kind, container_id) + "/$ref"
        report = self._post_refs({m: (path, m) for m in ids})
        missing_container = [m for m, e in report.failed.items() if isinstance(e, E.NotFound)]
        if missing_container and not self.container_exists(kind, container_id):
            raise report.failed[missing_container[0]]
        return report

    def remove_members(self, kind: str, container_id: str, ids: Sequence[str]) -> WriteReport:
        """Remove members (or owners) through `DELETE .../members/{id}/$ref` (`$batch`es of 20). Already
        gone counts as unchanged."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return WriteReport()
        base = link_path(kind, container_id)
        report = self._delete_refs({m: f"{base}/{m}/$ref" for m in ids})
        self._record(kind, container_id, report.done | report.unchanged, False)
        return report

    # -- one member, many groups (MemberOf) ----------------------------------------------------

    def add_to_groups(self, member_id: str, group_ids: Sequence[str]) -> WriteReport:
        """Make `member_id` a direct member of each group (`$batch` of `$ref` POSTs); by group id."""
        group_ids = list(dict.fromkeys(group_ids))
        report = self._post_refs({g: (f"/groups/{g}/members/$ref", member_id) for g in group_ids})
        for g in report.done | report.unchanged:
            self._record(GROUPS, g, [member_id], True)
        return report

    def remove_from_groups(self, member_id: str, group_ids: Sequence[str]) -> WriteReport:
        """Remove `member_id` from each group; already absent counts as unchanged; by group id."""
        group_ids = list(dict.fromkeys(group_ids))
        report = self._delete_refs({g: f"/groups/{g}/members/{member_id}/$ref" for g in group_ids})
        for g in report.done | report.unchanged:
            self._record(GROUPS, g, [member_id], False)
        return report

    # -- references ------------------------------------------------------------------------------

    def _post_refs(self, targets: dict[str, tuple[str, str]]) -> WriteReport:
        """POST `@odata.id` references: key -> (path of a `.../members/$ref`, object id).
        Retries 'not replicated yet' answers with a doubling wait, to a bound; results by key."""
        report = WriteReport()
        c = self.consistency
        wait = doubling(c.lag_first_delay_s, c.lag_max_delay_s)
        pending = list(targets)

        def attempt(n: int) -> tuple[list[str], float | None]:
            nonlocal pending
            answers = self._send_refs("POST", {k: (targets[k][0], {"@odata.id": self.ref(targets[k][1])})
                                               for k in pending})
            for k in pending:
                report.failed.pop(k, None)
            pending = [k for k, resp in answers.items()
                       if isinstance(report.file(k, resp, "POST", targets[k][0], (E.AlreadyExists,)),
                                     E.ReplicationLag)]
            return pending, wait(n) if pending else None

        retry(attempt, total_s=c.lag_retry_total_s, sleep=self._sleep, clock=time.monotonic,
              say=lambda lagging, w: log.info("%d references not replicated yet; retry in %.1fs", len(lagging), w))
        return report

    def _delete_refs(self, targets: dict[str, str]) -> WriteReport:
        """DELETE references: key -> path of a `.../members/{id}/$ref`. Already gone (404, or
        'removed object references do not exist') counts as unchanged."""
        report = WriteReport()
        for k, resp in self._send_refs("DELETE", {k: (path, None) for k, path in targets.items()}).items():
            report.file(k, resp, "DELETE", targets[k], (E.NotFound, E.ReferenceMissing))
        return report

    def _send_refs(self, method: str, targets: dict[str, tuple[str, Any]]) -> dict[str, Response | None]:
        """key -> (path, body): one request alone, or `$batch`es of them; the answers by key."""
        if len(targets) == 1:
            ((k, (path, body)),) = targets.items()
            return {k: self._single(method, path, body)}
        keys = list(targets)
        answers = self.t.batch([BatchRequest(str(i), method, *targets[k]) for i, k in enumerate(keys)])
        return {k: answers.get(str(i)) for i, k in enumerate(keys)}

    def _single(self, method: str, path: str, body: Any = None) -> Response:
        """One request as a Response, like a `$batch` item's. A failure that is Graph's answer
        becomes that answer; any other keeps its type (`Response.error`). A failure to sign in
        or to trust Graph is raised: it is the configuration's, not this member's."""
        try:
            return self.t.request(method, path, json=body)
        except (E.AuthenticationError, E.ConfigurationError):
            raise
        except E.GraphError as e:
            return Response(e.status or 503, {}, {"error": {"code": e.code, "message": e.graph_message or str(e)}},
                            error=e)

    def _with_lag_retry(self, call: Callable[[], Response], *, retry_not_found: bool = False) -> Response:
        """Retry Graph's 'not replicated yet' answers with a doubling wait, to a bound (docs/graph-behaviour.md §5).
        With `retry_not_found`, a 404 (a container created moments ago) is retried for the
        shorter `fresh_object_wait_s`."""
        c = self.consistency
        wait = doubling(c.lag_first_delay_s, c.lag_max_delay_s)

        def attempt(n: int) -> tuple[Response | E.GraphError, float | None]:
            try:
                return call(), None
            except E.ReplicationLag as e:
                return e, wait(n)
            except E.NotFound as e:
                return e, wait(n) if retry_not_found else None

        out = retry(attempt, sleep=self._sleep, clock=time.monotonic,
                    total_s=lambda o: c.fresh_object_wait_s if isinstance(o, E.NotFound) else c.lag_retry_total_s,
                    say=lambda o, w: log.info("not replicated yet; retry in %.1fs", w))
        if isinstance(out, E.GraphError):
            raise out
        return out


def _raise_or(result: Any) -> bool:
    if isinstance(result, E.GraphError):
        raise result
    return result
