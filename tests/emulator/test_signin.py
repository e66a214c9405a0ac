"""Certificate, federated, GitHub Actions and managed-identity sign-in (docs/graph-behaviour.md §7)."""

from __future__ import annotations

import hashlib

import jwt
import msal
import pytest
import requests
from cryptography import x509

from msgraph_membership.emulator.tls import make_client_certificate

from .conftest import SEC, error_of

CERT_APP = "cccccccc-0000-4000-8000-000000000001"
FED_APP = "cccccccc-0000-4000-8000-000000000002"
ROLES = ["GroupMember.ReadWrite.All", "Directory.Read.All"]
K8S_SUBJECT = "system:serviceaccount:infra:pulumi"
GITHUB_SUBJECT = "repo:contoso/infra:ref:refs/heads/main"
GITHUB_REQUEST_TOKEN = "gh-request-token"
IDENTITY_HEADER = "identity-header-value"
MI_SYSTEM = "dddddddd-0000-4000-8000-000000000001"
MI_USER = "dddddddd-0000-4000-8000-000000000002"


@pytest.fixture(scope="module")
def certs():
    return make_client_certificate("registered"), make_client_certificate("unregistered")


@pytest.fixture
def signin(emu, certs):
    emu.seed({
        "apps": [
            {"client_id": CERT_APP, "roles": ROLES, "certificates": [certs[0][0].decode()]},
            {"client_id": FED_APP, "client_secret": None, "roles": ROLES, "federated_credentials": [
                {"issuer": "emulator", "subject": K8S_SUBJECT, "audiences": ["api://AzureADTokenExchange"]},
                {"issuer": "https://token.actions.githubusercontent.com", "subject": GITHUB_SUBJECT,
                 "audiences": ["api://AzureADTokenExchange"]}]},
        ],
        "github": {"request_token": GITHUB_REQUEST_TOKEN, "subject": GITHUB_SUBJECT},
        "identity_header": IDENTITY_HEADER,
        "managed_identities": [{"client_id": MI_SYSTEM, "roles": ROLES, "system_assigned": True},
                               {"client_id": MI_USER, "roles": ROLES, "system_assigned": False}],
    })
    return emu


def _session(emu):
    s = requests.Session()
    s.trust_env = False
    s.verify = emu.ca_bundle
    return s


def _cca(emu, client_id, credential):
    return msal.ConfidentialClientApplication(client_id, client_credential=credential,
                                              authority=f"{emu.authority_host}/{emu.tenant_id}",
                                              instance_discovery=False, http_client=_session(emu))


def _works_on_graph(emu, token):
    r = _session(emu).get(f"{emu.graph_url}/v1.0/groups/{SEC}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text


def _sha1(cert_pem: bytes) -> str:
    return hashlib.sha1(x509.load_pem_x509_certificate(cert_pem).public_bytes(  # noqa: S324
        __import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).Encoding.DER)).hexdigest()


@pytest.mark.parametrize("with_public_certificate", [False, True], ids=["x5t-RS256", "x5t#S256-PS256"])
def test_certificate_client_assertion_signs_in(signin, certs, with_public_certificate):
    """a client assertion signed by a certificate registered for the app (x5t or x5t#S256)."""
    cert_pem, key_pem = certs[0]
    credential = {"private_key": key_pem.decode(), "thumbprint": _sha1(cert_pem)}
    if with_public_certificate:
        credential["public_certificate"] = cert_pem.decode()
    result = _cca(signin, CERT_APP, credential).acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    assert jwt.decode(result["access_token"], options={"verify_signature": False})["appid"] == CERT_APP
    _works_on_graph(signin, result["access_token"])


def test_unregistered_certificate_is_refused(signin, certs):
    """a certificate not registered on the app -> invalid_client AADSTS700027."""
    cert_pem, key_pem = certs[1]
    result = _cca(signin, CERT_APP, {"private_key": key_pem.decode(), "thumbprint": _sha1(cert_pem)}) \
        .acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert result.get("error") == "invalid_client" and 700027 in result["error_codes"]


