"""A new group's properties as `AdministrativeUnitGroup`'s arguments and outputs: their names
(snake_case here, camelCase in Graph), defaults and the values diff compares, the checks of
what Graph can create (docs/graph-behaviour.md §8), the uniqueName derived for every group it
creates (docs/resources.md, "Unique names"), and the outputs read from Graph's answer.

Only pure functions live here; the resource (administrative_unit_group.py) calls Graph.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

import pulumi

from ..graph.rules import mail_nickname_problem
from ._base import check_bool, has_unknown, is_unknown, kind_of

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

class GroupOutputs:
    """Every output of `AdministrativeUnitGroup`, of its type: the arguments as applied, the new
    group's id, then the default properties Graph returns for a group (docs/graph-behaviour.md
    §1.8) in snake_case. Declared in a class body so type checkers see them; the names Graph
    uses for the latter are derived from it (GRAPH_OUTPUTS)."""

    administrative_unit_id: pulumi.Output[str]
    display_name: pulumi.Output[str]
    mail_nickname: pulumi.Output[str]
    security_enabled: pulumi.Output[bool]
    mail_enabled: pulumi.Output[bool]
    group_types: pulumi.Output[list[str]]
    description: pulumi.Output[str | None]
    visibility: pulumi.Output[str | None]
    is_assignable_to_role: pulumi.Output[bool | None]
    unique_name: pulumi.Output[str | None]
    group_id: pulumi.Output[str]
    # Graph's default properties, by subject. When the group was created, renewed, and expires
    # (Microsoft 365 groups with an expiration policy); deleted: only in the recycle bin.
    renewed_date_time: pulumi.Output[str | None]
    expiration_date_time: pulumi.Output[str | None]
    created_date_time: pulumi.Output[str]
    deleted_date_time: pulumi.Output[str | None]
    # Mail and the Microsoft 365 group's settings.
    theme: pulumi.Output[str | None]
    proxy_addresses: pulumi.Output[list[str]]
    classification: pulumi.Output[str | None]
    preferred_data_location: pulumi.Output[str | None]
    preferred_language: pulumi.Output[str | None]
    mail: pulumi.Output[str | None]
    # Dynamic membership.
    membership_rule_processing_state: pulumi.Output[str | None]
    membership_rule: pulumi.Output[str | None]
    # Identity and Microsoft 365 provisioning.
    security_identifier: pulumi.Output[str]
    resource_provisioning_options: pulumi.Output[list[str]]
    resource_behavior_options: pulumi.Output[list[str]]
    # Synchronised from on-premises Active Directory (None for a cloud group).
    on_premises_domain_name: pulumi.Output[str | None]
    on_premises_last_sync_date_time: pulumi.Output[str | None]
    on_premises_security_identifier: pulumi.Output[str | None]
    on_premises_sync_enabled: pulumi.Output[bool | None]
    on_premises_provisioning_errors: pulumi.Output[list[Any]]
    on_premises_net_bios_name: pulumi.Output[str | None]
    on_premises_sam_account_name: pulumi.Output[str | None]

def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# Graph's name -> the output's name, for the outputs that are neither arguments nor the id.
GRAPH_OUTPUTS: dict[str, str] = {camel(n): n for n in GroupOutputs.__annotations__ if n not in ARGS + ("group_id",)}
OUTPUTS = ("group_id",) + tuple(GRAPH_OUTPUTS.values())


def norm(key: str, v: Any) -> Any:
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


# -- check ----------------------------------------------------------------------------------------

def check_properties(news: dict, inputs: dict) -> list[tuple[str, str]]:
    """The group's properties from `news` into `inputs` (normalised), each unknown one left as
    it is; returns the problems, naming the argument. The unit is the resource's to check."""
    problems: list[tuple[str, str]] = []

    def known(k: str) -> bool:
        return not has_unknown(news.get(k))

    if known("display_name"):
        v = news.get("display_name")
        if not isinstance(v, str) or not v.strip():
            problems.append(("display_name", "is required: give the group's display name (a non-empty string)"))
        elif len(v) > DISPLAY_NAME_MAX:
            problems.append(("display_name", f"is {len(v)} characters long; at most {DISPLAY_NAME_MAX} are allowed"))
    if known("mail_nickname"):
        v = news.get("mail_nickname")
        p = (mail_nickname_problem(v) if isinstance(v, str) or v is None
             else f"must be a string, got {kind_of(v)}")
        if p:
            problems.append(("mail_nickname", f"{v!r} {p}" if v else p))
    if known("description"):
        v = news.get("description")
        if v is not None and not isinstance(v, str):
            problems.append(("description", f"must be a string, got {kind_of(v)}"))
    for k, default in (("security_enabled", True), ("mail_enabled", False), ("is_assignable_to_role", None)):
        if known(k) and not (default is None and news.get(k) is None):
            inputs[k], p = check_bool(news.get(k), default)
            if p:
                problems.append((k, p))
    if known("group_types"):
        inputs["group_types"], ps = check_group_types(news.get("group_types"))
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
    return problems


