"""Administrative units as objects: what a create (``POST /directory/administrativeUnits``) or an
update (``PATCH /directory/administrativeUnits/{id}``) may set, and the properties a new unit has.

Sources: https://learn.microsoft.com/graph/api/resources/administrativeunit (properties),
https://learn.microsoft.com/graph/api/directory-post-administrativeunits (201 with the unit),
https://learn.microsoft.com/graph/api/administrativeunit-update (the updatable properties, 204).
The error bodies follow the group ones (``groups.py``) with the unit's type and resource names;
``isMemberManagementRestricted`` is set at creation only
(https://learn.microsoft.com/entra/identity/role-based-access-control/admin-units-restricted-management).
"""

from __future__ import annotations

import uuid

from . import errors, odata_query, query_support as qs, rules
from .links import restricted_unit_error, restricted_unit_refuses
from .model import Listing

VISIBILITIES = (None, "HiddenMembership", "Public")
MEMBERSHIP_TYPES = (None, "assigned", "dynamic")
PROCESSING_STATES = (None, "On", "Paused")
_STRINGS = ("displayName", "description", "membershipRule")
UPDATABLE = frozenset({"displayName", "description", "visibility", "membershipType", "membershipRule",
                       "membershipRuleProcessingState"})
CREATABLE = UPDATABLE | {"isMemberManagementRestricted"}
READ_ONLY = frozenset({"id", "deletedDateTime"})


def _invalid(prop: str) -> errors.GraphError:
    return errors.bad_request(errors.INVALID_PROPERTY_VALUE.format(prop=prop).replace("'Group'", "'AdministrativeUnit'"))


def _check_value(key: str, value) -> None:
    if key in _STRINGS and value is not None and not isinstance(value, str):
        raise _invalid(key)
    if key == "displayName" and not (isinstance(value, str) and value.strip()):
        raise _invalid(key)
    if key == "visibility" and value not in VISIBILITIES:
        raise _invalid(key)
    if key == "membershipType" and value not in MEMBERSHIP_TYPES:
        raise _invalid(key)
    if key == "membershipRuleProcessingState" and value not in PROCESSING_STATES:
        raise _invalid(key)
    if key == "isMemberManagementRestricted" and not isinstance(value, bool):
        raise _invalid(key)


def validate(body: dict, creating: bool) -> dict:
    """The properties of a create or update body; Graph's 400s for the rest."""
    allowed = CREATABLE if creating else UPDATABLE
    props = {}
    for key, value in body.items():
        if key == "@odata.type":
            continue
        if key not in allowed:
            if key in READ_ONLY or key == "isMemberManagementRestricted":
                raise errors.bad_request(errors.READ_ONLY_PROPERTY.format(prop=key))
            raise errors.bad_request(errors.UNKNOWN_PROPERTY.format(prop=key).replace(
                "microsoft.graph.group", "microsoft.graph.administrativeUnit"), code="BadRequest")
        _check_value(key, value)
        props[key] = value
    if creating and "displayName" not in props:
        raise _invalid("displayName")
    return props


def with_defaults(props: dict) -> dict:
    """A new unit's properties: the defaults Graph returns, then what the body set."""
    full = {"deletedDateTime": None, "displayName": None, "description": None, "visibility": None,
            "isMemberManagementRestricted": False}
    full.update(props)
    return full


class UnitRules:
    """Administrative units in the directory model; mixed into ``Directory`` (directory.py), whose
    ``store``, ``load``, ``visible`` and group rules (groups.py ``GroupRules``) it uses."""

    def list_units(self, who, q) -> tuple:
        rules.require(who.roles, "administrativeUnit.list")
        sel = odata_query.collection_options(q.options, q.eventual, ("administrativeUnit",), qs.ENTITY_SET)
        objs = [o for o in self.store.list_objects("administrativeUnit")
                if self.visible(o, who) and (sel.predicate is None or sel.predicate(o))]
        return Listing.of(objs, order=sel.order), sel.expand

    def get_unit(self, who, raw_id: str):
        unit = self.load(who, raw_id, ("administrativeUnit",))
        rules.require(who.roles, "administrativeUnit.get")
        return unit

    def create_unit(self, who, payload) -> tuple[str, dict]:
        """``POST /directory/administrativeUnits``: the new unit's id and properties (directory-post-administrativeunits)."""
        rules.require(who.roles, "administrativeUnit.create")
        props = with_defaults(validate(payload.object(), creating=True))
        new_id = str(uuid.uuid4())
        self.store.put_object("administrativeUnit", props, new_id, via_graph=True, created_at=who.now)
        return new_id, props

    def update_unit(self, who, raw_id: str, payload) -> None:
        """``PATCH /directory/administrativeUnits/{id}`` (administrativeunit-update)."""
        unit = self.load(who, raw_id, ("administrativeUnit",), write=True)
        rules.require(who.roles, "administrativeUnit.update")
        props = validate(payload.object(), creating=False)
        self.store.update_props(unit.id, {**unit.props, **props})

    def delete_unit(self, who, raw_id: str) -> None:
        """``DELETE /directory/administrativeUnits/{id}``: its member links go with it."""
        unit = self.load(who, raw_id, ("administrativeUnit",))
        rules.require(who.roles, "administrativeUnit.delete")
        self.store.delete_object(unit.id)

    def create_group_in_unit(self, who, raw_id: str, payload) -> tuple[str, dict]:
        """``POST /directory/administrativeUnits/{id}/members`` with a group body: a new group in the unit."""
        unit = self.load(who, raw_id, ("administrativeUnit",), write=True)
        rules.require(who.roles, "administrativeUnit.createGroup")
        self.judge_group_in_unit(who, unit)
        body = payload.object()
        if body.get("@odata.type") not in ("#microsoft.graph.group", "microsoft.graph.group"):
            raise errors.bad_request(errors.AU_CREATE_NEEDS_TYPE, code="BadRequest")
        new_id, full, binds = self._new_group(who, payload, body)
        if restricted_unit_refuses(unit.props, full, mail_enabled_counts=False):
            raise restricted_unit_error("members")
        self._store_group(who, new_id, full, binds)
        self.store.add_link(unit.id, "members", new_id, who.now)
        return new_id, full
