"""The credential chain's kinds besides the client secret, each through a fake identity platform:
certificate (client assertions), federated assertions (token, file, GitHub Actions), managed
identity (App Service, Service Fabric) and the Azure CLI (a stub `az`)."""
from __future__ import annotations

import json
import time

import jwt
import pytest

from msgraph_membership.graph.auth import credential_for
from msgraph_membership.graph.errors import AuthenticationError
from msgraph_membership.graph.settings import resolve_settings

from .conftest import BASE, CLIENT, SECRET, TENANT, parse_query, settings, write_stub_az


# -- certificate -----------------------------------------------------------------------------


def _assertion(post):
    a = post.data["client_assertion"]
    return jwt.get_unverified_header(a), a


@pytest.mark.parametrize("form", ["pem", "pem_encrypted", "pfx", "pfx_nopass"])
def test_certificate_signs_a_client_assertion(idp, certs, form):
    path = getattr(certs, form)
    pw = certs.password if form in ("pem_encrypted", "pfx") else None
    s = settings(clientCertificatePath=path, **({"clientCertificatePassword": pw} if pw else {}))
    assert credential_for(s, idp).get_token() == "token-1"
    post, = idp.token_posts()
    assert "client_secret" not in post.data
    assert post.data["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    header, token = _assertion(post)
    assert header["alg"] == "RS256"
    assert jwt.utils.base64url_decode(header["x5t"]).hex() == certs.sha1
    assert header["x5c"]  # the certificate rides along (subject name/issuer auth)
    from cryptography import x509
    pub = x509.load_pem_x509_certificate(certs.cert_pem.encode()).public_key()
    claims = jwt.decode(token, pub, algorithms=["RS256"],
                        audience=f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
    assert claims["iss"] == claims["sub"] == CLIENT


@pytest.mark.parametrize("form,password,expected", [
    ("pfx", "Wr0ng-P4ss", "wrong password"),
    ("pfx", None, "wrong password"),
    ("pem_encrypted", None, "is encrypted: set the password"),
    ("pem_encrypted", "Wr0ng-P4ss", "wrong password"),
    ("cert_only", None, "holds no private key"),
])
def test_certificate_problems_name_the_keys_and_never_the_password(idp, certs, form, password, expected):
    cfg = {"clientCertificatePath": getattr(certs, form), "useCli": "false"}
    if password:
        cfg["clientCertificatePassword"] = password
    with pytest.raises(AuthenticationError) as e:
        credential_for(settings(**cfg), idp).get_token()
    msg = str(e.value)
    assert expected in msg and "msgraph:clientCertificatePath" in msg
    assert certs.password not in msg and (password is None or f"'{password}'" not in msg)
    assert idp.token_posts() == []


def test_missing_certificate_file(idp, tmp_path):
    with pytest.raises(AuthenticationError, match="cannot read the certificate file"):
        credential_for(settings(clientCertificatePath=str(tmp_path / "nope.pem")), idp).get_token()


def test_unregistered_certificate_hint(idp, certs):
    idp.token_replies = [(401, {"error": "invalid_client", "error_description":
                                "AADSTS700027: Client assertion failed signature validation."})]
    with pytest.raises(AuthenticationError, match=r"AADSTS700027.*not registered.*msgraph:clientCertificatePath"):
        credential_for(settings(clientCertificatePath=certs.pem), idp).get_token()


# -- federated assertions --------------------------------------------------------------------


def test_federated_token_string_is_the_client_assertion(idp):
    credential_for(settings(oidcToken="header.payload.sig"), idp).get_token()
    post, = idp.token_posts()
    assert post.data["client_assertion"] == "header.payload.sig"
    assert "client_secret" not in post.data


def test_token_file_is_reread_on_every_token_request(idp, tmp_path):
    f = tmp_path / "token"
    f.write_text("first-assertion\n")
    cred = credential_for(resolve_settings(BASE, {"AZURE_FEDERATED_TOKEN_FILE": str(f)}), idp)
    cred.get_token()
    f.write_text("rotated-assertion")  # Kubernetes rotates the projected token
    cred.get_token(force_refresh=True)
    assert [p.data["client_assertion"] for p in idp.token_posts()] == ["first-assertion", "rotated-assertion"]


def test_missing_token_file_is_reported(idp, tmp_path):
    with pytest.raises(AuthenticationError, match=r"cannot read the token file .*msgraph:oidcTokenFilePath"):
        credential_for(settings(oidcTokenFilePath=str(tmp_path / "none"), useCli="false"), idp).get_token()


def test_github_actions_token_is_requested_for_the_exchange_audience(idp):
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh.test/github/token?api-version=2.0",
           "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-" + SECRET}
    cred = credential_for(resolve_settings(BASE, env), idp)
    assert cred.get_token() == "token-1"
    gh, = [c for c in idp.calls if "gh.test" in c.url]
    assert parse_query(gh.url) == {"api-version": "2.0", "audience": "api://AzureADTokenExchange"}
    assert gh.headers["Authorization"] == f"Bearer request-{SECRET}"
    assert idp.token_posts()[0].data["client_assertion"] == "gh-assertion"


def test_github_request_refused_names_the_request_token(idp):
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh.test/other", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": SECRET}
    with pytest.raises(AuthenticationError) as e:
        credential_for(resolve_settings({**BASE, "msgraph:useOidc": "true"}, env), idp).get_token()
    assert "answered 404" in str(e.value) and "ACTIONS_ID_TOKEN_REQUEST_TOKEN" in str(e.value)
    assert SECRET not in str(e.value)


