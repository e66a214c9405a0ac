"""The credential chain, driven through a fake identity platform in place of the requests session:
which kinds a configuration selects, the client secret (clouds, authorities), and the token cache
and its refresh. Each kind's own sign-in: test_chain_kinds.py; failures: test_chain_failures.py."""
from __future__ import annotations

import logging
import threading
import time

import pytest

from msgraph_membership.graph import auth
from msgraph_membership.graph.auth import (KIND_CERTIFICATE, KIND_CLI, KIND_FEDERATED, KIND_MSI,
                                           KIND_SECRET, credential_for, selected_kinds)
from msgraph_membership.graph.errors import ConfigurationError
from msgraph_membership.graph.settings import resolve_settings

from .conftest import BASE, SECRET, TENANT, settings


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
