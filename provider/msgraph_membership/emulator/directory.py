"""The directory model: what a Graph call may see and do, with no HTTP in it (docs/graph-behaviour.md §1, §5).

``Directory`` holds the rules; the handlers (responses.py) translate HTTP to its methods and back.
It is assembled from the rule sets of each part of the directory:

- here: who may read what, replication lag (docs/graph-behaviour.md §5), reads of objects,
  ``getByIds``, ``$expand``, transitive memberships and the membership checks (§1.6);
- groups.py ``GroupRules``: creating, updating, deleting groups, their alternate key ``uniqueName``;
- links.py ``LinkRules``: members and owners of groups and administrative units (§1.1-§1.4, §1.9);
- units.py ``UnitRules``: administrative units (§1.7, §1.8);
- roles.py ``RoleRules``: Entra roles, and what a signed-in person may change;
- role_assignments.py ``RoleAssignmentRules``: role assignments through the role-management API.

Every method takes the ``Caller`` (token claims and the clock); a request body arrives as a
``Payload`` that is read only when a rule needs it, so errors keep the precedence of
docs/graph-behaviour.md §3: the path's container (400 invalid id / 404), then 403, then the body.
"""

from __future__ import annotations

from typing import Callable, NoReturn

from . import errors, odata, odata_query, query_support as qs, rules
from .groups import GroupRules
from .links import LinkRules
from .model import Caller, Listing, Payload, Query
from .role_assignments import RoleAssignmentRules
from .roles import RoleRules
from .store import Obj, Store
from .units import UnitRules

GET_BY_IDS_LIMIT = 1000  # docs/graph-behaviour.md §1.6
# checkMemberGroups and checkMemberObjects: "up to 20" ids (docs/graph-behaviour.md §1.6; the pages
# https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups and -checkmemberobjects).
CHECK_LIMIT = 20

# The permission table row (rules.py, docs/permissions.md) for each entity set's GET.
_GET_OPERATION = {"users": "user.get", "groups": "group.get", "devices": "device.get",
                  "servicePrincipals": "servicePrincipal.get", "contacts": "orgContact.get",
                  "directoryObjects": "directoryObject.get"}
# Listing users: its list page was not found; the get row applies (docs/permissions.md).
_LIST_OPERATION = {"users": "user.get", "groups": "group.list", "devices": "device.list",
                   "servicePrincipals": "servicePrincipal.list", "contacts": "orgContact.list",
                   "directoryObjects": "directoryObject.get"}


def _invalid_ids(prop: str) -> errors.GraphError:
    return errors.bad_request(errors.INVALID_PROPERTY_VALUE.format(prop=prop).replace("'Group'", "'directoryObject'"))


def _check_guids(values) -> None:
    for value in values:
        if not rules.is_guid(value):
            raise errors.bad_request(errors.INVALID_OBJECT_ID.format(value=value))


