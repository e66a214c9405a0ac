"""`AdministrativeUnitMembers`: many members of one administrative unit in one resource.

Example::

    from msgraph_membership import AdministrativeUnitMembers

    AdministrativeUnitMembers("paris-staff",
                              administrative_unit_id=paris.object_id,
                              member_ids=[alice.object_id, bob.object_id, laptop.object_id],
                              authoritative=False)   # True: the unit has exactly these members

Id: `/directory/administrativeUnits/{au_id}/members`. `member_ids` and `authoritative` change in
place; `administrative_unit_id` replaces. Units take one member per request (docs/graph-behaviour.md
§1.7), so adds and removals go through `$batch`, 20 per call. Members already present are
adopted (`adopted_member_ids`). Without `authoritative`, only the listed members are managed;
with it, others are removed and show as drift on refresh.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import pulumi
from pulumi.dynamic import Resource

from ..graph.rules import UNITS
from ..graph.references import UNIT_KINDS, UNIT_MEMBER_KINDS
from ._batch import BatchMembersProvider, hide_member_ids_diff
from .administrative_unit_member import validate_unit_members

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport

_PREFIX = "/directory/administrativeUnits/"


def unit_members_id(unit_id: str) -> str:
    return f"{_PREFIX}{unit_id}/members"


def parse_unit_members_id(id_: str) -> str:
    if not (id_.startswith(_PREFIX) and id_.endswith("/members")):
        raise ValueError(f"{id_!r} is not an AdministrativeUnitMembers id (/directory/administrativeUnits/{{au_id}}/members)")
    return id_[len(_PREFIX):-len("/members")]


class AdministrativeUnitMembersProvider(BatchMembersProvider):
    container_arg = "administrative_unit_id"
    container_what = "the administrative unit's object id"
    container_noun = "administrative unit"
    container_kinds = UNIT_KINDS
    member_kinds = UNIT_MEMBER_KINDS
    kind = UNITS
    add_op = "au_add"
    remove_op = "au_remove"

    def resource_id(self, container_id: str) -> str:
        return unit_members_id(container_id)

    def container_of(self, id_: str) -> str:
        return parse_unit_members_id(id_)

    def self_membership_problem(self, container_id: str) -> str:
        return (f"contains the administrative unit itself ({container_id}); "
                "units take users, groups and devices")

    def validate_members(self, unit_id: str, member_ids: Sequence[str]) -> None:
        validate_unit_members(self.client, unit_id, member_ids, prop="member_ids")

    def add_members(self, container_id: str, member_ids: Sequence[str]) -> WriteReport:
        # Units take one member per request (docs/graph-behaviour.md §1.7): $batch of 20.
        return self.client.add_unit_members(container_id, member_ids)


class AdministrativeUnitMembers(Resource, module="msgraph", name="AdministrativeUnitMembers"):
    """Several members of one Entra ID administrative unit, managed together with batched writes.

    Arguments: `administrative_unit_id`, `member_ids` (users, groups, devices; order and
    duplicates do not matter), `authoritative` (default False), and the guard against mass
    removal: `protected_member_ids` (never removed by this resource, not even on destroy) and
    `max_removals` (a run that would remove more fails before any write). Outputs: `member_ids`
    (sorted, unique), `adopted_member_ids`.

    Example::

        AdministrativeUnitMembers("paris-staff", administrative_unit_id=paris.object_id,
                                  member_ids=[alice.object_id, bob.object_id])
    """

    administrative_unit_id: pulumi.Output[str]
    member_ids: pulumi.Output[list]
    authoritative: pulumi.Output[bool]
    adopted_member_ids: pulumi.Output[list]
    protected_member_ids: pulumi.Output[Optional[list]]
    max_removals: pulumi.Output[Optional[int]]

    def __init__(self, resource_name: str, administrative_unit_id: pulumi.Input[str],
                 member_ids: pulumi.Input[Sequence[pulumi.Input[str]]], authoritative: pulumi.Input[bool] = False,
                 opts: Optional[pulumi.ResourceOptions] = None, *,
                 protected_member_ids: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
                 max_removals: Optional[pulumi.Input[int]] = None):
        super().__init__(AdministrativeUnitMembersProvider(), resource_name,
                         {"administrative_unit_id": administrative_unit_id, "member_ids": member_ids,
                          "authoritative": authoritative, "adopted_member_ids": None,
                          "protected_member_ids": protected_member_ids, "max_removals": max_removals},
                         hide_member_ids_diff(opts))
