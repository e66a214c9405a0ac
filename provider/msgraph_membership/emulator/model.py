"""The values the directory model (directory.py) speaks in, none of them HTTP.

- ``Caller``: who calls and when (token claims, replication lag, the time of the call);
- ``Query``: a collection's query options and the ``ConsistencyLevel`` header's answer;
- ``Payload``: a request body, read only when a rule needs it (docs/graph-behaviour.md §3, "Precedence");
- ``Listing``: a collection the handlers page by id (docs/graph-behaviour.md §1.5).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from . import errors, odata, odata_query
from .store import Obj


@dataclass
class Caller:
    """Who calls and when: the token's claims, the replication lag in force, the time of the call."""

    claims: dict
    lag_s: float = 0.0
    now: float = field(default_factory=time.time)

    @property
    def delegated(self) -> bool:
        """A person signed in (a token with ``scp``), not an application."""
        return self.claims.get("idtyp") == "user" or "scp" in self.claims

    @property
    def oid(self) -> str:
        return str(self.claims.get("oid") or "").lower()

    @property
    def roles(self) -> set:
        """The permissions the token carries: an app's ``roles``, a person's ``scp`` scopes."""
        if not self.delegated:
            return set(self.claims.get("roles") or [])
        from .rules import delegated_scopes

        return delegated_scopes(str(self.claims.get("scp") or "").split())

    @property
    def read_at(self) -> float:
        """Lists show the state as of now minus the replication lag (docs/graph-behaviour.md §5)."""
        return self.now - self.lag_s

    @property
    def count_at(self) -> float:
        """The ``$count`` index lags further than the lists (docs/graph-behaviour.md §5)."""
        return self.now - 2 * self.lag_s


@dataclass
class Query:
    """A collection's query options and whether ``ConsistencyLevel: eventual`` was sent."""

    options: dict
    eventual: bool

    @property
    def advanced(self) -> bool:
        return odata_query.advanced(self.options, self.eventual)

    def counted(self) -> "Query":
        """The query of a ``/$count`` segment: with ``ConsistencyLevel: eventual`` it is an advanced
        query by itself, as ``$count=true`` would make it (aad-advanced-queries)."""
        return Query({**self.options, "$count": "true"}, self.eventual)


class Payload:
    """A request body, read when a rule needs it; ``ref`` reads an ``@odata.id`` (docs/graph-behaviour.md §2)."""

    def __init__(self, read: Callable[[], object], host: str | None):
        self._read = read
        self.host = host

    def object(self) -> dict:
        doc = self._read()
        if not isinstance(doc, dict):
            raise errors.bad_request(errors.INVALID_JSON, code="BadRequest")
        return doc

    def ref(self, value, rel: str) -> tuple[str, str | None]:
        return odata.parse_ref(value, rel, self.host)

    def replaced(self, doc: dict) -> "Payload":
        return Payload(lambda: doc, self.host)


@dataclass
class Listing:
    """A collection to page by id: ``fetch(after_id, limit)`` and ``count()``."""

    fetch: Callable[[str, int], list[Obj]]
    count: Callable[[], int]
    filtered: bool = False  # by $filter or $search

    @classmethod
    def of(cls, objs: list[Obj], filtered: bool = False, order: Callable[[list], list] | None = None) -> "Listing":
        """An in-memory list, sorted by id, or in ``order`` ($orderby): a page starts after the last id shown."""
        if order is None:
            objs = sorted(objs, key=lambda o: o.id)
            return cls(lambda after, limit: [o for o in objs if o.id > after][:limit], lambda: len(objs), filtered)
        objs = order(objs)
        position = {o.id: i for i, o in enumerate(objs)}

        def fetch(after: str, limit: int) -> list[Obj]:
            start = position[after] + 1 if after in position else 0
            return objs[start:start + limit]

        return cls(fetch, lambda: len(objs), filtered)
