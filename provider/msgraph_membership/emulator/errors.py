"""Graph's error envelope and the exact messages the emulator answers with.

Every Graph error body has the shape of docs/graph-behaviour.md §0::

    {"error": {"code": "...", "message": "...",
               "innerError": {"date": "2024-05-07T15:39:39",
                              "request-id": "...", "client-request-id": "..."}}}

Messages marked ``[doc]``/``[obs]`` below are byte-exact copies of docs/graph-behaviour.md §2/§3; clients
match on them, so never reword them. Messages marked ``[inferred]`` are the emulator's own choice
where docs/graph-behaviour.md §9 says Graph's body was not found: each is defined exactly once here so tests stay stable.
"""

from __future__ import annotations

import datetime as _dt
from typing import Mapping

# --- exact messages ([doc]/[obs], docs/graph-behaviour.md §1-§3) ---------------------------------------
ALREADY_EXISTS = (
    "One or more added object references already exist for the following modified properties: '{prop}'."
)
REMOVED_DO_NOT_EXIST = (
    "One or more removed object references do not exist for the following modified properties: '{prop}'."
)
RESOURCE_NOT_FOUND = (
    "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
)
NOT_REPLICATED = "The source resource object or one of the objects being referenced do not exist."
INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation."
INVALID_URL_IN_PAYLOAD = "Invalid URL format specified in payload."
UNSUPPORTED_REFERENCE = "Unsupported referenced-object resource identifier for link property '{prop}'."
INVALID_OBJECT_ID = "Invalid object identifier '{value}'."
LAST_OWNER = "The group must have at least one owner, hence this owner cannot be removed."
NOT_SUPPORTED_ON_ENTITY_SET = "The request is currently not supported on the targeted entity set"
METHOD_NOT_ALLOWED = "Specified HTTP method is not allowed for the request target."
# docs/graph-behaviour.md §1.2/§3: observed without status/code; the trailing period is unknown, so none is added ([obs]).
TOO_MANY_LINK_CHANGES = "A resource cannot contain more than 20 link changes"

# --- token messages (docs/graph-behaviour.md §3) --------------------------------------------------
TOKEN_EMPTY = "Access token is empty."
TOKEN_EXPIRED = "Access token has expired or is not yet valid."
TOKEN_INVALID = "Access token validation failure."
TOKEN_BAD_AUDIENCE = "Access token validation failure. Invalid audience."
TOKEN_MALFORMED = "CompactToken parsing failed with error code: 80049217"
WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
)

# --- [inferred] bodies (docs/graph-behaviour.md §9): the emulator's choices, documented once ------
# Unsupported member type (docs/graph-behaviour.md §1.1 table, §3 row "member type the group cannot hold"): 400 Request_BadRequest.
UNSUPPORTED_MEMBER_TYPE = (
    "Unsupported member type: a {container} cannot contain an object of type '{member_type}' "
    "in link property '{prop}'."
)
# A group added to itself. Not in docs/graph-behaviour.md §3; treated like an unsupported member (400 Request_BadRequest).
SELF_MEMBERSHIP = "A group cannot be a member or owner of itself."
# Invalid or missing required property on create/update (docs/graph-behaviour.md §8 mailNickname rules): 400 Request_BadRequest.
INVALID_PROPERTY_VALUE = "Invalid value specified for property '{prop}' of resource 'Group'."
# Property that cannot be changed after creation (isAssignableToRole, mail, ...): 400 Request_BadRequest.
READ_ONLY_PROPERTY = "Property '{prop}' is read-only and cannot be set."
# Property unknown to the entity type: 400 BadRequest (OData layer).
UNKNOWN_PROPERTY = (
    "The property '{prop}' does not exist on type 'microsoft.graph.group'. "
    "Make sure to only use property names that are defined by the type."
)
# AU create without (or with a wrong) @odata.type (docs/graph-behaviour.md §1.8: 400, body not found): 400 BadRequest.
AU_CREATE_NEEDS_TYPE = (
    "The request body must specify \"@odata.type\": \"#microsoft.graph.group\"; "
    "only a group can be created as a member of an administrative unit."
)
# AU $ref with several references in one body (docs/graph-behaviour.md §1.7 "one member at a time"): 400 Request_BadRequest.
AU_ONE_AT_A_TIME = "Only one member can be added to an administrative unit at a time."
# Unknown path: the OData router's message.
SEGMENT_NOT_FOUND = "Resource not found for the segment '{segment}'."
# Body that is not JSON or not an object.
INVALID_JSON = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
# Paging.
PAGE_SIZE = "Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive."
BAD_TOP = "Invalid value '{value}' for $top query option found. The $top query option requires a non-negative integer value."
SKIP_NOT_SUPPORTED = "'$skip' is not supported by the service."
EXPIRED_PAGE_TOKEN = (
    "The specified page token value has expired and can no longer be included in your request."
)
UNSUPPORTED_QUERY = "Unsupported Query."
# Advanced queries on directory objects, byte-exact from
# https://learn.microsoft.com/graph/aad-advanced-queries#error-handling-for-advanced-queries-on-directory-objects
COUNT_NEEDS_EVENTUAL = "$count is not currently supported."
SEARCH_NEEDS_EVENTUAL = (
    "Request with $search query parameter only works through MSGraph with a special request header: "
    "'ConsistencyLevel: eventual'"
)
OPERATOR_NEEDS_ADVANCED = (
    "Operator '{op}' is not supported because the required parameters might be missing. Try adding "
    "$count=true query parameter and ConsistencyLevel:eventual header. Refer to "
    "https://aka.ms/graph-docs/advanced-queries for more information"
)
UNSUPPORTED_FILTER_PROPERTY = (
    "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{resource}'."
)
# $orderby on a property the listing does not sort by, or sorts only in advanced queries
# (https://learn.microsoft.com/graph/aad-advanced-queries, "Support for sorting"): 400 Request_UnsupportedQuery ([inferred]).
SORT_NOT_SUPPORTED = "Sorting not supported for current query."
INVALID_ORDERBY = "Invalid $orderby expression: '{value}'."
# A type cast to a type the relationship cannot hold, e.g. /groups/{id}/transitiveMembers/microsoft.graph.administrativeUnit:
# 400 Request_UnsupportedQuery ([inferred] wording).
UNSUPPORTED_CAST = "The type cast '{cast}' is not supported on the '{nav}' relationship."
# A $filter that does not parse: the OData layer's 400 (the wording after the colon is the emulator's).
INVALID_FILTER = "Invalid filter clause: {detail}"
TOO_MANY_IN_VALUES = ("Too many values in an 'in' expression: {n}. Max allowed: {limit} without the advanced query "
                      "parameters.")
