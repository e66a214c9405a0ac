"""``$filter`` on directory objects: parsed, checked against the operators each property takes
(query_support.py, the one table of what is supported), then evaluated on objects.

The grammar is the OData subset Graph documents for directory objects
(https://learn.microsoft.com/graph/filter-query-parameter): comparisons (``eq``, ``ne``), ``in``,
``startsWith``/``endsWith``, ``not``, ``and``/``or``, parentheses, and lambdas on collections,
``groupTypes/any(c:c eq 'Unified')``. String comparisons ignore case, as the directory does.
"""

from __future__ import annotations

import re

from . import errors, query_support as qs

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<lp>\()|(?P<rp>\))|(?P<comma>,)|(?P<colon>:)"
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
        if self._peek()[0] == "lp" and value.lower().endswith("/any"):
            return self._lambda(value[:-len("/any")])
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


def _lambda_method(self, prop: str):
    """``prop/any(x: <expression on x>)``: true when some element of the collection ``prop`` matches."""
    self._expect("lp")
    var = self._expect("word")
    self._expect("colon")
    inner = self._or()
    self._expect("rp")
    return ("any", prop, var, inner)


_Parser._lambda = _lambda_method


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
    elif tag == "any":
        yield "any", node[1]
        for op, prop in _walk(node[3]):
            if prop != node[2]:
                raise FilterSyntaxError(f"'{prop}' is not the lambda variable '{node[2]}'.")
            yield "lambda:" + op, node[1]
    else:
        yield node[1], node[2]


def _value(obj, prop: str, env: dict):
    if prop in env:
        return env[prop]
    if prop == "id":
        return obj.id
    value = obj.props.get(prop, _NO_VALUE)
    if value in (_NO_VALUE, None) and qs.implicit(obj.kind, prop) is not None:
        return qs.implicit(obj.kind, prop)
    return value


def _equal(actual, literal) -> bool:
    if isinstance(actual, str) and isinstance(literal, str):
        return actual.lower() == literal.lower()
    return actual == literal


def _matches(node, obj, env: dict | None = None) -> bool:
    env = env or {}
    tag = node[0]
    if tag == "or":
        return any(_matches(child, obj, env) for child in node[1])
    if tag == "and":
        return all(_matches(child, obj, env) for child in node[1])
    if tag == "not":
        return not _matches(node[1], obj, env)
    if tag == "any":
        values = _value(obj, node[1], env)
        return isinstance(values, list) and any(_matches(node[3], obj, {**env, node[2]: v}) for v in values)
    if tag == "cmp":
        actual = _value(obj, node[2], env)
        if actual is _NO_VALUE:
            actual = None
        equal = _equal(actual, node[3])
        return equal if node[1] == "eq" else not equal
    if tag == "in":
        actual = _value(obj, node[1], env)
        return any(_equal(actual, v) for v in node[2])
    actual = _value(obj, node[2], env)
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
        pairs = list(_walk(tree))
    except FilterSyntaxError as exc:
        raise errors.bad_request(errors.INVALID_FILTER.format(detail=exc), code="BadRequest") from None
    if not advanced:
        _check_in_limit(tree)
        for op, _prop in pairs:
            if op.removeprefix("lambda:") in qs.ADVANCED_OPERATORS:
                raise errors.bad_request(errors.OPERATOR_NEEDS_ADVANCED.format(op=op.removeprefix("lambda:")),
                                         code="Request_UnsupportedQuery")
    resource = qs.RESOURCE_NAMES.get(kinds[0] if kinds and len(kinds) == 1 else None, "DirectoryObject")
    for op, prop in pairs:
        if prop is None:
            continue
        supported = qs.filter_ops(kinds, prop)
        if op.startswith("lambda:"):
            ok = "any" in supported and op[len("lambda:"):] in qs.LAMBDA_OPERATORS + ("ne", "not")
        else:
            ok = op in supported
        if not ok:
            raise errors.bad_request(errors.UNSUPPORTED_FILTER_PROPERTY.format(prop=prop, resource=resource),
                                     code="Request_UnsupportedQuery")
    return lambda obj: _matches(tree, obj)


def _check_in_limit(node) -> None:
    """400 ``Request_UnsupportedQuery`` for an ``in`` list longer than ``qs.IN_LIMIT`` outside advanced queries."""
    if not isinstance(node, tuple):
        return
    if node[0] == "in" and len(node) > 2 and isinstance(node[2], list) and len(node[2]) > qs.IN_LIMIT:
        raise errors.bad_request(errors.TOO_MANY_IN_VALUES.format(n=len(node[2]), limit=qs.IN_LIMIT),
                                 code="Request_UnsupportedQuery")
    for child in node[1:]:
        if isinstance(child, list):
            for c in child:
                _check_in_limit(c)
        else:
            _check_in_limit(child)


