"""The query options of a directory listing, checked against query_support.py (the table of what
each listing answers) and turned into what the model applies: ``$search``, ``$orderby``,
``$expand``, the advanced query parameters, and ``$filter`` (odata_filter.py).
``collection_options`` turns a listing's options into a ``Selection`` or Graph's 400.

The options of paging and selection are odata.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from . import errors, query_support as qs
from .odata_filter import compile_filter  # noqa: F401 - the filter is part of this module's interface


@dataclass
class Selection:
    """What a listing's options ask for: a predicate (None: all), ``$expand``, and an order (None: by id)."""

    predicate: Callable | None = None
    expand: list = field(default_factory=list)
    order: Callable[[list], list] | None = None


def search_predicate(text: str):
    """``$search="prop:term"`` clauses joined by ``AND``/``OR``
    (https://learn.microsoft.com/graph/search-query-parameter#using-search-on-directory-object-collections):
    ``displayName`` and ``description`` are tokenized (a term matches the start of any word, words split
    on spaces, symbols and lower-to-upper case changes); other properties match from their start."""
    raw = text.strip()
    if len(raw) < 2 or not (raw.startswith('"') and raw.endswith('"')):
        raise errors.bad_request(errors.UNSUPPORTED_QUERY, code="Request_UnsupportedQuery")
    clauses: list[list[tuple[str, str]]] = [[]]  # OR of ANDs
    for part in re.split(r'"\s+(AND|OR)\s+"', raw[1:-1]):
        if part in ("AND", "OR"):
            if part == "OR":
                clauses.append([])
            continue
        prop, sep, term = part.partition(":")
        if not sep or not prop or not term:
            raise errors.bad_request(errors.UNSUPPORTED_QUERY, code="Request_UnsupportedQuery")
        clauses[-1].append((prop, term.lower()))

    def words(value: str) -> list[str]:
        spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", value)
        return [w.lower() for w in re.split(r"[^0-9A-Za-z]+", spaced) if w]

    def one(obj, prop: str, term: str) -> bool:
        value = obj.props.get(prop)
        if not isinstance(value, str):
            return False
        if prop in ("displayName", "description"):
            return any(w.startswith(term) for w in words(value)) or value.lower().startswith(term)
        return value.lower().startswith(term)

    return lambda obj: any(all(one(obj, p, t) for p, t in clause) for clause in clauses)


def parse_expand(raw: str | None, kind: str | None) -> list[tuple[str, list[str] | None]]:
    """``members``, ``members($select=id,displayName)`` -> ``[(nav, select)]``; 400 for an unknown name."""
    if not raw:
        return []
    out, depth, start = [], 0, 0
    items = []
    for i, ch in enumerate(raw + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(raw[start:i].strip())
            start = i + 1
    for item in items:
        if not item:
            continue
        name, _, options = item.partition("(")
        name = name.strip()
        select = None
        if options:
            for opt in options.rstrip(")").split(";"):
                key, _, value = opt.partition("=")
                if key.strip().lower() == "$select":
                    select = [s.strip() for s in value.split(",") if s.strip()]
        allowed = qs.EXPANDABLE.get(kind or "", ())
        if name not in allowed:
            type_name = kind or "directoryObject"
            raise errors.bad_request(errors.UNKNOWN_PROPERTY_ON_TYPE.format(prop=name, type=type_name),
                                     code="BadRequest")
        out.append((name, select))
    return out


def advanced(query: dict, eventual: bool) -> bool:
    """The advanced query parameters are present: ``ConsistencyLevel: eventual`` and ``$count=true``."""
    return eventual and (query.get("$count") or "").lower() == "true"


def parse_orderby(raw: str, kinds, is_advanced: bool) -> Callable[[list], list]:
    """``$orderby=prop [asc|desc], ...``: a sort of objects; Graph's 400 for a property it does not
    sort by, or sorts only in advanced queries (query_support.ORDERBY)."""
    keys = []
    for part in raw.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise errors.bad_request(errors.INVALID_ORDERBY.format(value=raw), code="BadRequest")
        support = qs.orderby_support(kinds, words[0])
        if support is None or (support == qs.ADVANCED and not is_advanced):
            raise errors.bad_request(errors.SORT_NOT_SUPPORTED, code="Request_UnsupportedQuery")
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))

    def order(objs: list) -> list:
        out = sorted(objs, key=lambda o: o.id)
        for prop, desc in reversed(keys):  # stable sorts, last key first; missing values first
            out.sort(key=lambda o: (o.props.get(prop) is not None, str(o.props.get(prop) or "").lower()), reverse=desc)
        return out

    return order


def collection_options(query: dict, eventual: bool, kinds: tuple[str, ...] | None, listing: str,
                       cast: bool = False) -> Selection:
    """The ``Selection`` of a GET on a directory listing (``listing``: a kind of query_support.OPTIONS),
    or Graph's 400: an option the listing does not take, or takes only in advanced queries
    (``cast``: the path has a type cast segment).

    Group members take ``$filter`` by default, though the list-members page asks for the advanced
    query parameters (https://learn.microsoft.com/graph/api/group-list-members#optional-query-parameters):
    ``$filter=id eq '{id}'`` without ``ConsistencyLevel`` works on the real Graph, and is how
    terraform-provider-azuread reads one membership (docs/graph-behaviour.md §5).
    """
    is_advanced = advanced(query, eventual)
    offered = qs.OPTIONS[listing]
    if "$skip" in query:
        raise errors.bad_request(errors.SKIP_NOT_SUPPORTED)
    asked = set(query) | ({"cast"} if cast else set())
    for option in ("$filter", "$orderby", "$expand", "cast"):
        if option in asked and (option not in offered or (offered[option] == qs.ADVANCED and not is_advanced)):
            raise errors.bad_request(errors.UNSUPPORTED_QUERY, code="Request_UnsupportedQuery")
    selection = Selection()
    predicates = []
    if "$search" in query:
        if "$search" not in offered:
            raise errors.bad_request(errors.UNSUPPORTED_QUERY, code="Request_UnsupportedQuery")
        if not eventual:
            raise errors.bad_request(errors.SEARCH_NEEDS_EVENTUAL, code="Request_UnsupportedQuery")
        predicates.append(search_predicate(query["$search"]))
    if "$filter" in query:
        predicates.append(compile_filter(query["$filter"], kinds, is_advanced))
    if "$orderby" in query:
        if "$filter" in query and not is_advanced:  # "supported only with advanced queries" (aad-advanced-queries)
            raise errors.bad_request(errors.SORT_NOT_SUPPORTED, code="Request_UnsupportedQuery")
        selection.order = parse_orderby(query["$orderby"], kinds, is_advanced)
    if "$expand" in query:
        # "$expand is not currently supported with advanced queries" (aad-advanced-queries).
        if is_advanced:
            raise errors.bad_request(errors.UNSUPPORTED_QUERY, code="Request_UnsupportedQuery")
        selection.expand = parse_expand(query["$expand"], kinds[0] if kinds and len(kinds) == 1 else None)
    if predicates:
        selection.predicate = lambda obj: all(p(obj) for p in predicates)
    return selection
