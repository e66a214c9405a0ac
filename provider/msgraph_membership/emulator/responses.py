"""The Graph handlers: HTTP in, a call on the directory model (directory.py), HTTP out.

Each handler is named in the route table (routes.py) and takes the ``Call`` and the path's
parameters. It reads the query and headers, calls one method of ``Directory``, and shapes the
answer: ``@odata.context``, ``$select``, ``$expand``, paging (docs/graph-behaviour.md §1.5), status
codes and ``Location``. The rules of the directory (permissions, member types, replication lag,
limited information) stay in the model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, NoReturn

from . import errors, odata, odata_query
from .directory import Directory
from .model import Caller, Listing, Payload, Query
from .store import Obj
from .wire import Request, Response


@dataclass
class Call:
    """One Graph call: the request, its version, its segments after the version, the token claims.

    ``batch_url`` is the item's url when the call is an item of a ``$batch``."""

    request: Request
    version: str
    segments: list[str]
    claims: dict
    lag_s: float = 0.0
    now: float = field(default_factory=time.time)
    batch_url: str | None = None

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def host(self) -> str:
        return self.request.host

    @property
    def base(self) -> str:
        return f"https://{self.host}/{self.version}"

    def path(self) -> str:
        return "/" + self.version + "/" + "/".join(self.segments)

    @property
    def caller(self) -> Caller:
        return Caller(self.claims, self.lag_s, self.now)

    @property
    def query(self) -> Query:
        eventual = (self.request.header("consistencylevel") or "").lower() == "eventual"
        return Query(self.request.query, eventual)

    @property
    def payload(self) -> Payload:
        return Payload(self.request.json, self.host)


def method_not_allowed() -> errors.GraphError:
    return errors.GraphError(405, "Request_BadRequest", errors.METHOD_NOT_ALLOWED)


def segment_not_found(segment: str) -> errors.GraphError:
    return errors.bad_request(errors.SEGMENT_NOT_FOUND.format(segment=segment), code="BadRequest")


def _tail(rest: list[str] | None, cast: str | None, count: bool) -> tuple[str | None, bool, list[str]]:
    """A ``{rest+}`` after a membership listing: ``[cast][/$count]``; what is left is not found."""
    rest = list(rest or [])
    if rest and rest[0] in odata.CASTS:
        cast, rest = rest[0], rest[1:]
    if rest == ["$count"]:
        return cast, True, []
    return cast, count, rest


def _container(group: str | None, au: str | None) -> tuple[str, str]:
    """The container a link route names: ``{group}`` or ``{au}`` in its pattern."""
    return ("group", group) if group is not None else ("administrativeUnit", au)


def _kinds(call: Call) -> tuple[str, ...] | None:
    """The kinds the call's entity set holds (None: any directory object)."""
    kind = odata.ENTITY_SETS[call.segments[0]]
    return (kind,) if kind else None


def _cast(cast: str | None) -> tuple[str, ...] | None:
    return (odata.CASTS[cast],) if cast else None


def _no_content(operation: str, key: str, body: bool = False):
    """A handler for a write that answers 204: the model's ``operation`` on the object the path's
    ``key`` names (and the request body)."""

    def handler(self: "Handlers", call: Call, **params) -> Response:
        getattr(self.model, operation)(call.caller, params[key], *([call.payload] if body else []))
        return Response.no_content()

    handler.__name__ = operation
    return handler


