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
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any, Optional, Sequence

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from ..graph import errors as E
from ..graph.rules import mail_nickname_problem, permission_hint
from ..graph.references import UNIT_KINDS
from ._refs import ReferenceArg, carry
from ._base import (ApplyError, InputError, MembershipProvider, check_bool, check_guid, graph_message,
                    has_unknown, is_unknown)


ARGS = ("administrative_unit_id", "display_name", "mail_nickname", "security_enabled", "mail_enabled",
        "group_types", "description", "visibility", "is_assignable_to_role", "unique_name")
# Where a derived unique name comes from: "project/stack/resource name", set by the program.
SCOPE = "unique_name_scope"
IN_PLACE = ("display_name", "description", "mail_nickname", "security_enabled", "visibility")
REPLACE = ("administrative_unit_id", "mail_enabled", "group_types", "is_assignable_to_role")
CAMEL = {"display_name": "displayName", "mail_nickname": "mailNickname", "security_enabled": "securityEnabled",
         "mail_enabled": "mailEnabled", "group_types": "groupTypes", "description": "description",
         "visibility": "visibility", "is_assignable_to_role": "isAssignableToRole", "unique_name": "uniqueName"}
VISIBILITIES = ("Private", "Public", "HiddenMembership")
DISPLAY_NAME_MAX = 256

# The default properties Graph returns for a group (docs/graph-behaviour.md §1.8) that are not arguments, as outputs.
GRAPH_OUTPUTS = ("deletedDateTime", "classification", "createdDateTime", "expirationDateTime", "mail",
                 "membershipRule", "membershipRuleProcessingState", "onPremisesDomainName",
                 "onPremisesLastSyncDateTime", "onPremisesNetBiosName", "onPremisesSamAccountName",
                 "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "preferredDataLocation",
                 "preferredLanguage", "proxyAddresses", "renewedDateTime", "resourceBehaviorOptions",
                 "resourceProvisioningOptions", "securityIdentifier", "theme", "onPremisesProvisioningErrors")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


OUTPUTS = ("group_id",) + tuple(snake(n) for n in GRAPH_OUTPUTS)

# A group this young that reads as 404 is most likely not replicated yet, not deleted (docs/graph-behaviour.md §5).
YOUNG_S = 600.0
READ_LAG_WAIT_S = 30.0
UNIT_LAG_WAIT_S = 60.0


def _norm(key: str, v: Any) -> Any:
    """Values as compared by diff: lists order-free, missing booleans at their defaults."""
    if key == "group_types":
        return sorted(v or [])
    if key == "security_enabled":
        return True if v is None else bool(v)
    if key in ("mail_enabled", "is_assignable_to_role"):
        return bool(v)
    if key == "description":
        return v or None
    return v


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def derived_unique_name(scope: Any, inputs: dict) -> str | None:
    """`pulumi-` and 32 hex digits of a hash of the scope (project/stack/resource name) and of
    the arguments whose change replaces the group, so a replacement gets a name of its own while
    a repeated create of the same resource gets the same one. None while anything is unknown."""
    keys = [inputs.get(k) for k in REPLACE] + [inputs.get("visibility") == "HiddenMembership"]
    if not isinstance(scope, str) or not scope or has_unknown(keys) or any(is_unknown(k) for k in keys):
        return None
    keys[REPLACE.index("group_types")] = _norm("group_types", inputs.get("group_types"))
    keys[REPLACE.index("mail_enabled")] = _norm("mail_enabled", inputs.get("mail_enabled"))
    keys[REPLACE.index("is_assignable_to_role")] = _norm("is_assignable_to_role", inputs.get("is_assignable_to_role"))
    digest = hashlib.sha256(json.dumps([scope, *keys], sort_keys=True).encode()).hexdigest()
    return "pulumi-" + digest[:32]


