"""The admin API's documents, checked at the door: a seed, the fault settings, a reset's body.

Each document is validated whole (types, ranges, unknown keys, finite numbers) before anything is
applied, so a refused call changes nothing; ``AdminDocError`` carries every problem found, which
the admin API answers as 400. pydantic (a dependency already) does the checking: strict types, so
``"5"`` is not a number and ``5`` is not a string.

Directory objects in a seed may carry any Graph property (the types have hundreds); the ones the
emulator reads are typed here, and ``id``, ``members`` and ``owners`` are checked everywhere.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Literal, Optional, Union

from pydantic import (BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model, field_validator,
                      model_validator)

from . import rules

Guid = Annotated[str, StringConstraints(pattern=rules.GUID_RE.pattern)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# One label of a DNS name (the tenant's domain, e.g. contoso.test, is labels joined by dots).
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
Rate = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class AdminDocError(ValueError):
    """A document the admin API refuses; the message lists what is wrong, one problem a line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Open(BaseModel):
    """A directory object: the typed properties below, any other Graph property as given."""

    model_config = ConfigDict(extra="allow", strict=True)
    id: Optional[Guid] = None
    displayName: Optional[Name] = None
    description: Optional[str] = None
    mail: Optional[str] = None
    mailNickname: Optional[str] = None

    @model_validator(mode="after")
    def _links_only_on_containers(self):
        for rel in ("members", "owners"):
            if rel in (self.model_extra or {}):
                raise ValueError(f"{rel}: only groups (members, owners) and administrative units (members) hold links")
        return self


# ``password``: the user signs in with it (the resource-owner password grant); never shown by Graph.
_User = create_model("_User", __base__=_Open, userPrincipalName=(Optional[Name], None),
                     accountEnabled=(Optional[bool], None), password=(Optional[Text], None))
_Device = create_model("_Device", __base__=_Open, accountEnabled=(Optional[bool], None), deviceId=(Optional[Name], None))
_ServicePrincipal = create_model("_ServicePrincipal", __base__=_Open, accountEnabled=(Optional[bool], None),
                                 appId=(Optional[Name], None))


class _Group(_Open):
    securityEnabled: Optional[bool] = None
    mailEnabled: Optional[bool] = None
    isAssignableToRole: Optional[bool] = None
    onPremisesSyncEnabled: Optional[bool] = None
    groupTypes: Optional[list[Literal["Unified", "DynamicMembership"]]] = None
    membershipRule: Optional[str] = None
    visibility: Optional[Literal["Public", "Private", "HiddenMembership"]] = None
    uniqueName: Optional[Name] = None
    proxyAddresses: Optional[list[str]] = None
    members: list[Guid] = []
    owners: list[Guid] = []

    @field_validator("mailNickname")
    @classmethod
    def _nickname(cls, value):
        if value is not None and not rules.mail_nickname_valid(value):
            raise ValueError("not a valid mailNickname (1-64 ASCII characters, none of @()\\[]\";:.<>, or space)")
        return value


class _Unit(_Open):
    isMemberManagementRestricted: Optional[bool] = None
    visibility: Optional[Literal["Public", "HiddenMembership"]] = None
    members: list[Guid] = []


class _RoleAssignment(_Strict):
    """Graph's unifiedRoleAssignment: a built-in role (its template id) at the tenant (``/``) or a unit's scope."""

    id: Optional[Name] = None
    principalId: Guid
    roleDefinitionId: Guid
    directoryScopeId: Annotated[str, StringConstraints(
        pattern=r"^/(administrativeUnits/" + rules.GUID_RE.pattern.strip("^$") + ")?$")] = "/"


class _FederatedCredential(_Strict):
    issuer: Text
    subject: Text
    audiences: list[Text] = ["api://AzureADTokenExchange"]


class _App(_Strict):
    client_id: Optional[Text] = None
    client_secret: Optional[Text] = None
    client_secrets: list[Text] = []
    roles: Optional[list[Name]] = None
    display_name: Optional[Name] = None
    object_id: Optional[Guid] = None
    certificates: Union[Text, list[Text], None] = None
    federated_credentials: list[_FederatedCredential] = []


