"""What the Graph transport trusts and shows: the configured CA bundle on every request (added to
the default roots, in a private file), no trust from the environment, NO_PROXY per URL, and no
token or Authorization header in the logs."""
import logging

import pytest
import requests

from msgraph_membership.graph import errors as E
from msgraph_membership.graph.transport import new_session

from .fakes import response
from .fakes import scripted_transport as transport


def test_configured_ca_bundle_is_passed_on_every_request_and_env_trust_is_off(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    s = new_session("/tmp/emulator-ca.pem")
    assert s.trust_env is False and s.verify == "/tmp/emulator-ca.pem"
    t, _ = transport([response(200, {})])
    t.request("GET", "/groups/g")
    assert t.session.calls[0].verify == "/tmp/ca.pem"


def test_authorization_header_and_token_never_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="msgraph_membership")
    t, _ = transport([response(429, None, {"Retry-After": "0"}), response(200, {})])
    t.request("GET", "/groups/g")
    text = caplog.text
    assert "GET" in text  # debug logging is on and did log the call
    assert "token-1" not in text and "Authorization" not in text and "Bearer" not in text


def test_ca_bundle_adds_to_the_default_trust_store_instead_of_replacing_it(tmp_path):
    import certifi

    from msgraph_membership.graph.settings import resolve_settings

    ca = tmp_path / "extra.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nZXh0cmE=\n-----END CERTIFICATE-----\n")
    path = resolve_settings({"msgraph:caBundle": str(ca)}, environ={}).verify
    text = open(path).read()
    assert "ZXh0cmE=" in text and open(certifi.where()).read().strip()[:2000] in text
    assert resolve_settings({}, environ={}).verify is True  # never False


def test_a_ca_bundle_that_is_not_a_file_is_a_configuration_error_naming_the_key(tmp_path):
    from msgraph_membership.graph.settings import resolve_settings
    from msgraph_membership.graph.trust import trust_bundle

    missing = str(tmp_path / "nope.pem")
    with pytest.raises(E.ConfigurationError, match="msgraph:caBundle names .*nope.pem"):
        resolve_settings({"msgraph:caBundle": missing}, environ={}).verify
    with pytest.raises(E.ConfigurationError, match="MSGRAPH_CA_BUNDLE"):
        resolve_settings({}, environ={"MSGRAPH_CA_BUNDLE": missing}).verify
    assert trust_bundle(missing) == missing  # and requests would name the bad path too


def test_no_proxy_is_honoured_per_url(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    seen = {}

    class Adapter(requests.adapters.HTTPAdapter):
        def send(self, request, **kw):
            seen[request.url] = kw.get("proxies")
            return response(200, {})

    s = new_session(True)
    s.mount("https://", Adapter())
    s.get("https://127.0.0.1:8443/v1.0/groups")
    s.get("https://graph.microsoft.com/v1.0/groups")
    assert not (seen["https://127.0.0.1:8443/v1.0/groups"] or {}).get("https")
    assert seen["https://graph.microsoft.com/v1.0/groups"]["https"] == "http://proxy.invalid:3128"


def test_the_combined_trust_file_is_private_and_rewritten_when_tampered(tmp_path, monkeypatch):
    import os
    import stat

    from msgraph_membership.graph.trust import trust_bundle

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ca = tmp_path / "extra.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nZXh0cmE=\n-----END CERTIFICATE-----\n")
    path = trust_bundle(str(ca))
    assert path.startswith(str(tmp_path / "cache"))
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    good = open(path, "rb").read()
    open(path, "w").write("-----BEGIN CERTIFICATE-----\nZXZpbA==\n-----END CERTIFICATE-----\n")
    assert trust_bundle(str(ca)) == path and open(path, "rb").read() == good
