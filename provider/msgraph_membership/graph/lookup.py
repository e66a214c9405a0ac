"""Resolving references by name (graph/references.py) to object ids, batched and cached.

Names of one kind and property are asked together, 15 to a request, with the `in` operator:

    GET /users?$filter=userPrincipalName in ('alice@contoso.com','bob@contoso.com')&$select=...

`in` takes at most 15 values in a default (not advanced) query
(https://learn.microsoft.com/graph/filter-query-parameter, "Operators and functions supported in
filter expressions"), and these properties take `eq` and `in` without the advanced-query
parameters (https://learn.microsoft.com/graph/aad-advanced-queries). So N names cost ⌈N/15⌉
requests per kind and property, sent concurrently within the client's bound. What was found is
kept for the life of the process (one `pulumi preview` or `up`): a name is asked once however many
resources write it. A name that matched nothing is asked again next time.

Each list call needs a read permission of its kind (the Permissions table of each page, copied in
docs/permissions.md); a refused lookup raises LookupRefused naming the least privileged one.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from . import errors as E
from .references import DEVICE, GROUP, KIND_NOUN, SP, UNIT, USER, Reference

if TYPE_CHECKING:
    from .client import GraphClient

IN_LIMIT = 15

# kind -> (collection path, least privileged read permission for listing it, its Learn page)
COLLECTIONS: dict[str, tuple[str, str, str]] = {
    USER: ("/users", "User.Read.All", "https://learn.microsoft.com/graph/api/user-list"),
    GROUP: ("/groups", "GroupMember.Read.All", "https://learn.microsoft.com/graph/api/group-list"),
    SP: ("/servicePrincipals", "Application.Read.All", "https://learn.microsoft.com/graph/api/serviceprincipal-list"),
    DEVICE: ("/devices", "Device.Read.All", "https://learn.microsoft.com/graph/api/device-list"),
    UNIT: ("/directory/administrativeUnits", "AdministrativeUnit.Read.All",
           "https://learn.microsoft.com/graph/api/directory-list-administrativeunits"),
}


@dataclass(frozen=True)
class Match:
    """One directory object a reference matched."""

    id: str
    kind: str
    display_name: str | None

    def describe(self) -> str:
        name = f" {self.display_name!r}" if self.display_name else ""
        return f"{KIND_NOUN[self.kind]}{name} {self.id}"


class LookupRefused(Exception):
    """Graph refused a lookup (403): the app lacks the read permission of that kind."""

    def __init__(self, ref: Reference, permission: str, page: str, cause: E.GraphError):
        super().__init__(f"looking up {ref.written!r} ({ref.describe()}) was refused: it needs the application "
                         f"permission {permission} or a higher one listed at {page}, which the app lacks; "
                         "grant it (admin consent) or give the object id instead")
        self.ref, self.permission = ref, permission
        self.request_id = cause.request_id


_caches: "weakref.WeakKeyDictionary[GraphClient, dict]" = weakref.WeakKeyDictionary()
_locks: "weakref.WeakKeyDictionary[GraphClient, threading.Lock]" = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def _state(client: "GraphClient") -> tuple[dict, threading.Lock]:
    with _registry_lock:
        if client not in _caches:
            _caches[client], _locks[client] = {}, threading.Lock()
        return _caches[client], _locks[client]


def _literal(value: str) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def _fetch(client: "GraphClient", kind: str, prop: str, values: list[str]) -> list[dict]:
    path = COLLECTIONS[kind][0]
    flt = f"{prop} eq {_literal(values[0])}" if len(values) == 1 else \
        f"{prop} in ({','.join(_literal(v) for v in values)})"
    select = ",".join(dict.fromkeys(["id", "displayName", prop]))
    return list(client.t.pages(path, params={"$filter": flt, "$select": select, "$top": "999"}))


def resolve(client: "GraphClient", refs: Iterable[Reference]) -> dict[tuple[str, str, str], tuple[Match, ...]]:
    """Every reference's matches (empty: none), keyed by `Reference.key`.

    Raises LookupRefused when Graph refuses a kind's lookup, GraphError for anything else."""
    refs = list(refs)
    cache, lock = _state(client)
    with lock:  # concurrent checks share one lookup of a name instead of each asking it
        wanted: dict[tuple[str, str], dict[str, Reference]] = {}
        for r in refs:
            if r.key not in cache:
                wanted.setdefault((r.kind, r.prop), {})[r.key[2]] = r
        jobs = [(kind, prop, chunk) for (kind, prop), by_value in wanted.items()
                for chunk in _chunks([r.value for r in by_value.values()], IN_LIMIT)]

        def run(job):
            kind, prop, chunk = job
            try:
                return job, _fetch(client, kind, prop, chunk)
            except E.Forbidden as e:
                _, permission, page = COLLECTIONS[kind]
                raise LookupRefused(wanted[(kind, prop)][chunk[0].lower()], permission, page, e) from None

        for (kind, prop, chunk), found in client.t.map_bounded(run, jobs):
            for value in chunk:
                matches = tuple(Match(o["id"].lower(), kind, o.get("displayName")) for o in found
                                if str(o.get(prop) or "").lower() == value.lower())
                if matches:
                    cache[(kind, prop, value.lower())] = matches
        return {r.key: cache.get(r.key, ()) for r in refs}


def _chunks(values: list[str], n: int) -> list[list[str]]:
    return [values[i:i + n] for i in range(0, len(values), n)]
