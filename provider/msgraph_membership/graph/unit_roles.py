"""Who holds one Entra role at one administrative unit's scope, through Graph's role-management
API (docs/graph-behaviour.md, "Role assignments at a unit's scope"): list, assign, unassign.

- list: ``GET /roleManagement/directory/roleAssignments?$filter=directoryScopeId eq
  '/administrativeUnits/{id}'`` (one paged listing for the unit, every role; the role is picked
  here), https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments;
- assign: ``POST /roleManagement/directory/roleAssignments`` with ``principalId``,
  ``roleDefinitionId`` (the role's template id) and ``directoryScopeId``, 201 with the assignment,
  https://learn.microsoft.com/graph/api/rbacapplication-post-roleassignments; a second identical
  assignment is refused with 400 "A conflicting object ...", which counts as already so;
- unassign: ``DELETE /roleManagement/directory/roleAssignments/{id}``, 204; 404 counts as already
  gone, https://learn.microsoft.com/graph/api/unifiedroleassignment-delete.

Writes go in `$batch`es of 20 (writes.py ``_send_refs``). A listing is kept briefly per unit, so a
preview's check, diff and read share one request; a write drops it.
"""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Sequence

from . import errors as E
from .writes import WriteReport

if TYPE_CHECKING:
    from .client import GraphClient

PATH = "/roleManagement/directory/roleAssignments"
CONFLICT = "A conflicting object with one or more of the specified property values is present in the directory"
KEEP_S = 30.0  # how long a listing serves reads that accept one not fresh
_lock = threading.RLock()


def scope(unit_id: str) -> str:
    return f"/administrativeUnits/{unit_id}"


def _cache(client: "GraphClient") -> dict:
    with _lock:
        found = getattr(client, "_unit_role_listings", None)
        if found is None:
            found = client._unit_role_listings = {}
        return found


def holders(client: "GraphClient", unit_id: str, role_id: str, *, max_age_s: float | None = None) -> dict[str, str]:
    """Principal id -> assignment id of `role_id` at the unit's scope. NotFound when the unit is gone
    (Graph lists no assignments for a unit that does not exist, so the unit is read when there are none)."""
    cache = _cache(client)
    age = KEEP_S if max_age_s is None else max_age_s
    with _lock:
        kept = cache.get(unit_id)
    if kept is None or time.monotonic() - kept[0] > age:
        listed = list(client.t.pages(PATH, {"$filter": f"directoryScopeId eq '{scope(unit_id)}'"}))
        if not listed and client.get_unit(unit_id, max_age_s=age) is None:
            raise E.NotFound(f"administrative unit {unit_id} does not exist", status=404)
        kept = (time.monotonic(), listed)
        with _lock:
            cache[unit_id] = kept
    return {a["principalId"].lower(): a["id"] for a in kept[1]
            if str(a.get("roleDefinitionId", "")).lower() == role_id and a.get("directoryScopeId") == scope(unit_id)}


def _forget(client: "GraphClient", unit_id: str) -> None:
    with _lock:
        _cache(client).pop(unit_id, None)


def assign(client: "GraphClient", unit_id: str, role_id: str, principal_ids: Sequence[str]) -> WriteReport:
    """Assign the role at the unit's scope to each principal; already assigned counts as unchanged."""
    report = WriteReport()
    if not principal_ids:
        return report
    body = {"@odata.type": "#microsoft.graph.unifiedRoleAssignment", "roleDefinitionId": role_id,
            "directoryScopeId": scope(unit_id)}
    answers = client._send_refs("POST", {p: (PATH, {**body, "principalId": p}) for p in principal_ids})
    _forget(client, unit_id)
    for p, resp in answers.items():
        if resp is not None and resp.status == 400 and CONFLICT in str(E.error_fields(resp.body)[1] or ""):
            report.unchanged.add(p)
        else:
            report.file(p, resp, "POST", PATH, ())
    return report


def unassign(client: "GraphClient", unit_id: str, assignments: dict[str, str]) -> WriteReport:
    """Delete the assignments (principal id -> assignment id); already gone counts as unchanged."""
    if not assignments:
        return WriteReport()
    report = client._delete_refs({p: f"{PATH}/{a}" for p, a in assignments.items()})
    _forget(client, unit_id)
    return report