def check_group_types(value: Any) -> tuple[Any, list[str]]:
    if value is None:
        return [], []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        return value, [f'must be a list such as ["Unified"] or [], got {kind_of(value)}']
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


def kind_problems(inputs: dict) -> list[tuple[str, str]]:
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


# -- the unique name ------------------------------------------------------------------------------

def derived_unique_name(scope: Any, inputs: dict) -> str | None:
    """`pulumi-` and 32 hex digits of a hash of the scope (project/stack/resource name) and of
    the arguments whose change replaces the group, so a replacement gets a name of its own while
    a repeated create of the same resource gets the same one. None while anything is unknown."""
    keys = [inputs.get(k) for k in REPLACE] + [inputs.get("visibility") == "HiddenMembership"]
    if not isinstance(scope, str) or not scope or has_unknown(keys) or any(is_unknown(k) for k in keys):
        return None
    for k in ("group_types", "mail_enabled", "is_assignable_to_role"):
        keys[REPLACE.index(k)] = norm(k, inputs.get(k))
    digest = hashlib.sha256(json.dumps([scope, *keys], sort_keys=True).encode()).hexdigest()
    return "pulumi-" + digest[:32]


def unique_name_scope(resource_name: str, opts: Optional[pulumi.ResourceOptions]) -> str:
    """"project/stack[/parent name]/resource name": what tells this resource apart from every
    other resource of the organisation's stacks, for its derived unique name."""
    parent = opts.parent if opts else None
    names = ([str(getattr(parent, "_name", ""))] if parent is not None else []) + [resource_name]
    return "/".join([pulumi.get_project(), pulumi.get_stack(), *names])


# -- Graph's group, both ways ---------------------------------------------------------------------

def create_body(props: dict) -> dict:
    """The body of the create: every argument set, in Graph's names."""
    body = {"displayName": props["display_name"], "mailNickname": props["mail_nickname"],
            "securityEnabled": norm("security_enabled", props.get("security_enabled")),
            "mailEnabled": norm("mail_enabled", props.get("mail_enabled")),
            "groupTypes": norm("group_types", props.get("group_types"))}
    for k in ("description", "visibility", "is_assignable_to_role", "unique_name"):
        if props.get(k) is not None:
            body[CAMEL[k]] = props[k]
    return body


def patch_for(current: dict, news: dict) -> dict:
    """What `PATCH /groups/{id}` must change for the group Graph has now to match `news`."""
    patch = {}
    for k in IN_PLACE:
        want = news.get(k)
        if k == "visibility" and want is None:
            continue  # unset: Graph's default, not managed
        if norm(k, want) != norm(k, current.get(CAMEL[k])):
            patch[CAMEL[k]] = want
    return patch


def outputs(raw: dict, inputs: dict) -> dict:
    """The outputs for the group Graph returned: the arguments as it has them, and its properties."""
    return {**arguments_now(raw, inputs), "group_id": raw["id"], **{out: raw.get(n) for n, out in GRAPH_OUTPUTS.items()}}


def arguments_now(raw: dict, inputs: dict) -> dict:
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
