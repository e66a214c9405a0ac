"""What a group or unit holds, as reads see it: the shared short-lived listing of each container,
the journal of our own recent writes that a lagging listing does not show yet, the bounded
looks again before a membership is called gone, and the confirmation of a batch of writes
(docs/graph-behaviour.md §5). Part of `GraphClient` (client.py).

A container is a group or unit (its members), a group (its owners), or one role at one unit's
scope (kind UNIT_ROLES, its holders: unit_roles.py lists and writes them). Every kind shares one
path: one listing in flight per container, our writes journalled and applied to the listing (or
marking it stale while one is in flight), and each fresh listing reconciled with the journal, so
no listing taken before a write of ours can undo it.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, TypeVar, Union

from . import errors as E
from .known import Known
from .retry import doubling, retry
from .rules import GROUPS, UNIT_ROLES, UnitRole, link_path, odata_type_to_member_type
from .transport import GraphTransport
from .unit_roles import ROW_TYPE, fetch_holders

log = logging.getLogger("msgraph_membership.graph")

T = TypeVar("T")
Container = Union[str, UnitRole]  # a group's or unit's id, or (UNIT_ROLES) a role at a unit
Rows = tuple[dict[str, str], dict[str, str]]  # member id -> type, and member id -> the link's own id

PAGE_SIZE = 999        # docs/graph-behaviour.md §1.5


@dataclass
class ConsistencyPolicy:
    """How long to keep trying writes on just-created objects, and to confirm writes."""

    lag_retry_total_s: float = 120.0   # retry 'do not exist' answers on fresh objects this long
    lag_first_delay_s: float = 0.5
    lag_max_delay_s: float = 10.0      # the longest wait between two tries of a lagging write
    listing_ttl_s: float = 20.0        # a listing serves reads this long (refresh of many resources)
    journal_s: float = 120.0           # our own writes override a lagging listing this long
    absent_recheck_s: float = 3.0      # a read looks again this long before calling a membership gone
    fresh_object_wait_s: float = 30.0  # how long a 404 on a container may mean "not replicated yet"
    poll_max_delay_s: float = 5.0      # the longest wait between two looks for a fresh object


class _Listing:
    __slots__ = ("members", "links", "at", "lock", "stale")

    def __init__(self) -> None:
        self.members: dict[str, str] | None = None
        self.links: dict[str, str] = {}  # where a link is an object of its own (a role assignment): its id
        self.at = 0.0
        self.lock = threading.Lock()
        self.stale = False  # set without the lock by a write that could not wait for it


class Listings:
    """Reads of memberships, and the journal that keeps our own writes visible to them."""

    t: GraphTransport
    known: Known
    consistency: ConsistencyPolicy
    notice: Callable[[str], None]
    _sleep: Callable[[float], None]

    def _init_listings(self) -> None:
        self._listings: dict[tuple[str, Container], _Listing] = {}
        self._listings_lock = threading.Lock()
        # (container kind, container) -> member id -> (present, when, the link's own id if known):
        # our own recent writes not yet confirmed by a listing.
        self._journal: dict[tuple[str, Container], dict[str, tuple[bool, float, Optional[str]]]] = {}
        self._journal_lock = threading.Lock()

    def wait_for(self, lookup: Callable[[], T | None], *, total_s: float | None = None,
                 first_delay_s: float | None = None) -> T | None:
        """Repeat a lookup that found nothing, with a doubling wait, for a short bound: an object
        created moments ago may not be visible yet (docs/graph-behaviour.md §5). None if it never is."""
        c = self.consistency
        wait = doubling(c.lag_first_delay_s if first_delay_s is None else first_delay_s, c.poll_max_delay_s)

        def look(n: int) -> tuple[T | None, float | None]:
            found = lookup()
            return found, None if found is not None else wait(n)

        return retry(look, total_s=c.fresh_object_wait_s if total_s is None else total_s, sleep=self._sleep,
                     clock=time.monotonic)

    # -- listings ------------------------------------------------------------------------------

    def member_ids(self, kind: str, container_id: Container, *, max_age_s: float | None = None,
                   taken_after: float | None = None) -> dict[str, str]:
        """Direct members (id -> type) of a group or unit, a group's owners (kind OWNERS), or the
        holders of a role at a unit (UNIT_ROLES, each typed ROW_TYPE). Shared by concurrent readers: many
        resources of one container refreshed together cost one paged listing. Our own writes
        that a lagging listing does not show yet are applied on top (`_reconcile`)."""
        return self._rows(kind, container_id, max_age_s, taken_after)[0]

    def link_ids(self, kind: str, container_id: Container, *, max_age_s: float | None = None) -> dict[str, str]:
        """Member id -> the link's own id, from the same listing as `member_ids`, for kinds whose
        links are objects of their own (UNIT_ROLES: the role assignment's id); empty for others."""
        return self._rows(kind, container_id, max_age_s, None)[1]

    def _rows(self, kind: str, container_id: Container, max_age_s: float | None, taken_after: float | None) -> Rows:
        ttl = self.consistency.listing_ttl_s if max_age_s is None else max_age_s
        listing = self._listing(kind, container_id)
        with listing.lock:  # one listing in flight per container; others wait and share it
            if (listing.members is None or listing.stale or time.monotonic() - listing.at > ttl
                    or (taken_after is not None and listing.at <= taken_after)):
                listing.stale = False  # a write of ours while this listing is in flight sets it again
                listing.members, listing.links = self._reconcile(kind, container_id,
                                                                 self._fetch(kind, container_id, ttl))
                listing.at = time.monotonic()
            return dict(listing.members), dict(listing.links)

    def _listing(self, kind: str, container_id: Container) -> _Listing:
        with self._listings_lock:
            return self._listings.setdefault((kind, container_id), _Listing())

    def _fetch(self, kind: str, container_id: Container, max_age_s: float | None = None) -> Rows:
        """A fresh paged listing from Graph: id -> member type, and the links' own ids (role
        assignments, whose listing reads the unit when it is empty, at most `max_age_s` old)."""
        if kind == UNIT_ROLES:
            assert isinstance(container_id, UnitRole)
            return fetch_holders(self, container_id,
                                 self.consistency.listing_ttl_s if max_age_s is None else max_age_s)
        assert isinstance(container_id, str)
        path = link_path(kind, container_id)
        out: dict[str, str] = {}
        for o in self.t.pages(path, params={"$select": "id", "$top": str(PAGE_SIZE)}):
            t = odata_type_to_member_type(o.get("@odata.type")) or "directoryObject"
            out[o["id"]] = t
            self.known.learn_type(o["id"], t, keep_known=True)
        return out, {}

    def _reconcile(self, kind: str, container_id: Container, rows: Rows) -> Rows:
        """Apply our own recent writes that a fresh listing does not show yet (replication lag).
        A write the listing agrees with is confirmed and forgotten, so from then on the listing
        alone decides and a change made outside shows as drift."""
        members, links = dict(rows[0]), dict(rows[1])
        with self._journal_lock:
            entries = self._journal.get((kind, container_id)) or {}
            for m in list(entries):
                link = entries[m][2]
                present = self._unconfirmed(entries, m, m in members)
                if present is not None:
                    self._apply(kind, members, links, [m], present, {m: link} if link else {})
        return members, links

    def _apply(self, kind: str, members: dict[str, str], links: dict[str, str], ids: Iterable[str], present: bool,
               written: dict[str, str]) -> None:
        """Put our writes of `ids` into rows of a listing (`written`: the links' own ids we know)."""
        for m in ids:
            if present:
                members[m] = ROW_TYPE if kind == UNIT_ROLES else self.known.type_of(m, "directoryObject")
                if m in written:
                    links[m] = written[m]
            else:
                members.pop(m, None)
                links.pop(m, None)

    def _unconfirmed(self, entries: dict[str, tuple[bool, float, Optional[str]]], member_id: str,
                     listed: bool) -> bool | None:
        """The journal's word on a member (present or not) while a listing (`listed`: whether it
        shows the member) disagrees; None, and the entry forgotten, once the listing agrees or the
        entry is older than `journal_s`. Under the journal lock."""
        present, when, _ = entries[member_id]
        if time.monotonic() - when > self.consistency.journal_s or listed == present:
            del entries[member_id]
            return None
        return present

    def still_absent(self, kind: str, container_id: str, member_id: str) -> bool:
        """Whether `member_id` is still missing from the container after a short bounded wait."""
        return bool(self.missing_after_wait(kind, container_id, [member_id]))

    def missing_after_wait(self, kind: str, container_id: str, member_ids: Iterable[str]) -> set[str]:
        """Which of `member_ids` are still missing from the container after a short bounded wait.

        A listing lags writes (docs/graph-behaviour.md §5): memberships added by the previous `pulumi up` (another
        process, so no journal) may not be listed yet. A read that misses some looks twice more
        before it reports them gone; concurrent reads of one container share these listings."""
        missing = set(member_ids)
        since: float | None = None

        def look() -> set[str]:
            nonlocal since
            # After the first look, any listing taken since the previous one will do.
            missing.difference_update(self.member_ids(kind, container_id, taken_after=since).keys())
            since = time.monotonic()
            return missing

        return self._look_again(look, f"{kind} {container_id}", "membership")

    def member_of_after_wait(self, member_id: str, expected: Iterable[str]) -> set[str]:
        """`member_of`, looked at again (bounded, like `missing_after_wait`) while some of the
        `expected` groups are missing: Graph may not list a membership added moments ago."""
        expected = set(expected)
        current: set[str] = set()

        def look() -> set[str]:
            nonlocal current
            current = self.member_of(member_id)
            return expected - current

        self._look_again(look, f"member {member_id}", "group membership")
        return current

    def _look_again(self, look: Callable[[], set[str]], where: str, what: str) -> set[str]:
        """`look()` (what is still missing), repeated while something is missing, with waits of
        1, 2, 4… s (less when the setting is under a second), `absent_recheck_s` in all."""
        recheck = self.consistency.absent_recheck_s
        wait = doubling(min(1.0, recheck))

        def attempt(n: int) -> tuple[set[str], float | None]:
            missing = look()
            if n == 1 and missing and recheck > 0:
                self._say_looking_again(where, len(missing), what)
            return missing, wait(n) if missing else None

        return retry(attempt, total_s=recheck, sleep=self._sleep)  # waits only: it looks twice more

    def _say_looking_again(self, where: str, n: int, what: str) -> None:
        wait = self.consistency.absent_recheck_s
        self.notice(f"{where}: {n} managed {what}{'s' if n != 1 else ''} not listed by Graph; looking again for up "
                    f"to {wait:g} s in case recent writes have not replicated yet (msgraph:recheckMissingSeconds "
                    "shortens this wait, 0 turns it off)")

    def _record(self, kind: str, container_id: Container, ids: Iterable[str], present: bool,
                links: dict[str, str] | None = None) -> None:
        """Journal our own write, and apply it to the shared listing (`links`: the links' own ids,
        where the write created objects: role assignments)."""
        ids, links = list(ids), links or {}
        if not ids:
            return
        now = time.monotonic()
        with self._journal_lock:
            entries = self._journal.setdefault((kind, container_id), {})
            for m in ids:
                entries[m] = (present, now, links.get(m))
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
                self._apply(kind, listing.members, listing.links, ids, present, links)
        finally:
            listing.lock.release()

    def forget_listing(self, kind: str, container_id: Container) -> None:
        with self._listings_lock:
            self._listings.pop((kind, container_id), None)

    def confirm(self, kind: str, container_id: Container, present: Iterable[str] = (),
                absent: Iterable[str] = ()) -> bool:
        """One confirmation per batch of writes: a single fresh listing, which also refreshes the
        listing reads share. Returns whether Graph shows every write already. It never waits:
        while Graph lags, the journal keeps our writes authoritative in this process, and reads
        in a later process look again before they report a membership missing
        (`missing_after_wait`), so lag costs requests only where it is seen."""
        present, absent = set(present), set(absent)
        if not present and not absent:
            return True
        fetched = self._fetch(kind, container_id)
        listing = self._listing(kind, container_id)
        with listing.lock:  # reconciled under the lock, so a concurrent write is not lost
            listing.members, listing.links = self._reconcile(kind, container_id, fetched)
            listing.at, listing.stale = time.monotonic(), False
        converged = present <= fetched[0].keys() and not (absent & fetched[0].keys())
        if not converged:
            log.info("%s %s: Graph does not list every change yet (replication lag); it will", kind, container_id)
        return converged

    # -- one member's groups (MemberOf) ----------------------------------------------------------

    def member_of(self, member_id: str) -> set[str]:
        """Ids of the groups `member_id` is a direct member of."""
        out = set()
        for o in self.t.pages(f"/directoryObjects/{member_id}/memberOf",
                              params={"$select": "id", "$top": str(PAGE_SIZE)}):
            if odata_type_to_member_type(o.get("@odata.type")) == "group":
                out.add(o["id"])
        # As in _reconcile: our unconfirmed writes win over a lagging answer; a write the answer
        # agrees with is forgotten, so a later change made outside shows as drift.
        with self._journal_lock:
            for (k, c), entries in self._journal.items():
                if k != GROUPS or member_id not in entries:
                    continue
                present = self._unconfirmed(entries, member_id, c in out)
                if present:
                    out.add(c)
                elif present is False:
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
