"""Membership operations on Graph: what providers call. Providers speak in memberships; this
module knows chunking by 20, `$batch`, paging, replication lag and error classification.

One `GraphClient` per identity per process (`client_for`), shared by every resource and thread:
one token cache, one connection pool, one limit on concurrent calls, one short-lived listing
per container shared by reads and kept current by writes.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence, TypeVar
from urllib.parse import quote

from . import errors as E
from .coalesce import Coalescer, KeyedCoalescers
from .hints import add_host_hint
from .known import Known
from .rules import GROUPS, UNITS, GroupInfo, odata_type_to_member_type
from .settings import GraphSettings
from .transport import BatchRequest, GraphTransport, Response, new_session, raise_for_item

log = logging.getLogger("msgraph_membership.graph")

T = TypeVar("T")

BIND_LIMIT = 20        # members@odata.bind link changes per PATCH (docs/graph-behaviour.md §1.2)
GET_BY_IDS_LIMIT = 1000  # docs/graph-behaviour.md §1.6
PAGE_SIZE = 999        # docs/graph-behaviour.md §1.5



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


@dataclass
class ConsistencyPolicy:
    """How long to keep trying writes on just-created objects, and to confirm writes."""

    lag_retry_total_s: float = 120.0   # retry 'do not exist' answers on fresh objects this long
    lag_first_delay_s: float = 0.5
    listing_ttl_s: float = 20.0        # a listing serves reads this long (refresh of many resources)
    journal_s: float = 120.0           # our own writes override a lagging listing this long
    absent_recheck_s: float = 3.0      # a read looks again this long before calling a membership gone
    fresh_object_wait_s: float = 30.0  # how long a 404 on a container may mean "not replicated yet"


class _Listing:
    __slots__ = ("members", "at", "lock", "stale")

    def __init__(self) -> None:
        self.members: dict[str, str] | None = None
        self.at = 0.0
        self.lock = threading.Lock()
        self.stale = False  # set without the lock by a write that could not wait for it


class GraphClient:
    def __init__(self, settings: GraphSettings, transport: GraphTransport | None = None,
                 consistency: ConsistencyPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_concurrency: int = 8):
        self.settings = settings
        self.consistency = consistency or ConsistencyPolicy(absent_recheck_s=settings.recheck_missing_s)
        # Where one-line notices for the user go (the resources point it at Pulumi's log).
        self.notice: Callable[[str], None] = log.info
        self._sleep = sleep
        if transport is None:
            session = new_session(settings.verify, pool_size=max_concurrency * 2)
            transport = _HintedTransport(settings, settings.graph_url, _LazyCredential(settings, session),
                                         session=session, verify=settings.verify,
                                         max_concurrency=max_concurrency, sleep=sleep,
                                         tls_in_use=settings.ca_in_use, endpoint_setting=settings.graph_host_setting)
        self.t = transport
        self._listings: dict[tuple[str, str], _Listing] = {}
        self._listings_lock = threading.Lock()
        # (container kind, container id) -> member id -> (present, when): our own recent writes
        # not yet confirmed by a listing.
        self._journal: dict[tuple[str, str], dict[str, tuple[bool, float]]] = {}
        self._journal_lock = threading.Lock()
        self.known = Known()  # types, kinds and properties of objects, under one lock
        # Single-key work from concurrent engine calls, gathered into one Graph call each.
        self._lookup = Coalescer(self._fetch_types)
        self._adds = KeyedCoalescers(self._add_results)
        self._removes = KeyedCoalescers(self._remove_results)

    # -- references ----------------------------------------------------------------------------

    def ref(self, object_id: str) -> str:
        """The @odata.id of a directory object, on the configured Graph host (docs/graph-behaviour.md §2)."""
        return f"{self.t.graph_url}/directoryObjects/{object_id}"

    @staticmethod
    def container_path(kind: str, container_id: str) -> str:
        return f"/groups/{container_id}" if kind == GROUPS else f"/directory/administrativeUnits/{container_id}"

    # -- objects -------------------------------------------------------------------------------

    def get_group(self, group_id: str, *, max_age_s: float = 60.0) -> GroupInfo | None:
        """The group's properties that decide what Graph allows, or None when it does not exist."""
        hit = self.known.group(group_id, max_age_s)
        if hit is not None:
            return hit
        try:
            d = self.t.request("GET", f"/groups/{group_id}", params={"$select": GroupInfo.SELECT}).body
        except E.NotFound:
            return None
        info = GroupInfo.from_graph(d)
        self.known.learn_group(group_id, info)
        return info

    def get_groups(self, group_ids: Iterable[str]) -> dict[str, GroupInfo | None]:
        """`get_group` for many groups, a bounded number at a time."""
        ids = list(dict.fromkeys(group_ids))
        return dict(zip(ids, self.t.map_bounded(self.get_group, ids)))

    def wait_for(self, lookup: Callable[[], T | None], *, total_s: float | None = None,
                 first_delay_s: float | None = None) -> T | None:
        """Repeat a lookup that found nothing, with a doubling wait, for a short bound: an object
        created moments ago may not be visible yet (docs/graph-behaviour.md §5). None if it never is."""
        total = self.consistency.fresh_object_wait_s if total_s is None else total_s
        deadline = time.monotonic() + total
        delay = self.consistency.lag_first_delay_s if first_delay_s is None else first_delay_s
        while True:
            found = lookup()
            if found is not None or time.monotonic() + delay > deadline:
                return found
            self._sleep(delay)
            delay = min(delay * 2, 5.0)

    def get_group_raw(self, group_id: str) -> dict | None:
        try:
            return self.t.request("GET", f"/groups/{group_id}").body
        except E.NotFound:
            return None

    def get_unit(self, unit_id: str, *, max_age_s: float = 60.0) -> dict | None:
        """The unit's properties, or None when it does not exist."""
        hit = self.known.unit(unit_id, max_age_s)
        if hit is not None:
            return hit
        try:
            unit = self.t.request("GET", f"/directory/administrativeUnits/{unit_id}").body
        except E.NotFound:
            return None
        self.known.learn_unit(unit_id, unit)
        return unit

    def object_types(self, ids: Iterable[str]) -> dict[str, str]:
        """id -> member type for the ids that exist (absent ids do not exist), via getByIds;
        lookups from concurrent calls share one request."""
        ids = list(dict.fromkeys(ids))
        out = self.known.types_of(ids)
        missing = [i for i in ids if i not in out]
        if missing:
            out.update(self._lookup(missing))
        return out

    def _fetch_types(self, ids: list[str]) -> dict[str, str]:
        chunks = [ids[i:i + GET_BY_IDS_LIMIT] for i in range(0, len(ids), GET_BY_IDS_LIMIT)]

        def fetch(chunk: list[str]) -> dict[str, str]:
            body = self.t.request("POST", "/directoryObjects/getByIds",
                                  json={"ids": chunk, "types": ["user", "group", "device",
                                                                "servicePrincipal", "orgContact"]}).body
            found = {}
            for o in (body or {}).get("value", []):
                t = odata_type_to_member_type(o.get("@odata.type"))
                if o.get("id") and t:
                    found[o["id"]] = t
                    # getByIds returns a group's groupTypes: its type and kind, recorded at once.
                    unified = "Unified" in (o.get("groupTypes") or ()) if t == "group" else None
                    self.known.learn_type(o["id"], t, unified=unified)
            return found

        out: dict[str, str] = {}
        for found in self.t.map_bounded(fetch, chunks):
            out.update(found)
        return out

    def app_roles(self) -> set[str] | None:
        """The application permissions in our token (its `roles` claim), or None when the token
        does not say (a delegated token from the Azure CLI carries scopes, not roles). Read
        from the token we already hold: no extra call, and no signature needed to read a claim
        that Graph itself will enforce."""
        import base64
        import json

        try:
            payload = self.t.credential.get_token().split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            return None
        roles = claims.get("roles")
        return set(roles) if isinstance(roles, list) else None

    def write_permission_problem(self, group: GroupInfo) -> str | None:
        """Why our token cannot change this group's members, when the token says so."""
        if not group.is_assignable_to_role:
            return None
        roles = self.app_roles()
        if roles is None or roles & {"RoleManagement.ReadWrite.Directory"}:
            return None
        return (f"{group.label} is role-assignable: changing its members needs the application "
                "permission RoleManagement.ReadWrite.Directory (with admin consent), which the app's "
                "token does not carry; grant it, or manage a group that is not role-assignable")

    def is_unified_group(self, object_id: str) -> bool:
        """Whether an object is a Microsoft 365 group. What this process does not know yet is
        looked up: the object's type (getByIds, which also gives a group's kind), then, for a
        group whose kind is still unknown (its type came from a listing), the group."""
        kind = self.known.unified(object_id)
        if kind is not None:
            return kind
        if self.known.type_of(object_id) is None:
            try:
                self.object_types([object_id])
            except E.Forbidden:  # getByIds needs Directory.Read.All; a group can still be read as a group
                info = self.get_group(object_id)
                return bool(info and info.is_unified)
            kind = self.known.unified(object_id)
            if kind is not None:
                return kind
        if self.known.type_of(object_id) == "group":
            info = self.get_group(object_id)
            return bool(info and info.is_unified)
        return False

    # -- listings ------------------------------------------------------------------------------

    def member_ids(self, kind: str, container_id: str, *, max_age_s: float | None = None,
                   taken_after: float | None = None) -> dict[str, str]:
        """Direct members (id -> type) of a group or unit. Shared by concurrent readers: many
        resources of one container refreshed together cost one paged listing. Our own writes
        that a lagging listing does not show yet are applied on top (`_reconcile`)."""
        ttl = self.consistency.listing_ttl_s if max_age_s is None else max_age_s
        key = (kind, container_id)
        with self._listings_lock:
            listing = self._listings.setdefault(key, _Listing())
        with listing.lock:  # one listing in flight per container; others wait and share it
            if (listing.members is None or listing.stale or time.monotonic() - listing.at > ttl
                    or (taken_after is not None and listing.at <= taken_after)):
                listing.stale = False
                listing.members = self._list(kind, container_id)
                listing.at = time.monotonic()
            return dict(listing.members)

    def _fetch(self, kind: str, container_id: str) -> dict[str, str]:
        """A fresh paged listing from Graph: id -> member type."""
        path = self.container_path(kind, container_id) + "/members"
        out: dict[str, str] = {}
        for o in self.t.pages(path, params={"$select": "id", "$top": str(PAGE_SIZE)}):
            t = odata_type_to_member_type(o.get("@odata.type")) or "directoryObject"
            out[o["id"]] = t
            self.known.learn_type(o["id"], t, keep_known=True)
        return out

    def _list(self, kind: str, container_id: str) -> dict[str, str]:
        return self._reconcile(kind, container_id, self._fetch(kind, container_id))

    def _reconcile(self, kind: str, container_id: str, members: dict[str, str]) -> dict[str, str]:
        """Apply our own recent writes that a fresh listing does not show yet (replication lag).
        A write the listing agrees with is confirmed and forgotten, so from then on the listing
        alone decides and a change made outside shows as drift."""
        now = time.monotonic()
        members = dict(members)
        with self._journal_lock:
            entries = self._journal.get((kind, container_id))
            if not entries:
                return members
            for m, (present, when) in list(entries.items()):
                if now - when > self.consistency.journal_s or (m in members) == present:
                    del entries[m]
                elif present:
                    members[m] = self.known.type_of(m, "directoryObject")
                else:
                    members.pop(m, None)
        return members

    def still_absent(self, kind: str, container_id: str, member_id: str) -> bool:
        """Whether `member_id` is still missing from the container after a short bounded wait."""
        return bool(self.missing_after_wait(kind, container_id, [member_id]))

    def missing_after_wait(self, kind: str, container_id: str, member_ids: Iterable[str]) -> set[str]:
        """Which of `member_ids` are still missing from the container after a short bounded wait.

        A listing lags writes (docs/graph-behaviour.md §5): memberships added by the previous `pulumi up` (another
        process, so no journal) may not be listed yet. A read that misses some looks twice more
        before it reports them gone; concurrent reads of one container share these listings."""
        missing = set(member_ids) - self.member_ids(kind, container_id).keys()
        if missing and self.consistency.absent_recheck_s > 0:
            self._say_looking_again(f"{kind} {container_id}", len(missing), "membership")
        delay, waited = min(1.0, self.consistency.absent_recheck_s), 0.0
        while missing and 0 < delay and waited + delay <= self.consistency.absent_recheck_s:
            waiting_since = time.monotonic()
            self._sleep(delay)
            waited += delay
            # Any listing taken since this wait began will do.
            missing -= self.member_ids(kind, container_id, taken_after=waiting_since).keys()
            delay *= 2
        return missing

    def _say_looking_again(self, where: str, n: int, what: str) -> None:
        wait = self.consistency.absent_recheck_s
        self.notice(f"{where}: {n} managed {what}{'s' if n != 1 else ''} not listed by Graph; looking again for up "
                    f"to {wait:g} s in case recent writes have not replicated yet (msgraph:recheckMissingSeconds "
                    "shortens this wait, 0 turns it off)")

    def container_exists(self, kind: str, container_id: str) -> bool:
        if kind == GROUPS:
            return self.get_group(container_id, max_age_s=0) is not None
        return self.get_unit(container_id) is not None

    def _record(self, kind: str, container_id: str, ids: Iterable[str], present: bool) -> None:
        ids = list(ids)
        if not ids:
            return
        now = time.monotonic()
        with self._journal_lock:
            entries = self._journal.setdefault((kind, container_id), {})
            for m in ids:
                entries[m] = (present, now)
        with self._listings_lock:
            listing = self._listings.get((kind, container_id))
        if listing is None:
            return
        # Never wait behind a listing in flight (it may be retrying a throttled call): mark the
        # cached one stale instead; the journal keeps this write until a listing confirms it.
        if not listing.lock.acquire(blocking=False):
            listing.stale = True
            return
        try:
            if listing.members is not None:
                for m in ids:
                    if present:
                        listing.members[m] = self.known.type_of(m, "directoryObject")
                    else:
                        listing.members.pop(m, None)
        finally:
            listing.lock.release()

    def forget_listing(self, kind: str, container_id: str) -> None:
        with self._listings_lock:
            self._listings.pop((kind, container_id), None)

    def member_of(self, member_id: str) -> set[str]:
        """Ids of the groups `member_id` is a direct member of."""
        out = set()
        for o in self.t.pages(f"/directoryObjects/{member_id}/memberOf",
                              params={"$select": "id", "$top": str(PAGE_SIZE)}):
            if odata_type_to_member_type(o.get("@odata.type")) == "group":
                out.add(o["id"])
        # As in _reconcile: our unconfirmed writes win over a lagging answer; a write the answer
        # agrees with is forgotten, so a later change made outside shows as drift.
        now = time.monotonic()
        with self._journal_lock:
            for (k, c), entries in self._journal.items():
                hit = entries.get(member_id) if k == GROUPS else None
                if not hit:
                    continue
                present, when = hit
                if now - when > self.consistency.journal_s or (c in out) == present:
                    del entries[member_id]
                elif present:
                    out.add(c)
                else:
                    out.discard(c)
        return out

    def confirm_member_of(self, member_id: str, present: Iterable[str] = (), absent: Iterable[str] = ()) -> bool:
        """`confirm` for one member's groups: one fresh memberOf listing, which forgets the
        writes it already shows (so later changes made outside show as drift). Never waits."""
        present, absent = set(present), set(absent)
        if not present and not absent:
            return True
        try:
            current = self.member_of(member_id)
        except E.Forbidden:  # a user's memberOf needs Directory.Read.All; reads use the groups' listings
            log.info("%s: memberOf not readable with this app's permissions; not confirmed here", member_id)
            return True
        converged = present <= current and not (absent & current)
        if not converged:
            log.info("%s: Graph does not list every group change yet (replication lag); it will", member_id)
        return converged

    def member_of_after_wait(self, member_id: str, expected: Iterable[str]) -> set[str]:
        """`member_of`, looked at again (bounded, like `missing_after_wait`) while some of the
        `expected` groups are missing: Graph may not list a membership added moments ago."""
        expected = set(expected)
        current = self.member_of(member_id)
        if expected - current and self.consistency.absent_recheck_s > 0:
            self._say_looking_again(f"member {member_id}", len(expected - current), "group membership")
        delay, waited = min(1.0, self.consistency.absent_recheck_s), 0.0
        while expected - current and 0 < delay and waited + delay <= self.consistency.absent_recheck_s:
            self._sleep(delay)
            waited += delay
            current = self.member_of(member_id)
            delay *= 2
        return current

    # -- group member writes ---------------------------------------------------------------------

    def add_group_member(self, group_id: str, member_id: str) -> bool:
        """Add one member. True if added now, False if it was already a member."""
        return self.add_member(GROUPS, group_id, member_id)

    def add_member(self, kind: str, container_id: str, member_id: str) -> bool:
        """Add one member to a group or unit; True if added now, False if it was already there.
        Concurrent single adds to one container are sent together (one PATCH of up to 20 links
        for a group, one `$batch` for a unit)."""
        result = self._adds((kind, container_id), [member_id])[member_id]
        if isinstance(result, E.GraphError):
            raise result
        return result

    def remove_member(self, kind: str, container_id: str, member_id: str) -> bool:
        """Remove one member; True if removed now, False if it was already gone. Concurrent
        single removals from one container share a `$batch`."""
        result = self._removes((kind, container_id), [member_id])[member_id]
        if isinstance(result, E.GraphError):
            raise result
        return result

    def _add_results(self, key: tuple[str, str], ids: list[str]) -> dict:
        kind, cid = key
        rep = self.add_group_members(cid, ids) if kind == GROUPS else self.add_unit_members(cid, ids)
        return _results(rep, ids)

    def _remove_results(self, key: tuple[str, str], ids: list[str]) -> dict:
        kind, cid = key
        return _results(self.remove_members(kind, cid, ids), ids)

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

    def _add_items(self, kind: str, container_id: str, ids: list[str]) -> WriteReport:
        """Add members one reference per request, in `$batch`es; per-item results by member id."""
        path = self.container_path(kind, container_id) + "/members/$ref"
        report = self._post_refs({m: (path, m) for m in ids})
        missing_container = [m for m, e in report.failed.items() if isinstance(e, E.NotFound)]
        if missing_container and not self.container_exists(kind, container_id):
            raise report.failed[missing_container[0]]
        return report

    def _post_refs(self, targets: dict[str, tuple[str, str]]) -> WriteReport:
        """POST `@odata.id` references: key -> (path of a `.../members/$ref`, object id).
        Retries 'not replicated yet' answers with a doubling wait, to a bound; results by key."""
        report = WriteReport()
        pending = list(targets)
        delay = self.consistency.lag_first_delay_s
        deadline = time.monotonic() + self.consistency.lag_retry_total_s
        while pending:
            if len(pending) == 1:
                k = pending[0]
                results = {k: self._single_add(*targets[k])}
            else:
                reqs = [BatchRequest(str(i), "POST", targets[k][0], {"@odata.id": self.ref(targets[k][1])})
                        for i, k in enumerate(pending)]
                answers = self.t.batch(reqs)
                results = {k: answers.get(str(i)) for i, k in enumerate(pending)}
            lagging = []
            for k, resp in results.items():
                if resp is None:
                    report.failed[k] = E.Unavailable(f"no answer for {k}")
                    continue
                if resp.status < 300:
                    report.done.add(k)
                    continue
                try:
                    raise_for_item(resp, "POST", targets[k][0])
                except E.AlreadyExists:
                    report.unchanged.add(k)
                except E.ReplicationLag as err:
                    lagging.append(k)
                    report.failed[k] = err
                except E.GraphError as err:
                    report.failed[k] = err
            if not lagging or time.monotonic() + delay > deadline:
                break
            log.info("%d references not replicated yet; retry in %.1fs", len(lagging), delay)
            self._sleep(delay)
            delay = min(delay * 2, 10.0)
            for k in lagging:
                report.failed.pop(k, None)
            pending = lagging
        return report

    def _delete_refs(self, targets: dict[str, str]) -> WriteReport:
        """DELETE references: key -> path of a `.../members/{id}/$ref`. Already gone (404, or
        'removed object references do not exist') counts as unchanged."""
        report = WriteReport()
        keys = list(targets)
        if len(keys) == 1:
            k = keys[0]
            try:
                self.t.request("DELETE", targets[k])
                report.done.add(k)
            except (E.NotFound, E.ReferenceMissing):
                report.unchanged.add(k)
            return report
        answers = self.t.batch([BatchRequest(str(i), "DELETE", targets[k]) for i, k in enumerate(keys)])
        for i, k in enumerate(keys):
            resp = answers.get(str(i))
            if resp is None:
                report.failed[k] = E.Unavailable(f"no answer for {k}")
            elif resp.status < 300:
                report.done.add(k)
            else:
                try:
                    raise_for_item(resp, "DELETE", targets[k])
                except (E.NotFound, E.ReferenceMissing):
                    report.unchanged.add(k)
                except E.GraphError as err:
                    report.failed[k] = err
        return report

    def _single_add(self, path: str, member_id: str) -> Response:
        """One `$ref` POST as a Response, like a `$batch` item's. A failure that is Graph's
        answer becomes that answer; any other keeps its type (`Response.error`). A failure to
        sign in or to trust Graph is raised: it is the configuration's, not this member's."""
        try:
            return self.t.request("POST", path, json={"@odata.id": self.ref(member_id)})
        except (E.AuthenticationError, E.ConfigurationError):
            raise
        except E.GraphError as e:
            body = {"error": {"code": e.code, "message": e.graph_message or str(e)}}
            return Response(e.status or 503, {}, body, error=e)

    def remove_members(self, kind: str, container_id: str, ids: Sequence[str]) -> WriteReport:
        """Remove members through `DELETE .../members/{id}/$ref` (`$batch`es of 20). Already
        gone counts as unchanged."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return WriteReport()
        base = self.container_path(kind, container_id) + "/members"
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
        if not group_ids:
            return WriteReport()
        report = self._delete_refs({g: f"/groups/{g}/members/{member_id}/$ref" for g in group_ids})
        for g in report.done | report.unchanged:
            self._record(GROUPS, g, [member_id], False)
        return report

    # -- administrative units ------------------------------------------------------------------

    def add_unit_members(self, unit_id: str, ids: Sequence[str]) -> WriteReport:
        """Units take one member per request (docs/graph-behaviour.md §1.7), so adds go through `$batch`, 20 per call."""
        ids = list(dict.fromkeys(ids))
        report = self._add_items(UNITS, unit_id, ids) if ids else WriteReport()
        self._record(UNITS, unit_id, report.done | report.unchanged, True)
        return report

    def create_group_in_unit(self, unit_id: str, properties: dict) -> dict:
        """Create a group inside a unit (docs/graph-behaviour.md §1.8) and return it once Graph shows it.

        Creating is not idempotent, so the group carries a `uniqueName` (unique in the tenant,
        https://learn.microsoft.com/graph/api/group-upsert): when the outcome of a create is
        unknown (its answer was lost, or an earlier process died before recording it), the group
        is looked up by that exact key and adopted, and a create is only ever sent again under the
        same key, which Graph refuses once a group holds it. Without a `uniqueName` an unknown
        outcome is reported (AmbiguousWrite), never resolved by sending again."""
        body = {"@odata.type": "#microsoft.graph.group", **properties}
        unique = properties.get("uniqueName")
        path = f"/directory/administrativeUnits/{unit_id}/members"

        def post() -> dict:
            return self._with_lag_retry(lambda: self.t.request("POST", path, json=body, idempotent=False),
                                        retry_not_found=True).body

        try:
            group = post()
        except (E.AmbiguousWrite, E.UniqueNameTaken) as e:
            if not unique:
                raise
            log.info("unit %s: %s; looking the group up by its unique name", unit_id,
                     "the create's answer was lost" if isinstance(e, E.AmbiguousWrite) else "the unique name is taken")
            group = self._adopt_by_unique_name(unit_id, unique, post, taken=isinstance(e, E.UniqueNameTaken))
        self.known.learn_type(group["id"], "group", unified="Unified" in (group.get("groupTypes") or ()))
        self._record(UNITS, unit_id, [group["id"]], True)
        # Like azuread after creating a group: return only once Graph shows it, so the resources
        # that use its id next (their check, their first write) do not meet a 404.
        # Replication takes seconds, not milliseconds: looked at again, it is after 2 s.
        if self.wait_for(lambda: self.get_group(group["id"], max_age_s=0),
                         total_s=self.consistency.lag_retry_total_s, first_delay_s=2.0) is None:
            log.warning("group %s was created but Graph does not show it yet", group["id"])
        return group

    def group_by_unique_name(self, unique_name: str) -> dict | None:
        """The group whose uniqueName is exactly `unique_name`, or None (`GET /groups(uniqueName='…')`)."""
        key = unique_name.replace("'", "''")
        try:
            return self.t.request("GET", f"/groups(uniqueName='{quote(key, safe='')}')").body
        except E.NotFound:
            return None

    def _adopt_by_unique_name(self, unit_id: str, unique: str, post: Callable[[], dict], *, taken: bool) -> dict:
        """The group holding `unique`, after a create whose outcome is unknown (`taken`: Graph
        said the name is held). Looked up by the exact key: found, it is adopted; not found
        after a lost answer, the create is sent again under the same key, which Graph refuses
        if the first one landed; once the name is known to be held, the lookup waits out
        replication lag. The group must be in the unit: one elsewhere with this name is
        somebody else's, and is not taken over."""
        for _ in range(3):
            found = (self.wait_for(lambda: self.group_by_unique_name(unique),
                                   total_s=self.consistency.fresh_object_wait_s, first_delay_s=1.0)
                     if taken else self.group_by_unique_name(unique))
            if found is not None:
                if self.missing_after_wait(UNITS, unit_id, [found["id"]]):
                    raise E.UniqueNameTaken(
                        f"group {found['id']} outside administrative unit {unit_id} already has the unique name "
                        f"{unique!r}; give this resource another unique_name", code="UniqueNameTaken")
                log.info("unit %s: adopting group %s, found by its unique name", unit_id, found["id"])
                return found
            try:
                return post()  # the key makes a second group impossible
            except E.AmbiguousWrite:
                taken = False
            except E.UniqueNameTaken:
                taken = True
        raise E.Unavailable(f"administrative unit {unit_id}: could not learn whether the group with unique name "
                            f"{unique!r} was created; run the update again: it finds the group by that name")

    def update_group(self, group_id: str, patch: dict) -> None:
        self._with_lag_retry(lambda: self.t.request("PATCH", f"/groups/{group_id}", json=patch))
        self.known.forget_group(group_id)

    def delete_group(self, group_id: str) -> bool:
        try:
            self.t.request("DELETE", f"/groups/{group_id}")
            self.known.forget_group(group_id)
            return True
        except E.NotFound:
            return False

    # -- consistency ---------------------------------------------------------------------------

    def _with_lag_retry(self, call: Callable[[], Response], *, retry_not_found: bool = False) -> Response:
        """Retry Graph's 'not replicated yet' answers with a doubling wait, to a bound (docs/graph-behaviour.md §5).
        With `retry_not_found`, a 404 (a container created moments ago) is retried for the
        shorter `fresh_object_wait_s`."""
        delay = self.consistency.lag_first_delay_s
        start = time.monotonic()
        deadline = start + self.consistency.lag_retry_total_s
        while True:
            try:
                return call()
            except (E.ReplicationLag, E.NotFound) as e:
                if isinstance(e, E.NotFound) and (
                        not retry_not_found
                        or time.monotonic() + delay > start + self.consistency.fresh_object_wait_s):
                    raise
                if time.monotonic() + delay > deadline:
                    raise
                log.info("not replicated yet; retry in %.1fs", delay)
                self._sleep(delay)
                delay = min(delay * 2, 10.0)

    def confirm(self, kind: str, container_id: str, present: Iterable[str] = (), absent: Iterable[str] = ()) -> bool:
        """One confirmation per batch of writes: a single fresh listing, which also refreshes the
        listing reads share. Returns whether Graph shows every write already. It never waits:
        while Graph lags, the journal keeps our writes authoritative in this process, and reads
        in a later process look again before they report a membership missing
        (`missing_after_wait`), so lag costs requests only where it is seen."""
        present, absent = set(present), set(absent)
        if not present and not absent:
            return True
        fetched = self._fetch(kind, container_id)
        with self._listings_lock:
            listing = self._listings.setdefault((kind, container_id), _Listing())
        with listing.lock:  # reconciled under the lock, so a concurrent write is not lost
            listing.members = self._reconcile(kind, container_id, fetched)
            listing.at, listing.stale = time.monotonic(), False
        converged = present <= fetched.keys() and not (absent & fetched.keys())
        if not converged:
            log.info("%s %s: Graph does not list every change yet (replication lag); it will", kind, container_id)
        return converged


def _results(rep: WriteReport, ids: list[str]) -> dict:
    """Per id: True (changed now), False (already so), or the GraphError."""
    out: dict = {}
    for m in ids:
        if m in rep.failed:
            out[m] = rep.failed[m]
        else:
            out[m] = m in rep.done
    return out


class _HintedTransport(GraphTransport):
    """The Graph transport; a sign-in or connection failure that a mix of emulator and public
    cloud hosts explains also says which host setting to set (hints.py)."""

    def __init__(self, settings: GraphSettings, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._settings = settings

    def request(self, *args, **kwargs) -> Response:
        try:
            return super().request(*args, **kwargs)
        except E.GraphError as e:
            add_host_hint(e, self._settings)
            raise


class _LazyCredential:
    """Builds the credential on first use (azure-identity is imported only when a token is needed)."""

    def __init__(self, settings: GraphSettings, session):
        self._settings = settings
        self._session = session
        self._cred = None
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return self._cred.description if self._cred else "credential (not built yet)"

    def get_token(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            if self._cred is None:
                from .auth import credential_for

                self._cred = credential_for(self._settings, self._session)
        return self._cred.get_token(force_refresh=force_refresh)


_CLIENTS: dict[tuple, GraphClient] = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(settings: GraphSettings) -> GraphClient:
    """The process-wide client for this identity."""
    key = settings.identity_key()
    with _CLIENTS_LOCK:
        c = _CLIENTS.get(key)
        if c is None:
            c = _CLIENTS[key] = GraphClient(settings)
        return c
