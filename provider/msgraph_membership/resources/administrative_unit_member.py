"""`AdministrativeUnitMember`: one member of one Entra ID administrative unit.

Example::

    from msgraph_membership import AdministrativeUnitMember

    AdministrativeUnitMember("alice-in-paris",
                             administrative_unit_id="4f1e...-...",  # the unit's object id
                             member_id="5c2d...-...")               # a user, group or device

Id: `/directory/administrativeUnits/{au_id}/members/{member_id}` (the azuread import format).
Any change replaces. An existing membership is adopted (`adopted` is true), not an error;
deleting removes it. What every single membership does is in _single.py; this module holds what
is a unit's.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from ._containers import UNIT, validate_unit_members
from ._single import SingleMemberProvider, SingleMemberResource

UNITS_PREFIX = "/directory/administrativeUnits/"  # of both unit membership resources' ids


def unit_member_id(unit_id: str, member_id: str) -> str:
    return f"{UNITS_PREFIX}{unit_id}/members/{member_id}"


def parse_unit_member_id(id_: str) -> tuple[str, str]:
    rest = id_[len(UNITS_PREFIX):] if id_.startswith(UNITS_PREFIX) else ""
    unit_id, sep, member_id = rest.partition("/members/")
    if not sep or not unit_id or not member_id or "/" in member_id:
        raise ValueError(f"{id_!r} is not an AdministrativeUnitMember id "
                         "(/directory/administrativeUnits/{au_id}/members/{member_id})")
    return unit_id, member_id


class AdministrativeUnitMemberProvider(SingleMemberProvider):
    container = UNIT
    resource_id, parse_id = staticmethod(unit_member_id), staticmethod(parse_unit_member_id)

    def validate(self, container_id: str, member_id: str) -> str | None:
        types = validate_unit_members(self.client, container_id, [member_id], prop="member_id")
        return types.get(member_id)


class AdministrativeUnitMember(SingleMemberResource, module="msgraph", name="AdministrativeUnitMember"):
    """One member of an Entra ID administrative unit.

    Arguments: `administrative_unit_id` (the unit's object id), `member_id` (a user, group or
    device). Outputs: `member_type`, `adopted` (the membership existed before this resource).

    Example::

        AdministrativeUnitMember("alice-in-paris", administrative_unit_id=paris.object_id,
                                 member_id=alice.object_id)
    """

    administrative_unit_id: pulumi.Output[str]

    def __init__(self, resource_name: str, administrative_unit_id: pulumi.Input[str], member_id: pulumi.Input[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(AdministrativeUnitMemberProvider(), resource_name, opts, administrative_unit_id=administrative_unit_id, member_id=member_id)
