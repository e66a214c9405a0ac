"""The query language on directory objects: ``$filter`` (parsed, checked against the operators each
property allows, then evaluated on objects), ``$search``, ``$expand`` and the advanced query
parameters; ``collection_options`` turns a collection GET's options into a predicate and an expand
list, or Graph's 400.

The options of paging and selection are odata.py.
"""

from __future__ import annotations

import re

from . import errors

# --- $filter, $search, $expand, $count on directory objects --------------------------------------
# What the emulator supports, as documented in
# https://learn.microsoft.com/graph/aad-advanced-queries (operators per property, advanced query
# parameters, error bodies) and https://learn.microsoft.com/graph/filter-query-parameter:
# - by default: ``eq``, ``in`` (wherever ``eq`` is) and ``startsWith`` on the string properties below,
#   ``eq``/``in`` on ``id``, ``appId`` and a group's ``securityEnabled``, ``eq`` on its ``mailEnabled``,
#   combined with ``and``/``or``/parentheses;
# - only with the advanced query parameters (``ConsistencyLevel: eventual`` *and* ``$count=true``):
#   ``ne``, ``not`` and ``endsWith`` (the last on ``mail`` and ``userPrincipalName`` only);
# - any other property: 400 ``Request_UnsupportedQuery`` naming the property and resource.
# Directory string comparisons ignore case.

RESOURCE_NAMES = {"user": "User", "group": "Group", "servicePrincipal": "ServicePrincipal", "device": "Device",
                  "orgContact": "Contact", "administrativeUnit": "AdministrativeUnit", None: "DirectoryObject"}
_ID_OPS = frozenset({"eq", "in"})
_STRING_OPS = frozenset({"eq", "in", "startsWith"})
_MAIL_OPS = frozenset({"eq", "in", "startsWith", "endsWith"})
FILTERABLE: dict[str, dict[str, frozenset]] = {
    "user": {"id": _ID_OPS, "userPrincipalName": _MAIL_OPS, "mail": _MAIL_OPS, "displayName": _STRING_OPS,
             "mailNickname": _STRING_OPS},
    # securityEnabled and mailEnabled: "$filter (eq, ne, not, in)" and "(eq, ne, not)" on the group
    # resource page (https://learn.microsoft.com/graph/api/resources/group#properties)
    "group": {"id": _ID_OPS, "displayName": _STRING_OPS, "mail": _MAIL_OPS, "mailNickname": _STRING_OPS,
              "securityEnabled": _ID_OPS, "mailEnabled": frozenset({"eq"})},
    "servicePrincipal": {"id": _ID_OPS, "appId": _ID_OPS, "displayName": _STRING_OPS},
    "device": {"id": _ID_OPS, "displayName": _STRING_OPS},
    "orgContact": {"id": _ID_OPS, "displayName": _STRING_OPS, "mail": _MAIL_OPS, "mailNickname": _STRING_OPS},
    "administrativeUnit": {"id": _ID_OPS, "displayName": _STRING_OPS},
}
ADVANCED_OPERATORS = ("ne", "not", "endsWith")
# Navigation properties $expand accepts, per kind (group, user, ... resource pages).
EXPANDABLE = {
    "group": ("members", "owners", "memberOf"),
    "administrativeUnit": ("members",),
    "user": ("memberOf",), "device": ("memberOf",), "servicePrincipal": ("memberOf",), "orgContact": ("memberOf",),
}
# https://learn.microsoft.com/graph/query-parameters#expand: for directory objects "$expand typically
# returns a maximum of 20 items for the expanded relationship and has no @odata.nextLink".
EXPAND_LIMIT = 20

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<lp>\()|(?P<rp>\))|(?P<comma>,)"
                    r"|(?P<word>[A-Za-z_$][A-Za-z0-9_./$]*)|(?P<num>-?\d+(?:\.\d+)?))")
_NO_VALUE = object()


