"""Group entities: default properties, creation and update validation (docs/graph-behaviour.md §1.8, §8).

Also the group's alternate key ``uniqueName``: unique in the tenant, set at creation, never
changed (https://learn.microsoft.com/graph/api/group-upsert; docs/resources.md, "Unique names").
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid

from . import errors
from .rules import is_unified, mail_nickname_valid

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
# https://learn.microsoft.com/graph/api/group-upsert).
CREATABLE = UPDATABLE | {"mailEnabled", "isAssignableToRole", "uniqueName"}
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