# $select/$expand naming a property the type does not have (the OData layer's message).
UNKNOWN_PROPERTY_ON_TYPE = "Could not find a property named '{prop}' on type 'microsoft.graph.{type}'."
# checkMemberGroups (docs/graph-behaviour.md §1.6: "up to a maximum of 20 groups per request").
TOO_MANY_GROUP_IDS = "The number of group ids in the request exceeds the limit of 20."
TOO_MANY_IDS = "The number of ids in the request exceeds the limit of {limit}."
# $batch (docs/graph-behaviour.md §4.3): malformed batches fail as a whole with 400 BadRequest.
BATCH_TOO_MANY = "Number of batch requests exceeds the limit of 20."
BATCH_DUPLICATE_ID = "Batch request contains duplicate request id '{id}'."
BATCH_NO_CONTENT_TYPE = "Write request id : {id} does not contain Content-Type header or body."
BATCH_BAD_DEPENDS_ON = "Request id '{id}' depends on an unknown request id '{dep}'."
BATCH_INVALID = "Invalid batch payload format."
BATCH_ITEM_URL = "Invalid request URL '{url}' for batch request id '{id}'."
FAILED_DEPENDENCY = "Request depends on a request that failed."
# A batch where some items use dependsOn and more than one does not ([obs]: Graph's answer quoted on
# Microsoft Q&A, https://learn.microsoft.com/en-us/answers/questions/1532547/regarding-batching-response-order).
BATCH_MIXED = "Batch should be either fully sequential or fully parallel"
# Faults (docs/graph-behaviour.md §4.1): gateway-style bodies.
THROTTLED = (
    "Too many requests from Identifier:{app}+{tenant} under category:throttle.aad.ctp.ts.ru. "
    "Please try again later."
)
UNAVAILABLE = "Service is unavailable. Please try again later."
GATEWAY_TIMEOUT = "The gateway did not receive a response from the service in time."

GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


def graph_date(now: float | None = None) -> str:
    """UTC ISO-8601 without zone suffix or fractional seconds (docs/graph-behaviour.md §0)."""
    t = _dt.datetime.now(_dt.timezone.utc) if now is None else _dt.datetime.fromtimestamp(now, _dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S")


class GraphError(Exception):
    """A Graph error response; raised anywhere in a handler, rendered once by the dispatcher."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def envelope(code: str, message: str, request_id: str, client_request_id: str) -> dict:
    """The docs/graph-behaviour.md §0 error body."""
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": graph_date(),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


# Shorthands for the common errors; each returns a GraphError to ``raise``.
def not_found(obj_id: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound", RESOURCE_NOT_FOUND.format(id=obj_id))


def denied() -> GraphError:
    return GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES)


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    return GraphError(400, code, message)


def unauthorized(message: str) -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", message, {"WWW-Authenticate": WWW_AUTHENTICATE})