class AdministrativeUnitGroupProvider(MembershipProvider):
    # -- check ----------------------------------------------------------------------------------

    reference_args = (ReferenceArg("administrative_unit_id", UNIT_KINDS),)

    def check_inputs(self, olds: dict, news: dict):
        inputs = {k: v for k, v in news.items() if k in ARGS}
        problems: list[tuple[str, str]] = []

        def known(k: str) -> bool:
            return not has_unknown(news.get(k))

        if known("administrative_unit_id"):
            inputs["administrative_unit_id"], p = check_guid(news.get("administrative_unit_id"),
                                                             "the administrative unit's object id")
            if p:
                problems.append(("administrative_unit_id", p))
        if known("display_name"):
            v = news.get("display_name")
            if not isinstance(v, str) or not v.strip():
                problems.append(("display_name", "is required: give the group's display name (a non-empty string)"))
            elif len(v) > DISPLAY_NAME_MAX:
                problems.append(("display_name", f"is {len(v)} characters long; at most {DISPLAY_NAME_MAX} are allowed"))
        if known("mail_nickname"):
            v = news.get("mail_nickname")
            p = (mail_nickname_problem(v) if isinstance(v, str) or v is None
                 else f"must be a string, got {type(v).__name__}")
            if p:
                problems.append(("mail_nickname", f"{v!r} {p}" if v else p))
        if known("description"):
            v = news.get("description")
            if v is not None and not isinstance(v, str):
                problems.append(("description", f"must be a string, got {type(v).__name__}"))
        for k, default in (("security_enabled", True), ("mail_enabled", False), ("is_assignable_to_role", None)):
            if known(k) and not (default is None and news.get(k) is None):
                inputs[k], p = check_bool(news.get(k), default)
                if p:
                    problems.append((k, p))
        if known("group_types"):
            inputs["group_types"], ps = self._group_types(news.get("group_types"))
            problems += [("group_types", p) for p in ps]
        if known("visibility") and news.get("visibility") is not None:
            v = news.get("visibility")
            match = [x for x in VISIBILITIES if isinstance(v, str) and x.lower() == v.lower()]
            if match:
                inputs["visibility"] = match[0]
            else:
                problems.append(("visibility", f"{v!r} is not a visibility; use one of {', '.join(VISIBILITIES)} "
                                               "(or leave it unset)"))
        if known("unique_name") and news.get("unique_name") is not None:
            v = news.get("unique_name")
            if not isinstance(v, str) or not v.strip():
                problems.append(("unique_name", "must be a non-empty string, or left unset to derive one"))
        if not problems:
            problems = self._kind_problems(inputs)
        if not problems and news.get("unique_name") is None:
            inputs["unique_name"] = derived_unique_name(news.get(SCOPE), inputs)
        if news.get(SCOPE) is not None:
            inputs[SCOPE] = news.get(SCOPE)
        if not problems:
            keys = ("administrative_unit_id", "group_types", "security_enabled", "mail_enabled")
            problems = self.directory_problems(olds, inputs, keys, lambda: self._directory_problems(inputs))
        return self.check_result(inputs, problems)

    @staticmethod
    def _group_types(value: Any) -> tuple[Any, list[str]]:
        if value is None:
            return [], []
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            return value, [f'must be a list such as ["Unified"] or [], got {type(value).__name__}']
        out, problems = set(), []
        for item in value:
            if isinstance(item, str) and item.lower() == "unified":
                out.add("Unified")
            elif isinstance(item, str) and item.lower() == "dynamicmembership":
                problems.append("DynamicMembership is not supported: a dynamic group needs a membership rule, "
                                "which this resource does not manage; create dynamic groups with azuread.Group")
            else:
                problems.append(f'{item!r} is not a group type this resource creates; use ["Unified"] for a '
                                "Microsoft 365 group or [] for a security group")
        return sorted(out), problems

    @staticmethod
    def _kind_problems(inputs: dict) -> list[tuple[str, str]]:
        """The group kinds Graph can create (docs/graph-behaviour.md §8), checked only on known values."""
        def val(k):
            v = inputs.get(k)
            return None if has_unknown(v) else v

        types, mail, security = val("group_types"), val("mail_enabled"), val("security_enabled")
        if types is None or has_unknown(inputs.get("group_types")):
            return []
        unified = "Unified" in types
        out = []
        if unified and mail is False:
            out.append(("mail_enabled", 'a Microsoft 365 group (group_types=["Unified"]) is always mail-enabled; '
                                        "set mail_enabled=True"))
        if not unified and mail is True:
            out.append(("mail_enabled", "Graph cannot create mail-enabled security groups or distribution groups "
                                        "(they are managed in Exchange); set mail_enabled=False for a security "
                                        'group, or group_types=["Unified"] for a Microsoft 365 group'))
        if not unified and mail is False and security is False:
            out.append(("security_enabled", "a group that is neither a Microsoft 365 group nor security-enabled "
                                            "cannot be created; set security_enabled=True"))
        vis = val("visibility")
        if vis is not None and not unified:
            out.append(("visibility", 'only Microsoft 365 groups (group_types=["Unified"]) have a visibility; '
                                      "leave it unset for a security group"))
        if val("is_assignable_to_role") is True and security is False:
            out.append(("is_assignable_to_role", "a role-assignable group must be security-enabled; "
                                                 "set security_enabled=True"))
        return out

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
        if unit.get("isMemberManagementRestricted") and ("Unified" in (inputs.get("group_types") or [])
                                                         or inputs.get("security_enabled") is False):
            raise InputError("group_types", f"administrative unit {unit_id} is a restricted-management unit, which "
                                            "takes only security groups; create a security group (group_types=[], "
                                            "security_enabled=True, mail_enabled=False)")

    # -- diff -----------------------------------------------------------------------------------

    def diff(self, id_: str, olds: dict, news: dict) -> DiffResult:
        def differs(k: str) -> bool:
            return has_unknown(news.get(k)) or _norm(k, olds.get(k)) != _norm(k, news.get(k))

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
        new_types = [] if has_unknown(news.get("group_types")) else _norm("group_types", news.get("group_types"))
        unified = "Unified" in _norm("group_types", olds.get("group_types")) + new_types
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
        body = {"displayName": props["display_name"], "mailNickname": props["mail_nickname"],
                "securityEnabled": _norm("security_enabled", props.get("security_enabled")),
                "mailEnabled": _norm("mail_enabled", props.get("mail_enabled")),
                "groupTypes": _norm("group_types", props.get("group_types"))}
        for k in ("description", "visibility", "is_assignable_to_role", "unique_name"):
            if props.get(k) is not None:
                body[CAMEL[k]] = props[k]

        try:
            # The client waits out a unit that is not replicated yet, and never creates twice.
            raw = self.client.create_group_in_unit(unit_id, body)
        except E.NotFound:
            raw = None
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
        pulumi.log.info(f"administrative unit {unit_id}: created group {raw['id']} ({props['display_name']})")
        return carry(CreateResult(raw["id"], self._outputs(raw, props)), props)

    def _outputs(self, raw: dict, inputs: dict) -> dict:
        return {**self._view(raw, inputs), "group_id": raw["id"],
                **{snake(n): raw.get(n) for n in GRAPH_OUTPUTS}}

    @staticmethod
    def _view(raw: dict, inputs: dict) -> dict:
        """The arguments as the directory has them now, comparable with the program's inputs:
        properties the program leaves unset (visibility, is_assignable_to_role) stay unset."""
        view = {"administrative_unit_id": inputs.get("administrative_unit_id"),
                "display_name": raw.get("displayName"), "mail_nickname": raw.get("mailNickname"),
                "description": raw.get("description") or None,
                "security_enabled": bool(raw.get("securityEnabled")), "mail_enabled": bool(raw.get("mailEnabled")),
                "group_types": sorted(raw.get("groupTypes") or []),
                "visibility": raw.get("visibility") if inputs.get("visibility") is not None else None,
                "is_assignable_to_role": (bool(raw.get("isAssignableToRole"))
                                          if inputs.get("is_assignable_to_role") is not None else None),
                # The group's own, else the input (a group made before unique names has none).
                "unique_name": raw.get("uniqueName") or inputs.get("unique_name")}
        if inputs.get(SCOPE) is not None:
            view[SCOPE] = inputs[SCOPE]
        return view

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
        outs = self._outputs(raw, props)
        ins = {k: outs[k] for k in ARGS}
        if props.get(SCOPE) is not None:
            ins[SCOPE] = props[SCOPE]
        return carry(ReadResult(id_, outs, inputs=ins), props)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        # Patch from the directory's actual state, so drift and half-done applies converge.
        current = self._get(id_, olds)
        if current is None:
            raise ApplyError(f"group {id_} no longer exists; run `pulumi refresh` and `pulumi up` to create it again")
        patch = {}
        for k in IN_PLACE:
            want = news.get(k)
            if k == "visibility" and want is None:
                continue
            have = current.get(CAMEL[k])
            if _norm(k, want) != _norm(k, have):
                patch[CAMEL[k]] = want
        if patch:
            try:
                self.client.update_group(id_, patch)
            except E.Forbidden as e:
                raise ApplyError(graph_message(e, hint=permission_hint("group_update"))) from None
            except E.GraphError as e:
                raise ApplyError(graph_message(e)) from None
            # Computed properties (mail, proxyAddresses) may follow the nickname: read them again;
            # our own 204-acknowledged values win over a lagging replica.
            current = {**(self.client.get_group_raw(id_) or current), **patch}
        return carry(UpdateResult(self._outputs(current, news)), news)

    def delete(self, id_: str, props: dict) -> None:
        try:
            self.client.delete_group(id_)  # False when already gone: that is success
        except E.Forbidden as e:
            raise ApplyError(graph_message(e, hint=permission_hint("group_update"))) from None
        except E.GraphError as e:
            raise ApplyError(graph_message(e)) from None