class Directory(GroupRules, LinkRules, UnitRules, RoleRules, RoleAssignmentRules):
    def __init__(self, store: Store, tenant_domain=lambda: "contoso.test"):
        self.store = store
        self.tenant_domain = tenant_domain
        self._removals = 0

    # --- visibility under replication lag (docs/graph-behaviour.md §5) ---------------------------
    @staticmethod
    def visible(obj: Obj, who: Caller) -> bool:
        return not (obj.via_graph and who.lag_s > 0 and obj.created_at > who.now - who.lag_s)

    def load(self, who: Caller, raw_id: str, kinds: tuple[str, ...] | None, write: bool = False) -> Obj:
        """The object a path names; 400 for a malformed id, 404 when absent or not yet replicated.

        A write to a just-created object answers the docs/graph-behaviour.md §1.1 replication-delay 400 instead of 404.
        """
        if not rules.is_guid(raw_id):
            raise errors.bad_request(errors.INVALID_OBJECT_ID.format(value=raw_id))
        obj = self.store.get_object(raw_id)
        if obj is None or (kinds and obj.kind not in kinds):
            raise errors.not_found(raw_id)
        if not self.visible(obj, who):
            if write:
                raise errors.bad_request(errors.NOT_REPLICATED)
            raise errors.not_found(raw_id)
        return obj

    def referenced(self, who: Caller, obj_id: str, kind: str | None) -> Obj:
        """The object an ``@odata.id`` names: 404 when absent, the replication 400 when too new."""
        obj = self.store.get_object(obj_id)
        if obj is None or obj.kind == "administrativeUnit" or (kind and obj.kind != kind):
            raise errors.not_found(obj_id)
        if not self.visible(obj, who):
            raise errors.bad_request(errors.NOT_REPLICATED)
        return obj

    def _visible_objects(self, who: Caller, ids, kinds=None) -> list[Obj]:
        return [o for o in self.store.get_objects(ids).values()
                if self.visible(o, who) and (not kinds or o.kind in kinds)]

    # --- entity sets -----------------------------------------------------------------------------
    def list_entities(self, who: Caller, entity_set: str, kinds, q: Query) -> tuple[Listing, list]:
        """An entity set's objects (never administrative units) and the ``$expand`` asked for."""
        rules.require(who.roles, _LIST_OPERATION.get(entity_set, "directoryObject.get"))
        sel = odata_query.collection_options(q.options, q.eventual, kinds, qs.ENTITY_SET)
        objs = [o for o in self.store.list_objects(kinds[0] if kinds else None)
                if o.kind != "administrativeUnit" and self.visible(o, who) and (sel.predicate is None or sel.predicate(o))]
        return Listing.of(objs, order=sel.order), sel.expand

    def count_entities(self, who: Caller, entity_set: str, kinds, q: Query) -> int:
        """``GET /users/$count``: only with ``ConsistencyLevel: eventual``
        (https://learn.microsoft.com/graph/aad-advanced-queries#error-handling-for-advanced-queries-on-directory-objects)."""
        rules.require(who.roles, _LIST_OPERATION.get(entity_set, "directoryObject.get"))
        if not q.eventual:
            raise errors.bad_request(errors.COUNT_NEEDS_EVENTUAL)
        # The $count segment with the header is itself an advanced query (it stands for $count=true).
        options = {**{k: v for k, v in q.options.items() if k not in ("$expand", "$orderby")}, "$count": "true"}
        predicate = odata_query.collection_options(options, True, kinds, qs.ENTITY_SET).predicate
        return sum(1 for o in self.store.list_objects(kinds[0] if kinds else None)
                   if o.kind != "administrativeUnit" and o.created_at <= who.count_at
                   and (predicate is None or predicate(o)))

    def _find_user(self, who: Caller, key: str) -> Obj:
        """``/users/{id | userPrincipalName}`` (https://learn.microsoft.com/graph/api/user-get):
        a key that is not a GUID is a userPrincipalName, compared without regard to case."""
        wanted = key.lower()
        for obj in self.store.list_objects("user"):
            if (obj.props.get("userPrincipalName") or "").lower() == wanted and self.visible(obj, who):
                return obj
        raise errors.not_found(key)

    def get_entity(self, who: Caller, entity_set: str, raw_id: str, kinds) -> Obj:
        rules.require(who.roles, _GET_OPERATION.get(entity_set, "directoryObject.get"))
        if entity_set == "users" and not rules.is_guid(raw_id):
            obj = self._find_user(who, raw_id)
        else:
            obj = self.load(who, raw_id, kinds)
        if obj.kind == "administrativeUnit" and entity_set != "directoryObjects":
            raise errors.not_found(raw_id)
        return obj

    def manager(self, who: Caller, raw_id: str) -> NoReturn:
        """``GET /users/{id}/manager`` (https://learn.microsoft.com/graph/api/user-list-manager): the
        emulator keeps no managers, so it answers as Graph does for a user without one: 404 naming
        ``manager`` (after the user's own 404)."""
        self.get_entity(who, "users", raw_id, ("user",))
        raise errors.not_found("manager")

    def related(self, who: Caller, obj: Obj, nav: str) -> list[Obj]:
        """An ``$expand``: at most ``qs.EXPAND_LIMIT`` related objects, by id."""
        if nav == "memberOf":
            ids = self.store.container_ids(obj.id, "members", who.read_at)
        else:
            ids = self.store.linked_ids(obj.id, nav, who.read_at)
        return sorted(self._visible_objects(who, ids), key=lambda o: o.id)[:qs.EXPAND_LIMIT]

    def get_by_ids(self, who: Caller, payload: Payload) -> list[Obj]:
        """``POST /directoryObjects/getByIds``: the objects in the order asked, each once."""
        rules.require(who.roles, "directoryObject.getByIds")
        body = payload.object()
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids:
            raise _invalid_ids("ids")
        if len(ids) > GET_BY_IDS_LIMIT:
            raise errors.bad_request(errors.TOO_MANY_IDS.format(limit=GET_BY_IDS_LIMIT))
        _check_guids(ids)
        wanted = None
        if body.get("types"):
            wanted = set()
            for t in body["types"]:
                name = str(t).split(".")[-1].lower()
                match = [k for k in odata.ODATA_TYPES if k.lower() == name]
                if not match:
                    raise _invalid_ids("types")
                wanted.add(match[0])
        found = self.store.get_objects(ids)
        value, seen = [], set()
        for raw in ids:
            obj = found.get(raw.lower())
            if obj is None or obj.id in seen or not self.visible(obj, who):
                continue
            if wanted is not None and obj.kind not in wanted:
                continue
            seen.add(obj.id)
            value.append(obj)
        return value

    # --- transitive members, memberOf, membership checks (docs/graph-behaviour.md §1.6) ---------
    def _closure(self, start: str, step: Callable[[str], list[str]]) -> set[str]:
        """Every id reachable from ``start`` by repeated ``step``s."""
        seen: set[str] = set()
        frontier = [start]
        while frontier:
            nxt = []
            for current in frontier:
                for found in step(current):
                    if found not in seen:
                        seen.add(found)
                        nxt.append(found)
            frontier = nxt
        return seen

    def _transitive_groups(self, member_id: str, at: float | None) -> set[str]:
        """Groups that hold ``member_id`` directly or through nested groups."""
        result = self._closure(member_id, lambda mid: self.store.container_ids(mid, "members", at))
        return {i for i, o in self.store.get_objects(result).items() if o.kind == "group"}

    def _relationship(self, who: Caller, ids, kinds, q: Query, cast: bool) -> Listing:
        """A transitive or memberOf listing, with its query options (query_support.RELATIONSHIP)."""
        sel = odata_query.collection_options(q.options, q.eventual, kinds, qs.RELATIONSHIP, cast=cast)
        objs = [o for o in self._visible_objects(who, ids, kinds) if sel.predicate is None or sel.predicate(o)]
        return Listing.of(objs, filtered=sel.predicate is not None, order=sel.order)

    def transitive_members(self, who: Caller, raw_id: str, kinds, q: Query) -> Listing:
        group = self.load(who, raw_id, ("group",))
        rules.require(who.roles, "group.transitiveMembers.list")
        rules.check_cast("group", "members", kinds)
        ids = self._closure(group.id, lambda gid: self.store.linked_ids(gid, "members", who.read_at))
        ids.discard(group.id)
        return self._relationship(who, ids, kinds, q, cast=bool(kinds))

    def member_of(self, who: Caller, raw_id: str, kinds, cast: str | None, transitive: bool,
                  q: Query) -> Listing:
        member = self.load(who, raw_id, kinds)
        rules.require(who.roles, rules.member_of_operation(member.kind, transitive))
        rules.check_cast(None, "memberOf", (cast,) if cast else None)
        ids = set(self.store.container_ids(member.id, "members", who.read_at))
        if transitive:
            ids |= self._transitive_groups(member.id, who.read_at)
        return self._relationship(who, ids, (cast,) if cast else rules.CONTAINER_KINDS, q, cast=bool(cast))

    def check_member(self, who: Caller, raw_id: str, kinds, groups_only: bool, payload: Payload) -> list[str]:
        """``checkMemberGroups`` / ``checkMemberObjects``: the ids asked for that hold the object."""
        member = self.load(who, raw_id, kinds)
        # The table of the path's type; /directoryObjects/{id}/... has its own.
        rules.require(who.roles, rules.check_member_operation(member.kind if kinds else None, groups_only))
        body = payload.object()
        key = "groupIds" if groups_only else "ids"
        ids = body.get(key)
        if not isinstance(ids, list):
            raise _invalid_ids(key)
        if len(ids) > CHECK_LIMIT:
            raise errors.bad_request(errors.TOO_MANY_GROUP_IDS if groups_only else errors.TOO_MANY_IDS.format(limit=CHECK_LIMIT))
        _check_guids(ids)
        holders = self._transitive_groups(member.id, who.read_at)
        if not groups_only:
            holders |= set(self.store.container_ids(member.id, "members", who.read_at))
        return [i for i in ids if i.lower() in holders]

    @staticmethod
    def require_count_header(q: Query) -> None:
        """A ``/$count`` segment needs ``ConsistencyLevel: eventual``."""
        if not q.eventual:
            raise errors.bad_request(errors.COUNT_NEEDS_EVENTUAL)

    @staticmethod
    def shown(who: Caller, obj: Obj, full: dict) -> dict:
        """An item of a relationship listing: objects of a type the app cannot read come back with
        limited information, only ``@odata.type`` and ``id``, every other property null
        (https://learn.microsoft.com/graph/permissions-overview#limited-information-returned-for-inaccessible-member-objects)."""
        if rules.can_read(who.roles, obj.kind):
            return full
        return {k: (v if k in ("@odata.type", "id") else None) for k, v in full.items()}
