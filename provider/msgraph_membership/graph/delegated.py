"""Who is signed in, and what the directory says they may change: checked at preview.

Owns the provider's reasoning about a person signed in (a delegated token, e.g. from
``az login``: ``idtyp`` user, ``scp`` scopes) and about restricted-management administrative
units (which refuse applications too). A write Graph would refuse for a reason the directory
already shows fails at preview, naming who is signed in, what they lack and what would do:

- group members (https://learn.microsoft.com/graph/api/group-post-members): an owner of the group,
  or a role that covers it (Directory Writers, Groups Administrator, Identity Governance
  Administrator, User Administrator; Exchange, SharePoint, Teams, Yammer Administrators for
  Microsoft 365 groups; Intune Administrator for security groups; Privileged Role Administrator
  for a role-assignable group) at the tenant or at an administrative unit that holds the group;
- unit members (https://learn.microsoft.com/graph/api/administrativeunit-post-members):
  Privileged Role Administrator;
- a group created in a unit: Groups Administrator or User Administrator at the unit's scope;
- a group in a restricted-management unit: only an administrator assigned at that unit's scope;
  neither tenant-wide roles nor group owners nor application permissions
  (https://learn.microsoft.com/entra/identity/role-based-access-control/admin-units-restricted-management).

Extra requests, each made once per process and cached: the person's role assignments
(``GET /roleManagement/directory/roleAssignments?$filter=principalId eq '{id}'``, one), and per
group its owners (``GET /groups/{id}/owners``, people only) and the units that hold it
(``GET /groups/{id}/memberOf``, people and apps). A read Graph
refuses (403) skips the check: Graph still judges the write itself.
"""
from __future__ import annotations

import base64
import json
import threading

from . import errors as E
from .errors import docs_link

from .entra_roles import GROUP_IN_UNIT, NAMES as ROLE_NAMES, ROLE_ASSIGNERS, TENANT, UNIT_MEMBERS, group_member_roles
from .entra_roles import unit_scope as _scope


