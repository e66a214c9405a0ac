"""Sign-in safety without the CLI: nothing goes to a host that is not https, pulumi-azuread's credential
settings are read (or refused by name), a configured application never falls through to another
identity, and each failure names its real cause."""
from __future__ import annotations

import base64
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
import requests

from msgraph_membership.graph.auth import KIND_CERTIFICATE, KIND_CLI, KIND_FEDERATED, credential_for
from msgraph_membership.graph.client import GraphClient
from msgraph_membership.graph.errors import AuthenticationError, ConfigurationError, tls_failure
from msgraph_membership.graph.session import CleartextRefused, new_session
from msgraph_membership.graph.settings import resolve_settings

from .conftest import CLIENT, SECRET, TENANT, write_stub_az

APP = {"ARM_TENANT_ID": TENANT, "ARM_CLIENT_ID": CLIENT}


class PlainListener:
    """A plain-HTTP server on loopback that records every request's path and headers."""

    def __init__(self):
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                seen.append((self.command, self.path, dict(self.headers)))
                body = json.dumps({"value": [], "access_token": "x", "expires_in": 3600}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            do_GET = do_POST = _any

            def log_message(self, *a):
                pass
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    p = PlainListener()
    yield p
    p.close()


# -- https only ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["MSGRAPH_ENDPOINT", "AZURE_AUTHORITY_HOST"])
def test_a_plain_http_host_is_refused_naming_its_setting_and_the_listener_gets_nothing(listener, name):
    s = resolve_settings({}, {**APP, "ARM_CLIENT_SECRET": SECRET, name: listener.url})
    with pytest.raises(ConfigurationError) as e:
        GraphClient(s).get_group("00000000-0000-4000-8000-000000000001")
    assert f"{name} is '{listener.url}', which is not an https:// URL" in str(e.value)
    assert SECRET not in str(e.value)
    assert listener.seen == []


def test_a_plain_http_oidc_request_url_is_refused_before_the_request_token_is_sent(listener):
    env = {**APP, "ARM_USE_OIDC": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": listener.url + "/token",
           "ACTIONS_ID_TOKEN_REQUEST_TOKEN": SECRET}
    with pytest.raises(ConfigurationError, match=r"ACTIONS_ID_TOKEN_REQUEST_URL is .*not an https:// URL"):
        credential_for(resolve_settings({}, env), new_session(True)).get_token()
    assert listener.seen == []


def test_the_session_never_sends_an_authorization_header_over_plain_http(listener):
    """The last line behind the settings: whatever the URL's origin, a bearer token is not sent in
    cleartext; a plain request without one (a managed identity endpoint on the machine) still is."""
    session = new_session(True)
    with pytest.raises(CleartextRefused, match="refused to send a bearer token over plain HTTP"):
        session.get(listener.url + "/v1.0/groups", headers={"Authorization": "Bearer eyJx.eyJy.z"}, timeout=5)
    assert listener.seen == []
    assert session.get(listener.url + "/msi/token", headers={"Metadata": "true"}, timeout=5).status_code == 200
    # Azure Arc's local endpoint takes its key as Basic: still sent, to the machine itself.
    assert session.get(listener.url + "/arc", headers={"Authorization": "Basic a2V5"}, timeout=5).status_code == 200
    assert [(m, p) for m, p, _ in listener.seen] == [("GET", "/msi/token"), ("GET", "/arc")]


@pytest.mark.parametrize("endpoint", ["https://graph.example/v1.0", "https://graph.example/beta/"])
def test_an_endpoint_with_an_api_version_is_refused_naming_graph_endpoint(endpoint):
    with pytest.raises(ConfigurationError, match=r"MSGRAPH_ENDPOINT is .* ends in an API version.*"
                                                 r"https://graph.example\)"):
        resolve_settings({}, {"MSGRAPH_ENDPOINT": endpoint}).graph_url


# -- pulumi-azuread's settings ---------------------------------------------------------------------

def test_the_client_secret_is_read_from_its_file(idp, tmp_path):
    f = tmp_path / "secret"
    f.write_text(SECRET + "\n")
    cred = credential_for(resolve_settings({"azuread:tenantId": TENANT, "azuread:clientId": CLIENT,
                                            "azuread:clientSecretFilePath": str(f)}, {}), idp)
    cred.get_token()
    post, = idp.token_posts()
    assert post.data["client_secret"] == SECRET and post.data["client_id"] == CLIENT


def test_the_client_id_is_read_from_its_file(idp, tmp_path):
    f = tmp_path / "client-id"
    f.write_text(CLIENT)
    credential_for(resolve_settings({}, {"ARM_TENANT_ID": TENANT, "ARM_CLIENT_ID_FILE_PATH": str(f),
                                         "ARM_CLIENT_SECRET": SECRET}), idp).get_token()
    assert idp.token_posts()[0].data["client_id"] == CLIENT


def test_a_secret_file_that_disagrees_with_the_secret_is_refused_without_either_value(idp, tmp_path):
    f = tmp_path / "secret"
    f.write_text("the-file-secret")
    with pytest.raises(ConfigurationError) as e:
        credential_for(resolve_settings({}, {**APP, "ARM_CLIENT_SECRET": SECRET,
                                             "ARM_CLIENT_SECRET_FILE_PATH": str(f)}), idp)
    assert "ARM_CLIENT_SECRET and the file" in str(e.value) and "ARM_CLIENT_SECRET_FILE_PATH" in str(e.value)
    assert SECRET not in str(e.value) and "the-file-secret" not in str(e.value)


def test_a_missing_secret_file_names_its_setting(idp, tmp_path):
    with pytest.raises(ConfigurationError, match=r"cannot read .*nope \(azuread:clientSecretFilePath\)"):
        credential_for(resolve_settings({"azuread:clientSecretFilePath": str(tmp_path / "nope")}, APP), idp)


def test_a_base64_pkcs12_client_certificate_signs_the_assertion(idp, certs):
    data = base64.b64encode(open(certs.pfx, "rb").read()).decode()
    cred = credential_for(resolve_settings({"azuread:clientCertificate": data,
                                            "azuread:clientCertificatePassword": certs.password}, APP), idp)
    cred.get_token()
    assert cred.description.startswith(KIND_CERTIFICATE)
    post, = idp.token_posts()
    assert "client_assertion" in post.data and "client_secret" not in post.data


def test_a_client_certificate_that_is_not_base64_names_the_setting(idp):
    with pytest.raises(AuthenticationError, match=r"ARM_CLIENT_CERTIFICATE is not base64"):
        credential_for(resolve_settings({}, {**APP, "ARM_CLIENT_CERTIFICATE": "not base64!"}), idp).get_token()
    assert idp.token_posts() == []


@pytest.mark.parametrize("env,named", [
    ({"ARM_METADATA_HOSTNAME": "management.azure.com"}, "ARM_METADATA_HOSTNAME"),
    ({"ARM_USE_MSI": "true", "ARM_MSI_ENDPOINT": "http://169.254.169.254/x"}, "ARM_MSI_ENDPOINT"),
    ({"ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID": "sc"}, "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID"),
])
def test_azuread_settings_not_supported_are_refused_by_name(idp, env, named):
    with pytest.raises(ConfigurationError, match=f"{named} is set but not supported"):
        credential_for(resolve_settings({}, {**APP, "ARM_CLIENT_SECRET": SECRET, **env}), idp)
    assert idp.calls == []


@pytest.mark.parametrize("given", [(), ("MSGRAPH_ENDPOINT",), ("AZURE_AUTHORITY_HOST",)])
def test_a_metadata_host_is_refused_unless_both_hosts_are_given(idp, given):
    hosts = {"MSGRAPH_ENDPOINT": "https://graph.example.test", "AZURE_AUTHORITY_HOST": "https://login.example.test"}
    env = {**APP, "ARM_CLIENT_SECRET": SECRET, "ARM_METADATA_HOSTNAME": "meta.example.test",
           **{k: hosts[k] for k in given}}
    with pytest.raises(ConfigurationError, match="ARM_METADATA_HOSTNAME is set but not supported.*both"):
        credential_for(resolve_settings({}, env), idp)
    assert idp.calls == []


def test_with_both_hosts_given_the_metadata_host_is_left_to_pulumi_azuread(idp):
    settings = resolve_settings({}, {**APP, "ARM_CLIENT_SECRET": SECRET, "ARM_METADATA_HOSTNAME": "meta.example.test",
                                     "MSGRAPH_ENDPOINT": "https://graph.example.test",
                                     "AZURE_AUTHORITY_HOST": "https://login.example.test"})
    credential_for(settings, idp).get_token()
    assert {urlparse(c.url).netloc for c in idp.calls} == {"login.example.test"}  # never the metadata host
    assert settings.graph_url == "https://graph.example.test/v1.0"


def test_an_msi_endpoint_counts_only_when_a_managed_identity_is_used(idp):
    credential_for(resolve_settings({}, {**APP, "ARM_CLIENT_SECRET": SECRET, "ARM_MSI_ENDPOINT": "http://x"}),
                   idp).get_token()
    assert idp.token_posts()[0].data["client_secret"] == SECRET


def test_aks_workload_identity_signs_in_with_the_token_file(idp, tmp_path):
    f = tmp_path / "token"
    f.write_text("k8s-assertion")
    cred = credential_for(resolve_settings({}, {**APP, "ARM_USE_AKS_WORKLOAD_IDENTITY": "true",
                                                "AZURE_FEDERATED_TOKEN_FILE": str(f)}), idp)
    cred.get_token()
    assert cred.description.startswith(KIND_FEDERATED)
    assert idp.token_posts()[0].data["client_assertion"] == "k8s-assertion"


# -- never another identity --------------------------------------------------------------------------

def test_a_configured_application_without_a_credential_never_runs_az(idp, tmp_path, monkeypatch):
    log_file = tmp_path / "az.log"
    write_stub_az(tmp_path / "bin", {"accessToken": "developer-token", "expires_on": int(time.time()) + 3600},
                  log_file=log_file)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(ConfigurationError) as e:
        credential_for(resolve_settings({"azuread:tenantId": TENANT, "azuread:clientId": CLIENT}, {}), idp)
    msg = str(e.value)
    assert f"azuread:clientId and azuread:tenantId name application {CLIENT}, but no credential" in msg
    assert "msgraph:clientSecretFilePath or ARM_CLIENT_SECRET_FILE_PATH" in msg and "useCli" in msg
    assert not log_file.exists() and idp.calls == []


def _cli_token(claims: dict) -> str:
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{part}.sig"


def test_a_fallback_sign_in_is_logged_at_warning_naming_who(tmp_path, monkeypatch, caplog):
    write_stub_az(tmp_path / "bin", {"accessToken": _cli_token({"upn": "dev@contoso.test"}),
                                     "expires_on": int(time.time()) + 3600})
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with caplog.at_level(logging.INFO, logger="msgraph_membership"):
        cred = credential_for(resolve_settings({}, {}), None)
        cred.get_token()
    assert cred.description == KIND_CLI
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == ["sign-in: using Azure CLI as dev@contoso.test (a fallback: no earlier credential was "
                      "configured)"]


def test_a_chosen_sign_in_is_logged_at_info(idp, caplog):
    with caplog.at_level(logging.INFO, logger="msgraph_membership"):
        credential_for(resolve_settings({}, {**APP, "ARM_CLIENT_SECRET": SECRET}), idp).get_token()
    assert [r.levelno for r in caplog.records if r.getMessage().startswith("sign-in:")] == [logging.INFO]


# -- messages that name the real cause ---------------------------------------------------------------

def test_use_msi_with_an_application_id_names_the_client_id_setting(monkeypatch):
    class Refuses:
        def request(self, method, url, **kw):
            from .conftest import FakeResponse
            return FakeResponse(400, {"error": "invalid_request", "error_description": "Identity not found"})
    monkeypatch.setenv("IDENTITY_ENDPOINT", "https://msi.test/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "h")
    with pytest.raises(AuthenticationError) as e:
        credential_for(resolve_settings({}, {"ARM_USE_MSI": "true", "ARM_CLIENT_ID": CLIENT}), Refuses()).get_token()
    msg = str(e.value)
    assert "with ARM_USE_MSI, ARM_CLIENT_ID names the managed identity" in msg and CLIENT in msg
    assert "check msgraph:msiClientId" not in msg and "check ARM_MSI_CLIENT_ID" not in msg


def test_a_malformed_tenant_with_the_azure_cli_names_the_tenant_setting(tmp_path, monkeypatch):
    log_file = tmp_path / "az.log"
    write_stub_az(tmp_path / "bin", {"accessToken": "t", "expires_on": int(time.time()) + 3600}, log_file=log_file)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(AuthenticationError) as e:
        credential_for(resolve_settings({}, {"ARM_TENANT_ID": "contoso tenant/1"}), None).get_token()
    assert "ARM_TENANT_ID ('contoso tenant/1') is not a tenant id" in str(e.value)
    assert "get-access-token" not in str(e.value) and not log_file.exists()


def test_a_name_mismatch_is_not_reported_as_an_untrusted_ca():
    err = requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address "
                                       "mismatch, certificate is not valid for '127.0.0.2'. (_ssl.c:1010)")
    msg = tls_failure("https://127.0.0.2:8443", "msgraph:caBundle", err, "msgraph:caBundle (/ca.pem)",
                      "MSGRAPH_ENDPOINT")
    assert "certificate name mismatch" in msg and "the host comes from MSGRAPH_ENDPOINT" in msg
    assert "does not hold that CA" not in msg and "not trusted" not in msg
