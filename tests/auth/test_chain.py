"""The credential chain, driven through a fake identity platform in place of the requests session."""
from __future__ import annotations

import json
import logging
import threading
import time

import jwt
import pytest

from msgraph_membership.graph import auth
from msgraph_membership.graph.auth import (KIND_CERTIFICATE, KIND_CLI, KIND_FEDERATED, KIND_MSI,
                                           KIND_SECRET, credential_for, selected_kinds)
from msgraph_membership.graph.errors import AuthenticationError, ConfigurationError
from msgraph_membership.graph.settings import resolve_settings

from .conftest import CLIENT, SECRET, TENANT, parse_query, write_stub_az

BASE = {"msgraph:tenantId": TENANT, "msgraph:clientId": CLIENT}


def settings(**config):
    return resolve_settings({**BASE, **{f"msgraph:{k}": v for k, v in config.items()}}, {})


# -- selection -------------------------------------------------------------------------------


# BASE names an application (a client id and a tenant): the Azure CLI is never its fallback.
@pytest.mark.parametrize("config,env,kinds", [
    ({}, {}, []),
    ({"clientSecret": "x"}, {}, [KIND_SECRET]),
    ({"clientCertificatePath": "/c.pem"}, {}, [KIND_CERTIFICATE]),
    ({"clientCertificate": "MIIB"}, {}, [KIND_CERTIFICATE]),
    ({"oidcToken": "t"}, {}, [KIND_FEDERATED]),
    ({}, {"AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"}, [KIND_FEDERATED]),
    ({}, {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "r"},
     [KIND_FEDERATED]),
    ({}, {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh"}, []),  # a URL without its token
    ({"msiClientId": "mi"}, {}, [KIND_MSI]),
    ({"clientSecret": "x", "clientCertificatePath": "/c.pem", "oidcToken": "t"}, {},
     [KIND_SECRET, KIND_CERTIFICATE, KIND_FEDERATED]),
    ({"clientSecret": "x", "useCli": "false"}, {}, [KIND_SECRET]),
    ({"oidcToken": "t", "useOidc": "false"}, {}, []),
    ({"msiClientId": "mi", "useMsi": "false"}, {}, []),
    ({"clientSecret": "x", "useOidc": "true"}, {}, [KIND_FEDERATED]),
    ({"clientSecret": "x", "useMsi": "true"}, {}, [KIND_MSI]),
    ({"clientSecret": "x", "useCli": "true"}, {}, [KIND_CLI]),
    ({"useCli": "true", "useMsi": "true"}, {}, [KIND_MSI, KIND_CLI]),
])
def test_selection_follows_flags_then_present_settings(config, env, kinds):
    s = resolve_settings({**BASE, **{f"msgraph:{k}": v for k, v in config.items()}}, env)
    assert selected_kinds(s) == kinds


@pytest.mark.parametrize("config,kinds", [
    ({}, [KIND_CLI]),
    ({"msgraph:clientSecret": "x"}, [KIND_SECRET, KIND_CLI]),  # no application named: the CLI stays the fallback
    ({"msgraph:tenantId": TENANT}, [KIND_CLI]),
    ({"msgraph:msiClientId": "mi"}, [KIND_MSI, KIND_CLI]),
])
def test_without_an_application_the_azure_cli_is_the_fallback(config, kinds):
    assert selected_kinds(resolve_settings(config, {})) == kinds


def test_nothing_to_try_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="useCli is false"):
        credential_for(settings(useCli="false"), None)


def test_building_the_chain_sends_nothing(idp):
    credential_for(settings(clientSecret=SECRET), idp)
    assert idp.calls == []


# -- client secret ---------------------------------------------------------------------------


def test_client_secret_signs_in_with_the_clouds_scope(idp, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n")
    cred = credential_for(settings(clientSecret=SECRET, caBundle=str(ca)), idp)
    assert cred.get_token() == "token-1"
    discovery, = [c for c in idp.calls if c.method == "GET"]
    assert discovery.url == f"https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration"
    post, = idp.token_posts()
    assert post.url == f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    assert post.data["client_secret"] == SECRET
    assert post.data["scope"] == "https://graph.microsoft.com/.default"
    assert post.data["grant_type"] == "client_credentials"
    # TLS trust is passed on every request, so REQUESTS_CA_BUNDLE cannot override it.
    # The configured CA is trusted on every call, in addition to the default store.
    assert all("Y2E=" in open(c.kwargs["verify"]).read() and c.kwargs["timeout"] for c in idp.calls)
    assert cred.description.startswith(KIND_SECRET)


@pytest.mark.parametrize("env,login,scope", [
    ("usgovernmentl4", "login.microsoftonline.us", "https://graph.microsoft.us/.default"),
    ("usgovernmentl5", "login.microsoftonline.us", "https://dod-graph.microsoft.us/.default"),
    ("china", "login.partner.microsoftonline.cn", "https://microsoftgraph.chinacloudapi.cn/.default"),
])
def test_national_clouds_use_their_authority_and_scope(idp, env, login, scope):
    credential_for(settings(clientSecret=SECRET, environment=env), idp).get_token()
    post, = idp.token_posts()
    assert post.url == f"https://{login}/{TENANT}/oauth2/v2.0/token"
    assert post.data["scope"] == scope
    assert not any("discovery/instance" in c.url for c in idp.calls)


def test_overridden_authority_skips_instance_discovery_and_keeps_the_scope(idp):
    s = settings(clientSecret=SECRET, environment="usgovernmentl4", authorityHost="https://idp.test:8443")
    credential_for(s, idp).get_token()
    assert [c.url.split("?")[0] for c in idp.calls] == [
        f"https://idp.test:8443/{TENANT}/v2.0/.well-known/openid-configuration",
        f"https://idp.test:8443/{TENANT}/oauth2/v2.0/token"]
    assert idp.token_posts()[0].data["scope"] == "https://graph.microsoft.us/.default"


def test_well_known_authorities_need_no_instance_discovery_call(idp):
    # Discovery stays on for real clouds (msal validates the authority), but the four clouds'
    # hosts are on msal's well-known list, so signing in sends only discovery + token.
    credential_for(settings(clientSecret=SECRET), idp).get_token()
    assert len(idp.calls) == 2 and not any("discovery/instance" in c.url for c in idp.calls)


# -- caching and refresh ---------------------------------------------------------------------


def test_token_is_cached_until_near_expiry(idp):
    cred = credential_for(settings(clientSecret=SECRET), idp)
    assert cred.get_token() == cred.get_token() == "token-1"
    assert len(idp.token_posts()) == 1


def test_force_refresh_gets_a_new_token(idp):
    cred = credential_for(settings(clientSecret=SECRET), idp)
    cred.get_token()
    assert cred.get_token(force_refresh=True) == "token-2"
    assert cred.get_token() == "token-2"
    assert len(idp.token_posts()) == 2


def test_short_lived_tokens_are_refreshed_before_they_expire(idp):
    idp.expires_in = 1
    cred = credential_for(settings(clientSecret=SECRET), idp)
    assert cred.get_token() == "token-1"
    time.sleep(0.6)  # past half the lifetime: refresh
    assert cred.get_token() == "token-2"


def test_refresh_in_from_the_identity_platform_is_honoured(idp):
    idp.token_replies = [{"token_type": "Bearer", "expires_in": 3600, "refresh_in": 60,
                          "access_token": "first"}]
    cred = credential_for(settings(clientSecret=SECRET), idp)
    assert cred.get_token() == "first"
    assert 55 < cred._chosen._refresh_at - time.time() <= 60


class _Clocked(auth._Identity):
    def __init__(self, replies):
        super().__init__(None, None, "clocked", "clocked", None)
        self.replies = list(replies)

    def _acquire(self):
        r = self.replies.pop(0)
        if isinstance(r, Exception):
            raise r
        return r


def test_refresh_margin_is_five_minutes_for_hour_long_tokens(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(auth.time, "time", lambda: now[0])
    c = _Clocked([("a", 3600, None), ("b", 3600, None)])
    assert c.get_token() == "a"
    now[0] += 3600 - 301
    assert c.get_token() == "a"
    now[0] += 2
    assert c.get_token() == "b"


def test_a_failed_refresh_keeps_the_still_valid_token(monkeypatch, caplog):
    now = [1000.0]
    monkeypatch.setattr(auth.time, "time", lambda: now[0])
    c = _Clocked([("a", 3600, None), auth.CredentialRejected("login host down")])
    c.get_token()
    now[0] += 3400
    with caplog.at_level(logging.WARNING):
        assert c.get_token() == "a"
    assert "login host down" in caplog.text


def test_one_token_request_for_many_threads(idp):
    cred = credential_for(settings(clientSecret=SECRET), idp)
    tokens = []
    threads = [threading.Thread(target=lambda: tokens.append(cred.get_token())) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(tokens) == {"token-1"}
    assert len(idp.token_posts()) == 1


# -- failures --------------------------------------------------------------------------------

_BAD_SECRET = (401, {"error": "invalid_client", "error_codes": [7000215],
                     "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the "
                                          "secret being sent in the request is the client secret value.\r\n"
                                          "Trace ID: abc\r\nCorrelation ID: def\r\nTimestamp: now"})


def test_wrong_secret_names_the_aadsts_code_and_the_key_to_fix(idp, tmp_path, monkeypatch, caplog):
    log_file = tmp_path / "az.log"
    write_stub_az(tmp_path / "bin", {"accessToken": "cli", "expires_on": int(time.time()) + 3600},
                  log_file=log_file)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    idp.token_replies = [_BAD_SECRET]
    s = resolve_settings({**BASE}, {"ARM_CLIENT_SECRET": SECRET})
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as e:
        credential_for(s, idp).get_token()
    msg = str(e.value)
    assert "invalid_client" in msg and "AADSTS7000215: Invalid client secret provided" in msg
    assert "fix ARM_CLIENT_SECRET" in msg
    assert "Trace ID" not in msg
    assert e.value.code == "AADSTS7000215"
    assert SECRET not in msg and SECRET not in caplog.text
    # A rejected secret stops the chain: never fall through to the developer's own CLI login.
    assert not log_file.exists()
    assert [k for k, _ in e.value.attempts] == [KIND_SECRET]


def test_unavailable_kinds_are_skipped_and_all_are_listed(idp, no_az):
    s = resolve_settings({"msgraph:clientSecret": SECRET}, {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh",
                                                              "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "r"})
    with pytest.raises(AuthenticationError) as e:
        credential_for(s, idp).get_token()
    msg = str(e.value)
    assert [k for k, _ in e.value.attempts] == [KIND_SECRET, KIND_FEDERATED, KIND_CLI]
    assert "msgraph:clientId or ARM_CLIENT_ID" in msg and "msgraph:tenantId" in msg
    assert "`az` is not on PATH" in msg
    assert "not configured: " in msg and "client certificate" in msg and "managed identity" in msg
    assert SECRET not in msg
    assert idp.calls == []


def test_the_chain_moves_on_to_the_first_kind_that_works(idp, tmp_path, monkeypatch):
    write_stub_az(tmp_path / "bin", {"accessToken": "from-cli", "expires_on": int(time.time()) + 3600})
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    s = resolve_settings({"msgraph:clientSecret": SECRET}, {})  # no client id: secret is skipped
    cred = credential_for(s, idp)
    assert cred.get_token() == "from-cli"
    assert cred.description == KIND_CLI


def test_expired_secret_hint(idp):
    idp.token_replies = [(401, {"error": "invalid_client", "error_description":
                                "AADSTS7000222: The provided client secret keys are expired."})]
    with pytest.raises(AuthenticationError, match=r"AADSTS7000222.*create a new one and set msgraph:clientSecret"):
        credential_for(settings(clientSecret=SECRET, useCli="false"), idp).get_token()


def test_unknown_tenant_hint_names_tenant_and_environment(idp):
    idp.token_replies = [(400, {"error": "invalid_request", "error_codes": [90002],
                                "error_description": "AADSTS90002: Tenant 'x' not found."})]
    with pytest.raises(AuthenticationError, match=r"check msgraph:tenantId and msgraph:environment"):
        credential_for(settings(clientSecret=SECRET), idp).get_token()


def test_a_failure_after_sign_in_is_reported_against_the_chosen_kind(idp):
    cred = credential_for(settings(clientSecret=SECRET), idp)
    cred.get_token()
    idp.token_replies = [_BAD_SECRET]
    with pytest.raises(AuthenticationError, match=r"^client secret for application .*AADSTS7000215"):
        cred.get_token(force_refresh=True)


def test_unreachable_authority_is_a_clear_error():
    import requests

    class Down:
        def request(self, method, url, **kw):
            raise requests.ConnectionError(f"cannot connect to {url}")

    with pytest.raises(AuthenticationError, match=r"cannot reach https://login.microsoftonline.com: the connection "
                                                  r"failed \(ConnectionError\); the host comes from msgraph:environment"):
        credential_for(settings(clientSecret=SECRET, useCli="false"), Down()).get_token()


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


def test_a_broken_certificate_stops_the_chain_too(idp, certs, tmp_path, monkeypatch):
    log_file = tmp_path / "az.log"
    write_stub_az(tmp_path / "bin", {"accessToken": "cli", "expires_on": int(time.time()) + 3600},
                  log_file=log_file)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(AuthenticationError) as e:
        credential_for(settings(clientCertificatePath=certs.pfx), idp).get_token()  # no password
    assert [k for k, _ in e.value.attempts] == [KIND_CERTIFICATE]
    assert e.value.code is None and "not configured" not in str(e.value)
    assert not log_file.exists()


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


def test_a_chosen_user_assigned_identity_that_cannot_be_reached_never_falls_through_to_the_cli(
        tmp_path, monkeypatch):
    """msiClientId alone picks a managed identity: a network error reaching it stops the chain,
    naming the setting, instead of signing in as whoever is logged in to the Azure CLI."""
    import requests

    class Nothing:
        def request(self, method, url, **kw):
            raise requests.ConnectionError("no route")
    write_stub_az(tmp_path / "bin", {"accessToken": "developer-token", "expires_on": int(time.time()) + 3600})
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
    cred = credential_for(resolve_settings({"msgraph:msiClientId": "mi-client"}, {}), Nothing())
    with pytest.raises(AuthenticationError, match=r"msgraph:msiClientId") as info:
        cred.get_token()
    assert [kind for kind, _ in info.value.attempts] == [KIND_MSI]
    assert "developer-token" not in str(info.value)


def test_a_sign_in_host_that_does_not_resolve_names_the_full_host_and_the_setting():
    """A mistyped authorityHost: the whole host and the setting, not a truncated DNS error."""
    from msgraph_membership.graph.transport import new_session

    host = "https://login.microsoftonline-typo.invalid"
    s = resolve_settings({"msgraph:authorityHost": host, "msgraph:tenantId": TENANT, "msgraph:clientId": "app",
                          "msgraph:clientSecret": "s3cret-value", "msgraph:useCli": "false"}, {})
    with pytest.raises(AuthenticationError) as info:
        credential_for(s, new_session(True)).get_token()
    msg = str(info.value)
    assert f"cannot reach {host}: its name does not resolve; the host comes from msgraph:authorityHost" in msg
    assert "..." not in msg


def test_without_an_authority_host_the_environment_is_named():
    s = resolve_settings({"msgraph:environment": "usgovernmentl4"}, {})
    assert s.login_host_setting.startswith("msgraph:environment (usgovernmentl4 cloud")


def test_an_az_that_hangs_stops_the_chain_saying_so(tmp_path, monkeypatch):
    """`az account get-access-token` past its 60 s is a failure of the chosen login, not a skip."""
    import subprocess

    import azure.identity._credentials.azure_cli as azure_cli

    write_stub_az(tmp_path / "bin", {"accessToken": "never", "expires_on": int(time.time()) + 3600})
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))

    def hang(args, **kw):
        raise subprocess.TimeoutExpired(args, kw.get("timeout"))
    monkeypatch.setattr(azure_cli.subprocess, "check_output", hang)
    with pytest.raises(AuthenticationError, match=r"Azure CLI.*`az account get-access-token` took longer than 60 s"):
        credential_for(resolve_settings({}, {}), None).get_token()


@pytest.mark.parametrize("kind", ["clientSecret", "clientCertificatePath"])
def test_a_malformed_tenant_id_names_the_tenant_setting(idp, certs, kind):
    value = SECRET if kind == "clientSecret" else certs.pem
    with pytest.raises(AuthenticationError) as e:
        credential_for(settings(tenantId="contoso tenant/1", **{kind: value}), idp).get_token()
    assert "msgraph:tenantId ('contoso tenant/1') is not a tenant id" in str(e.value)
    assert "certificate file" not in str(e.value) and not idp.token_posts()


def test_a_github_answer_that_is_not_json_is_said_plainly(idp):
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh.test/github/not-json", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": SECRET}
    with pytest.raises(AuthenticationError, match=r"OIDC token request URL \(ACTIONS_ID_TOKEN_REQUEST_URL\) gave no token"):
        credential_for(resolve_settings({**BASE, "msgraph:useOidc": "true"}, env), idp).get_token()
