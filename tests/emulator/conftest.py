"""Fixtures for the emulator's own tests: one emulator subprocess per session, a clean directory
per test, and a tiny Graph client that speaks plain HTTP (requests) to it.

The standard directory (``STANDARD``) is seeded by the ``emu`` fixture before every test.
"""

from __future__ import annotations

import os
import uuid

import pytest
import requests

from msgraph_membership.emulator.process import start_emulator

TENANT = "7f0c4bd5-0000-4000-8000-000000000001"
FULL_APP = "aaaaaaaa-0000-4000-8000-000000000001"
FULL_SECRET = "full-secret"
MEMBER_ONLY_APP = "aaaaaaaa-0000-4000-8000-000000000002"  # GroupMember.ReadWrite.All only
MEMBER_ONLY_SECRET = "member-only-secret"
READ_ONLY_APP = "aaaaaaaa-0000-4000-8000-000000000003"  # GroupMember.Read.All only
READ_ONLY_SECRET = "read-only-secret"
NO_ROLES_APP = "aaaaaaaa-0000-4000-8000-000000000004"
NO_ROLES_SECRET = "no-roles-secret"

FULL_ROLES = ["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "AdministrativeUnit.ReadWrite.All",
              "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Group.Create",
              "Device.ReadWrite.All", "Application.ReadWrite.All", "OrgContact.Read.All"]

APPS = [
    {"client_id": FULL_APP, "client_secret": FULL_SECRET, "roles": FULL_ROLES, "display_name": "full"},
    {"client_id": MEMBER_ONLY_APP, "client_secret": MEMBER_ONLY_SECRET, "roles": ["GroupMember.ReadWrite.All"]},
    {"client_id": READ_ONLY_APP, "client_secret": READ_ONLY_SECRET, "roles": ["GroupMember.Read.All"]},
    {"client_id": NO_ROLES_APP, "client_secret": NO_ROLES_SECRET, "roles": []},
]


def gid(n: int) -> str:
    """A readable fixed GUID."""
    return f"00000000-0000-4000-8000-{n:012d}"


ALICE, BOB, CAROL = gid(1), gid(2), gid(3)
DEVICE, SP, CONTACT = gid(10), gid(11), gid(12)
SEC, M365, DYNAMIC, MAIL_SEC, DISTRIBUTION, ROLE_GROUP, NESTED, EMPTY = (gid(n) for n in range(20, 28))
AU, RESTRICTED_AU = gid(40), gid(41)
MISSING = gid(999)

STANDARD = {
    "users": [
        {"id": ALICE, "displayName": "Alice", "userPrincipalName": "alice@contoso.test"},
        {"id": BOB, "displayName": "Bob", "userPrincipalName": "bob@contoso.test"},
        {"id": CAROL, "displayName": "Carol", "userPrincipalName": "carol@contoso.test"},
    ],
    "devices": [{"id": DEVICE, "displayName": "laptop-1"}],
    "servicePrincipals": [{"id": SP, "displayName": "ci-bot"}],
    "orgContacts": [{"id": CONTACT, "displayName": "Partner"}],
    "groups": [
        {"id": SEC, "displayName": "Devs", "mailNickname": "devs", "securityEnabled": True, "mailEnabled": False,
         "groupTypes": [], "owners": [ALICE]},
        {"id": M365, "displayName": "Team", "mailNickname": "team", "securityEnabled": False, "mailEnabled": True,
         "groupTypes": ["Unified"]},
        {"id": DYNAMIC, "displayName": "Sales", "mailNickname": "sales", "securityEnabled": True,
         "mailEnabled": False, "groupTypes": ["DynamicMembership"],
         "membershipRule": 'user.department -eq "Sales"'},
        {"id": MAIL_SEC, "displayName": "Mail sec", "mailNickname": "mailsec", "securityEnabled": True,
         "mailEnabled": True, "groupTypes": []},
        {"id": DISTRIBUTION, "displayName": "All staff", "mailNickname": "allstaff", "securityEnabled": False,
         "mailEnabled": True, "groupTypes": []},
        {"id": ROLE_GROUP, "displayName": "Admins", "mailNickname": "admins", "securityEnabled": True,
         "mailEnabled": False, "isAssignableToRole": True},
        {"id": NESTED, "displayName": "Nested", "mailNickname": "nested", "members": [SEC]},
        {"id": EMPTY, "displayName": "Empty", "mailNickname": "empty"},
    ],
    "administrativeUnits": [
        {"id": AU, "displayName": "Paris"},
        {"id": RESTRICTED_AU, "displayName": "Vault", "isMemberManagementRestricted": True},
    ],
}


