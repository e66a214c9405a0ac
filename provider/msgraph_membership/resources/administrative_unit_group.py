"""`AdministrativeUnitGroup`: a new group created inside an administrative unit.

Example::

    from msgraph_membership import AdministrativeUnitGroup

    helpdesk = AdministrativeUnitGroup("paris-helpdesk",
                                       administrative_unit_id=paris.object_id,
                                       display_name="Paris helpdesk",
                                       mail_nickname="paris-helpdesk",
                                       description="First-line support, Paris office")
    pulumi.export("helpdesk_group_id", helpdesk.group_id)

Graph creates it with `POST /directory/administrativeUnits/{id}/members` (docs/graph-behaviour.md §1.8),
so a unit-scoped Groups Administrator can create it. Id: the new group's object id.
`display_name`, `description`, `mail_nickname`, `security_enabled` and `visibility` (Private <->
Public) change in place with `PATCH /groups/{id}`; the unit, `mail_enabled`, `group_types`,
`is_assignable_to_role`, and a visibility change to or from HiddenMembership replace the group
(Graph sets those only at creation, docs/graph-behaviour.md §8). Deleting deletes the group.

Every group it creates carries a `uniqueName` (Graph's alternate key, unique in the tenant,
https://learn.microsoft.com/graph/api/group-upsert): `unique_name` when given, else one derived
from the project, the stack, the resource's name and the arguments that replace the group. A
create whose outcome is unknown (a lost answer, or a provider killed before Pulumi recorded the
group) is resolved by that key: the next attempt finds and adopts exactly that group
(docs/resources.md, "Unique names").

The group's properties (names, checks, the unique name, outputs) are in _group_properties.py.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional, Sequence

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from ..graph import errors as E
from ..graph.delegated import signed_in
from ..graph.references import UNIT_KINDS
from ..graph.rules import permission_hint
from ._base import ApplyError, InputError, MembershipProvider, check_guid, graph_message, has_unknown
from ._group_properties import (ARGS, IN_PLACE, OUTPUTS, GroupOutputs, REPLACE, SCOPE, check_properties,
                                create_body, derived_unique_name, kind_problems, norm, outputs, patch_for,
                                unique_name_scope)
from ._inputs import Ids
from ._refs import ReferenceArg, carry

# A group this young that reads as 404 is most likely not replicated yet, not deleted (docs/graph-behaviour.md §5).
YOUNG_S = 600.0
READ_LAG_WAIT_S = 30.0
UNIT_LAG_WAIT_S = 60.0


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


class AdministrativeUnitGroupProvider(MembershipProvider):
    # -- check ----------------------------------------------------------------------------------

    reference_args = (ReferenceArg("administrative_unit_id", UNIT_KINDS),)

    def check_inputs(self, olds: dict, news: dict):
        inputs = {k: v for k, v in news.items() if k in ARGS}
        problems: list[tuple[str, str]] = []
        if not has_unknown(news.get("administrative_unit_id")):
            inputs["administrative_unit_id"], p = check_guid(news.get("administrative_unit_id"),
                                                             "the administrative unit's object id")
            if p:
                problems.append(("administrative_unit_id", p))
        problems += check_properties(news, inputs)
        if not problems:
            problems = kind_problems(inputs)
        if not problems and news.get("unique_name") is None:
            inputs["unique_name"] = derived_unique_name(news.get(SCOPE), inputs)
        if news.get(SCOPE) is not None:
            inputs[SCOPE] = news.get(SCOPE)
        if not problems:
            keys = ("administrative_unit_id", "group_types", "security_enabled", "mail_enabled")
            problems = self.directory_problems(olds, inputs, keys, lambda: self._directory_problems(inputs))
        return self.check_result(inputs, problems)

    def _directory_problems(self, inputs: dict) -> list[tuple[str, str]]:
        self._validate_unit(inputs, wait_s=0)
        return []

    def _validate_unit(self, inputs: dict, wait_s: float) -> None:
        unit_id = inputs["administrative_unit_id"]
        unit = (self.client.wait_for(lambda: self.client.get_unit(unit_id), total_s=wait_s) if wait_s
                else self.client.get_unit(unit_id))
        if unit is None:
            raise InputError("administrative_unit_id",
                             f"administrative unit {unit_id} does not exist in the directory (check the id, and that "
                             "the app can read administrative units: AdministrativeUnit.Read.All)")
        if problem := signed_in(self.client).group_in_unit_problem(unit_id):
            raise InputError("administrative_unit_id", problem)
        if unit.get("isMemberManagementRestricted") and ("Unified" in (inputs.get("group_types") or [])
                                                         or inputs.get("security_enabled") is False):
            raise InputError("group_types", f"administrative unit {unit_id} is a restricted-management unit, which "
                                            "takes only security groups; create a security group (group_types=[], "
                                            "security_enabled=True, mail_enabled=False)")

    # -- diff -----------------------------------------------------------------------------------

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        def differs(k: str) -> bool:
            return has_unknown(news.get(k)) or norm(k, olds.get(k)) != norm(k, news.get(k))

        replaces = [k for k in REPLACE if differs(k)]
        changed = list(replaces)
        for k in IN_PLACE:
            if k == "visibility" and news.get(k) is None:
                continue  # unset: Graph's default, not managed
            if differs(k):
                changed.append(k)
        old_vis, new_vis = olds.get("visibility"), news.get("visibility")
        if "visibility" in changed and (has_unknown(new_vis) or "HiddenMembership" in (old_vis, new_vis)):
            replaces.append("visibility")  # HiddenMembership is set only at creation (docs/graph-behaviour.md §8)
        # A Microsoft 365 group's address comes from its nickname and must be unique: a replacement
        # keeping the nickname must delete the old group first, or the new one is refused.
        new_types = [] if has_unknown(news.get("group_types")) else norm("group_types", news.get("group_types"))
        unified = "Unified" in norm("group_types", olds.get("group_types")) + new_types
        dbr = bool(replaces) and unified and olds.get("mail_nickname") == news.get("mail_nickname")
        # A unique name is the group's for good: a replacement under the same name must delete
        # the old group first, or the new create would find (and adopt) the old group. A changed
        # unique name alone changes nothing: Graph sets it only at creation.
        if replaces and olds.get("unique_name") and olds.get("unique_name") == news.get("unique_name"):
            dbr = True
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=dbr)

    # -- create, read, update, delete -----------------------------------------------------------

    def create(self, props: dict) -> CreateResult:
        unit_id = props["administrative_unit_id"]
        try:
            # A unit created moments ago may not be visible yet (docs/graph-behaviour.md §5): wait for it, to a bound.
            self._validate_unit(props, wait_s=UNIT_LAG_WAIT_S)
        except InputError as e:
            raise ApplyError(f"{e.prop}: {e.reason}") from None
        body = create_body(props)
        try:
            # The client waits out a unit that is not replicated yet, and never creates twice.
            raw, adopted = self.client.create_group_in_unit(unit_id, body)
        except E.NotFound:
            raw, adopted = None, False
        except E.Forbidden as e:
            hint = permission_hint("au_create_group")
            if props.get("is_assignable_to_role"):
                hint += "; a role-assignable group also needs RoleManagement.ReadWrite.Directory"
            raise ApplyError(graph_message(e, hint=hint)) from None
        except E.UniqueNameTaken as e:
            raise ApplyError(f"unique_name: {graph_message(e)}") from None
        except E.GraphError as e:
            msg = graph_message(e)
            if "proxyAddresses" in msg:
                msg += f"; mail_nickname {props['mail_nickname']!r} is already used by another group's address: choose another"
            raise ApplyError(msg) from None
        if raw is None:
            raise ApplyError(f"administrative_unit_id: administrative unit {unit_id} was not found when creating the "
                             "group; check the id")
        if adopted:
            # Found by its unique name (a create whose outcome was lost, or a resource dropped from
            # the state): it takes the declared properties now, as an update would.
            raw = self._patched(raw["id"], raw, props)
            pulumi.log.info(f"administrative unit {unit_id}: adopted group {raw['id']} ({props['display_name']}), "
                            "found by its unique name")
        else:
            pulumi.log.info(f"administrative unit {unit_id}: created group {raw['id']} ({props['display_name']})")
        return carry(CreateResult(raw["id"], outputs(raw, props)), props)

    def _get(self, group_id: str, props: dict) -> dict | None:
        """The group, or None when gone. A group created moments ago that reads as 404 is waited
        for (replication lag), so a read right after a create never drops it."""
        raw = self.client.get_group_raw(group_id)
        if raw is not None:
            return raw
        created = _parse_time(props.get("created_date_time"))
        if created is None or (dt.datetime.now(dt.timezone.utc) - created).total_seconds() > YOUNG_S:
            return None
        return self.client.wait_for(lambda: self.client.get_group_raw(group_id), total_s=READ_LAG_WAIT_S)

    def read(self, id_: str, props: dict) -> ReadResult:
        raw = self._get(id_, props)
        if raw is None:
            return ReadResult(None, {})
        outs = outputs(raw, props)
        ins = {k: outs[k] for k in ARGS}
        if props.get(SCOPE) is not None:
            ins[SCOPE] = props[SCOPE]
        return carry(ReadResult(id_, outs, inputs=ins), props)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        # Patch from the directory's actual state, so drift and half-done applies converge.
        current = self._get(id_, olds)
        if current is None:
            raise ApplyError(f"group {id_} no longer exists; run `pulumi refresh` and `pulumi up` to create it again")
        current = self._patched(id_, current, news)
        return carry(UpdateResult(outputs(current, news)), news)

    def _patched(self, id_: str, current: dict, props: dict) -> dict:
        """The group after `PATCH /groups/{id}` of what differs from `props` (nothing sent when
        nothing differs)."""
        patch = patch_for(current, props)
        if not patch:
            return current
        try:
            self.client.update_group(id_, patch)
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("group_update"))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None
        # Computed properties (mail, proxyAddresses) may follow the nickname: read them again;
        # our own 204-acknowledged values win over a lagging replica.
        return {**(self.client.get_group_raw(id_) or current), **patch}

    def delete(self, id_: str, props: dict) -> None:
        try:
            self.client.delete_group(id_)  # False when already gone: that is success
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("group_update"))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None


class AdministrativeUnitGroup(Resource, GroupOutputs, module="msgraph", name="AdministrativeUnitGroup"):
    """A new Entra ID group created inside an administrative unit.

    Arguments: `administrative_unit_id`, `display_name`, `mail_nickname`, `security_enabled`
    (default True), `mail_enabled` (default False), `group_types` (`[]` or `["Unified"]`),
    `description`, `visibility` (Microsoft 365 groups: Private, Public, HiddenMembership),
    `is_assignable_to_role`, `unique_name` (the group's uniqueName, unique in the tenant; by
    default derived from the project, stack and resource name; used only when the group is
    created). Outputs: `group_id`, `unique_name`, `mail`, `created_date_time` and the other
    default properties Graph returns, in snake_case.

    Example::

        AdministrativeUnitGroup("paris-helpdesk", administrative_unit_id=paris.object_id,
                                display_name="Paris helpdesk", mail_nickname="paris-helpdesk")
    """

    # Its outputs (group_id, mail, created_date_time, ...) are declared in GroupOutputs.

    def __init__(self, resource_name: str, administrative_unit_id: pulumi.Input[str],
                 display_name: pulumi.Input[str], mail_nickname: pulumi.Input[str],
                 security_enabled: pulumi.Input[bool] = True, mail_enabled: pulumi.Input[bool] = False,
                 group_types: Optional[Ids] = None,
                 description: Optional[pulumi.Input[str]] = None, visibility: Optional[pulumi.Input[str]] = None,
                 is_assignable_to_role: Optional[pulumi.Input[bool]] = None,
                 unique_name: Optional[pulumi.Input[str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        props: dict[str, Any] = {
            "administrative_unit_id": administrative_unit_id, "display_name": display_name,
            "mail_nickname": mail_nickname, "security_enabled": security_enabled, "mail_enabled": mail_enabled,
            "group_types": group_types, "description": description, "visibility": visibility,
            "is_assignable_to_role": is_assignable_to_role, "unique_name": unique_name,
            SCOPE: unique_name_scope(resource_name, opts),
        }
        # Every output must be declared to be readable. `group_id` is the resource's id: taken
        # from `id`, it stays known in a preview of an in-place update (an undeclared-by-input
        # output would be unknown there and force dependents to show a replacement).
        props.update({k: None for k in OUTPUTS if k != "group_id"})
        super().__init__(AdministrativeUnitGroupProvider(), resource_name, props, opts)
        self.group_id = self.id


AdministrativeUnitGroup.__annotations__ = dict(GroupOutputs.__annotations__)  # for tools that read the class's own
