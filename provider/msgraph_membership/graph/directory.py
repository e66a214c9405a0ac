"""Directory objects: their types (`getByIds`, with concurrent lookups sharing one request),
groups and administrative units and their properties, the app roles our token carries, and
groups created in a unit, found again by their `uniqueName` when a create's outcome is unknown.
Part of `GraphClient` (client.py).
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable
from urllib.parse import quote

from . import delegated, errors as E
from .coalesce import Coalescer
from .rules import GROUPS, OWNERS, UNITS, GroupInfo, odata_type_to_member_type, with_implied

log = logging.getLogger("msgraph_membership.graph")

GET_BY_IDS_LIMIT = 1000  # docs/graph-behaviour.md §1.6


class Directory:
    """Reads of directory objects, and the groups this provider creates in units."""

    def _init_directory(self) -> None:
        self._lookup = Coalescer(self._fetch_types)  # getByIds of concurrent callers, one request

    def ref(self, object_id: str) -> str:
        """The @odata.id of a directory object, on the configured Graph host (docs/graph-behaviour.md §2)."""
        return f"{self.t.graph_url}/directoryObjects/{object_id}"

    def get_group(self, group_id: str, *, max_age_s: float = 60.0) -> GroupInfo | None:
        """The group's properties that decide what Graph allows, or None when it does not exist."""
        hit = self.known.group(group_id, max_age_s)
        if hit is not None:
            return hit
        try:
            d = self.t.request("GET", f"/groups/{group_id}", params={"$select": GroupInfo.SELECT}).body
        except E.NotFound:
            return None
        info = GroupInfo.from_graph(d)
        self.known.learn_group(group_id, info)
        return info

    def get_groups(self, group_ids: Iterable[str]) -> dict[str, GroupInfo | None]:
        """`get_group` for many groups, a bounded number at a time."""
        ids = list(dict.fromkeys(group_ids))
        return dict(zip(ids, self.t.map_bounded(self.get_group, ids)))

    def get_group_raw(self, group_id: str) -> dict | None:
        try:
            return self.t.request("GET", f"/groups/{group_id}").body
        except E.NotFound:
            return None

    def get_unit(self, unit_id: str, *, max_age_s: float = 60.0) -> dict | None:
        """The unit's properties, or None when it does not exist."""
        hit = self.known.unit(unit_id, max_age_s)
        if hit is not None:
            return hit
        try:
            unit = self.t.request("GET", f"/directory/administrativeUnits/{unit_id}").body
        except E.NotFound:
            return None
        self.known.learn_unit(unit_id, unit)
        return unit

    def object_types(self, ids: Iterable[str]) -> dict[str, str]:
        """id -> member type for the ids that exist (absent ids do not exist), via getByIds;
        lookups from concurrent calls share one request."""
        ids = list(dict.fromkeys(ids))
        out = self.known.types_of(ids)
        missing = [i for i in ids if i not in out]
        if missing:
            out.update(self._lookup(missing))
        return out

    def _fetch_types(self, ids: list[str]) -> dict[str, str]:
        chunks = [ids[i:i + GET_BY_IDS_LIMIT] for i in range(0, len(ids), GET_BY_IDS_LIMIT)]

        def fetch(chunk: list[str]) -> dict[str, str]:
            body = self.t.request("POST", "/directoryObjects/getByIds",
                                  json={"ids": chunk, "types": ["user", "group", "device",
                                                                "servicePrincipal", "orgContact"]}).body
            found = {}
            for o in (body or {}).get("value", []):
                t = odata_type_to_member_type(o.get("@odata.type"))
                if o.get("id") and t:
                    found[o["id"]] = t
                    # getByIds returns a group's groupTypes: its type and kind, recorded at once.
                    unified = "Unified" in (o.get("groupTypes") or ()) if t == "group" else None
                    self.known.learn_type(o["id"], t, unified=unified)
            return found

        out: dict[str, str] = {}
        for found in self.t.map_bounded(fetch, chunks):
            out.update(found)
        return out

    def app_roles(self) -> set[str] | None:
        """The application permissions in our token (its `roles` claim), or None when the token
        does not say (a delegated token from the Azure CLI carries scopes, not roles). Read
        from the token we already hold: no extra call, and no signature needed to read a claim
        that Graph itself will enforce."""
        roles = delegated.token_claims(self.t.credential.get_token()).get("roles")
        return with_implied(roles) if isinstance(roles, list) else None

    def write_permission_problem(self, group: GroupInfo) -> str | None:
        """Why our token cannot change this group's members, when the token or the directory
        says so (who is signed in and their roles, restricted-management units: delegated.py)."""
        roles = self.app_roles()
        if not group.is_assignable_to_role or roles is None or roles & {"RoleManagement.ReadWrite.Directory"}:
            return delegated.signed_in(self).group_members_problem(group)
        return (f"{group.label} is role-assignable: changing its members needs the application "
                "permission RoleManagement.ReadWrite.Directory (with admin consent), which the app's "
                "token does not carry; grant it, or manage a group that is not role-assignable")

    def is_unified_group(self, object_id: str) -> bool:
        """Whether an object is a Microsoft 365 group. What this process does not know yet is
        looked up: the object's type (getByIds, which also gives a group's kind), then, for a
        group whose kind is still unknown (its type came from a listing), the group."""
        kind = self.known.unified(object_id)
        if kind is not None:
            return kind
        if self.known.type_of(object_id) is None:
            try:
                self.object_types([object_id])
            except E.Forbidden:  # getByIds needs Directory.Read.All; a group can still be read as a group
                info = self.get_group(object_id)
                return bool(info and info.is_unified)
            kind = self.known.unified(object_id)
            if kind is not None:
                return kind
        if self.known.type_of(object_id) == "group":
            info = self.get_group(object_id)
            return bool(info and info.is_unified)
        return False

    def container_exists(self, kind: str, container_id: str) -> bool:
        if kind in (GROUPS, OWNERS):
            return self.get_group(container_id, max_age_s=0) is not None
        return self.get_unit(container_id) is not None

    def create_group_in_unit(self, unit_id: str, properties: dict) -> tuple[dict, bool]:
        """Create a group inside a unit (docs/graph-behaviour.md §1.8) and return it once Graph
        shows it, with whether it was adopted (found by its unique name) rather than created.

        Creating is not idempotent, so the group carries a `uniqueName` (unique in the tenant,
        https://learn.microsoft.com/graph/api/group-upsert): when the outcome of a create is
        unknown (its answer was lost, or an earlier process died before recording it), the group
        is looked up by that exact key and adopted, and a create is only ever sent again under the
        same key, which Graph refuses once a group holds it. Without a `uniqueName` an unknown
        outcome is reported (AmbiguousWrite), never resolved by sending again."""
        body = {"@odata.type": "#microsoft.graph.group", **properties}
        unique = properties.get("uniqueName")
        path = f"/directory/administrativeUnits/{unit_id}/members"

        def post() -> dict:
            return self._with_lag_retry(lambda: self.t.request("POST", path, json=body, idempotent=False),
                                        retry_not_found=True).body

        adopted = False
        try:
            group = post()
        except (E.AmbiguousWrite, E.UniqueNameTaken) as e:
            if not unique:
                raise
            log.info("unit %s: %s; looking the group up by its unique name", unit_id,
                     "the create's answer was lost" if isinstance(e, E.AmbiguousWrite) else "the unique name is taken")
            group, adopted = self._adopt_by_unique_name(unit_id, unique, post, taken=isinstance(e, E.UniqueNameTaken))
        self.known.learn_type(group["id"], "group", unified="Unified" in (group.get("groupTypes") or ()))
        self._record(UNITS, unit_id, [group["id"]], True)
        # Like azuread after creating a group: return only once Graph shows it, so the resources
        # that use its id next (their check, their first write) do not meet a 404.
        # Replication takes seconds, not milliseconds: looked at again, it is after 2 s.
        if self.wait_for(lambda: self.get_group(group["id"], max_age_s=0),
                         total_s=self.consistency.lag_retry_total_s, first_delay_s=2.0) is None:
            log.warning("group %s was created but Graph does not show it yet", group["id"])
        return group, adopted

    def group_by_unique_name(self, unique_name: str) -> dict | None:
        """The group whose uniqueName is exactly `unique_name`, or None (`GET /groups(uniqueName='…')`)."""
        key = unique_name.replace("'", "''")
        try:
            return self.t.request("GET", f"/groups(uniqueName='{quote(key, safe='')}')").body
        except E.NotFound:
            return None

    def _adopt_by_unique_name(self, unit_id: str, unique: str, post: Callable[[], dict], *,
                              taken: bool) -> tuple[dict, bool]:
        """The group holding `unique`, after a create whose outcome is unknown (`taken`: Graph
        said the name is held). Looked up by the exact key: found, it is adopted; not found
        after a lost answer, the create is sent again under the same key, which Graph refuses
        if the first one landed; once the name is known to be held, the lookup waits out
        replication lag. The group must be in the unit: one elsewhere with this name is
        somebody else's, and is not taken over. Returns the group and whether it was found (True)
        or created by the create sent again (False)."""
        for _ in range(3):
            found = (self.wait_for(lambda: self.group_by_unique_name(unique),
                                   total_s=self.consistency.fresh_object_wait_s, first_delay_s=1.0)
                     if taken else self.group_by_unique_name(unique))
            if found is not None:
                if self.missing_after_wait(UNITS, unit_id, [found["id"]]):
                    raise E.UniqueNameTaken(
                        f"group {found['id']} outside administrative unit {unit_id} already has the unique name "
                        f"{unique!r}; give this resource another unique_name", code="UniqueNameTaken")
                log.info("unit %s: adopting group %s, found by its unique name", unit_id, found["id"])
                return found, True
            try:
                return post(), False  # the key makes a second group impossible
            except E.AmbiguousWrite:
                taken = False
            except E.UniqueNameTaken:
                taken = True
        raise E.Unavailable(f"administrative unit {unit_id}: could not learn whether the group with unique name "
                            f"{unique!r} was created; run the update again: it finds the group by that name")

    def update_group(self, group_id: str, patch: dict) -> None:
        self._with_lag_retry(lambda: self.t.request("PATCH", f"/groups/{group_id}", json=patch))
        self.known.forget_group(group_id)

    def delete_group(self, group_id: str) -> bool:
        try:
            self.t.request("DELETE", f"/groups/{group_id}")
            self.known.forget_group(group_id)
            return True
        except E.NotFound:
            return False