class Graph:
    """A minimal Graph client for the tests: tokens by client secret, verify=CA on every call."""

    def __init__(self, emu, client_id: str = FULL_APP, secret: str = FULL_SECRET, version: str = "v1.0"):
        self.emu = emu
        self.client_id = client_id
        self.secret = secret
        self.version = version
        self.session = requests.Session()
        self.session.trust_env = False
        self._token: str | None = None

    @property
    def token_url(self) -> str:
        return f"{self.emu.authority_host}/{self.emu.tenant_id}/oauth2/v2.0/token"

    def get_token(self, scope: str = "https://graph.microsoft.com/.default", **form) -> requests.Response:
        data = {"client_id": self.client_id, "client_secret": self.secret, "grant_type": "client_credentials",
                "scope": scope, **form}
        return self.session.post(self.token_url, data=data, verify=self.emu.ca_bundle, timeout=30)

    @property
    def token(self) -> str:
        if self._token is None:
            r = self.get_token()
            assert r.status_code == 200, r.text
            self._token = r.json()["access_token"]
        return self._token

    def url(self, path: str, version: str | None = None) -> str:
        if path.startswith("https://"):
            return path
        return f"{self.emu.graph_url}/{version or self.version}/{path.lstrip('/')}"

    def call(self, method: str, path: str, json=None, headers=None, version=None, token=None, auth=True, **kw):
        h = {}
        if auth:
            h["Authorization"] = f"Bearer {token if token is not None else self.token}"
        h.update(headers or {})
        return self.session.request(method, self.url(path, version), json=json, headers=h,
                                    verify=self.emu.ca_bundle, timeout=30, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.call("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    # --- membership shorthands ---
    def ref(self, obj_id: str, entity_set: str = "directoryObjects") -> dict:
        return {"@odata.id": f"https://graph.microsoft.com/v1.0/{entity_set}/{obj_id}"}

    def add_member(self, group: str, member: str, **kw):
        return self.post(f"groups/{group}/members/$ref", self.ref(member), **kw)

    def remove_member(self, group: str, member: str, **kw):
        return self.delete(f"groups/{group}/members/{member}/$ref", **kw)

    def member_ids(self, group: str, container: str = "groups") -> list[str]:
        ids, url = [], f"{container}/{group}/members?$select=id"
        while url:
            r = self.get(url)
            assert r.status_code == 200, r.text
            ids += [m["id"] for m in r.json()["value"]]
            url = r.json().get("@odata.nextLink")
        return ids


def error_of(resp) -> tuple[int, str, str]:
    body = resp.json()["error"]
    return resp.status_code, body["code"], body["message"]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    tls_dir = tmp_path_factory.mktemp("tls")
    emu = start_emulator(seed={"tenant_id": TENANT, "apps": APPS}, tls_dir=str(tls_dir))
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(emulator):
    """The session emulator, reset and seeded with ``STANDARD``; faults and the log cleared."""
    emulator.faults({})
    emulator.reset()
    emulator.seed(STANDARD)
    emulator.clear_requests()
    yield emulator
    emulator.faults({})


@pytest.fixture
def graph(emu) -> Graph:
    return Graph(emu)


@pytest.fixture
def new_id():
    return lambda: str(uuid.uuid4())


@pytest.fixture(autouse=True)
def _no_ca_env(monkeypatch):
    # These machines set REQUESTS_CA_BUNDLE; our sessions ignore the environment anyway.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if name in os.environ:
            monkeypatch.delenv(name)