class FilterSyntaxError(ValueError):
    """A ``$filter`` that does not parse."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterSyntaxError(f"syntax error at position {pos} in '{text}'.")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent over the OData ``$filter`` subset above; builds a tuple tree."""

    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def _peek(self, offset: int = 0):
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else (None, None)

    def _next(self):
        tok = self._peek()
        if tok[0] is None:
            raise FilterSyntaxError(f"unexpected end of expression in '{self.text}'.")
        self.i += 1
        return tok

    def _keyword(self, word: str) -> bool:
        kind, value = self._peek()
        if kind == "word" and value.lower() == word:
            self.i += 1
            return True
        return False

    def _expect(self, kind: str):
        got = self._next()
        if got[0] != kind:
            raise FilterSyntaxError(f"'{got[1]}' is not valid here in '{self.text}'.")
        return got[1]

    def parse(self):
        node = self._or()
        if self._peek()[0] is not None:
            raise FilterSyntaxError(f"'{self._peek()[1]}' is not valid here in '{self.text}'.")
        return node

    def _or(self):
        nodes = [self._and()]
        while self._keyword("or"):
            nodes.append(self._and())
        return nodes[0] if len(nodes) == 1 else ("or", nodes)

    def _and(self):
        nodes = [self._unary()]
        while self._keyword("and"):
            nodes.append(self._unary())
        return nodes[0] if len(nodes) == 1 else ("and", nodes)

    def _unary(self):
        if self._keyword("not"):
            return ("not", self._unary())
        return self._primary()

    def _literal(self):
        kind, value = self._next()
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "word" and value.lower() in ("null", "true", "false"):
            return {"null": None, "true": True, "false": False}[value.lower()]
        raise FilterSyntaxError(f"'{value}' is not a literal in '{self.text}'.")

    def _primary(self):
        kind, value = self._next()
        if kind == "lp":
            node = self._or()
            self._expect("rp")
            return node
        if kind != "word":
            raise FilterSyntaxError(f"'{value}' is not valid here in '{self.text}'.")
        if self._peek()[0] == "lp" and value.lower() in ("startswith", "endswith"):
            self._expect("lp")
            prop = self._expect("word")
            self._expect("comma")
            lit = self._literal()
            self._expect("rp")
            return ("fn", "startsWith" if value.lower() == "startswith" else "endsWith", prop, lit)
        if self._peek()[0] == "lp":
            raise FilterSyntaxError(f"unknown function '{value}' in '{self.text}'.")
        prop = value
        op_kind, op = self._next()
        op = (op or "").lower()
        if op_kind == "word" and op in ("eq", "ne"):
            return ("cmp", op, prop, self._literal())
        if op_kind == "word" and op == "in":
            self._expect("lp")
            values = [self._literal()]
            while self._peek()[0] == "comma":
                self._next()
                values.append(self._literal())
            self._expect("rp")
            return ("in", prop, values)
        raise FilterSyntaxError(f"operator '{op}' is not supported in '{self.text}'.")


def _walk(node, negated: bool = False):
    """Yield ``(operator, property)`` for every comparison; ``not`` counts as its own operator."""
    tag = node[0]
    if tag in ("or", "and"):
        for child in node[1]:
            yield from _walk(child, negated)
    elif tag == "not":
        yield "not", None
        yield from _walk(node[1], True)
    elif tag == "cmp":
        yield node[1], node[2]
    elif tag == "in":
        yield "in", node[1]
    else:
        yield node[1], node[2]


def _value(obj, prop: str):
    return obj.id if prop == "id" else obj.props.get(prop, _NO_VALUE)


def _equal(actual, literal) -> bool:
    if isinstance(actual, str) and isinstance(literal, str):
        return actual.lower() == literal.lower()
    return actual == literal


def _matches(node, obj) -> bool:
    tag = node[0]
    if tag == "or":
        return any(_matches(child, obj) for child in node[1])
    if tag == "and":
        return all(_matches(child, obj) for child in node[1])
    if tag == "not":
        return not _matches(node[1], obj)
    if tag == "cmp":
        actual = _value(obj, node[2])
        if actual is _NO_VALUE:
            actual = None
        equal = _equal(actual, node[3])
        return equal if node[1] == "eq" else not equal
    if tag == "in":
        actual = _value(obj, node[1])
        return any(_equal(actual, v) for v in node[2])
    actual = _value(obj, node[2])
    if not isinstance(actual, str) or not isinstance(node[3], str):
        return False
    if node[1] == "startsWith":
        return actual.lower().startswith(node[3].lower())
    return actual.lower().endswith(node[3].lower())


