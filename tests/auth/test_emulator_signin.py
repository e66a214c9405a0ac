"""Every credential kind and every cloud signing in against the real emulator, then reading a
group through Graph with the token."""
from __future__ import annotations

import logging
import re
import time
import uuid

import jwt
import pytest
import requests

from msgraph_membership.graph.auth import KIND_CERTIFICATE, KIND_CLI, KIND_FEDERATED, KIND_SECRET, credential_for
from msgraph_membership.graph.errors import AuthenticationError
from msgraph_membership.graph.settings import resolve_settings
from msgraph_membership.graph.transport import new_session

from .conftest import make_certificate, write_stub_az

process = pytest.importorskip("msgraph_membership.emulator.process")

APP = "7f0c4bd5-0000-4000-8000-00000000c001"
APP_SECRET = "emu-" + uuid.uuid4().hex
GROUP = "7f0c4bd5-0000-4000-8000-00000000d001"
MI_SYSTEM = "7f0c4bd5-0000-4000-8000-00000000e001"
MI_USER = "7f0c4bd5-0000-4000-8000-00000000e011"
GITHUB_REQUEST_TOKEN = "gh-" + uuid.uuid4().hex
GITHUB_SUBJECT = "repo:contoso/infra:ref:refs/heads/main"
K8S_SUBJECT = "system:serviceaccount:infra:pulumi"
IDENTITY_HEADER = "idh-" + uuid.uuid4().hex
ROLES = ["GroupMember.ReadWrite.All", "Group.Read.All"]
EXCHANGE = "api://AzureADTokenExchange"

CLOUD_HOSTS = {
    "global": "https://graph.microsoft.com",
    "usgovernmentl4": "https://graph.microsoft.us",
    "usgovernmentl5": "https://dod-graph.microsoft.us",
    "china": "https://microsoftgraph.chinacloudapi.cn",
}


@pytest.fixture(scope="module")
def app_certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("emu-certs")
    return make_certificate(d, "registered"), make_certificate(d, "unregistered")


@pytest.fixture(scope="module")
def emu(app_certs):
    registered, _ = app_certs
    seed = {
        "apps": [{
            "client_id": APP, "client_secret": APP_SECRET, "roles": ROLES, "display_name": "auth-tests",
            "certificates": [registered.cert_pem],
            "federated_credentials": [
                {"issuer": "emulator", "subject": K8S_SUBJECT, "audiences": [EXCHANGE]},
                {"issuer": "https://token.actions.githubusercontent.com", "subject": GITHUB_SUBJECT,
                 "audiences": [EXCHANGE]},
            ],
        }],
        "github": {"request_token": GITHUB_REQUEST_TOKEN, "subject": GITHUB_SUBJECT},
        "managed_identities": [
            {"client_id": MI_SYSTEM, "system_assigned": True, "roles": ROLES},
            {"client_id": MI_USER, "system_assigned": False, "roles": ROLES},
        ],
        "identity_header": IDENTITY_HEADER,
        "groups": [{"id": GROUP, "displayName": "Auth tests", "mailNickname": "authtests",
                    "securityEnabled": True, "mailEnabled": False, "groupTypes": []}],
    }
    e = process.start_emulator(seed=seed)
    try:
        yield e
    finally:
        e.stop()


def _base(emu) -> str:
    """The emulator's origin (graph_url may carry the version)."""
    url = (getattr(emu, "base_url", None) or emu.graph_url).rstrip("/")
    for v in ("/v1.0", "/beta"):
        if url.endswith(v):
            return url[: -len(v)]
    return url


def _settings(emu, config=None, env=None, *, app=True):
    cfg = {"msgraph:graphEndpoint": _base(emu), "msgraph:authorityHost": emu.authority_host,
           "msgraph:caBundle": emu.ca_bundle, "msgraph:tenantId": emu.tenant_id, "msgraph:useCli": "false"}
    if app:
        cfg["msgraph:clientId"] = APP
    cfg.update({f"msgraph:{k}": v for k, v in (config or {}).items()})
    return resolve_settings(cfg, env or {})


