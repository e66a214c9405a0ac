"""JSON batching: ``POST /{version}/$batch`` (docs/graph-behaviour.md §4.3).

- At most 20 requests; ids unique (case-insensitive); ``headers`` with ``Content-Type`` required
  when a ``body`` is present; ``dependsOn`` names earlier ids, and a batch is fully parallel (no
  ``dependsOn``) or fully sequential (every item but the first has one). Any of these wrong fails
  the whole batch with 400 ``BadRequest``.
- Each item runs as its own Graph call with the outer token (so the outer token's permissions
  apply per item), its own fault draw (a throttled item carries its own ``Retry-After``) and its
  own transaction (items are not atomic together).
- An item whose dependency failed gets 424. Responses are correlated by ``id`` and deliberately
  *not* in request order, so a client that assumes the order breaks here rather than in production.
"""

from __future__ import annotations

import random
from typing import Callable

from . import errors
from .errors import GraphError

MAX_REQUESTS = 20
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")

# run_item(method, relative_url, headers, body_bytes) -> (status, headers, body)
ItemRunner = Callable[[str, str, dict, bytes], tuple[int, dict, object]]


def _bad(message: str) -> GraphError:
    return errors.bad_request(message, code="BadRequest")


def _validate(doc) -> list[dict]:
    if not isinstance(doc, dict) or not isinstance(doc.get("requests"), list):
        raise _bad(errors.BATCH_INVALID)
    items = doc["requests"]
    if not items:
        raise _bad(errors.BATCH_INVALID)
    if len(items) > MAX_REQUESTS:
        raise _bad(errors.BATCH_TOO_MANY)
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), (str, int)) \
                or not isinstance(item.get("method"), str) or not isinstance(item.get("url"), str):
            raise _bad(errors.BATCH_INVALID)
        key = str(item["id"]).lower()
        if key in seen:
            raise _bad(errors.BATCH_DUPLICATE_ID.format(id=item["id"]))
        seen.add(key)
        if item.get("body") is not None:
            headers = item.get("headers")
            if not isinstance(headers, dict) or not any(k.lower() == "content-type" for k in headers):
                raise _bad(errors.BATCH_NO_CONTENT_TYPE.format(id=item["id"]))
    # Either no item depends on another (parallel) or all but the first in the chain do (sequential):
    # "Batch should be either fully sequential or fully parallel" (errors.BATCH_MIXED).
    independent = sum(1 for item in items if not item.get("dependsOn"))
    if independent not in (len(items), 1):
        raise _bad(errors.BATCH_MIXED)
    for item in items:
        deps = item.get("dependsOn") or []
        if not isinstance(deps, list):
            raise _bad(errors.BATCH_INVALID)
        for dep in deps:
            if str(dep).lower() not in seen or str(dep).lower() == str(item["id"]).lower():
                raise _bad(errors.BATCH_BAD_DEPENDS_ON.format(id=item["id"], dep=dep))
    return items


def _order(items: list[dict]) -> list[dict]:
    """Items in an order that runs every dependency first; 400 on a cycle."""
    by_id = {str(i["id"]).lower(): i for i in items}
    done: list[dict] = []
    state: dict[str, int] = {}

    def visit(key: str) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            raise _bad(errors.BATCH_BAD_DEPENDS_ON.format(id=by_id[key]["id"], dep=key))
        state[key] = 1
        for dep in by_id[key].get("dependsOn") or []:
            visit(str(dep).lower())
        state[key] = 2
        done.append(by_id[key])

    for item in items:
        visit(str(item["id"]).lower())
    return done


def _shuffled(responses: list[dict]) -> list[dict]:
    """A deterministic order that differs from the request order whenever there are 2+ items."""
    if len(responses) < 2:
        return responses
    out = list(responses)
    random.Random(",".join(r["id"] for r in responses)).shuffle(out)
    if [r["id"] for r in out] == [r["id"] for r in responses]:
        out = out[1:] + out[:1]
    return out


def run_batch(doc, run_item: ItemRunner) -> dict:
    """The ``{"responses": [...]}`` body of a batch; raises ``GraphError`` for a malformed batch."""
    import json

    items = _validate(doc)
    ordered = _order(items)
    status_by_id: dict[str, int] = {}
    results: dict[str, dict] = {}
    for item in ordered:
        key = str(item["id"]).lower()
        deps = [str(d).lower() for d in item.get("dependsOn") or []]
        if any(status_by_id.get(d, 0) >= 400 for d in deps):
            status, headers, body = 424, {"Content-Type": "application/json"}, {
                "error": {"code": "FailedDependency", "message": errors.FAILED_DEPENDENCY}}
        else:
            method = item["method"].upper()
            url = item["url"]
            if method not in METHODS or "://" in url:
                status, headers, body = 400, {"Content-Type": "application/json"}, {
                    "error": {"code": "BadRequest", "message": errors.BATCH_ITEM_URL.format(url=url, id=item["id"])}}
            else:
                raw = item.get("body")
                body_bytes = b"" if raw is None else (raw.encode() if isinstance(raw, str) else json.dumps(raw).encode())
                item_headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
                status, headers, body = run_item(method, url, item_headers, body_bytes)
        status_by_id[key] = status
        entry = {"id": str(item["id"]), "status": status, "headers": headers}
        if body is not None:
            entry["body"] = body
        results[key] = entry
    return {"responses": _shuffled([results[str(i["id"]).lower()] for i in items])}