def compile_filter(text: str, kinds: tuple[str, ...] | None, advanced: bool):
    """A predicate over ``Obj`` for ``$filter=text`` on a collection of ``kinds`` (None: any kind).

    Raises Graph's 400s: a clause that does not parse (``BadRequest``), an advanced operator without
    the advanced query parameters, a property or operator the resource does not support
    (``Request_UnsupportedQuery``).
    """
    try:
        tree = _Parser(text).parse()
    except FilterSyntaxError as exc:
        raise errors.bad_request(errors.INVALID_FILTER.format(detail=exc), code="BadRequest") from None
    pairs = list(_walk(tree))
    if not advanced:
        _check_in_limit(tree)
        for op, _prop in pairs:
            if op in ADVANCED_OPERATORS:
                raise errors.bad_request(errors.OPERATOR_NEEDS_ADVANCED.format(op=op), code="Request_UnsupportedQuery")
    kind_list = list(kinds) if kinds else [k for k in FILTERABLE if k != "administrativeUnit"]
    resource = RESOURCE_NAMES.get(kinds[0] if kinds and len(kinds) == 1 else None, "DirectoryObject")
    for op, prop in pairs:
        if prop is None:
            continue
        base = "eq" if op == "ne" else op
        if not any(base in FILTERABLE.get(k, {}).get(prop, ()) for k in kind_list):
            raise errors.bad_request(errors.UNSUPPORTED_FILTER_PROPERTY.format(prop=prop, resource=resource),
                                     code="Request_UnsupportedQuery")
    return lambda obj: _matches(tree, obj)


# https://learn.microsoft.com/graph/filter-query-parameter ("Operators and functions supported in
# filter expressions"): with `in`, a default query is limited to 15 expressions in the filter clause
# (advanced queries are bound by the URL's length instead). The wording of the refusal is ours.
IN_LIMIT = 15


def _check_in_limit(node) -> None:
    """400 ``Request_UnsupportedQuery`` for an ``in`` list longer than ``IN_LIMIT`` outside advanced queries."""
    if not isinstance(node, tuple):
        return
    if node[0] == "in" and len(node) > 2 and isinstance(node[2], list) and len(node[2]) > IN_LIMIT:
        raise errors.bad_request(errors.TOO_MANY_IN_VALUES.format(n=len(node[2]), limit=IN_LIMIT),
                                 code="Request_UnsupportedQuery")
    for child in node[1:]:
        if isinstance(child, list):
            for c in child:
                _check_in_limit(c)
        else:
            _check_in_limit(child)


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
        value = _value(obj, prop)
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
        allowed = EXPANDABLE.get(kind or "", ())
        if name not in allowed:
            type_name = kind or "directoryObject"
            raise errors.bad_request(errors.UNKNOWN_PROPERTY_ON_TYPE.format(prop=name, type=type_name),
                                     code="BadRequest")
        out.append((name, select))
    return out


def advanced(query: dict, eventual: bool) -> bool:
    """The advanced query parameters are present: ``ConsistencyLevel: eventual`` and ``$count=true``."""
    return eventual and (query.get("$count") or "").lower() == "true"


def collection_options(query: dict, eventual: bool, kinds: tuple[str, ...] | None, *, relationship: bool):
    """``(predicate or None, expand list)`` for a GET on a directory collection, or Graph's 400.

    ``relationship``: a navigation listing (``/groups/{id}/members``), where ``$expand`` is not
    offered. Its ``$filter`` takes the same default operators as an entity set: the list-members page
    asks for the advanced query parameters with ``$filter``
    (https://learn.microsoft.com/graph/api/group-list-members#optional-query-parameters), yet
    ``$filter=id eq '{id}'`` without ``ConsistencyLevel`` works on the real Graph: it is how
    terraform-provider-azuread reads one membership (docs/graph-behaviour.md §5).
    """
    is_advanced = advanced(query, eventual)
    if "$skip" in query:
        raise errors.bad_request(errors.SKIP_NOT_SUPPORTED)
    if "$orderby" in query:
        raise errors.bad_request(errors.UNSUPPORTED_QUERY, code="Request_UnsupportedQuery")
    predicates = []
    if "$search" in query:
        if not eventual:
            raise errors.bad_request(errors.SEARCH_NEEDS_EVENTUAL, code="Request_UnsupportedQuery")
        predicates.append(search_predicate(query["$search"]))
    if "$filter" in query:
        predicates.append(compile_filter(query["$filter"], kinds, is_advanced))
    expand: list = []
    if "$expand" in query:
        # "$expand is not currently supported with advanced queries" (aad-advanced-queries).
        if relationship or is_advanced:
            raise errors.bad_request(errors.UNSUPPORTED_QUERY, code="Request_UnsupportedQuery")
        expand = parse_expand(query["$expand"], kinds[0] if kinds and len(kinds) == 1 else None)
    if not predicates:
        return None, expand
    return (lambda obj: all(p(obj) for p in predicates)), expand