def token_claims(token: str) -> dict:
    """The claims of the token we hold (read, not verified: Graph verifies it)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def add_person_note(err: E.GraphError, token: str) -> E.GraphError:
    """A 403 to a person signed in names them and their tenant-wide roles (the token's ``wids``),
    and says what Graph judged: their roles, ownership and unit-scoped roles, not app permissions.
    Once, in place; returns `err`."""
    claims = token_claims(token)
    if not isinstance(err, E.Forbidden) or getattr(err, "person_note", None) is not None or (
            claims.get("idtyp") != "user" and "scp" not in claims):
        return err
    name = claims.get("upn") or claims.get("unique_name") or claims.get("oid", "a person")
    roles = [ROLE_NAMES.get(r, r) for r in claims.get("wids") or ()]
    err.person_note = (f"signed in as {name} (a person, holding {', '.join(roles) or 'no tenant-wide Entra role'}): "
                       "Graph judged the write on their Entra roles, group ownership and unit-scoped roles, not on "
                       "application permissions: an owner of the group, or a role that covers it (e.g. Groups "
                       "Administrator) at the tenant or at an administrative unit that holds it; Privileged Role "
                       "Administrator for unit members" + docs_link("permissions.md"))
    err.args = (f"{err.args[0]}\n{err.person_note}" if err.args else err.person_note, *err.args[1:])
    return err


def _names(role_ids) -> str:
    return " or ".join(ROLE_NAMES[r] for r in role_ids)


class SignedIn:
    """The caller as its token shows it, and the directory reads the checks need (cached)."""

    def __init__(self, client):
        self.client = client
        self._lock = threading.Lock()
        self._cache: dict[tuple, object] = {}

    def _cached(self, key: tuple, fetch):
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = fetch()
        with self._lock:
            self._cache[key] = value
        return value

    @property
    def _transport(self):
        """The client's transport; a client without one (a test's stand-in) reads nothing."""
        return getattr(self.client, "t", None)

    @property
    def claims(self) -> dict:
        return token_claims(self._transport.credential.get_token()) if self._transport is not None else {}

    def person(self) -> tuple[str, str] | None:
        """(object id, name) of the person signed in, or None for an application."""
        c = self.claims
        if c.get("idtyp") != "user" and "scp" not in c:
            return None
        return str(c.get("oid", "")).lower(), c.get("upn") or c.get("unique_name") or c.get("oid", "")

    def _read(self, path: str, params: dict | None = None) -> list[dict] | None:
        if self._transport is None:
            return None
        try:
            return list(self._transport.pages(path, params))
        except (E.Forbidden, E.NotFound):
            return None

    def assignments(self, oid: str) -> list[dict] | None:
        return self._cached(("roles", oid), lambda: self._read(
            "/roleManagement/directory/roleAssignments", {"$filter": f"principalId eq '{oid}'"}))

    def owners(self, group_id: str) -> set[str] | None:
        found = self._cached(("owners", group_id), lambda: self._read(f"/groups/{group_id}/owners",
                                                                       {"$select": "id"}))
        return None if found is None else {o["id"].lower() for o in found}

    def units_of(self, group_id: str) -> list[dict] | None:
        """The units holding the group: its memberOf, units only (a type cast there would be an
        advanced query, https://learn.microsoft.com/graph/api/group-list-memberof)."""
        found = self._cached(("units", group_id), lambda: self._read(f"/groups/{group_id}/memberOf"))
        return None if found is None else [o for o in found
                                           if o.get("@odata.type") == "#microsoft.graph.administrativeUnit"]

    # -- the checks ---------------------------------------------------------------------------
    def _roles_text(self, held: list[dict]) -> str:
        if not held:
            return "no Entra role"
        shown = [f"{ROLE_NAMES.get(a['roleDefinitionId'], a['roleDefinitionId'])}"
                 + ("" if a["directoryScopeId"] == TENANT else f" scoped to {a['directoryScopeId']}") for a in held]
        return "the roles " + ", ".join(shown)

    def group_members_problem(self, group) -> str | None:
        """Why the caller cannot change this group's members, when the directory shows it."""
        units = self.units_of(group.id)
        restricted = [u for u in units or () if u.get("isMemberManagementRestricted")]
        who = self.person()
        if who is None:
            if restricted:
                names = ", ".join(f"{u['id']} ({u.get('displayName')})" for u in restricted)
                return (f"{group.label} is in the restricted-management administrative unit {names}: only "
                        "administrators assigned at that unit's scope can change it, and application permissions "
                        "do not count (not even Directory.ReadWrite.All); sign in as a person who holds Groups "
                        "Administrator scoped to that unit, or manage a group outside it")
            return None
        oid, name = who
        held = self.assignments(oid)
        if held is None or units is None:
            return None
        wanted = group_member_roles(role_assignable=group.is_assignable_to_role, unified=group.is_unified,
                                    security=group.security_enabled)
        if restricted:
            scopes = {_scope(u["id"]) for u in restricted}
            if any(a["roleDefinitionId"] in wanted and a["directoryScopeId"] in scopes for a in held):
                return None
            unit = restricted[0]
            return (f"{name} (signed in) cannot change the members of {group.label}: it is in the "
                    f"restricted-management administrative unit {unit['id']} ({unit.get('displayName')}), where only "
                    f"administrators assigned at that unit's scope may change it, and {name} holds "
                    f"{self._roles_text(held)} (tenant-wide roles and group ownership do not count there); "
                    f"what would do: Groups Administrator assigned at {_scope(unit['id'])}")
        scopes = {TENANT} | {_scope(u["id"]) for u in units}
        if any(a["roleDefinitionId"] in wanted and a["directoryScopeId"] in scopes for a in held):
            return None
        if not group.is_assignable_to_role:
            owners = self.owners(group.id)
            if owners is None or oid in owners:
                return None
        unit_scoped = [a for a in held if a["roleDefinitionId"] in wanted and a["directoryScopeId"] != TENANT]
        where = (f"; their {_names([unit_scoped[0]['roleDefinitionId']])} role is scoped to "
                 f"{', '.join(sorted({a['directoryScopeId'] for a in unit_scoped}))}, which does not hold this group"
                 if unit_scoped else "")
        need = (f"{_names(wanted[:1])} (and RoleManagement.ReadWrite.Directory in the token), as the group is "
                "role-assignable" if group.is_assignable_to_role else
                f"ownership of the group, or {_names(wanted[:4])} at the tenant or at an administrative unit that "
                "holds the group")
        return (f"{name} (signed in) cannot change the members of {group.label}: not an owner of this group and "
                f"holds {self._roles_text(held)}, none of which covers it{where}; what would do: {need}")

    def _unit_problem(self, roles, scopes, doing: str, need: str) -> str | None:
        """Why the person cannot do `doing`, lacking every role of `roles` at `scopes`; None for an app."""
        who = self.person()
        if who is None:
            return None
        held = self.assignments(who[0])
        if held is None or any(a["roleDefinitionId"] in roles and a["directoryScopeId"] in scopes for a in held):
            return None
        return f"{who[1]} (signed in) cannot {doing}: holds {self._roles_text(held)}; what would do: {need}"

    def unit_members_problem(self, unit_id: str) -> str | None:
        return self._unit_problem(UNIT_MEMBERS, (TENANT,), f"change the members of administrative unit {unit_id}",
                                  "Privileged Role Administrator")

    def role_assign_problem(self, unit_id: str) -> str | None:
        """Assigning a role at a unit's scope, as a person: RoleManagement.ReadWrite.Directory among
        the token's scopes (Directory.AccessAsUser.All does not stand in for it) and Privileged Role
        Administrator (https://learn.microsoft.com/graph/api/rbacapplication-post-roleassignments)."""
        doing = f"assign roles at administrative unit {unit_id}"
        who = self.person()
        if who is not None and "RoleManagement.ReadWrite.Directory" not in str(self.claims.get("scp", "")).split():
            return (f"{who[1]} (signed in) cannot {doing}: the token's delegated scopes lack "
                    "RoleManagement.ReadWrite.Directory, the only permission that creates role assignments (the "
                    "Azure CLI's tokens do not carry it); sign in through a client granted it, or run as an app")
        return self._unit_problem(ROLE_ASSIGNERS, (TENANT,), doing, "Privileged Role Administrator")

    def group_in_unit_problem(self, unit_id: str) -> str | None:
        return self._unit_problem(GROUP_IN_UNIT, (TENANT, _scope(unit_id)),
                                  f"create a group in administrative unit {unit_id}",
                                  f"Groups Administrator or User Administrator at {_scope(unit_id)} (or tenant-wide)")


_signed_in_lock = threading.Lock()


def signed_in(client) -> SignedIn:
    """The one ``SignedIn`` of a client: its cache lives as long as the client (one a process)."""
    with _signed_in_lock:
        found = getattr(client, "_signed_in", None)
        if found is None:
            found = client._signed_in = SignedIn(client)
        return found
