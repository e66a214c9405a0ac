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

from . import errors

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