class _ManagedIdentity(_Strict):
    client_id: Optional[Text] = None
    object_id: Optional[Guid] = None
    resource_id: Optional[Text] = None
    roles: Optional[list[Name]] = None
    system_assigned: bool = False
    display_name: Optional[Name] = None


class _GitHub(_Strict):
    request_token: Optional[Text] = None
    subject: Optional[Text] = None


class SeedDoc(_Strict):
    tenant_id: Optional[Guid] = None
    domain: Optional[Name] = None
    apps: list[_App] = []
    github: Optional[_GitHub] = None
    managed_identities: list[_ManagedIdentity] = []
    identity_header: Optional[Text] = None
    users: list[_User] = []
    groups: list[_Group] = []
    devices: list[_Device] = []
    servicePrincipals: list[_ServicePrincipal] = []
    orgContacts: list[_Open] = []
    contacts: list[_Open] = []
    administrativeUnits: list[_Unit] = []
    roleAssignments: list[_RoleAssignment] = []

    @field_validator("domain")
    @classmethod
    def _domain(cls, value):
        if value is not None and not all(_LABEL.match(label) for label in value.split(".")):
            raise ValueError("not a DNS name (labels of letters, digits and hyphens, joined by dots)")
        return value


# The share of calls each fault takes (faults.py).
RATE_KEYS = ("throttle_rate", "unavailable_rate", "gateway_timeout_rate", "drop_rate", "drop_after_rate",
             "cut_body_rate")


class _FaultTimes(_Strict):
    """The settings of faults.py besides the rates; ``retry_after_s: null`` (no header) differs
    from leaving it out (1 s)."""

    retry_after_s: Optional[Annotated[int, Field(ge=0, le=86_400)]] = None
    retry_after_http_date: Optional[bool] = None
    latency_ms: Optional[Annotated[float, Field(ge=0, le=120_000, allow_inf_nan=False)]] = None
    replication_lag_ms: Optional[Annotated[float, Field(ge=0, le=3_600_000, allow_inf_nan=False)]] = None
    # Negative lifetimes mint tokens that are already expired (tests of expiry use them).
    token_lifetime_s: Optional[Annotated[int, Field(ge=-86_400, le=86_400)]] = None
    seed: Union[Annotated[int, Field(ge=-(2 ** 63), le=2 ** 63 - 1)], Annotated[str, StringConstraints(max_length=256)],
                None] = None
    # Graph's identity quotas (quota.py): on unless false; the tenant-size class, else from the users.
    quota: Optional[bool] = None
    tenant_size: Optional[Literal["S", "M", "L"]] = None


FaultDoc = create_model("FaultDoc", __base__=_FaultTimes, **{key: (Optional[Rate], None) for key in RATE_KEYS})


class ResetDoc(_Strict):
    """``POST /_emulator/reset`` takes no settings: an empty body or ``{}``."""


def _reject_constant(name: str):
    raise AdminDocError(f"{name} is not a JSON number")


def parse(body: bytes | None):
    """The JSON of an admin call's body (empty: ``{}``); NaN and Infinity, which Python's json takes, are refused."""
    if not body:
        return {}
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, AdminDocError):
            raise
        raise AdminDocError(f"the body is not JSON: {exc}") from None


def _check(model: type[BaseModel], doc, what: str) -> BaseModel:
    if not isinstance(doc, dict):
        raise AdminDocError(f"{what} is a JSON object")
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or what}: {e['msg']}" for e in exc.errors()]
        raise AdminDocError("\n".join(problems)) from None


def check_seed(doc) -> None:
    """Raise ``AdminDocError`` unless ``doc`` is a well-formed seed (the directory is not consulted)."""
    _check(SeedDoc, doc, "a seed")
    _check_finite(doc, "seed")


def check_faults(doc) -> dict:
    """The fault settings as given, once they are well-formed; ``AdminDocError`` otherwise."""
    _check(FaultDoc, doc, "the fault settings")
    return doc


def check_reset(doc) -> None:
    _check(ResetDoc, doc, "a reset")


def _check_finite(value, where: str) -> None:
    """No non-finite number anywhere (a seed's open properties included)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise AdminDocError(f"{where}: {value} is not a finite number")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(v, f"{where}.{i}")
