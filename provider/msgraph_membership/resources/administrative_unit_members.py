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
with it, others are removed and show as drift on refresh. What every batch resource does is in
_batch.py; this module holds what is a unit's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import pulumi

from ._batch import BatchMembersResource, BatchProvider
from ._inputs import Ids
from ._containers import UNIT, validate_unit_members
from .administrative_unit_member import UNITS_PREFIX

if TYPE_CHECKING:  # the client (requests, pydantic) loads in the provider process only
    from ..graph.client import WriteReport


def unit_members_id(unit_id: str) -> str:
    return f"{UNITS_PREFIX}{unit_id}/members"


def parse_unit_members_id(id_: str) -> str:
    if not (id_.startswith(UNITS_PREFIX) and id_.endswith("/members")):
        raise ValueError(f"{id_!r} is not an AdministrativeUnitMembers id "
                         "(/directory/administrativeUnits/{au_id}/members)")
    return id_[len(UNITS_PREFIX):-len("/members")]


class AdministrativeUnitMembersProvider(BatchProvider):
    anchor = UNIT
    resource_id, parse_id = staticmethod(unit_members_id), staticmethod(parse_unit_members_id)

    def validate(self, anchor_id: str, ids: Sequence[str]) -> None:
        validate_unit_members(self.client, anchor_id, ids, prop="member_ids")

    def add(self, anchor_id: str, ids: Sequence[str]) -> WriteReport:
        # Units take one member per request (docs/graph-behaviour.md §1.7): $batch of 20.
        return self.client.add_unit_members(anchor_id, ids)


class AdministrativeUnitMembers(BatchMembersResource, module="msgraph", name="AdministrativeUnitMembers"):
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

    def __init__(self, resource_name: str, administrative_unit_id: pulumi.Input[str], member_ids: Ids,
                 authoritative: pulumi.Input[bool] = False, opts: Optional[pulumi.ResourceOptions] = None, *,
                 protected_member_ids: Optional[Ids] = None, max_removals: Optional[pulumi.Input[int]] = None):
        super().__init__(AdministrativeUnitMembersProvider(), resource_name, opts,
                         administrative_unit_id=administrative_unit_id, member_ids=member_ids,
                         authoritative=authoritative, protected_member_ids=protected_member_ids,
                         max_removals=max_removals)