class Handlers:
    """The handlers of the route table; ``run_batch(call)`` answers ``$batch`` (app.py)."""

    def __init__(self, model: Directory, run_batch: Callable[[Call], Response] | None = None):
        self.model = model
        self.run_batch = run_batch

    # --- shaping answers -------------------------------------------------------------------------
    def _item(self, call: Call, obj: Obj, select, limited: bool = True) -> dict:
        full = odata.serialize(obj, select)
        return self.model.shown(call.caller, obj, full) if limited else full

    def _expand(self, call: Call, obj: Obj, body: dict, expand) -> None:
        """``$expand``: the related objects, each with limited information where it applies."""
        for nav, select in expand or ():
            body[nav] = [self._item(call, o, select) for o in self.model.related(call.caller, obj, nav)]

    def _entity(self, call: Call, context: str, obj: Obj, expand=None, typed: bool = True) -> Response:
        select = odata.parse_select(call.request.query)
        body = {"@odata.context": f"{call.base}/$metadata#{odata.context(context, select)}/$entity"}
        body.update(odata.serialize(obj, select))
        if typed:  # a typed entity set does not repeat the type, like Graph
            body.pop("@odata.type", None)
        self._expand(call, obj, body, expand)
        return Response.graph(200, body)

    @staticmethod
    def _created(call: Call, context: str, location: str, new_id: str, props: dict,
                 odata_type: str | None = None) -> Response:
        body = {"@odata.context": f"{call.base}/$metadata#{context}/$entity", "id": new_id}
        if odata_type:  # an entity created in a collection of directory objects names its type
            body = {"@odata.context": body["@odata.context"], "@odata.type": odata_type, "id": new_id}
        body.update(props)
        return Response.graph(201, body, {"Location": f"{call.base}/{location}/{new_id}"})

    def _page(self, call: Call, listing: Listing, context: str = "directoryObjects", refs: bool = False,
              limited: bool = True, expand=None) -> Response:
        """One page of a collection (docs/graph-behaviour.md §1.5): ``$top``, ``$select``, ``$count=true``, absolute nextLink.

        ``$count=true`` without ``ConsistencyLevel: eventual`` is silently ignored, as documented
        (https://learn.microsoft.com/graph/aad-advanced-queries#error-handling-for-advanced-queries-on-directory-objects).
        """
        q = call.query
        top = odata.parse_top(q.options)
        after = odata.decode_skiptoken(q.options.get("$skiptoken"))
        select = odata.parse_select(q.options)
        items = listing.fetch(after, top + 1)
        more = len(items) > top
        items = items[:top]
        body: dict = {"@odata.context": f"{call.base}/$metadata#"
                      + ("Collection(Edm.String)" if refs else odata.context(context, select))}
        if (q.options.get("$count") or "").lower() == "true" and q.eventual:
            body["@odata.count"] = listing.count()
        if more:
            body["@odata.nextLink"] = odata.next_link(call.host, call.path(), call.request.query_items, top,
                                                      items[-1].id)
        if refs:
            body["value"] = [{"@odata.id": f"{call.base}/directoryObjects/{o.id}"} for o in items]
        else:
            body["value"] = [self._item(call, o, select, limited) for o in items]
            for item, obj in zip(body["value"], items):
                self._expand(call, obj, item, expand)
        return Response.graph(200, body)

    def _objects(self, call: Call, listing: Listing, count_only: bool) -> Response:
        if count_only:
            self.model.require_count_header(call.query)
            return Response.text(200, str(listing.count()))
        return self._page(call, listing)

    # --- $batch (docs/graph-behaviour.md §4.3) ---------------------------------------------------
    def batch(self, call: Call) -> Response:
        """A batch cannot hold a batch, whatever the item's method; outside one, only POST runs."""
        if call.batch_url is not None:
            raise errors.bad_request(errors.BATCH_ITEM_URL.format(url=call.batch_url, id="$batch"), code="BadRequest")
        if call.method != "POST":
            raise method_not_allowed()
        return self.run_batch(call)

    # --- entity sets -----------------------------------------------------------------------------
    def list_entities(self, call: Call) -> Response:
        entity_set = call.segments[0]
        listing, expand = self.model.list_entities(call.caller, entity_set, _kinds(call), call.query)
        return self._page(call, listing, entity_set, limited=False, expand=expand)

    def count_entities(self, call: Call) -> Response:
        return Response.text(200, str(self.model.count_entities(call.caller, call.segments[0], _kinds(call),
                                                                call.query)))

    def get_entity(self, call: Call, id: str) -> Response:
        entity_set = call.segments[0]
        kinds = _kinds(call)
        obj = self.model.get_entity(call.caller, entity_set, id, kinds)
        expand = odata_query.parse_expand(call.request.query.get("$expand"), obj.kind)
        return self._entity(call, entity_set, obj, expand, typed=bool(kinds))

    def get_manager(self, call: Call, id: str) -> NoReturn:
        self.model.manager(call.caller, id)

    def get_by_ids(self, call: Call) -> Response:
        value = [odata.serialize(o) for o in self.model.get_by_ids(call.caller, call.payload)]
        return Response.graph(200, {"@odata.context": f"{call.base}/$metadata#directoryObjects", "value": value})

    # --- groups ------------------------------------------------------------------------------------
    patch_group = _no_content("patch_group", "id", body=True)
    delete_group = _no_content("delete_group", "id")

    def create_group(self, call: Call) -> Response:
        return self._created(call, "groups", "groups", *self.model.create_group(call.caller, call.payload))

    def get_group_by_unique_name(self, call: Call, uniqueName) -> Response:
        found = self.model.group_by_unique_name(call.caller, uniqueName.name, visible_only=True)
        return self.get_entity(call, found.id)

    def upsert_group(self, call: Call, uniqueName) -> Response:
        """An upsert that creates answers 201 with the group, one that updates 204
        (https://learn.microsoft.com/graph/api/group-upsert)."""
        create = "create-if-missing" in (call.request.header("prefer") or "")
        created = self.model.upsert_group(call.caller, uniqueName.name, call.payload, create)
        return self._created(call, "groups", "groups", *created) if created else Response.no_content()

    def refuse_by_unique_name(self, call: Call, uniqueName) -> Response:
        """Other methods on a group by its alternate key: 404 when there is none, else 405."""
        self.model.group_by_unique_name(call.caller, uniqueName.name)
        raise method_not_allowed()

    def delete_group_by_unique_name(self, call: Call, uniqueName) -> Response:
        return self.delete_group(call, id=self.model.group_by_unique_name(call.caller, uniqueName.name).id)

    # --- members and owners of groups and administrative units -----------------------------------
    def list_links(self, call: Call, rel: str, group=None, au=None, cast=None) -> Response:
        listing = self.model.list_links(call.caller, *_container(group, au), rel, _cast(cast), call.query)
        return self._page(call, listing)

    def list_refs(self, call: Call, rel: str, group=None, au=None) -> Response:
        """``.../$ref``: the references; a filtered one lists the objects, as it always has."""
        listing = self.model.list_links(call.caller, *_container(group, au), rel, None, call.query)
        return self._page(call, listing, refs=not listing.filtered)

    def count_links(self, call: Call, rel: str, group=None, au=None, cast=None) -> Response:
        n = self.model.count_links(call.caller, *_container(group, au), rel, _cast(cast), call.query)
        return Response.text(200, str(n))

    def get_link(self, call: Call, rel: str, member: str, group=None, au=None) -> Response:
        obj = self.model.get_link(call.caller, *_container(group, au), rel, member)
        select = odata.parse_select(call.request.query)
        body = {"@odata.context": f"{call.base}/$metadata#{odata.context('directoryObjects', select)}/$entity"}
        body.update(self._item(call, obj, select))
        return Response.graph(200, body)

    def add_link(self, call: Call, rel: str, group=None, au=None) -> Response:
        self.model.add_link(call.caller, *_container(group, au), rel, call.payload)
        return Response.no_content()

    def remove_link(self, call: Call, rel: str, member: str, group=None, au=None) -> Response:
        self.model.remove_link(call.caller, *_container(group, au), rel, member)
        return Response.no_content()

    # The two refusals: the model raises Graph's error.
    def refuse_post_members(self, call: Call, rel: str, group=None, au=None) -> NoReturn:
        self.model.refuse_post_members(call.caller, *_container(group, au), rel)

    def refuse_delete_without_ref(self, call: Call, rel: str, member: str, group=None, au=None) -> NoReturn:
        self.model.refuse_delete_without_ref(call.caller, *_container(group, au), rel)

    @staticmethod
    def patch_refs(call: Call, rel: str, group=None, au=None) -> Response:
        raise errors.bad_request(errors.NOT_SUPPORTED_ON_ENTITY_SET, code="BadRequest")

    def create_group_in_unit(self, call: Call, rel: str, au: str) -> Response:
        return self._created(call, "groups", "groups", *self.model.create_group_in_unit(call.caller, au, call.payload),
                             odata_type="#microsoft.graph.group")

    # --- memberships (docs/graph-behaviour.md §1.6, §1.9) ----------------------------------------
    add_member_of = _no_content("add_member_of", "id", body=True)

    def transitive_members(self, call: Call, id: str, cast=None, count: bool = False, rest=None) -> Response:
        cast, count, left = _tail(rest, cast, count)
        q = call.query.counted() if count else call.query
        objs = self.model.transitive_members(call.caller, id, _cast(cast), q)
        if left:
            raise segment_not_found(left[0])
        return self._objects(call, objs, count)

    def member_of(self, call: Call, id: str, transitive: bool, cast=None, count: bool = False,
                  rest=None) -> Response:
        cast, count, left = _tail(rest, cast, count)
        q = call.query.counted() if count else call.query
        objs = self.model.member_of(call.caller, id, _kinds(call), odata.CASTS.get(cast), transitive, q)
        if left:
            raise segment_not_found(left[0])
        return self._objects(call, objs, count)

    def check_member(self, call: Call, id: str, groups_only: bool) -> Response:
        value = self.model.check_member(call.caller, id, _kinds(call), groups_only, call.payload)
        return Response.graph(200, {"@odata.context": f"{call.base}/$metadata#Collection(Edm.String)", "value": value})

    # --- administrative units (docs/graph-behaviour.md §1.7, §1.8) -------------------------------
    update_unit = _no_content("update_unit", "au", body=True)
    delete_unit = _no_content("delete_unit", "au")

    def list_units(self, call: Call) -> Response:
        listing, expand = self.model.list_units(call.caller, call.query)
        return self._page(call, listing, "directory/administrativeUnits", limited=False, expand=expand)

    # --- Entra role assignments (role_assignments.py) -------------------------------------------
    _ROLE_ASSIGNMENTS = "roleManagement/directory/roleAssignments"
    delete_role_assignment = _no_content("delete_role_assignment", "id")

    def list_role_assignments(self, call: Call) -> Response:
        value = self.model.list_role_assignments(call.caller, call.request.query)
        return Response.json(200, {"@odata.context": f"{call.base}/$metadata#{self._ROLE_ASSIGNMENTS}",
                                   "value": value})

    def get_role_assignment(self, call: Call, id: str) -> Response:
        return Response.json(200, {"@odata.context": f"{call.base}/$metadata#{self._ROLE_ASSIGNMENTS}/$entity",
                                   **self.model.get_role_assignment(call.caller, id)})

    def create_role_assignment(self, call: Call) -> Response:
        return self._created(call, self._ROLE_ASSIGNMENTS, self._ROLE_ASSIGNMENTS,
                             *self.model.create_role_assignment(call.caller, call.payload),
                             odata_type="#microsoft.graph.unifiedRoleAssignment")

    def get_unit(self, call: Call, au: str) -> Response:
        unit = self.model.get_unit(call.caller, au)
        expand = odata_query.parse_expand(call.request.query.get("$expand"), "administrativeUnit")
        return self._entity(call, "directory/administrativeUnits", unit, expand)

    def create_unit(self, call: Call) -> Response:
        return self._created(call, "directory/administrativeUnits", "directory/administrativeUnits",
                             *self.model.create_unit(call.caller, call.payload))

