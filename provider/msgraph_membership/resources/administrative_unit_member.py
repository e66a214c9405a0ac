"""`AdministrativeUnitMember`: one member of one Entra ID administrative unit.

Example::

    from msgraph_membership import AdministrativeUnitMember

    AdministrativeUnitMember("alice-in-paris",
                             administrative_unit_id="4f1e...-...",  # the unit's object id
                             member_id="5c2d...-...")               # a user, group or device

Id: `/directory/administrativeUnits/{au_id}/members/{member_id}` (the azuread import format).
Any change replaces. An existing membership is adopted (`adopted` is true), not an error;
deleting removes it.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource

from ..graph import errors as E
from ..graph.rules import UNITS, au_member_problem, permission_hint
from ..graph.references import UNIT_KINDS, UNIT_MEMBER_KINDS
from ._refs import ReferenceArg, carry
from ._base import ApplyError, InputError, MembershipProvider, check_guid, graph_message, has_unknown, member_types
from ._converge import short_list

ARGS = ("administrative_unit_id", "member_id")
_PREFIX = "/directory/administrativeUnits/"


def unit_member_id(unit_id: str, member_id: str) -> str:
    return f"{_PREFIX}{unit_id}/members/{member_id}"


def parse_unit_member_id(id_: str) -> tuple[str, str]:
    rest = id_[len(_PREFIX):] if id_.startswith(_PREFIX) else ""
    unit_id, sep, member_id = rest.partition("/members/")
    if not sep or not unit_id or not member_id or "/" in member_id:
        raise ValueError(f"{id_!r} is not an AdministrativeUnitMember id "
                         "(/directory/administrativeUnits/{au_id}/members/{member_id})")
    return unit_id, member_id


def validate_unit_members(client, unit_id: str, member_ids: Sequence[str], *, prop: str) -> dict[str, str]:
    """What the directory must confirm before adding `member_ids` to a unit: the unit exists,
    each member exists and is a type units take. Returns member id -> type; raises InputError
    naming `administrative_unit_id` or `prop`."""
    unit = client.get_unit(unit_id)
    if unit is None:
        raise InputError("administrative_unit_id",
                         f"administrative unit {unit_id} does not exist in the directory (check the id, and "
                         "that the app can read administrative units: AdministrativeUnit.Read.All)")
    if not member_ids:
        return {}
    types = member_types(client, list(member_ids))
    if types is None:  # no Directory.Read.All: Graph judges the members on write
        return {}
    missing = [m for m in member_ids if m not in types]
    if missing:
        raise InputError(prop, f"{len(missing)} id(s) do not exist in the directory: {short_list(missing)}; "
                               "give the object ids of users, groups or devices")
    bad = [p for m in member_ids if (p := au_member_problem(m, types[m]))]
    if not bad and unit.get("isMemberManagementRestricted"):
        # Restricted-management units take only plain security groups (docs/graph-behaviour.md §1.7).
        for m in member_ids:
            if types[m] != "group":
                continue
            g = client.get_group(m)
            if g is not None and (g.is_unified or g.mail_enabled or not g.security_enabled or g.on_premises_sync_enabled):
                bad.append(f"{g.label} is a {g.kind}; administrative unit {unit_id} is a restricted-management "
                           "unit, which takes only cloud security groups (not mail-enabled, not synchronised)")
    if bad:
        raise InputError(prop, "; ".join(bad[:10]) + (f"; and {len(bad) - 10} more" if len(bad) > 10 else ""))
    return types


class AdministrativeUnitMemberProvider(MembershipProvider):
    reference_args = (ReferenceArg("administrative_unit_id", UNIT_KINDS), ReferenceArg("member_id", UNIT_MEMBER_KINDS))

    def check_inputs(self, olds: dict, news: dict):
        inputs = {k: v for k, v in news.items() if k in ARGS}
        problems: list[tuple[str, str]] = []
        for k, what in (("administrative_unit_id", "the administrative unit's object id"),
                        ("member_id", "the member's object id")):
            v = news.get(k)
            if has_unknown(v):
                continue
            inputs[k], p = check_guid(v, what)
            if p:
                problems.append((k, p))
        if not problems and not has_unknown(inputs.get("member_id")) \
                and inputs.get("administrative_unit_id") == inputs.get("member_id"):
            problems.append(("member_id", "is the administrative unit itself; units take users, groups and devices"))
        if not problems:
            problems = self.directory_problems(olds, inputs, ARGS, lambda: self._directory_problems(inputs))
        return self.check_result(inputs, problems)

    def _directory_problems(self, inputs: dict) -> list[tuple[str, str]]:
        self._validate(inputs["administrative_unit_id"], inputs["member_id"])
        return []

    def _validate(self, unit_id: str, member_id: str) -> str:
        """Everything the directory must confirm before the write; returns the member type."""
        return validate_unit_members(self.client, unit_id, [member_id], prop="member_id").get(member_id)

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        replaces = [k for k in ARGS if has_unknown(news.get(k)) or olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(replaces), replaces=replaces, stables=[], delete_before_replace=False)

    def create(self, props: dict) -> CreateResult:
        unit_id, member_id = props["administrative_unit_id"], props["member_id"]
        try:
            member_type = self._validate(unit_id, member_id)
        except InputError as e:
            raise ApplyError(f"{e.prop}: {e.reason}") from None
        try:
            adopted = not self.client.add_member(UNITS, unit_id, member_id)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("au_add"))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e, hint=permission_hint("au_add"))) from None
        if adopted:
            pulumi.log.info(f"administrative unit {unit_id}: {member_id} was already a member; adopted")
        if member_type is None:  # not resolved before the write: the listing names its type
            listed = self.client.member_ids(UNITS, unit_id).get(member_id)
            member_type = listed if listed != "directoryObject" else None
        return carry(CreateResult(unit_member_id(unit_id, member_id),
                            {"administrative_unit_id": unit_id, "member_id": member_id,
                             "member_type": member_type, "adopted": adopted}), props)

    def _ids(self, id_: str, props: dict) -> tuple[str, str]:
        unit_id, member_id = props.get("administrative_unit_id"), props.get("member_id")
        if not unit_id or not member_id:
            unit_id, member_id = parse_unit_member_id(id_)
        return unit_id, member_id

    def read(self, id_: str, props: dict) -> ReadResult:
        unit_id, member_id = self._ids(id_, props)
        try:
            members = self.client.member_ids(UNITS, unit_id)
        except E.NotFound:
            return ReadResult(None, {})
        if member_id not in members and self.client.still_absent(UNITS, unit_id, member_id):
            return ReadResult(None, {})
        listed = self.client.member_ids(UNITS, unit_id).get(member_id, "directoryObject")
        outs = {"administrative_unit_id": unit_id, "member_id": member_id,
                "member_type": listed if listed != "directoryObject" else props.get("member_type"),
                "adopted": bool(props.get("adopted", False))}
        return carry(ReadResult(id_, outs, inputs={"administrative_unit_id": unit_id, "member_id": member_id}), props)

    def delete(self, id_: str, props: dict) -> None:
        unit_id, member_id = self._ids(id_, props)
        try:
            self.client.remove_member(UNITS, unit_id, member_id)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("au_remove"))) from None
        except E.NotFound:
            return  # the unit itself is gone: so is the membership
        except E.GraphError as e:
            raise ApplyError(graph_message(e, hint=permission_hint("au_remove"))) from None


class AdministrativeUnitMember(Resource, module="msgraph", name="AdministrativeUnitMember"):
    """One member of an Entra ID administrative unit.

    Arguments: `administrative_unit_id` (the unit's object id), `member_id` (a user, group or
    device). Outputs: `member_type`, `adopted` (the membership existed before this resource).

    Example::

        AdministrativeUnitMember("alice-in-paris", administrative_unit_id=paris.object_id,
                                 member_id=alice.object_id)
    """

    administrative_unit_id: pulumi.Output[str]
    member_id: pulumi.Output[str]
    member_type: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(self, resource_name: str, administrative_unit_id: pulumi.Input[str], member_id: pulumi.Input[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(AdministrativeUnitMemberProvider(), resource_name,
                         {"administrative_unit_id": administrative_unit_id, "member_id": member_id,
                          "member_type": None, "adopted": None}, opts)