def _mint(emu, subject, audience="api://AzureADTokenExchange"):
    r = _session(emu).post(f"{emu.base_url}/_emulator/oidc/token", json={"subject": subject, "audience": audience})
    assert r.status_code == 200
    return r.json()["token"]


def test_federated_assertion_from_emulator_issuer_signs_in(signin):
    """workload identity federation with the emulator's own OIDC issuer."""
    assertion = _mint(signin, K8S_SUBJECT)
    result = _cca(signin, FED_APP, {"client_assertion": lambda: assertion}).acquire_token_for_client(
        ["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    _works_on_graph(signin, result["access_token"])
    doc = _session(signin).get(f"{signin.base_url}/_emulator/oidc/.well-known/openid-configuration").json()
    keys = _session(signin).get(doc["jwks_uri"]).json()["keys"]
    assert jwt.decode(assertion, jwt.PyJWK(keys[0]).key, algorithms=["RS256"], audience="api://AzureADTokenExchange")


@pytest.mark.parametrize("subject,audience,code", [
    ("system:serviceaccount:other:sa", "api://AzureADTokenExchange", 700213),
    (K8S_SUBJECT, "api://other", 700212),
])
def test_federated_assertion_with_wrong_subject_or_audience_is_refused(signin, subject, audience, code):
    """subject and audience must match a registered federated credential."""
    result = _cca(signin, FED_APP, {"client_assertion": lambda: _mint(signin, subject, audience)}) \
        .acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert code in result.get("error_codes", []), result


def test_github_actions_token_endpoint_and_federation(signin):
    """ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN stand-in; its JWT signs in through federation."""
    s = _session(signin)
    url = f"{signin.base_url}/_emulator/github/token?api-version=2.0&audience=api://AzureADTokenExchange"
    assert s.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = s.get(url, headers={"Authorization": f"Bearer {GITHUB_REQUEST_TOKEN}"})
    assert r.status_code == 200
    claims = jwt.decode(r.json()["value"], options={"verify_signature": False})
    assert claims["iss"] == "https://token.actions.githubusercontent.com" and claims["sub"] == GITHUB_SUBJECT
    assertion = r.json()["value"]
    result = _cca(signin, FED_APP, {"client_assertion": lambda: assertion}).acquire_token_for_client(
        ["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result


@pytest.fixture
def msi_env(signin, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{signin.base_url}/_emulator/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    return signin


@pytest.mark.parametrize("identity,expected", [
    (msal.SystemAssignedManagedIdentity(), MI_SYSTEM),
    (msal.UserAssignedManagedIdentity(client_id=MI_USER), MI_USER),
])
def test_managed_identity_app_service_protocol(msi_env, identity, expected):
    """msal's ManagedIdentityClient (App Service: IDENTITY_ENDPOINT + IDENTITY_HEADER)."""
    client = msal.ManagedIdentityClient(identity, http_client=_session(msi_env))
    result = client.acquire_token_for_client(resource="https://graph.microsoft.com")
    assert "access_token" in result, result
    assert jwt.decode(result["access_token"], options={"verify_signature": False})["appid"] == expected
    _works_on_graph(msi_env, result["access_token"])


def test_managed_identity_wrong_header_is_refused(msi_env):
    """the MSI endpoint checks X-IDENTITY-HEADER."""
    r = _session(msi_env).get(f"{msi_env.base_url}/_emulator/msi/token",
                              params={"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"},
                              headers={"X-IDENTITY-HEADER": "wrong"})
    assert r.status_code == 401


def test_managed_identity_token_for_other_resource_is_refused_by_graph(msi_env):
    """§3/§6: the resource decides the audience; Graph refuses a token for another resource."""
    client = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=_session(msi_env))
    token = client.acquire_token_for_client(resource="https://management.azure.com")["access_token"]
    r = _session(msi_env).get(f"{msi_env.graph_url}/v1.0/groups/{SEC}", headers={"Authorization": f"Bearer {token}"})
    assert error_of(r)[2] == "Access token validation failure. Invalid audience."
