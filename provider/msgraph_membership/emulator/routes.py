"""The Graph route table: (method, path pattern) -> handler (responses.py), and the dispatcher.

A pattern is the path after the version. ``{name}`` is a parameter passed to the handler:
``{id}``, ``{group}``, ``{au}``, ``{member}`` take any segment (``{group}`` and ``{au}`` say which
container a link route is on); ``{set}`` is an entity set, ``{cast}`` a type cast such as
``microsoft.graph.user``, ``{uniqueName}`` the group alternate key ``(uniqueName='x')``. Key
syntax (``groups('id')``, docs/graph-behaviour.md §2) is split into two segments first.

Matching: the pattern that fits the path with the most literal segments wins; if it has no route
for the method (or the version), 405; if no pattern fits, Graph's 400 "Resource not found for the
segment" naming the first segment no pattern reaches. Each call runs in one store transaction
(``$batch`` excepted: each of its items is a call of its own), so a check and the write it guards
cannot interleave with another request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import errors, odata
from .directory import Directory
from .responses import Call, Handlers, method_not_allowed
from .store import Store
from .wire import Response


@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str, ...]
    handler: str
    fixed: dict = field(default_factory=dict)  # parameters the route gives its handler
    versions: tuple[str, ...] = ("v1.0", "beta")


def _r(method: str, pattern: str, handler: str, versions=("v1.0", "beta"), **fixed) -> Route:
    return Route(method, tuple(pattern.split("/")), handler, fixed, versions)


def _links(prefix: str, rel: str, post: str | None) -> list[Route]:
    """The routes of one link collection (members or owners): docs/graph-behaviour.md §1.1-§1.5."""
    routes = [
        _r("GET", prefix, "list_links", rel=rel),
        _r("GET", f"{prefix}/$ref", "list_refs", rel=rel),
        _r("POST", f"{prefix}/$ref", "add_link", rel=rel),
        _r("PATCH", f"{prefix}/$ref", "patch_refs", rel=rel),
        _r("GET", f"{prefix}/$count", "count_links", rel=rel),
        _r("GET", f"{prefix}/{{cast}}", "list_links", rel=rel),
        _r("GET", f"{prefix}/{{cast}}/$count", "count_links", rel=rel),
        _r("GET", f"{prefix}/{{member}}", "get_link", rel=rel),
        _r("DELETE", f"{prefix}/{{member}}", "refuse_delete_without_ref", rel=rel),
        _r("DELETE", f"{prefix}/{{member}}/$ref", "remove_link", rel=rel),
    ]
    return routes + ([_r("POST", prefix, post, rel=rel)] if post else [])


def _memberships(nav: str, transitive: bool) -> list[Route]:
    """``memberOf`` / ``transitiveMemberOf`` of any object, with a cast and ``$count``."""
    return [_r("GET", f"{{set}}/{{id}}/{nav}{tail}", "member_of", transitive=transitive, **count)
            for tail, count in (("", {}), ("/$count", {"count": True}), ("/{cast}", {}),
                                ("/{cast}/$count", {"count": True}))]


ROUTES: list[Route] = [
    _r("POST", "$batch", "batch"),  # docs/graph-behaviour.md §4.3
    # entity sets: users, groups, devices, servicePrincipals, contacts, directoryObjects
    _r("GET", "{set}", "list_entities"),
    _r("GET", "{set}/$count", "count_entities"),
    _r("GET", "{set}/{id}", "get_entity"),
    _r("POST", "directoryObjects/getByIds", "get_by_ids"),  # docs/graph-behaviour.md §1.6
    _r("POST", "{set}/{id}/checkMemberGroups", "check_member", groups_only=True),
    _r("POST", "{set}/{id}/checkMemberObjects", "check_member", groups_only=False),
    *_memberships("memberOf", transitive=False),
    *_memberships("transitiveMemberOf", transitive=True),
    # groups (docs/graph-behaviour.md §1.8) and their alternate key (group-upsert)
    _r("GET", "groups", "list_entities"),
    _r("POST", "groups", "create_group"),
    _r("GET", "groups/{id}", "get_entity"),
    _r("PATCH", "groups/{id}", "patch_group"),
    _r("DELETE", "groups/{id}", "delete_group"),
    _r("GET", "groups/{uniqueName}", "get_group_by_unique_name"),
    _r("PATCH", "groups/{uniqueName}", "upsert_group"),
    _r("DELETE", "groups/{uniqueName}", "delete_group_by_unique_name"),
    *_links("groups/{group}/members", "members", post="refuse_post_members"),
    *_links("groups/{group}/owners", "owners", post=None),
    _r("POST", "groups/{id}/memberOf/$ref", "add_member_of", versions=("beta",)),  # docs/graph-behaviour.md §1.9
    _r("GET", "groups/{id}/transitiveMembers", "transitive_members"),
    _r("GET", "groups/{id}/transitiveMembers/$count", "transitive_members", count=True),
    _r("GET", "groups/{id}/transitiveMembers/{cast}", "transitive_members"),
    _r("GET", "groups/{id}/transitiveMembers/{cast}/$count", "transitive_members", count=True),
    # administrative units (docs/graph-behaviour.md §1.7, §1.8)
    _r("GET", "directory/administrativeUnits", "list_units"),
    _r("POST", "directory/administrativeUnits", "create_unit"),
    _r("GET", "directory/administrativeUnits/{au}", "get_unit"),
    _r("PATCH", "directory/administrativeUnits/{au}", "update_unit"),
    _r("DELETE", "directory/administrativeUnits/{au}", "delete_unit"),
    *_links("directory/administrativeUnits/{au}/members", "members", post="create_group_in_unit"),
]

# beta also serves administrative units at the root (docs/graph-behaviour.md §1.7).
ALIASES = {("beta", "administrativeUnits"): ["directory", "administrativeUnits"]}

# The group alternate key: `groups(uniqueName='x')`, also written `groups/(uniqueName='x')`
# (https://learn.microsoft.com/graph/api/group-upsert); a quote inside is doubled, as in OData.
_UNIQUE_NAME_KEY = re.compile(r"^(groups)?\(uniqueName='((?:[^']|'')*)'\)$")


class UniqueName(str):
    """A ``(uniqueName='x')`` key segment: the text as written, ``.name`` the key."""

    name: str


def _split(segments: list[str]) -> list[str]:
    """The path's segments with keys split off: ``groups('x')`` and ``groups(uniqueName='x')``."""
    if segments and segments[0].startswith("groups("):
        m, rest = _UNIQUE_NAME_KEY.match(segments[0]), segments[1:]
    elif len(segments) >= 2 and segments[0] == "groups" and segments[1].startswith("("):
        m, rest = _UNIQUE_NAME_KEY.match(segments[1]), segments[2:]
    else:
        m = None
    if m is None:
        return odata.split_key_segments(segments)
    key = UniqueName(f"(uniqueName='{m.group(2)}')")
    key.name = m.group(2).replace("''", "'")
    return ["groups", key, *rest]


