"""TLS verification is never turned off implicitly (docs/guarantees.md, "Secrets, tokens and TLS"): nothing in the package
disables it, an untrusted server fails with a certificate error, and the environment's
REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE neither replace a configured CA bundle nor add trust to it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.server import emulator_config, urn_for
from reliability.stack import graph_requests, provider_blob
from security.conftest import oid

PACKAGE = Path(__file__).resolve().parents[2] / "provider" / "msgraph_membership"
GROUP, USER = oid("tls-group"), oid("tls-user")

# Ways to switch certificate checks off in requests, urllib3, ssl and msal.
DISABLING = re.compile(r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|disable_warnings|"
                       r"_create_unverified_context|InsecureRequestWarning|verify_ssl\s*=\s*False")


def test_the_provider_never_disables_certificate_checks_in_code():
    """No source file of the provider (the emulator, a server, is not a TLS client) disables
    verification."""
    hits = []
    for path in PACKAGE.rglob("*.py"):
        if "emulator" in path.relative_to(PACKAGE).parts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if DISABLING.search(line):
                hits.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert hits == []


def _seed(emu):
    emu.seed({"users": [{"id": USER, "displayName": "u"}],
              "groups": [{"id": GROUP, "displayName": "g", "mailNickname": "g", "securityEnabled": True,
                          "mailEnabled": False, "groupTypes": []}]})
    emu.clear_requests()


def _check(server):
    return server.check(urn_for("GroupMembers", "tls"), {},
                        {"__provider": provider_blob("GroupMembers"), "group_id": GROUP, "member_ids": [USER]})


@pytest.fixture
def other_ca(tmp_path) -> str:
    from msgraph_membership.emulator import tls

    tls._make_ca(tmp_path)  # noqa: SLF001 - a CA that did not sign the emulator's certificate
    return str(tmp_path / "ca.pem")


def test_without_the_emulator_ca_sign_in_fails_with_a_certificate_error(emu, start_server):
    """No caBundle and the system store in REQUESTS_CA_BUNDLE: the emulator's self-signed chain is
    refused, at preview, and nothing reaches Graph."""
    _seed(emu)
    config = emulator_config(emu)
    config.pop("msgraph:caBundle")
    server = start_server(config, {"MSGRAPH_CA_BUNDLE": "", "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt",
                                   "CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"})
    _, failures = _check(server)
    assert failures and "CERTIFICATE_VERIFY_FAILED" in failures[0][1]
    assert graph_requests(emu) == []


def test_a_configured_ca_bundle_wins_over_requests_ca_bundle_in_the_environment(emu, start_server):
    """The known trap (docs/guarantees.md, "Secrets, tokens and TLS"): REQUESTS_CA_BUNDLE set to the system store must not
    replace msgraph:caBundle, so signing in to the emulator works."""
    _seed(emu)
    server = start_server(emulator_config(emu), {"REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt",
                                                 "CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"})
    assert _check(server)[1] == []


def test_the_environment_cannot_add_trust_to_a_configured_ca_bundle(emu, start_server, other_ca):
    """msgraph:caBundle names another CA while REQUESTS_CA_BUNDLE names the emulator's: the
    configured bundle decides, so the emulator is not trusted."""
    _seed(emu)
    config = {**emulator_config(emu), "msgraph:caBundle": other_ca}
    server = start_server(config, {"REQUESTS_CA_BUNDLE": emu.ca_bundle, "CURL_CA_BUNDLE": emu.ca_bundle})
    _, failures = _check(server)
    assert failures and "CERTIFICATE_VERIFY_FAILED" in failures[0][1]
    assert graph_requests(emu) == []


def test_a_ca_bundle_that_does_not_exist_fails_naming_it(emu, start_server, tmp_path):
    """A typo in caBundle is an error naming the setting, never a fallback to no verification."""
    _seed(emu)
    missing = str(tmp_path / "no-such-ca.pem")
    server = start_server({**emulator_config(emu), "msgraph:caBundle": missing})
    _, failures = _check(server)
    assert failures
    assert missing in failures[0][1] or "caBundle" in failures[0][1], failures
    assert graph_requests(emu) == []
