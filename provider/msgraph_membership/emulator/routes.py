"""The Graph route table: (method, path pattern) -> handler (responses.py), and the dispatcher.

A pattern is the path after the version. ``{name}`` is a parameter passed to the handler:
``{id}``, ``{group}``, ``{au}``, ``{member}`` take any segment (``{group}`` and ``{au}`` say which
container a link route is on); ``{set}`` is an entity set, ``{cast}`` a type cast such as
``microsoft.graph.user``, ``{uniqueName}`` the group alternate key ``(uniqueName='x')``;
``{rest+}`` ends a pattern that takes one or more further segments (the handler reads them as
``rest``). Key syntax (``groups('id')``, docs/graph-behaviour.md §2) is split into two segments
first. Method ``*`` is any method the pattern has no row for; the handler ``unknown_segment``
answers Graph's 400 "Resource not found for the segment" naming the segment at ``at``.

Matching (``resolve``): the pattern that fits the path with the most literal segments wins; if it
has no row for the method (or the version), 405; if no pattern fits, Graph's 400 names the first
segment no pattern reaches. Each call runs in one store transaction (``$batch`` excepted: each of
its items is a call of its own), so a check and the write it guards cannot interleave with another
request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import odata, query_support as qs
from .directory import Directory
from .responses import Call, Handlers, method_not_allowed, segment_not_found
from .store import Store
from .wire import Response


@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str, ...]
    handler: str
    fixed: dict = field(default_factory=dict)  # parameters the route gives its handler
    versions: tuple[str, ...] = ("v1.0", "beta")


# The Graph routes, one a row; a "# §N" comment is a section of docs/graph-behaviour.md.
_GRAPH = """
# method pattern (after the version)                    handler                       fixed parameters
POST    $batch                                          batch                         # §4.3
*       $batch                                          batch                         # 405; inside a batch, 400
GET     {set}                                           list_entities
GET     {set}/$count                                    count_entities
GET     {set}/{id}                                      get_entity
POST    directoryObjects/getByIds                       get_by_ids                    # §1.6
POST    {set}/{id}/checkMemberGroups                    check_member                  groups_only=1
POST    {set}/{id}/checkMemberObjects                   check_member                  groups_only=
GET     {set}/{id}/memberOf                             member_of                     transitive=
GET     {set}/{id}/memberOf/$count                      member_of                     transitive= count=1
GET     {set}/{id}/memberOf/{cast}                      member_of                     transitive=
GET     {set}/{id}/memberOf/{cast}/$count               member_of                     transitive= count=1
GET     {set}/{id}/transitiveMemberOf                   member_of                     transitive=1
GET     {set}/{id}/transitiveMemberOf/$count            member_of                     transitive=1 count=1
GET     {set}/{id}/transitiveMemberOf/{cast}            member_of                     transitive=1
GET     {set}/{id}/transitiveMemberOf/{cast}/$count     member_of                     transitive=1 count=1
GET     {set}/{id}/memberOf/{rest+}                     member_of                     transitive=
GET     {set}/{id}/transitiveMemberOf/{rest+}           member_of                     transitive=1
*       {set}/{id}/checkMemberGroups/{rest+}            unknown_segment               at=2
*       {set}/{id}/checkMemberObjects/{rest+}           unknown_segment               at=2
*       $batch/{rest+}                                  unknown_segment               at=0
GET     users/{id}/manager                              get_manager                   # §1.8
GET     groups                                          list_entities                 # §1.8
POST    groups                                          create_group
GET     groups/{id}                                     get_entity
PATCH   groups/{id}                                     patch_group
DELETE  groups/{id}                                     delete_group
GET     groups/{uniqueName}                             get_group_by_unique_name      # group-upsert
PATCH   groups/{uniqueName}                             upsert_group
DELETE  groups/{uniqueName}                             delete_group_by_unique_name
*       groups/{uniqueName}                             refuse_by_unique_name
LINKS   groups/{group}/members                          refuse_post_members           rel=members
LINKS   groups/{group}/owners                           -                             rel=owners
POST    groups/{id}/memberOf/$ref                       add_member_of                 versions=beta  # §1.9
GET     groups/{id}/transitiveMembers                   transitive_members
GET     groups/{id}/transitiveMembers/$count            transitive_members            count=1
GET     groups/{id}/transitiveMembers/{cast}            transitive_members
GET     groups/{id}/transitiveMembers/{cast}/$count     transitive_members            count=1
GET     groups/{id}/transitiveMembers/{rest+}           transitive_members
GET     roleManagement/directory/roleAssignments        list_role_assignments
POST    roleManagement/directory/roleAssignments        create_role_assignment
GET     roleManagement/directory/roleAssignments/{id}   get_role_assignment
DELETE  roleManagement/directory/roleAssignments/{id}   delete_role_assignment
GET     directory/administrativeUnits                   list_units                    # §1.7, §1.8
POST    directory/administrativeUnits                   create_unit
GET     directory/administrativeUnits/{au}              get_unit
PATCH   directory/administrativeUnits/{au}              update_unit
DELETE  directory/administrativeUnits/{au}              delete_unit
LINKS   directory/administrativeUnits/{au}/members      create_group_in_unit          rel=members
*       directory/administrativeUnits/{rest+}           unknown_segment               at=3
*       directory/{rest+}                               unknown_segment               at=0
"""

# LINKS above: the routes of one link collection (docs/graph-behaviour.md §1.1-§1.5), its handler
# the one for a POST on the collection itself ("-": none).
_LINKS = """
GET     {prefix}                                        list_links
POST    {prefix}                                        {post}
GET     {prefix}/$ref                                   list_refs
POST    {prefix}/$ref                                   add_link
PATCH   {prefix}/$ref                                   patch_refs
GET     {prefix}/$count                                 count_links
GET     {prefix}/{cast}                                 list_links
GET     {prefix}/{cast}/$count                          count_links
GET     {prefix}/{member}                               get_link
DELETE  {prefix}/{member}                               refuse_delete_without_ref
DELETE  {prefix}/{member}/$ref                          remove_link
*       {prefix}/{rest+}                                unknown_segment               at=-1
"""


def _table(text: str) -> list[Route]:
    """Routes from table rows: ``METHOD pattern handler [name=value ...]``; ``#`` starts a comment.

    A fixed value of ``1`` is True and an empty one False; ``versions=a,b`` limits the versions."""
    routes: list[Route] = []
    for row in text.splitlines():
        words = row.partition("#")[0].split()
        if not words:
            continue
        method, pattern, handler, *extra = words
        raw = dict(w.partition("=")[::2] for w in extra)
        versions = tuple(raw.pop("versions", "v1.0,beta").split(","))
        fixed = {k: (v if k == "rel" else int(v) if k == "at" else v == "1") for k, v in raw.items()}
        if method == "LINKS":
            links = _LINKS.replace("{prefix}", pattern).replace("{post}", handler)
            routes += [Route(r.method, r.pattern, r.handler, {**r.fixed, **fixed}, r.versions)
                       for r in _table(links) if r.handler != "-"]
            continue
        routes.append(Route(method, tuple(pattern.split("/")), handler, fixed, versions))
    return routes


ROUTES: list[Route] = _table(_GRAPH)

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
    """How well a pattern fits all the segments (more literal parts, more), or None."""
    if pattern[-1] == "{rest+}":
        if len(segments) < len(pattern):
            return None
        segments = segments[:len(pattern) - 1]
        pattern = pattern[:-1]
    elif len(pattern) != len(segments):
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


def _best(fitting: list[tuple[int, Route]]) -> list[Route]:
    """The routes of the best-fitting pattern."""
    if not fitting:
        return []
    top = max(score for score, _ in fitting)
    pattern = next(r.pattern for score, r in fitting if score == top)
    return [r for _, r in fitting if r.pattern == pattern]


def _params(route: Route, segments: list[str]) -> dict:
    params = {p[1:-1]: s for p, s in zip(route.pattern, segments) if p.startswith("{") and p not in ("{set}", "{rest+}")}
    if route.pattern[-1] == "{rest+}":
        params["rest"] = segments[len(route.pattern) - 1:]
    return {**params, **route.fixed}


def resolve(method: str, version: str, segments: list[str]) -> tuple[Route, dict]:
    """The route for a call and its parameters; Graph's 405 or 400 when there is none.

    The pattern that fits all the segments best serves the method; if it does not, a route for
    the method whose pattern ends in ``{rest+}`` (one or more further segments, which its handler
    reads) may; otherwise 405. With no pattern for all the segments, the ``{rest+}`` pattern that
    fits best answers (``*``: any method), and with none of those either, Graph's 400 names the
    first segment no pattern reaches.
    """
    alias = ALIASES.get((version, segments[0])) if segments else None
    if alias:
        segments = alias + segments[1:]
    fitting = [(score, r) for r in ROUTES if (score := _score(r.pattern, segments)) is not None]
    exact = _best([(score, r) for score, r in fitting if r.pattern[-1] != "{rest+}"])
    tails = _best([(score, r) for score, r in fitting if r.pattern[-1] == "{rest+}"])
    for candidates, methods in ((exact, (method,)), (tails if exact else [], (method,)),
                                (exact, ("*",)), (tails if not exact else [], (method, "*"))):
        for route in candidates:
            if route.method in methods and version in route.versions:
                if route.handler == "unknown_segment":  # a path under a known one that goes nowhere
                    raise segment_not_found(segments[route.fixed["at"]])
                return route, _params(route, segments)
    if exact or tails:
        raise method_not_allowed()
    if not segments:
        raise segment_not_found(version)
    raise segment_not_found(segments[min(_reach(segments), len(segments) - 1)])


class GraphApi:
    """Graph's directory endpoints: ``handle(call)`` answers one authenticated call or raises ``GraphError``.

    Error precedence (docs/graph-behaviour.md §3, "Precedence"): 401 (done by the caller), then the
    path's container (400 invalid id / 404), then 403 (permissions and read-only group kinds), then
    400 for the body and ``@odata.id`` shape, then 404 for the referenced object, then 400 for a
    type that is not allowed, then 400 "already exist".
    """

    def __init__(self, store: Store, tenant_domain=lambda: "contoso.test", run_batch=None):
        self.store = store
        self.model = Directory(store, tenant_domain)
        self.handlers = Handlers(self.model, run_batch)

    def handle(self, call: Call) -> Response:
        if call.version == "beta" and call.request.query_string:  # "$" is optional on beta (query_support.py)
            call.request.query_string = odata.with_dollar(call.request.query_string, qs.SYSTEM_OPTIONS)
        call.segments = _split(call.segments)
        route, params = resolve(call.method, call.version, call.segments)
        call.segments = [str(s) for s in call.segments]
        handler = getattr(self.handlers, route.handler)
        if route.handler == "batch":
            return handler(call, **params)
        with self.store.tx():
            return handler(call, **params)
