"""What each directory listing answers, in one table: ``$filter`` operators per property,
``$orderby`` per property, and the query options each kind of listing takes, by default or only
with the advanced query parameters (``ConsistencyLevel: eventual`` and ``$count=true``).

Sources (docs/graph-behaviour.md §11 lists every row with its page):
- https://learn.microsoft.com/graph/aad-advanced-queries: operators per property ("Support for
  filter by properties of directory objects"), sorting per property, "Using $filter and $orderby
  together is supported only with advanced queries", "$expand is not currently supported with
  advanced queries"; ``in`` works wherever ``eq`` does by default; ``ne`` and ``not`` need the
  advanced parameters wherever ``eq`` works; ``endsWith`` only on mail-like properties, advanced.
- the resource pages (user, group, device, servicePrincipal, orgContact, administrativeUnit):
  the "Supports $filter (...)" note of each property listed here;
- the list pages of each relationship (group-list-members, group-list-transitivemembers,
  user-list-memberof, user-list-transitivememberof, ...): ``$search``, ``$filter``, ``$orderby``
  "require" the ConsistencyLevel header and ``$count``; group members take ``$filter`` by default
  (docs/graph-behaviour.md §5: terraform-provider-azuread's ``id eq`` read).
"""

from __future__ import annotations

DEFAULT, ADVANCED = "default", "advanced"

_ID = ("eq", "in")
_STRING = ("eq", "in", "startsWith")
_MAIL = ("eq", "in", "startsWith", "endsWith")  # endsWith: advanced only (below)
_BOOL = ("eq", "in")
_ANY = ("any",)  # a collection: only through a lambda, ``prop/any(x:x eq '...')``

# kind -> property -> the operators it takes (``ne``/``not`` are added wherever ``eq`` is).
FILTER: dict[str, dict[str, tuple[str, ...]]] = {
    "user": {"id": _ID, "userPrincipalName": _MAIL, "mail": _MAIL, "displayName": _STRING,
             "mailNickname": _STRING, "accountEnabled": _BOOL},
    "group": {"id": _ID, "displayName": _STRING, "mail": _MAIL, "mailNickname": _STRING,
              "securityEnabled": _BOOL, "mailEnabled": _BOOL, "groupTypes": _ANY, "proxyAddresses": _ANY},
    "servicePrincipal": {"id": _ID, "appId": _ID, "displayName": _STRING, "accountEnabled": _BOOL,
                         "servicePrincipalNames": _ANY},
    "device": {"id": _ID, "displayName": _STRING, "deviceId": _STRING, "accountEnabled": _BOOL},
    "orgContact": {"id": _ID, "displayName": _STRING, "mail": _MAIL, "mailNickname": _STRING},
    "administrativeUnit": {"id": _ID, "displayName": _STRING},
}
# Operators that need the advanced query parameters wherever they are allowed.
ADVANCED_OPERATORS = ("ne", "not", "endsWith")
# Inside a lambda, the operators on the element: groupTypes/any(c:c eq 'Unified').
LAMBDA_OPERATORS = ("eq", "in", "startsWith", "endsWith")
# A property a stored object may not carry, read as Graph's value (an account is enabled unless disabled).
IMPLICIT: dict[tuple[str, str], object] = {("user", "accountEnabled"): True, ("device", "accountEnabled"): True,
                                           ("servicePrincipal", "accountEnabled"): True}

# kind -> property -> whether $orderby works by default or only in advanced queries.
ORDERBY: dict[str, dict[str, str]] = {
    "user": {"displayName": DEFAULT, "userPrincipalName": DEFAULT, "createdDateTime": ADVANCED},
    "group": {"displayName": DEFAULT},
    "device": {"displayName": ADVANCED, "createdDateTime": ADVANCED},
    "servicePrincipal": {"displayName": ADVANCED, "createdDateTime": ADVANCED},
    "orgContact": {"displayName": ADVANCED, "createdDateTime": ADVANCED},
    "administrativeUnit": {"displayName": ADVANCED, "createdDateTime": ADVANCED},
}

# Listing kinds -> option -> DEFAULT (works without the advanced parameters), ADVANCED (only with
# them; ``$search`` needs only the header), or absent (refused: 400 Request_UnsupportedQuery).
# "cast" is an OData type cast segment (``/transitiveMembers/microsoft.graph.user``): the
# relationship pages say the header and ``$count`` "are required when using ... OData cast";
# docs/graph-behaviour.md §1.5 has members casts answered without them.
ENTITY_SET, MEMBERS, RELATIONSHIP = "entity set", "members", "relationship"
OPTIONS: dict[str, dict[str, str]] = {
    # /users, /groups, /devices, /servicePrincipals, /contacts, /directory/administrativeUnits
    ENTITY_SET: {"$filter": DEFAULT, "$search": ADVANCED, "$orderby": DEFAULT, "$expand": DEFAULT},
    # /groups/{id}/members, /groups/{id}/owners, /directory/administrativeUnits/{id}/members
    MEMBERS: {"$filter": DEFAULT, "$search": ADVANCED, "$orderby": ADVANCED, "cast": DEFAULT},
    # /groups/{id}/transitiveMembers, /{set}/{id}/memberOf, /{set}/{id}/transitiveMemberOf
    RELATIONSHIP: {"$filter": ADVANCED, "$search": ADVANCED, "$orderby": ADVANCED, "cast": ADVANCED},
}

# Navigation properties $expand accepts, per kind (group, user, ... resource pages).
EXPANDABLE = {
    "group": ("members", "owners", "memberOf"),
    "administrativeUnit": ("members",),
    "user": ("memberOf",), "device": ("memberOf",), "servicePrincipal": ("memberOf",), "orgContact": ("memberOf",),
}
# https://learn.microsoft.com/graph/query-parameters#expand: for directory objects "$expand typically
# returns a maximum of 20 items for the expanded relationship and has no @odata.nextLink".
EXPAND_LIMIT = 20
# https://learn.microsoft.com/graph/filter-query-parameter: with `in`, a default query is limited to
# 15 expressions (advanced queries are bound by the URL's length instead).
IN_LIMIT = 15

RESOURCE_NAMES = {"user": "User", "group": "Group", "servicePrincipal": "ServicePrincipal", "device": "Device",
                  "orgContact": "Contact", "administrativeUnit": "AdministrativeUnit", None: "DirectoryObject"}

# The query options, with the `$` Graph's beta endpoint lets a caller leave out
# (https://learn.microsoft.com/graph/query-parameters: "On the beta endpoint, the $ prefix is optional").
SYSTEM_OPTIONS = ("filter", "select", "top", "count", "search", "orderby", "expand", "skip", "skiptoken")


def filter_ops(kinds, prop: str) -> set[str]:
    """The operators ``prop`` takes on a listing of ``kinds`` (None: any directory object but units)."""
    found: set[str] = set()
    for kind in kinds or [k for k in FILTER if k != "administrativeUnit"]:
        found |= set(FILTER.get(kind, {}).get(prop, ()))
    if "eq" in found:
        found |= {"ne", "not"}
    return found


def orderby_support(kinds, prop: str) -> str | None:
    """DEFAULT, ADVANCED, or None (not sortable) for ``$orderby=prop`` on a listing of ``kinds``."""
    found = {ORDERBY.get(kind, {}).get(prop) for kind in kinds or ORDERBY}
    found.discard(None)
    if not found:
        return None
    return DEFAULT if found == {DEFAULT} else ADVANCED


def implicit(kind: str, prop: str):
    return IMPLICIT.get((kind, prop))
