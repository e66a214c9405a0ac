"""The bad-input matrix (docs/guarantees.md, "Bad input and bad configuration"): every case fails at preview (a Check failure) or
before any Graph write, with a message that names the argument and says what to change, and
leaves the directory exactly as it was.

Each case runs through a fresh provider server against the emulator: Check first (what
`pulumi preview` does); if Check lets it through, Create (what `pulumi up` does next). Then:
- the message names the argument (the Check failure's property, or the text of the error);
- it says what to change (case-specific words);
- the emulator's request log holds no Graph write request (POST/PATCH/PUT/DELETE, other than
  read-only POSTs such as getByIds);
- the directory is unchanged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from harness.server import ProviderServer, emulator_config, urn_for
from reliability.conftest import oid
from reliability.stack import graph_requests, graph_writes, is_write, provider_blob

SEC = oid("bad-sec")
DYN = oid("bad-dynamic")
DIST = oid("bad-distribution")
MESEC = oid("bad-mail-enabled-security")
M365 = oid("bad-m365")
M365_OTHER = oid("bad-m365-other")
ROLE = oid("bad-role-assignable")
USER = oid("bad-user")
USER2 = oid("bad-user-2")
DEVICE = oid("bad-device")
SP = oid("bad-sp")
UNIT = oid("bad-unit")
GHOST = oid("bad-ghost")  # a well-formed id that names nothing
TWIN1, TWIN2 = oid("bad-twin-1"), oid("bad-twin-2")  # two groups with one display name
NO_ROLE_MGMT_APP = oid("bad-app-no-role-management")
NO_ROLE_MGMT_SECRET = "no-role-management-secret-7d1c"

APP_ROLES = ["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "AdministrativeUnit.ReadWrite.All",
             "Directory.Read.All", "Group.Create"]  # everything but RoleManagement.ReadWrite.Directory


def seed() -> dict:
    def group(id_, name, **kw):
        return {"id": id_, "displayName": name, "mailNickname": name.lower().replace(" ", ""),
                "securityEnabled": True, "mailEnabled": False, "groupTypes": [], **kw}

    return {
        "apps": [{"client_id": NO_ROLE_MGMT_APP, "client_secret": NO_ROLE_MGMT_SECRET, "roles": APP_ROLES}],
        "users": [{"id": USER, "displayName": "Alice"}, {"id": USER2, "displayName": "Bob"}],
        "devices": [{"id": DEVICE, "displayName": "laptop"}],
        "servicePrincipals": [{"id": SP, "displayName": "build"}],
        "groups": [
            group(SEC, "Sec"),
            group(DYN, "Dyn", groupTypes=["DynamicMembership"], membershipRule='user.department -eq "Sales"',
                  membershipRuleProcessingState="On"),
            group(DIST, "Dist", securityEnabled=False, mailEnabled=True),
            group(MESEC, "MeSec", securityEnabled=True, mailEnabled=True),
            group(M365, "Team", groupTypes=["Unified"], mailEnabled=True, securityEnabled=False),
            group(M365_OTHER, "Team2", groupTypes=["Unified"], mailEnabled=True, securityEnabled=False),
            group(ROLE, "Admins", isAssignableToRole=True),
            {**group(TWIN1, "Twin"), "mailNickname": "twin1"},
            {**group(TWIN2, "Twin"), "mailNickname": "twin2"},
        ],
        "administrativeUnits": [{"id": UNIT, "displayName": "Paris"}],
    }


@dataclass
class Case:
    type_name: str
    inputs: dict
    prop: str                      # the argument the message must name
    fix: list[str]                 # words saying what to change (all must appear, any case)
    config: dict = field(default_factory=dict)  # stack config overrides (None value: unset)
    env: dict = field(default_factory=dict)


def gm(member_ids, group_id=SEC, **kw) -> dict:
    return {"group_id": group_id, "member_ids": member_ids, "authoritative": False, **kw}


def aug(nick, **kw) -> dict:
    return {"administrative_unit_id": UNIT, "display_name": "Lyon", "mail_nickname": nick, **kw}


# Environment variables that could supply credentials or trust behind the test's back.
NO_ENV_CREDENTIALS = {k: "" for k in (
    "ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET", "ARM_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PATH",
    "ARM_USE_OIDC", "ARM_OIDC_TOKEN", "ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE",
    "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ARM_USE_MSI", "IDENTITY_ENDPOINT",
    "MSI_ENDPOINT", "ARM_USE_CLI")}

OTHER_CA = "other-ca"  # placeholder replaced by a CA the emulator's certificate is not signed by

CASES: dict[str, Case] = {
    # -- ids: malformed, empty, wrong types ----------------------------------------------------
    "group_id-empty": Case("GroupMembers", gm([USER], group_id=""), "group_id", ["required", "guid"]),
    "group_id-missing": Case("GroupMembers", {"member_ids": [USER]}, "group_id", ["required", "guid"]),
    "group_id-a-name": Case("GroupMembers", gm([USER], group_id="Devs"), "group_id", ["not a guid", "object id"]),
    "group_id-truncated-guid": Case("GroupMembers", gm([USER], group_id=SEC[:-1]), "group_id", ["not a guid"]),
    "group_id-a-number": Case("GroupMembers", gm([USER], group_id=42), "group_id", ["string", "guid", "a number (42)"]),
    "group_id-a-list": Case("GroupMembers", gm([USER], group_id=[SEC]), "group_id", ["string", "guid"]),
    "member_ids-a-string": Case("GroupMembers", gm(USER), "member_ids", ["list"]),
    "member_ids-a-number": Case("GroupMembers", gm(7), "member_ids", ["list", "a number (7)"]),
    "member_ids-empty-id": Case("GroupMembers", gm([USER, ""]), "member_ids", ["required", "guid"]),
    # -- references by name ----------------------------------------------------------------------
    "member_ids-a-upn-nobody-has": Case("GroupMembers", gm([USER, "nobody.bad@contoso.test"]), "member_ids",
                                        ["'nobody.bad@contoso.test' matches no object", "object id"]),
    "member_ids-an-ambiguous-name": Case("GroupMembers", gm([USER, "group:Twin"]), "member_ids",
                                         [TWIN1, TWIN2, "ambiguous", "object id"]),
    "member_ids-app-not-a-guid": Case("GroupMembers", gm(["app:build"]), "member_ids",
                                      ["application id is a guid", "sp:"]),
    "member_ids-an-empty-name": Case("GroupMembers", gm(["group:"]), "member_ids", ["write a value"]),
    "group_id-a-user-reference": Case("GroupMembers", gm([USER], group_id="alice@contoso.test"), "group_id",
                                      ["names a user", "takes groups"]),
    "administrative_unit_id-a-group-reference": Case("AdministrativeUnitMembers",
                                                     {"administrative_unit_id": "group:Sec", "member_ids": [USER]},
                                                     "administrative_unit_id", ["names a group", "administrative units"]),
    "group_id-a-unit-reference": Case("GroupMembers", gm([USER], group_id="unit:Paris"), "group_id",
                                      ["names an administrative unit", "takes groups"]),
    "member_ids-an-unknown-prefix": Case("GroupMembers", gm(["grp:Sec"]), "member_ids",
                                         ["not a guid or a reference", "group:"]),
    # -- the guard against mass removal ---------------------------------------------------------
    "max_removals-negative": Case("GroupMembers", gm([USER], max_removals=-1), "max_removals", ["0 or more"]),
    "max_removals-a-word": Case("GroupMembers", gm([USER], max_removals="lots"), "max_removals", ["whole number"]),
    "max_removals-a-fraction": Case("MemberOf", {"member_id": USER, "group_ids": [SEC], "max_removals": 1.5},
                                    "max_removals", ["whole number"]),
    "protected_member_ids-a-bare-name": Case("GroupMembers", gm([USER], protected_member_ids=["Bob"]),
                                             "protected_member_ids", ["not a guid"]),
    "protected_group_ids-a-string": Case("MemberOf", {"member_id": USER, "group_ids": [SEC],
                                                      "protected_group_ids": SEC}, "protected_group_ids", ["list"]),
    "member_ids-nested-list": Case("GroupMembers", gm([USER, [USER2]]), "member_ids", ["flat list"]),
    "member_ids-a-dict": Case("GroupMembers", gm([{"id": USER}]), "member_ids", ["flat list"]),
    "member_ids-a-number-inside": Case("GroupMembers", gm([USER, 12]), "member_ids", ["string", "guid", "a number (12)"]),
    "member_ids-huge-list": Case("GroupMembers", gm([USER] * 100_001), "member_ids", ["at most"]),
    "member_ids-the-group-itself": Case("GroupMembers", gm([USER, SEC]), "member_ids", ["itself"]),
    "member_id-the-group-itself": Case("GroupMember", {"group_id": SEC, "member_id": SEC}, "member_id", ["itself"]),
    "authoritative-not-a-bool": Case("GroupMembers", gm([USER], authoritative="maybe"), "authoritative",
                                     ["true or false"]),
    # -- objects the directory does not have ---------------------------------------------------
    "member_ids-unknown-object": Case("GroupMembers", gm([USER, GHOST]), "member_ids",
                                      [GHOST, "do not exist", "remove"]),
    "group_id-unknown-group": Case("GroupMembers", gm([USER], group_id=GHOST), "group_id",
                                   [GHOST, "does not exist"]),
    "administrative_unit_id-unknown-unit": Case("AdministrativeUnitMembers",
                                                {"administrative_unit_id": GHOST, "member_ids": [USER]},
                                                "administrative_unit_id", [GHOST]),
    # -- groups Graph cannot change, and member types a group cannot hold -----------------------
    "dynamic-group": Case("GroupMembers", gm([USER], group_id=DYN), "group_id", ["dynamic", "rule"]),
    "distribution-group": Case("GroupMembers", gm([USER], group_id=DIST), "group_id",
                               ["distribution", "security or microsoft 365 group"]),
    "mail-enabled-security-group": Case("GroupMembers", gm([USER], group_id=MESEC), "group_id",
                                        ["mail-enabled security", "security or microsoft 365 group"]),
    "m365-group-with-a-device": Case("GroupMembers", gm([USER, DEVICE], group_id=M365), "member_ids",
                                     [DEVICE, "only users", "security group"]),
    "m365-group-with-a-service-principal": Case("GroupMember", {"group_id": M365, "member_id": SP}, "member_id",
                                                [SP, "only users"]),
    "m365-group-nested-in-a-group": Case("GroupMembers", gm([M365_OTHER]), "member_ids",
                                         [M365_OTHER, "microsoft 365 group"]),
    "unit-with-a-service-principal": Case("AdministrativeUnitMembers",
                                          {"administrative_unit_id": UNIT, "member_ids": [SP]},
                                          "member_ids", [SP, "users, groups and devices"]),
    "member_of-a-dynamic-group": Case("MemberOf", {"member_id": USER, "group_ids": [SEC, DYN]}, "group_ids",
                                      [DYN, "dynamic"]),
    # -- AdministrativeUnitGroup mail nicknames ------------------------------------------------
    "mail_nickname-with-a-space": Case("AdministrativeUnitGroup", aug("lyon staff"), "mail_nickname",
                                       ["space", "not allowed"]),
    "mail_nickname-with-an-at": Case("AdministrativeUnitGroup", aug("lyon@staff"), "mail_nickname",
                                     ["@", "not allowed"]),
    "mail_nickname-with-brackets": Case("AdministrativeUnitGroup", aug("lyon[1]"), "mail_nickname",
                                        ["[", "not allowed"]),
    "mail_nickname-too-long": Case("AdministrativeUnitGroup", aug("x" * 65), "mail_nickname", ["at most 64"]),
    "mail_nickname-empty": Case("AdministrativeUnitGroup", aug(""), "mail_nickname", ["empty"]),
    "mail_nickname-not-ascii": Case("AdministrativeUnitGroup", aug("équipe"), "mail_nickname", ["ascii"]),
    # -- configuration: cloud, credentials, trust ----------------------------------------------
    "unknown-cloud": Case("GroupMembers", gm([USER]), "msgraph:environment", ["mars", "global", "china"],
                          config={"msgraph:environment": "mars"}),
    "unknown-api-version": Case("GroupMembers", gm([USER]), "apiVersion", ["v1.0", "beta"],
                                config={"msgraph:apiVersion": "v2"}),
    "missing-credentials": Case("GroupMembers", gm([USER]), "msgraph:clientSecret", ["set"],
                                config={"msgraph:clientSecret": None}, env=NO_ENV_CREDENTIALS),
    "wrong-secret": Case("GroupMembers", gm([USER]), "msgraph:clientSecret", ["secret"],
                         config={"msgraph:clientSecret": "not-the-secret"}),
    "untrusted-ca-another-ca": Case("GroupMembers", gm([USER]), "msgraph:caBundle", ["certificate"],
                                    config={"msgraph:caBundle": OTHER_CA}),
    "untrusted-ca-none-configured": Case("GroupMembers", gm([USER]), "caBundle", ["certificate"],
                                         config={"msgraph:caBundle": None},
                                         env={"MSGRAPH_CA_BUNDLE": "", "REQUESTS_CA_BUNDLE": ""}),
}


# Known bugs, kept visible: the case still runs and must fail until fixed (strict xfail).
KNOWN_BUGS: dict[str, str] = {}  # none open


def case_params():
    return [pytest.param(n, id=n, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[n])] if n in KNOWN_BUGS else [])
            for n in CASES]


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory) -> str:
    from msgraph_membership.emulator import tls

    d = tmp_path_factory.mktemp("other-ca")
    tls._make_ca(Path(d))  # noqa: SLF001 - a CA that did not sign the emulator's certificate
    return str(Path(d) / "ca.pem")


def snapshot(emu) -> dict:
    d = emu.directory()
    return {k: v for k, v in d.items() if k not in ("apps", "managed_identities")}


_SHARED: dict[str, object] = {}


@pytest.fixture(scope="module", autouse=True)
def _stop_shared():
    yield
    server = _SHARED.pop("server", None)
    if server is not None:
        server.stop()


def attempt(start_server, emu, case: Case, other_ca: str) -> tuple[str, str]:
    """Check, then Create if Check let it through; returns (stage, message).

    Cases with the default configuration share one provider server (as one `pulumi up` does
    for all its resources); a case with its own configuration or environment gets its own."""
    if not case.config and not case.env:
        server = _SHARED.get("server")
        if server is None or server.proc.poll() is not None:
            server = _SHARED["server"] = ProviderServer(config=emulator_config(emu))
    else:
        config = emulator_config(emu)
        for k, v in case.config.items():
            if v is None:
                config.pop(k, None)
            else:
                config[k] = other_ca if v == OTHER_CA else v
        server = start_server(config, case.env)
    urn = urn_for(case.type_name, "bad")
    news = {"__provider": provider_blob(case.type_name), **case.inputs}
    inputs, failures = server.check(urn, {}, news)
    if failures:
        return "check", "\n".join(f"{p}: {r}" for p, r in failures)
    try:
        server.create(urn, inputs)
    except grpc.RpcError as e:
        return "apply", e.details() or ""
    pytest.fail(f"{case.type_name} {case.inputs!r:.200} was accepted and created")


@pytest.fixture
def directory(emu):
    emu.seed(seed())
    emu.clear_requests()
    return snapshot(emu)


@pytest.mark.parametrize("name", case_params())
def test_bad_input_fails_early_naming_the_argument_and_the_fix(name, emu, directory, start_server, other_ca):
    case = CASES[name]
    for d in CASES.values():  # build blobs in the main thread (the SDK's program side needs it)
        provider_blob(d.type_name)
    stage, message = attempt(start_server, emu, case, other_ca)
    low = message.lower()
    assert case.prop.lower() in low, f"[{stage}] the message does not name {case.prop}: {message}"
    for word in case.fix:
        assert str(word).lower() in low, f"[{stage}] the message does not say {word!r}: {message}"
    assert graph_writes(emu) == [], f"[{stage}] Graph writes were sent: {graph_writes(emu)[:3]}"
    assert snapshot(emu) == directory


def test_matrix_has_at_least_thirty_named_cases():
    assert len(CASES) >= 30
    assert len(CASES) - len(KNOWN_BUGS) >= 30  # thirty that pass today


def test_an_untrusted_ca_fails_at_preview_with_a_tls_error_and_no_graph_call(emu, directory, start_server, other_ca):
    """TLS verification is on whatever the configuration: a CA that did not sign the server's
    certificate gives a certificate error at preview, never a silent success."""
    stage, message = attempt(start_server, emu, CASES["untrusted-ca-another-ca"], other_ca)
    assert stage == "check" and "CERTIFICATE_VERIFY_FAILED" in message
    assert graph_requests(emu) == []


def test_huge_list_is_refused_at_preview_without_a_graph_call(emu, directory, start_server, other_ca):
    """A list over the limit costs no directory lookup: it fails in Check on its size alone."""
    stage, _ = attempt(start_server, emu, CASES["member_ids-huge-list"], other_ca)
    assert stage == "check"
    assert [r for r in graph_requests(emu)] == []


@pytest.mark.parametrize("name", ["dynamic-group", "distribution-group", "mail-enabled-security-group",
                                  "m365-group-with-a-device", "member_ids-unknown-object", "unknown-cloud",
                                  "mail_nickname-with-a-space", "member_ids-nested-list"])
def test_known_problems_fail_at_preview_not_at_apply(name, emu, directory, start_server, other_ca):
    """What the directory or the configuration already tells fails in Check (at preview)."""
    stage, message = attempt(start_server, emu, CASES[name], other_ca)
    assert stage == "check", message


# -- a role-assignable group, with an app that lacks RoleManagement.ReadWrite.Directory -----------

def _role_case_config(emu) -> dict:
    return {**emulator_config(emu), "msgraph:clientId": NO_ROLE_MGMT_APP, "msgraph:clientSecret": NO_ROLE_MGMT_SECRET}


ROLE_CASE = Case("GroupMembers", gm([USER, USER2], group_id=ROLE), "group_id",
                 ["RoleManagement.ReadWrite.Directory"])


def test_role_assignable_group_without_role_management_fails_naming_the_permission(
        emu, directory, start_server, other_ca):
    """Whether at preview or at apply, the message names the group and the missing permission,
    no write is accepted and the directory is unchanged."""
    case = Case(**{**ROLE_CASE.__dict__, "config": {k: v for k, v in _role_case_config(emu).items()}})
    stage, message = attempt(start_server, emu, case, other_ca)
    assert ROLE in message and "RoleManagement.ReadWrite.Directory" in message, message
    assert [r for r in graph_requests(emu) if is_write(r) and (r["status"] or 0) < 300] == []
    assert snapshot(emu) == directory


def test_role_assignable_group_without_role_management_fails_before_any_write(
        emu, directory, start_server, other_ca):
    case = Case(**{**ROLE_CASE.__dict__, "config": _role_case_config(emu)})
    stage, message = attempt(start_server, emu, case, other_ca)
    assert graph_writes(emu) == [], f"[{stage}] {message}"


def test_messages_never_echo_a_huge_input_whole(emu, directory, start_server, other_ca):
    """A huge or absurd value is shown shortened, so the error stays readable."""
    case = Case("GroupMembers", gm([USER], group_id="x" * 5000), "group_id", ["not a guid"])
    _, message = attempt(start_server, emu, case, other_ca)
    assert len(message) < 1000 and re.search("x{50}", message)