def _sign_in_and_read_group(s):
    """Sign in with `s`, then GET /groups/{id} with the token: the end-to-end proof."""
    session = new_session(s.verify)
    cred = credential_for(s, session)
    token = cred.get_token()
    r = session.get(f"{s.graph_url}/groups/{GROUP}", headers={"Authorization": f"Bearer {token}"},
                    verify=s.verify, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == GROUP
    return cred, jwt.decode(token, options={"verify_signature": False})


def _assertion(emu, subject: str, audience: str = EXCHANGE) -> str:
    r = requests.post(f"{_base(emu)}/_emulator/oidc/token", json={"subject": subject, "audience": audience},
                      verify=emu.ca_bundle, timeout=30)
    r.raise_for_status()
    return r.json()["value"]


# -- one test per credential kind ------------------------------------------------------------


def test_client_secret(emu):
    cred, claims = _sign_in_and_read_group(_settings(emu, {"clientSecret": APP_SECRET}))
    assert cred.description.startswith(KIND_SECRET)
    assert claims["appid"] == APP and claims["aud"] == "https://graph.microsoft.com"


def test_pem_certificate(emu, app_certs):
    cred, claims = _sign_in_and_read_group(_settings(emu, {"clientCertificatePath": app_certs[0].pem}))
    assert cred.description.startswith(KIND_CERTIFICATE) and claims["appid"] == APP


def test_pkcs12_certificate_with_password(emu, app_certs):
    registered = app_certs[0]
    s = _settings(emu, env={"ARM_CLIENT_CERTIFICATE_PATH": registered.pfx,
                            "ARM_CLIENT_CERTIFICATE_PASSWORD": registered.password})
    cred, claims = _sign_in_and_read_group(s)
    assert cred.description.startswith(KIND_CERTIFICATE) and claims["appid"] == APP


def test_federated_token_string(emu):
    s = _settings(emu, {"useOidc": "true", "oidcToken": _assertion(emu, K8S_SUBJECT)})
    cred, claims = _sign_in_and_read_group(s)
    assert cred.description.startswith(KIND_FEDERATED) and claims["appid"] == APP


def test_federated_token_file(emu, tmp_path):
    f = tmp_path / "azure-identity-token"
    f.write_text(_assertion(emu, K8S_SUBJECT))
    # What the AKS workload-identity webhook sets.
    s = _settings(emu, env={"AZURE_FEDERATED_TOKEN_FILE": str(f), "AZURE_CLIENT_ID": APP}, app=False)
    cred, claims = _sign_in_and_read_group(s)
    assert cred.description.startswith(KIND_FEDERATED) and claims["appid"] == APP


def test_github_actions_request_url(emu):
    env = {"ARM_USE_OIDC": "true",
           "ACTIONS_ID_TOKEN_REQUEST_URL": f"{_base(emu)}/_emulator/github/token?api-version=2.0",
           "ACTIONS_ID_TOKEN_REQUEST_TOKEN": GITHUB_REQUEST_TOKEN}
    cred, claims = _sign_in_and_read_group(_settings(emu, env=env))
    assert cred.description.startswith(KIND_FEDERATED) and claims["appid"] == APP


@pytest.fixture
def msi_env(emu, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{_base(emu)}/_emulator/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)


def test_system_assigned_managed_identity(emu, msi_env):
    cred, claims = _sign_in_and_read_group(_settings(emu, {"useMsi": "true"}, app=False))
    assert cred.description == "managed identity (system-assigned)"
    assert claims["appid"] not in (APP, MI_USER)  # the emulator may also have a default one


def test_user_assigned_managed_identity(emu, msi_env):
    cred, claims = _sign_in_and_read_group(_settings(emu, {"useMsi": "true", "msiClientId": MI_USER}, app=False))
    assert claims["appid"] == MI_USER


_AZ_STUB = """
import json, os, sys, time, requests
args = sys.argv[1:]
assert args[:2] == ["account", "get-access-token"], args
resource = args[args.index("--resource") + 1]
r = requests.post(os.environ["STUB_TOKEN_URL"], verify=os.environ["STUB_CA"], timeout=30, data={
    "grant_type": "client_credentials", "client_id": os.environ["STUB_CLIENT_ID"],
    "client_secret": os.environ["STUB_CLIENT_SECRET"], "scope": resource + "/.default"})
if r.status_code != 200:
    sys.stderr.write("ERROR: " + r.json().get("error_description", "").splitlines()[0] + "\\n")
    sys.exit(1)
body = r.json()
exp = int(time.time()) + int(body["expires_in"])
print(json.dumps({"accessToken": body["access_token"], "tokenType": "Bearer",
                  "expiresOn": time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(exp)),
                  "expires_on": exp, "tenant": args[args.index("--tenant") + 1] if "--tenant" in args else None}))
"""


@pytest.fixture
def az_on_path(emu, tmp_path, monkeypatch):
    """A stub `az` that gets a real emulator token with client credentials."""
    write_stub_az(tmp_path / "bin", script_body=_AZ_STUB)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("STUB_TOKEN_URL", f"{emu.authority_host.rstrip('/')}/{emu.tenant_id}/oauth2/v2.0/token")
    monkeypatch.setenv("STUB_CA", emu.ca_bundle)
    monkeypatch.setenv("STUB_CLIENT_ID", APP)
    monkeypatch.setenv("STUB_CLIENT_SECRET", APP_SECRET)


def test_azure_cli_is_the_fallback(emu, az_on_path):
    # Nothing configured but where Graph is: the CLI is the fallback, as in azuread.
    s = resolve_settings({"msgraph:graphEndpoint": _base(emu), "msgraph:caBundle": emu.ca_bundle,
                          "msgraph:tenantId": emu.tenant_id}, {})
    cred, claims = _sign_in_and_read_group(s)
    assert cred.description.startswith(KIND_CLI) and claims["appid"] == APP


# -- national clouds -------------------------------------------------------------------------


@pytest.mark.parametrize("environment", list(CLOUD_HOSTS))
def test_each_cloud_signs_in_for_its_own_graph(emu, environment):
    s = _settings(emu, {"clientSecret": APP_SECRET, "environment": environment})
    _, claims = _sign_in_and_read_group(s)
    assert claims["aud"] == CLOUD_HOSTS[environment]


def test_managed_identity_in_a_national_cloud(emu, msi_env):
    _, claims = _sign_in_and_read_group(_settings(emu, {"useMsi": "true", "environment": "china"}, app=False))
    assert claims["aud"] == CLOUD_HOSTS["china"]


def test_azure_cli_in_a_national_cloud(emu, az_on_path):
    s = resolve_settings({"msgraph:graphEndpoint": _base(emu), "msgraph:caBundle": emu.ca_bundle,
                          "msgraph:environment": "usgovernmentl5"}, {})
    _, claims = _sign_in_and_read_group(s)
    assert claims["aud"] == CLOUD_HOSTS["usgovernmentl5"]


# -- refresh and failures --------------------------------------------------------------------


@pytest.fixture
def short_tokens(emu):
    emu.faults({"token_lifetime_s": 2})
    yield
    emu.faults({})


def test_tokens_are_refreshed_before_they_expire(emu, short_tokens):
    s = _settings(emu, {"clientSecret": APP_SECRET})
    session = new_session(s.verify)
    cred = credential_for(s, session)
    first = cred.get_token()
    assert cred.get_token() == first  # cached
    time.sleep(1.2)  # past half of the 2 s lifetime
    second = cred.get_token()
    assert second != first
    r = session.get(f"{s.graph_url}/groups/{GROUP}", headers={"Authorization": f"Bearer {second}"},
                    verify=s.verify, timeout=30)
    assert r.status_code == 200
    time.sleep(2.1)  # the first token is now expired on the server too
    r = session.get(f"{s.graph_url}/groups/{GROUP}", headers={"Authorization": f"Bearer {first}"},
                    verify=s.verify, timeout=30)
    assert r.status_code == 401
    assert cred.get_token(force_refresh=True) not in (first, second)


def test_wrong_secret_is_a_clear_error_naming_the_key(emu):
    s = _settings(emu, env={"ARM_CLIENT_SECRET": "not-the-secret-" + uuid.uuid4().hex})
    with pytest.raises(AuthenticationError) as e:
        credential_for(s, new_session(s.verify)).get_token()
    msg = str(e.value)
    assert e.value.code == "AADSTS7000215"
    assert "AADSTS7000215: Invalid client secret provided" in msg and "fix ARM_CLIENT_SECRET" in msg
    assert s.client_secret.get_secret_value() not in msg and "Trace ID" not in msg


def test_unregistered_certificate_is_a_clear_error(emu, app_certs):
    s = _settings(emu, {"clientCertificatePath": app_certs[1].pem})
    with pytest.raises(AuthenticationError, match=r"AADSTS700027.*not registered.*msgraph:clientCertificatePath"):
        credential_for(s, new_session(s.verify)).get_token()


def test_federated_token_for_another_subject_is_a_clear_error(emu):
    s = _settings(emu, {"oidcToken": _assertion(emu, "system:serviceaccount:other:app")})
    with pytest.raises(AuthenticationError, match=r"AADSTS700213.*no federated credential.*msgraph:oidcToken") as e:
        credential_for(s, new_session(s.verify)).get_token()
    assert "eyJ" not in str(e.value)


def test_nothing_secret_reaches_the_logs_even_at_debug(emu, app_certs, caplog, tmp_path):
    """Secrets, request tokens, assertions and access tokens stay out of every logger (ours,
    msal's, urllib3's) at DEBUG, for each kind that handles one."""
    assertion = _assertion(emu, K8S_SUBJECT)
    token_file = tmp_path / "token"
    token_file.write_text(assertion)
    kinds = [
        {"clientSecret": APP_SECRET},
        {"clientCertificatePath": app_certs[0].pfx, "clientCertificatePassword": app_certs[0].password},
        {"oidcToken": assertion},
        {"oidcTokenFilePath": str(token_file)},
        {"useOidc": "true", "oidcRequestUrl": f"{_base(emu)}/_emulator/github/token?api-version=2.0",
         "oidcRequestToken": GITHUB_REQUEST_TOKEN},
    ]
    tokens = []
    with caplog.at_level(logging.DEBUG):
        for config in kinds:
            s = _settings(emu, config)
            cred = credential_for(s, new_session(s.verify))
            tokens += [cred.get_token(), cred.get_token(force_refresh=True)]
    text = caplog.text
    assert "msal" in text or "urllib3" in text or "sign-in" in text  # something was logged
    for secret in [APP_SECRET, app_certs[0].password, assertion, GITHUB_REQUEST_TOKEN, *tokens]:
        assert secret not in text
    assert not re.search(r"eyJ[\w-]{10,}\.", text)  # no JWT at all (certificate assertions too)


def test_unknown_user_assigned_identity_is_a_clear_error(emu, msi_env):
    s = _settings(emu, {"msiClientId": "7f0c4bd5-0000-4000-8000-00000000ffff"}, app=False)
    with pytest.raises(AuthenticationError, match=r"managed identity \(user-assigned .*ffff\).*No managed "
                                                  r"identity found.*check msgraph:msiClientId"):
        credential_for(s, new_session(s.verify)).get_token()
