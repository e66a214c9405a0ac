"""Group entities: default properties, creation and update validation (docs/graph-behaviour.md §1.8, §8).

Also the group's alternate key ``uniqueName``: unique in the tenant, set at creation, never
changed (https://learn.microsoft.com/graph/api/group-upsert; docs/resources.md, "Unique names").
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid

from . import errors
from .rules import ROLE_MANAGEMENT, check_member_writable, is_unified, mail_nickname_valid, require
from .owners import check_owners_writable

# The default properties of a group, in the order of the docs/graph-behaviour.md §1.8 example response.
GROUP_DEFAULTS = {
    "deletedDateTime": None,
    "classification": None,
    "createdDateTime": None,
    "description": None,
    "displayName": None,
    "expirationDateTime": None,
    "groupTypes": [],
    "isAssignableToRole": None,
    "mail": None,
    "mailEnabled": False,
    "mailNickname": None,
    "membershipRule": None,
    "membershipRuleProcessingState": None,
    "onPremisesDomainName": None,
    "onPremisesLastSyncDateTime": None,
    "onPremisesNetBiosName": None,
    "onPremisesSamAccountName": None,
    "onPremisesSecurityIdentifier": None,
    "onPremisesSyncEnabled": None,
    "preferredDataLocation": None,
    "preferredLanguage": None,
    "proxyAddresses": [],
    "renewedDateTime": None,
    "resourceBehaviorOptions": [],
    "resourceProvisioningOptions": [],
    "securityEnabled": True,
    "securityIdentifier": None,
    "theme": None,
    "visibility": None,
    "uniqueName": None,
    "onPremisesProvisioningErrors": [],
    "serviceProvisioningErrors": [],
}
UPDATABLE = frozenset({"displayName", "description", "mailNickname", "visibility", "securityEnabled", "groupTypes",
                       "membershipRule", "membershipRuleProcessingState", "classification", "preferredLanguage",
                       "theme"})
# uniqueName is set when the group is created and never changes (group upsert:
# https://learn.microsoft.com/graph/api/group-upsert); so are the resource options
# (https://learn.microsoft.com/graph/group-set-options): read-only after creation.
CREATION_OPTIONS = ("resourceBehaviorOptions", "resourceProvisioningOptions")
CREATABLE = UPDATABLE | {"mailEnabled", "isAssignableToRole", "uniqueName", *CREATION_OPTIONS}
BINDS = ("members@odata.bind", "owners@odata.bind")
# docs/graph-behaviour.md §8: "The service does not currently support writes of mail-enabled groups" for non-Unified kinds.
MAIL_ENABLED_WRITES = ("The service does not currently support writes of mail-enabled groups. Please ensure that "
                       "the mail-enablement property is unset or is set to false.")
DUPLICATE_PROXY_ADDRESS = "Another object with the same value for property proxyAddresses already exists."
# Graph's wording for a value that must be unique in the tenant, as for proxyAddresses.
DUPLICATE_UNIQUE_NAME = "Another object with the same value for property uniqueName already exists."


def find_by_unique_name(groups, unique_name: str):
    """The group (a store object) whose uniqueName is `unique_name`, or None. Graph compares
    alternate keys exactly as given."""
    for g in groups:
        if g.props.get("uniqueName") == unique_name:
            return g
    return None


def iso_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def security_identifier(obj_id: str) -> str:
    """Entra's ``S-1-12-1-a-b-c-d``: the object id's 16 bytes as four little-endian uint32."""
    parts = struct.unpack("<4I", uuid.UUID(obj_id).bytes_le)
    return "S-1-12-1-" + "-".join(str(p) for p in parts)


def with_defaults(obj_id: str, props: dict, domain: str) -> dict:
    """A complete group property set (seeded or created): defaults, mail, SID, visibility."""
    full = dict(GROUP_DEFAULTS)
    full.update({k: v for k, v in props.items() if k not in ("id", "members", "owners")})
    now = iso_now()
    full["createdDateTime"] = full["createdDateTime"] or now
    full["renewedDateTime"] = full["renewedDateTime"] or full["createdDateTime"]
    full["securityIdentifier"] = full["securityIdentifier"] or security_identifier(obj_id)
    full["groupTypes"] = list(full.get("groupTypes") or [])
    if full.get("mailEnabled") and not full.get("mail") and full.get("mailNickname"):
        full["mail"] = f"{full['mailNickname']}@{domain}"
    if full.get("mail") and not full.get("proxyAddresses"):
        full["proxyAddresses"] = [f"SMTP:{full['mail']}"]
    if is_unified(full) and not full.get("visibility"):
        full["visibility"] = "Public"
    if "DynamicMembership" in full["groupTypes"] and full.get("membershipRule") and not full.get("membershipRuleProcessingState"):
        full["membershipRuleProcessingState"] = "On"
    return full


def _invalid(prop: str) -> errors.GraphError:
    return errors.bad_request(errors.INVALID_PROPERTY_VALUE.format(prop=prop))


def _check_value(prop: str, value, creating: bool) -> None:
    if prop == "displayName" and not (isinstance(value, str) and value.strip() and len(value) <= 256):
        raise _invalid(prop)
    if prop == "mailNickname" and not mail_nickname_valid(value):
        raise _invalid(prop)
    if prop in ("securityEnabled", "mailEnabled") and not isinstance(value, bool):
        raise _invalid(prop)
    if prop == "isAssignableToRole" and value is not None and not isinstance(value, bool):
        raise _invalid(prop)
    if prop in ("description", "classification", "preferredLanguage", "theme", "membershipRule") and \
            value is not None and not isinstance(value, str):
        raise _invalid(prop)
    if prop == "visibility":
        allowed = {None, "Public", "Private"} | ({"HiddenMembership"} if creating else set())
        if value not in allowed:
            raise _invalid(prop)
    if prop == "groupTypes" and not (isinstance(value, list) and set(value) <= {"Unified", "DynamicMembership"}):
        raise _invalid(prop)
    if prop == "membershipRuleProcessingState" and value not in (None, "On", "Paused"):
        raise _invalid(prop)
    if prop == "uniqueName" and not (isinstance(value, str) and value.strip()):
        raise _invalid(prop)
    if prop in CREATION_OPTIONS and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise _invalid(prop)


def check_property_names(body: dict, allowed: frozenset) -> None:
    """400 for unknown properties (OData layer) and read-only ones (directory layer)."""
    for key in body:
        if key in BINDS or key == "@odata.type":
            continue
        if key in allowed:
            continue
        if key in GROUP_DEFAULTS or key == "id":
            raise errors.bad_request(errors.READ_ONLY_PROPERTY.format(prop=key))
        raise errors.bad_request(errors.UNKNOWN_PROPERTY.format(prop=key), code="BadRequest")


def validate_create(body: dict) -> dict:
    """The properties of a new group; raises the 400s of docs/graph-behaviour.md §1.8/§8."""
    check_property_names(body, CREATABLE)
    for prop in ("displayName", "mailEnabled", "mailNickname", "securityEnabled"):
        if prop not in body:
            raise _invalid(prop)
    for prop, value in body.items():
        if prop in CREATABLE:
            _check_value(prop, value, creating=True)
    props = {k: v for k, v in body.items() if k in CREATABLE}
    types = props.get("groupTypes") or []
    if props.get("mailEnabled") and "Unified" not in types:
        raise errors.bad_request(MAIL_ENABLED_WRITES)
    if "DynamicMembership" in types and not props.get("membershipRule"):
        raise _invalid("membershipRule")
    if props.get("isAssignableToRole") and ("DynamicMembership" in types or not props.get("securityEnabled")):
        raise _invalid("isAssignableToRole")
    return props


def validate_update(current: dict, body: dict) -> dict:
    """The changed properties of a PATCH; raises the 400s for read-only or invalid values."""
    check_property_names(body, UPDATABLE)
    changes = {k: v for k, v in body.items() if k in UPDATABLE}
    for prop, value in changes.items():
        _check_value(prop, value, creating=False)
    if "groupTypes" in changes and ("Unified" in changes["groupTypes"]) != is_unified(current):
        raise _invalid("groupTypes")
    return changes


def _invalid_unique_name() -> errors.GraphError:
    """uniqueName is immutable: a body that tries to change it is refused."""
    return errors.bad_request(errors.INVALID_PROPERTY_VALUE.format(prop="uniqueName"))


class GroupRules:
    """Creating, updating and deleting groups; mixed into ``Directory`` (directory.py), whose
    ``store``, ``tenant_domain``, ``load`` and ``resolve_binds`` (links.py) it uses."""

    def _new_group(self, who, payload, body: dict) -> tuple[str, dict, list[tuple[str, str]]]:
        props = validate_create(body)
        if props.get("isAssignableToRole") and ROLE_MANAGEMENT not in who.roles:
            raise errors.denied()
        binds = self.resolve_binds(who, payload, body, "group", None, props, check_existing=False)
        new_id = str(uuid.uuid4())
        full = with_defaults(new_id, props, self.tenant_domain())
        if full.get("uniqueName") and find_by_unique_name(self.store.list_objects("group"), full["uniqueName"]):
            raise errors.bad_request(DUPLICATE_UNIQUE_NAME)
        if full.get("mail"):
            for other in self.store.list_objects("group"):
                if (other.props.get("mail") or "").lower() == full["mail"].lower():
                    raise errors.bad_request(DUPLICATE_PROXY_ADDRESS)
        return new_id, full, binds

    def _store_group(self, who, new_id: str, full: dict, binds) -> None:
        self.store.put_object("group", full, new_id, via_graph=True, created_at=who.now)
        for rel, member in binds:
            self.store.add_link(new_id, rel, member, who.now)

    def create_group(self, who, payload) -> tuple[str, dict]:
        """``POST /groups``: the new group's id and properties."""
        require(who.roles, "group.create")
        body = payload.object()
        new_id, full, binds = self._new_group(who, payload, body)
        self._store_group(who, new_id, full, binds)
        return new_id, full

    def group_by_unique_name(self, who, unique_name: str, *, visible_only: bool = False):
        """The group with this alternate key; 404 naming the key when there is none."""
        found = find_by_unique_name(self.store.list_objects("group"), unique_name)
        if found is None or (visible_only and not self.visible(found, who)):
            raise errors.not_found(unique_name)
        return found

    def upsert_group(self, who, unique_name: str, payload, create_if_missing: bool) -> tuple[str, dict] | None:
        """``PATCH /groups(uniqueName='...')``: an update, or with ``Prefer: create-if-missing`` an
        upsert; the new group when it creates one, None when it updates
        (https://learn.microsoft.com/graph/api/group-upsert)."""
        found = find_by_unique_name(self.store.list_objects("group"), unique_name)
        if found is None and create_if_missing:
            require(who.roles, "group.upsert")
            body = payload.object()
            if body.get("uniqueName", unique_name) != unique_name:
                raise _invalid_unique_name()
            new_id, full, binds = self._new_group(who, payload, {**body, "uniqueName": unique_name})
            self._store_group(who, new_id, full, binds)
            return new_id, full
        if found is None:
            raise errors.not_found(unique_name)
        body = payload.object()
        if body.get("uniqueName", unique_name) != unique_name:
            raise _invalid_unique_name()
        # An upsert sends the whole group; properties set only at creation that it repeats
        # unchanged are not an update of them [inferred: the page shows no such case].
        same = {k for k, v in body.items() if k in CREATABLE - UPDATABLE and found.props.get(k) == v}
        self.patch_group(who, found.id, payload.replaced({k: v for k, v in body.items() if k not in same}))
        return None

    def patch_group(self, who, raw_id: str, payload) -> None:
        body = payload.object()
        has_binds = any(k in body for k in BINDS)
        group = self.load(who, raw_id, ("group",), write=has_binds)
        props_in_body = [k for k in body if k not in BINDS and k != "@odata.type"]
        if has_binds:
            require(who.roles, "group.members.add" if "members@odata.bind" in body else "group.owners.add")
            if "owners@odata.bind" in body:
                require(who.roles, "group.owners.add")
                check_owners_writable(group.props, who.roles)  # owners.py
            if "members@odata.bind" in body:
                check_member_writable(group.props, who.roles)
        if props_in_body:
            require(who.roles, "group.update")
        changes = validate_update(group.props, body)
        binds = self.resolve_binds(who, payload, body, "group", group.id, group.props,
                                   check_existing=True) if has_binds else []
        if changes:
            self.store.update_props(group.id, {**group.props, **changes})
        for rel, member in binds:
            self.store.add_link(group.id, rel, member, who.now)

    def delete_group(self, who, raw_id: str) -> None:
        group = self.load(who, raw_id, ("group",))
        require(who.roles, "group.delete")
        if group.props.get("isAssignableToRole") and ROLE_MANAGEMENT not in who.roles and \
                who.claims.get("oid") not in self.store.linked_ids(group.id, "owners", who.now):
            # group-delete: a role-assignable group needs the role permission, or the app as its owner.
            raise errors.denied()
        self.store.delete_object(group.id)