class AdministrativeUnitGroup(Resource, module="msgraph", name="AdministrativeUnitGroup"):
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

    administrative_unit_id: pulumi.Output[str]
    display_name: pulumi.Output[str]
    mail_nickname: pulumi.Output[str]
    security_enabled: pulumi.Output[bool]
    mail_enabled: pulumi.Output[bool]
    group_types: pulumi.Output[list]
    description: pulumi.Output[Optional[str]]
    visibility: pulumi.Output[Optional[str]]
    is_assignable_to_role: pulumi.Output[Optional[bool]]
    unique_name: pulumi.Output[Optional[str]]
    group_id: pulumi.Output[str]
    deleted_date_time: pulumi.Output[Optional[str]]
    classification: pulumi.Output[Optional[str]]
    created_date_time: pulumi.Output[str]
    expiration_date_time: pulumi.Output[Optional[str]]
    mail: pulumi.Output[Optional[str]]
    membership_rule: pulumi.Output[Optional[str]]
    membership_rule_processing_state: pulumi.Output[Optional[str]]
    on_premises_domain_name: pulumi.Output[Optional[str]]
    on_premises_last_sync_date_time: pulumi.Output[Optional[str]]
    on_premises_net_bios_name: pulumi.Output[Optional[str]]
    on_premises_sam_account_name: pulumi.Output[Optional[str]]
    on_premises_security_identifier: pulumi.Output[Optional[str]]
    on_premises_sync_enabled: pulumi.Output[Optional[bool]]
    preferred_data_location: pulumi.Output[Optional[str]]
    preferred_language: pulumi.Output[Optional[str]]
    proxy_addresses: pulumi.Output[list]
    renewed_date_time: pulumi.Output[Optional[str]]
    resource_behavior_options: pulumi.Output[list]
    resource_provisioning_options: pulumi.Output[list]
    security_identifier: pulumi.Output[str]
    theme: pulumi.Output[Optional[str]]
    on_premises_provisioning_errors: pulumi.Output[list]

    def __init__(self, resource_name: str, administrative_unit_id: pulumi.Input[str],
                 display_name: pulumi.Input[str], mail_nickname: pulumi.Input[str],
                 security_enabled: pulumi.Input[bool] = True, mail_enabled: pulumi.Input[bool] = False,
                 group_types: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
                 description: Optional[pulumi.Input[str]] = None, visibility: Optional[pulumi.Input[str]] = None,
                 is_assignable_to_role: Optional[pulumi.Input[bool]] = None,
                 unique_name: Optional[pulumi.Input[str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        props: dict[str, Any] = {
            "administrative_unit_id": administrative_unit_id, "display_name": display_name,
            "mail_nickname": mail_nickname, "security_enabled": security_enabled, "mail_enabled": mail_enabled,
            "group_types": group_types, "description": description, "visibility": visibility,
            "is_assignable_to_role": is_assignable_to_role, "unique_name": unique_name,
            SCOPE: _scope(resource_name, opts),
        }
        # Every output must be declared to be readable. `group_id` is the resource's id: taken
        # from `id`, it stays known in a preview of an in-place update (an undeclared-by-input
        # output would be unknown there and force dependents to show a replacement).
        props.update({k: None for k in OUTPUTS if k != "group_id"})
        super().__init__(AdministrativeUnitGroupProvider(), resource_name, props, opts)
        self.group_id = self.id


def _scope(resource_name: str, opts: Optional[pulumi.ResourceOptions]) -> str:
    """"project/stack[/parent name]/resource name": what tells this resource apart from every
    other resource of the organisation's stacks, for its derived unique name."""
    parent = opts.parent if opts else None
    names = ([str(getattr(parent, "_name", ""))] if parent is not None else []) + [resource_name]
    return "/".join([pulumi.get_project(), pulumi.get_stack(), *names])
