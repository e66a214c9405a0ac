"""`AdministrativeUnitMembers`: many members of one administrative unit in one resource.

Example::

    from msgraph_membership import AdministrativeUnitMembers

    AdministrativeUnitMembers("paris-staff",
                              administrative_unit_id=paris.object_id,
                              member_ids=[alice.object_id, bob.object_id, laptop.object_id],
                              authoritative=False)   # True: the unit has exactly these members

Id: `/directory/administrativeUnits/{au_id}/members`. `member_ids` and `authoritative` change in
place; `administrative_unit_id` replaces. Units take one member per request (graph-semantics
§1.7), so adds and removals go through `$batch`, 20 per call. Members already present are
adopted (`adopted_member_ids`). Without `authoritative`, only the listed members are managed;
with it, others are removed and show as drift on refresh.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from ..graph import errors as E
from ..graph.rules import UNITS, permission_hint
from ._base import (ApplyError, InputError, MembershipProvider, check_bool, check_guid, check_guid_list,
                    graph_message, has_unknown, is_unknown)
from ._converge import describe_failures, plan
from .administrative_unit_member import validate_unit_members

ARGS = ("administrative_unit_id", "member_ids", "authoritative")
_PREFIX = "/directory/administrativeUnits/"


def unit_members_id(unit_id: str) -> str:
    return f"{_PREFIX}{unit_id}/members"


def parse_unit_members_id(id_: str) -> str:
    if not (id_.startswith(_PREFIX) and id_.endswith("/members")):
        raise ValueError(f"{id_!r} is not an AdministrativeUnitMembers id (/directory/administrativeUnits/{{au_id}}/members)")
    return id_[len(_PREFIX):-len("/members")]


class AdministrativeUnitMembersProvider(MembershipProvider):
    def check(self, olds: dict, news: dict):
        inputs = {k: v for k, v in news.items() if k in ARGS}
        problems: list[tuple[str, str]] = []
        if not has_unknown(news.get("administrative_unit_id")):
            inputs["administrative_unit_id"], p = check_guid(news.get("administrative_unit_id"),
                                                             "the administrative unit's object id")
            if p:
                problems.append(("administrative_unit_id", p))
        if not is_unknown(news.get("member_ids")):
            value, ps = check_guid_list(news.get("member_ids"), "member object ids")
            if not has_unknown(news.get("member_ids")):
                inputs["member_ids"] = value
            problems += [("member_ids", p) for p in ps]
            uid = inputs.get("administrative_unit_id")
            if not ps and isinstance(uid, str) and uid in (value or []):
                problems.append(("member_ids", f"contains the administrative unit itself ({uid}); "
                                               "units take users, groups and devices"))
        if not is_unknown(news.get("authoritative")):
            inputs["authoritative"], p = check_bool(news.get("authoritative"), False)
            if p:
                problems.append(("authoritative", p))
        if not problems:
            problems = self.directory_problems(olds, inputs, ARGS, lambda: self._directory_problems(inputs, olds))
        return self.check_result(inputs, problems)

    def _directory_problems(self, inputs: dict, olds: dict) -> list[tuple[str, str]]:
        new_ids = set(inputs.get("member_ids") or [])
        if olds.get("administrative_unit_id") == inputs.get("administrative_unit_id"):
            new_ids -= set(olds.get("member_ids") or [])  # only what changed needs the directory
        validate_unit_members(self.client, inputs["administrative_unit_id"], sorted(new_ids), prop="member_ids")
        return []

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        uid = "administrative_unit_id"
        replaces = [uid] if has_unknown(news.get(uid)) or olds.get(uid) != news.get(uid) else []
        changed = list(replaces)
        if has_unknown(news.get("member_ids")) or \
                sorted(olds.get("member_ids") or []) != sorted(news.get("member_ids") or []):
            changed.append("member_ids")
        if has_unknown(news.get("authoritative")) or bool(olds.get("authoritative")) != bool(news.get("authoritative")):
            changed.append("authoritative")
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False)

    def create(self, props: dict) -> CreateResult:
        unit_id = props["administrative_unit_id"]
        outs = self._converge(unit_id, list(props.get("member_ids") or []), bool(props.get("authoritative")),
                              managed_before=set(), adopted_before=set())
        return CreateResult(unit_members_id(unit_id), outs)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        outs = self._converge(news["administrative_unit_id"], list(news.get("member_ids") or []),
                              bool(news.get("authoritative")),
                              managed_before=set(olds.get("member_ids") or []),
                              adopted_before=set(olds.get("adopted_member_ids") or []))
        return UpdateResult(outs)

    def _converge(self, unit_id: str, desired: list[str], authoritative: bool, *, managed_before: set[str],
                  adopted_before: set[str]) -> dict:
        """Make the directory match from its actual state, so a half-done earlier apply converges."""
        c = self.client
        try:
            validate_unit_members(c, unit_id, sorted(set(desired) - managed_before), prop="member_ids")
        except InputError as e:
            raise ApplyError(f"{e.prop}: {e.reason}") from None
        try:
            current = c.member_ids(UNITS, unit_id, max_age_s=0)
        except E.GraphError as e:
            raise ApplyError(graph_message(e, hint=permission_hint("read"))) from None
        p = plan(current.keys(), desired, managed_before=managed_before, adopted_before=adopted_before,
                 authoritative=authoritative)
        if p.to_add or p.to_remove:
            pulumi.log.info(f"administrative unit {unit_id}: adding {len(p.to_add)}, "
                            f"removing {len(p.to_remove)} member(s)")
        try:
            added = c.add_unit_members(unit_id, p.to_add)
            removed = c.remove_members(UNITS, unit_id, p.to_remove)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("au_add"))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None
        adopted = p.adopted | (added.unchanged & set(desired))
        c.confirm(UNITS, unit_id, present=added.done, absent=removed.done)
        failed = {**added.failed, **removed.failed}
        if failed:
            raise ApplyError(describe_failures(f"administrative unit {unit_id}", failed, "changed",
                                               hint=permission_hint("au_add")))
        return {"administrative_unit_id": unit_id, "member_ids": sorted(set(desired)), "authoritative": authoritative,
                "adopted_member_ids": sorted(adopted)}

    def read(self, id_: str, props: dict) -> ReadResult:
        unit_id = props.get("administrative_unit_id") or parse_unit_members_id(id_)
        authoritative = bool(props.get("authoritative"))
        try:
            current = self.client.member_ids(UNITS, unit_id)
        except E.NotFound:
            return ReadResult(None, {})
        managed = set(props.get("member_ids") or [])
        present = sorted(current.keys()) if authoritative else sorted(managed & current.keys())
        outs = {"administrative_unit_id": unit_id, "member_ids": present, "authoritative": authoritative,
                "adopted_member_ids": sorted(set(props.get("adopted_member_ids") or []) & set(present))}
        return ReadResult(id_, outs, inputs={"administrative_unit_id": unit_id, "member_ids": present,
                                             "authoritative": authoritative})

    def delete(self, id_: str, props: dict) -> None:
        unit_id = props.get("administrative_unit_id") or parse_unit_members_id(id_)
        ids = list(props.get("member_ids") or [])
        if not ids:
            return
        try:
            rep = self.client.remove_members(UNITS, unit_id, ids)
        except E.NotFound:
            return  # the unit is gone, and its memberships with it
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("au_remove"))) from None
        if rep.failed:
            raise ApplyError(describe_failures(f"administrative unit {unit_id}", rep.failed, "removed",
                                               hint=permission_hint("au_remove")))


class AdministrativeUnitMembers(Resource, module="msgraph", name="AdministrativeUnitMembers"):
    """Several members of one Entra ID administrative unit, managed together with batched writes.

    Arguments: `administrative_unit_id`, `member_ids` (users, groups, devices; order and
    duplicates do not matter), `authoritative` (default False). Outputs: `member_ids` (sorted,
    unique), `adopted_member_ids`.

    Example::

        AdministrativeUnitMembers("paris-staff", administrative_unit_id=paris.object_id,
                                  member_ids=[alice.object_id, bob.object_id])
    """

    administrative_unit_id: pulumi.Output[str]
    member_ids: pulumi.Output[list]
    authoritative: pulumi.Output[bool]
    adopted_member_ids: pulumi.Output[list]

    def __init__(self, resource_name: str, administrative_unit_id: pulumi.Input[str],
                 member_ids: pulumi.Input[Sequence[pulumi.Input[str]]], authoritative: pulumi.Input[bool] = False,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(AdministrativeUnitMembersProvider(), resource_name,
                         {"administrative_unit_id": administrative_unit_id, "member_ids": member_ids,
                          "authoritative": authoritative, "adopted_member_ids": None}, opts)
