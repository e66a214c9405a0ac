"""The credential chain's failures: what each says (AADSTS codes and hints, the setting to fix,
never a secret), which stop the chain and which let it move on, and unreachable or mistyped hosts."""
from __future__ import annotations

import logging
import time

import pytest

from msgraph_membership.graph.auth import (KIND_CERTIFICATE, KIND_CLI, KIND_FEDERATED, KIND_MSI,
                                           KIND_SECRET, credential_for)
from msgraph_membership.graph.errors import AuthenticationError
from msgraph_membership.graph.settings import resolve_settings

from .conftest import BASE, SECRET, TENANT, settings, write_stub_az


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