def _fits(part: str, segment: str) -> int | None:
    """How a pattern part takes a segment: 2 literally, 1 as a constrained parameter, 0 as any; None: not."""
    if not part.startswith("{"):
        return 2 if part == segment else None
    if part == "{uniqueName}":
        return 1 if isinstance(segment, UniqueName) else None
    if isinstance(segment, UniqueName):
        return None
    if part == "{set}":
        return 1 if segment in odata.ENTITY_SETS else None
    if part == "{cast}":
        return 1 if segment in odata.CASTS else None
    return 0


def _score(pattern: tuple[str, ...], segments: list[str]) -> int | None:
    if len(pattern) != len(segments):
        return None
    total = 0
    for part, segment in zip(pattern, segments):
        fit = _fits(part, segment)
        if fit is None:
            return None
        total += fit
    return total


def _reach(segments: list[str]) -> int:
    """How many leading segments some pattern takes: the first one after them is not found."""
    best = 0
    for route in ROUTES:
        n = 0
        while n < min(len(route.pattern), len(segments)) and _fits(route.pattern[n], segments[n]) is not None:
            n += 1
        best = max(best, n)
    return best


def resolve(method: str, version: str, segments: list[str]) -> tuple[Route, dict]:
    """The route for a call and its parameters; Graph's 405 or 400 when there is none."""
    alias = ALIASES.get((version, segments[0])) if segments else None
    if alias:
        segments = alias + segments[1:]
    fitting = [(score, r) for r in ROUTES if (score := _score(r.pattern, segments)) is not None]
    if not fitting:
        if not segments:
            raise errors.bad_request(errors.SEGMENT_NOT_FOUND.format(segment=version), code="BadRequest")
        at = min(_reach(segments), len(segments) - 1)
        raise errors.bad_request(errors.SEGMENT_NOT_FOUND.format(segment=segments[at]), code="BadRequest")
    best = max(score for score, _ in fitting)
    pattern = next(r.pattern for score, r in fitting if score == best)
    for route in ROUTES:
        if route.pattern == pattern and route.method == method and version in route.versions:
            params = {p[1:-1]: s for p, s in zip(pattern, segments) if p.startswith("{") and p != "{set}"}
            return route, {**params, **route.fixed}
    raise method_not_allowed()


class GraphApi:
    """Graph's directory endpoints: ``handle(call)`` answers one authenticated call or raises ``GraphError``.

    Error precedence (docs/graph-behaviour.md §3, "Precedence"): 401 (done by the caller), then the
    path (400 segment, 405), then the path's container (400 invalid id / 404), then 403, then 400 for
    the body and ``@odata.id`` shape, then 404 for the referenced object, then 400 for a type that
    is not allowed, then 400 "already exist".
    """

    def __init__(self, store: Store, tenant_domain=lambda: "contoso.test", run_batch=None):
        self.store = store
        self.model = Directory(store, tenant_domain)
        self.handlers = Handlers(self.model, run_batch)

    def handle(self, call: Call) -> Response:
        call.segments = _split(call.segments)
        route, params = resolve(call.method, call.version, call.segments)
        call.segments = [str(s) for s in call.segments]
        handler = getattr(self.handlers, route.handler)
        if route.handler == "batch":
            return handler(call, **params)
        with self.store.tx():
            return handler(call, **params)
