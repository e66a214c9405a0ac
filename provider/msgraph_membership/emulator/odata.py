"""OData on the wire: entity sets and types, key segments, ``@odata.id`` references, entity
serialisation, and the paging options (``$select``, ``$top``, ``$skiptoken``, ``@odata.nextLink``).

The query language on directory objects (``$filter``, ``$search``, ``$expand``, advanced queries)
is odata_query.py.

- ``@odata.id`` forms accepted (docs/graph-behaviour.md §2): ``{scheme}://{host}/{v1.0|beta}/{set}/{id}``
  or ``.../{set}('{id}')`` with ``set`` one of ``directoryObjects``, ``users``, ``groups``,
  ``devices``, ``servicePrincipals``, ``contacts``; hosts: the four national-cloud Graph hosts, the
  host the request was sent to, and any loopback host.
- Paging (docs/graph-behaviour.md §1.5): keyset paging by object id; ``$skiptoken`` is an opaque base64 of the last id;
  ``@odata.nextLink`` is absolute and built from the request's ``Host``.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from . import errors
from .rules import is_guid

GRAPH_HOSTS = frozenset({"graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us",
                         "microsoftgraph.chinacloudapi.cn"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Entity set name -> the kind it designates (None: any directory object).
ENTITY_SETS = {
    "directoryObjects": None,
    "users": "user",
    "groups": "group",
    "devices": "device",
    "servicePrincipals": "servicePrincipal",
    "contacts": "orgContact",
}
ODATA_TYPES = {
    "user": "#microsoft.graph.user",
    "group": "#microsoft.graph.group",
    "device": "#microsoft.graph.device",
    "servicePrincipal": "#microsoft.graph.servicePrincipal",
    "orgContact": "#microsoft.graph.orgContact",
    "administrativeUnit": "#microsoft.graph.administrativeUnit",
}
# Cast segments (``/members/microsoft.graph.user``) -> kind.
CASTS = {t[1:]: k for k, t in ODATA_TYPES.items()}

_KEY_SEGMENT = re.compile(r"^([A-Za-z]+)\('([^']*)'\)$")


def split_key_segments(segments: list[str]) -> list[str]:
    """``groups('x')`` -> ``groups``, ``x`` (the key syntax of docs/graph-behaviour.md §2, also accepted in paths)."""
    out: list[str] = []
    for seg in segments:
        m = _KEY_SEGMENT.match(seg)
        if m:
            out.extend([m.group(1), m.group(2)])
        else:
            out.append(seg)
    return out


def parse_ref(value, prop: str, request_host: str | None) -> tuple[str, str | None]:
    """``(object_id, kind_constraint)`` from an ``@odata.id``; raises the docs/graph-behaviour.md §2 400s."""
    if not isinstance(value, str) or "://" not in value:
        raise errors.bad_request(errors.INVALID_URL_IN_PAYLOAD, code="BadRequest")
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    netloc = parts.netloc.lower()
    if parts.scheme.lower() not in ("https", "http") or not host:
        raise errors.bad_request(errors.INVALID_URL_IN_PAYLOAD, code="BadRequest")
    if host not in GRAPH_HOSTS and host not in LOOPBACK_HOSTS and netloc != (request_host or "").lower():
        raise errors.bad_request(errors.INVALID_URL_IN_PAYLOAD, code="BadRequest")
    segments = split_key_segments([s for s in parts.path.split("/") if s])
    if len(segments) < 2 or segments[0] not in ("v1.0", "beta"):
        raise errors.bad_request(errors.INVALID_URL_IN_PAYLOAD, code="BadRequest")
    unsupported = errors.bad_request(errors.UNSUPPORTED_REFERENCE.format(prop=prop), code="Request_UnsupportedQuery")
    if len(segments) != 3 or segments[1] not in ENTITY_SETS or not is_guid(segments[2]):
        raise unsupported
    return segments[2].lower(), ENTITY_SETS[segments[1]]


def serialize(obj, select: list[str] | None = None) -> dict:
    """A directory object as Graph returns it: ``@odata.type``, ``id``, then properties."""
    body = {"@odata.type": ODATA_TYPES[obj.kind], "id": obj.id}
    if select:
        for name in select:
            if name != "id" and name in obj.props:
                body[name] = obj.props[name]
    else:
        body.update(obj.props)
    return body


def context(entity_set: str, select: list[str] | None) -> str:
    """The ``@odata.context`` fragment: the set, with the ``$select`` list when there is one
    (``users(displayName,id)``, as in https://learn.microsoft.com/graph/api/group-list-transitivemembers)."""
    return f"{entity_set}({','.join(select)})" if select else entity_set


# --- query options ---------------------------------------------------------------------------------
def with_dollar(query_string: str, options) -> str:
    """The query with ``filter=`` read as ``$filter=`` (each of ``options``), unless ``$filter`` is also given."""
    items = parse_qsl(query_string, keep_blank_values=True)
    given = {k for k, _ in items}
    out = [(f"${k}" if k in options and f"${k}" not in given else k, v) for k, v in items]
    return urlencode(out, quote_via=quote, safe=",()$'")


def parse_select(query: dict) -> list[str] | None:
    raw = query.get("$select")
    if not raw:
        return None
    return [s.strip() for s in raw.split(",") if s.strip()]


def parse_top(query: dict) -> int:
    raw = query.get("$top")
    if raw is None:
        return 100
    try:
        top = int(raw)
    except ValueError:
        raise errors.bad_request(errors.BAD_TOP.format(value=raw), code="BadRequest") from None
    if not 1 <= top <= 999:
        raise errors.bad_request(errors.PAGE_SIZE.format(value=raw))
    return top


def reject_unsupported(query: dict, allowed: tuple[str, ...] = ()) -> None:
    """400 for ``$skip`` and for any of ``$filter``/``$search``/``$orderby``/``$expand`` not in ``allowed``."""
    if "$skip" in query:
        raise errors.bad_request(errors.SKIP_NOT_SUPPORTED)
    for option in ("$filter", "$search", "$orderby", "$expand"):
        if option in query and option not in allowed:
            raise errors.bad_request(errors.UNSUPPORTED_QUERY, code="Request_UnsupportedQuery")


def encode_skiptoken(last_id: str) -> str:
    raw = json.dumps({"v": 1, "after": last_id}, separators=(",", ":")).encode()
    return "RFNwdAIA" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str | None) -> str:
    if not token:
        return ""
    try:
        if not token.startswith("RFNwdAIA"):
            raise ValueError
        raw = token[len("RFNwdAIA"):]
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        after = data["after"]
        if not isinstance(after, str):
            raise ValueError
        return after
    except (ValueError, KeyError, TypeError):
        raise errors.bad_request(errors.EXPIRED_PAGE_TOKEN, code="Directory_ExpiredPageToken") from None


def next_link(host: str, path: str, query_items: list[tuple[str, str]], top: int, last_id: str) -> str:
    """Absolute ``@odata.nextLink``: the same path and options, ``$top`` and a new ``$skiptoken``."""
    kept = [(k, v) for k, v in query_items if k not in ("$skiptoken", "$top")]
    kept.append(("$top", str(top)))
    kept.append(("$skiptoken", encode_skiptoken(last_id)))
    qs = "&".join(f"{k}={quote(v, safe=',()$')}" for k, v in kept)
    return f"https://{host}{path}?{qs}"
