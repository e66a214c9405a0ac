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

Writes go in `$batch`es of 20 (writes.py ``_send_refs``). The listing is one of the client's
(listings.py, kind UNIT_ROLES, container `UnitRole`): kept briefly, so a preview's check, diff and
read share one request, and kept current by the writes here through the journal of our own
writes, like a group's members.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from . import errors as E
from .rules import UNIT_ROLES, UnitRole
from .writes import WriteReport

if TYPE_CHECKING:
    from .client import GraphClient

PATH = "/roleManagement/directory/roleAssignments"
CONFLICT = "A conflicting object with one or more of the specified property values is present in the directory"
ROW_TYPE = "roleAssignment"  # a holder's type in the listing: it does not say the principal's kind


def scope(unit_id: str) -> str:
    return f"/administrativeUnits/{unit_id}"


def fetch_holders(client: "GraphClient", key: UnitRole, max_age_s: float) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh listing of the role's holders at the unit, as listings.py keeps it: principal id ->
    ROW_TYPE, and principal id -> assignment id. NotFound when the unit is gone (Graph lists no
    assignments for a unit that does not exist, so the unit is read, at most `max_age_s` old, when
    there are none)."""
    listed = list(client.t.pages(PATH, {"$filter": f"directoryScopeId eq '{scope(key.unit)}'"}))
    if not listed and client.get_unit(key.unit, max_age_s=max_age_s) is None:
        raise E.NotFound(f"administrative unit {key.unit} does not exist", status=404)
    links = {a["principalId"].lower(): a["id"] for a in listed
             if str(a.get("roleDefinitionId", "")).lower() == key.role and a.get("directoryScopeId") == scope(key.unit)}
    return dict.fromkeys(links, ROW_TYPE), links


def holders(client: "GraphClient", key: UnitRole, *, max_age_s: Optional[float] = None) -> dict[str, str]:
    """Principal id -> assignment id of the role at the unit's scope (the client's listing, our
    own writes applied). NotFound when the unit is gone."""
    return client.link_ids(UNIT_ROLES, key, max_age_s=max_age_s)


def assign(client: "GraphClient", key: UnitRole, principal_ids: Sequence[str]) -> WriteReport:
    """Assign the role at the unit's scope to each principal; already assigned counts as unchanged."""
    report = WriteReport()
    if not principal_ids:
        return report
    body = {"@odata.type": "#microsoft.graph.unifiedRoleAssignment", "roleDefinitionId": key.role,
            "directoryScopeId": scope(key.unit)}
    answers = client._send_refs("POST", {p: (PATH, {**body, "principalId": p}) for p in principal_ids})
    created: dict[str, str] = {}
    for p, resp in answers.items():
        if resp is not None and resp.status == 400 and CONFLICT in str(E.error_fields(resp.body)[1] or ""):
            report.unchanged.add(p)
        elif report.file(p, resp, "POST", PATH, ()) is None and isinstance(resp.body, dict) and resp.body.get("id"):
            created[p] = resp.body["id"]
    client._record(UNIT_ROLES, key, report.done | report.unchanged, True, created)
    return report


def unassign(client: "GraphClient", key: UnitRole, assignments: dict[str, str]) -> WriteReport:
    """Delete the assignments (principal id -> assignment id); already gone counts as unchanged."""
    if not assignments:
        return WriteReport()
    report = client._delete_refs({p: f"{PATH}/{a}" for p, a in assignments.items()})
    client._record(UNIT_ROLES, key, report.done | report.unchanged, False)
    return report