def test_use_oidc_without_any_token_source(idp):
    with pytest.raises(AuthenticationError, match=r"federated token \(OIDC\): skipped: not configured"):
        credential_for(settings(useOidc="true"), idp).get_token()


def test_federated_rejection_hint(idp):
    idp.token_replies = [(400, {"error": "invalid_client", "error_description":
                                "AADSTS70021: No matching federated identity record found."})]
    with pytest.raises(AuthenticationError, match=r"AADSTS70021.*no federated credential.*msgraph:oidcToken"):
        credential_for(settings(oidcToken="a.b.c"), idp).get_token()


# -- managed identity ------------------------------------------------------------------------


@pytest.fixture
def app_service_msi(monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", "https://msi.test/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "identity-header-value")


@pytest.mark.parametrize("env,resource", [("global", "https://graph.microsoft.com"),
                                          ("china", "https://microsoftgraph.chinacloudapi.cn")])
def test_system_assigned_managed_identity(idp, app_service_msi, env, resource):
    cred = credential_for(resolve_settings({"msgraph:useMsi": "true", "msgraph:environment": env}, {}), idp)
    assert cred.get_token() == "token-1"
    assert cred.description == "managed identity (system-assigned)"
    call, = idp.calls
    assert call.params["resource"] == resource and "client_id" not in call.params
    assert call.headers["X-IDENTITY-HEADER"] == "identity-header-value"


def test_user_assigned_managed_identity(idp, app_service_msi):
    cred = credential_for(resolve_settings({"msgraph:msiClientId": "mi-client"}, {}), idp)
    cred.get_token()
    assert idp.calls[0].params["client_id"] == "mi-client"


def test_use_msi_takes_the_client_id_like_azuread(idp, app_service_msi):
    credential_for(resolve_settings({}, {"ARM_USE_MSI": "true", "ARM_CLIENT_ID": "from-arm"}), idp).get_token()
    assert idp.calls[0].params["client_id"] == "from-arm"


def test_managed_identity_force_refresh(idp, app_service_msi):
    cred = credential_for(resolve_settings({"msgraph:useMsi": "true"}, {}), idp)
    cred.get_token()
    assert cred.get_token() == "token-1"
    assert cred.get_token(force_refresh=True) == "token-2"


def test_no_managed_identity_endpoint(monkeypatch):
    import requests

    class Nothing:
        def request(self, method, url, **kw):
            raise requests.ConnectionError("no route")
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
    with pytest.raises(AuthenticationError, match=r"managed identity.*no managed identity endpoint answered"):
        credential_for(resolve_settings({"msgraph:useMsi": "true"}, {}), Nothing()).get_token()


# -- Azure CLI -------------------------------------------------------------------------------


def test_cli_token_with_resource_and_tenant(tmp_path, monkeypatch):
    log_file = tmp_path / "az.log"
    write_stub_az(tmp_path / "bin", {"accessToken": "cli-token", "expires_on": int(time.time()) + 3600},
                  log_file=log_file)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    cred = credential_for(resolve_settings({"msgraph:tenantId": TENANT, "msgraph:environment": "usgovernmentl5"}, {}),
                          None)
    assert cred.get_token() == cred.get_token() == "cli-token"
    call, = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert call[:2] == ["account", "get-access-token"] and len(call) == 8  # one run; options in any order
    assert {call[i]: call[i + 1] for i in range(2, 8, 2)} == {
        "--resource": "https://dod-graph.microsoft.us", "--output": "json", "--tenant": TENANT}


def test_cli_old_style_local_expiry(tmp_path, monkeypatch):
    soon = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(time.time() + 3600))
    write_stub_az(tmp_path / "bin", {"accessToken": "old-az", "expiresOn": soon})
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    cred = credential_for(resolve_settings({}, {}), None)
    assert cred.get_token() == "old-az"
    assert 3000 < cred._chosen._expires_at - time.time() <= 3600


def test_cli_not_logged_in(tmp_path, monkeypatch):
    write_stub_az(tmp_path / "bin", None, rc=1,
                  stderr="ERROR: Please run 'az login' to setup account.\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(AuthenticationError, match=r"Azure CLI: skipped: not logged in: run `az login`"):
        credential_for(resolve_settings({}, {}), None).get_token()


def test_cli_failure_shows_its_error_line(tmp_path, monkeypatch):
    write_stub_az(tmp_path / "bin", None, rc=1, stderr="WARNING: x\nERROR: AADSTS50076: MFA required\nmore\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(AuthenticationError, match=r"failed: ERROR: AADSTS50076: MFA required( \(see \S+/docs/authentication\.md\))?$"):
        credential_for(resolve_settings({"msgraph:useCli": "true"}, {}), None).get_token()


def test_service_fabric_gets_the_session_itself_for_thumbprint_pinning(monkeypatch):
    """On Service Fabric msal derives a session pinning IDENTITY_SERVER_THUMBPRINT from ours."""
    import msal.managed_identity
    import requests

    session, given = requests.Session(), []

    def derive(http_client, endpoint, thumbprint):
        given.append(http_client)
        raise msal.managed_identity.ManagedIdentityError("stop here")
    monkeypatch.setattr(msal.managed_identity, "_create_service_fabric_http_client", derive)
    for name, value in {"IDENTITY_ENDPOINT": "https://sf.test/token", "IDENTITY_HEADER": "h",
                        "IDENTITY_SERVER_THUMBPRINT": "ab" * 20}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(AuthenticationError, match="stop here"):
        credential_for(resolve_settings({"msgraph:useMsi": "true"}, {}), session).get_token()
    assert given and all(getattr(g, "http_client", g) is session for g in given)  # under msal's throttling
