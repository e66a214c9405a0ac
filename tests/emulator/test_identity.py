"""The identity platform and the bearer-token checks (docs/graph-behaviour.md §3, §6, §7)."""

from __future__ import annotations

import time

import jwt
import msal
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import (FULL_APP, FULL_SECRET, NO_ROLES_APP, NO_ROLES_SECRET, READ_ONLY_APP, READ_ONLY_SECRET, SEC,
                       Graph, error_of)


def _session():
    s = requests.Session()
    s.trust_env = False
    return s


def test_openid_configuration_names_https_endpoints_and_issuer(emu):
    """§7.2: OIDC discovery: issuer https://host:port/{tenant}/v2.0, authorization/token endpoints, jwks."""
    r = _session().get(f"{emu.authority_host}/{emu.tenant_id}/v2.0/.well-known/openid-configuration",
                       verify=emu.ca_bundle)
    assert r.status_code == 200
    doc = r.json()
    assert doc["issuer"] == f"{emu.authority_host}/{emu.tenant_id}/v2.0"
    assert doc["token_endpoint"] == f"{emu.authority_host}/{emu.tenant_id}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"].startswith("https://")
    keys = _session().get(doc["jwks_uri"], verify=emu.ca_bundle).json()["keys"]
    assert keys and keys[0]["kty"] == "RSA"


def test_double_slash_in_path_is_normalised(emu):
    """§7.2: an authority with a trailing slash makes MSAL ask for …/tid//v2.0/…; it must still work."""
    r = _session().get(f"{emu.authority_host}/{emu.tenant_id}//v2.0/.well-known/openid-configuration",
                       verify=emu.ca_bundle)
    assert r.status_code == 200


def test_client_secret_token_has_graph_claims(graph, emu):
    """§7.1: the token response MSAL reads, and an RS256 JWT with iss, aud, tid, appid, oid, roles, exp."""
    r = graph.get_token()
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["ext_expires_in"] == 3599
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "RS256"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["tid"] == emu.tenant_id and claims["appid"] == FULL_APP
    assert {"iss", "oid", "iat", "nbf", "exp"} <= set(claims)
    assert "GroupMember.ReadWrite.All" in claims["roles"]
    assert claims["exp"] - claims["iat"] == 3599


def test_msal_confidential_client_gets_a_token(emu):
    """§7.2: msal ConfidentialClientApplication (instance_discovery=False) against the emulator."""
    session = _session()
    session.verify = emu.ca_bundle
    app = msal.ConfidentialClientApplication(
        FULL_APP, client_credential=FULL_SECRET, authority=f"{emu.authority_host}/{emu.tenant_id}",
        instance_discovery=False, http_client=session)
    result = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    assert result["token_source"] == "identity_provider"
    r = session.get(f"{emu.graph_url}/v1.0/groups/{SEC}", headers={"Authorization": "Bearer " + result["access_token"]})
    assert r.status_code == 200
    again = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert again["token_source"] == "cache"


def test_wrong_secret_is_aadsts7000215(emu):
    """§7.1: invalid secret -> 401 invalid_client AADSTS7000215 (OAuth2 JSON)."""
    r = Graph(emu, FULL_APP, "nope").get_token()
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


def test_unknown_app_is_aadsts700016(emu):
    """§7.1: an unknown client id -> 400 unauthorized_client AADSTS700016."""
    r = Graph(emu, "aaaaaaaa-0000-4000-8000-0000000000ff", "x").get_token()
    assert r.status_code == 400
    assert r.json()["error_codes"] == [700016]


@pytest.mark.parametrize("scope,audience", [
    ("https://graph.microsoft.com/.default", "https://graph.microsoft.com"),
    ("https://graph.microsoft.us/.default", "https://graph.microsoft.us"),
    ("https://dod-graph.microsoft.us/.default", "https://dod-graph.microsoft.us"),
    ("https://microsoftgraph.chinacloudapi.cn/.default", "https://microsoftgraph.chinacloudapi.cn"),
])
def test_scope_decides_audience_for_each_national_cloud(graph, scope, audience):
    """§6: the scope {graph-host}/.default gives a token for that cloud's Graph, which Graph accepts."""
    token = graph.get_token(scope).json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == audience
    assert graph.get(f"groups/{SEC}", token=token).status_code == 200


def test_token_for_other_resource_is_refused_with_invalid_audience(graph):
    """§3: a token for another audience -> 401 "Access token validation failure. Invalid audience."."""
    token = graph.get_token("https://management.azure.com/.default").json()["access_token"]
    r = graph.get(f"groups/{SEC}", token=token)
    assert error_of(r) == (401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")


def test_scope_without_default_suffix_is_invalid_scope(graph):
    """§7.1: client credentials need a /.default scope (AADSTS1002012)."""
    r = graph.get_token("https://graph.microsoft.com/User.Read")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def test_missing_token_is_access_token_is_empty(graph):
    """§3: no Authorization header -> 401 "Access token is empty." with WWW-Authenticate."""
    r = graph.get(f"groups/{SEC}", auth=False)
    assert error_of(r) == (401, "InvalidAuthenticationToken", "Access token is empty.")
    assert r.headers["WWW-Authenticate"].startswith('Bearer realm="", authorization_uri=')
    assert r.json()["error"]["innerError"]["request-id"] == r.headers["request-id"]


def test_malformed_token_is_compact_token_parsing_failure(graph):
    """§3: a malformed token -> "CompactToken parsing failed with error code: 80049217"."""
    r = graph.get(f"groups/{SEC}", token="not-a-jwt")
    assert error_of(r) == (401, "InvalidAuthenticationToken", "CompactToken parsing failed with error code: 80049217")


def test_token_signed_by_another_key_is_validation_failure(graph, emu):
    """§3: bad signature -> 401 "Access token validation failure."."""
    claims = jwt.decode(graph.token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(graph.token)["kid"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": kid})
    r = graph.get(f"groups/{SEC}", token=forged)
    assert error_of(r) == (401, "InvalidAuthenticationToken", "Access token validation failure.")


def test_expired_token_is_refused(graph, emu):
    """§3: expired -> 401 "Access token has expired or is not yet valid." (token_lifetime_s fault)."""
    emu.faults({"token_lifetime_s": 1})
    token = graph.get_token().json()["access_token"]
    assert graph.get(f"groups/{SEC}", token=token).status_code == 200
    time.sleep(1.1)
    r = graph.get(f"groups/{SEC}", token=token)
    assert error_of(r) == (401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")


def test_app_without_read_role_is_denied(emu):
    """§3: a call the token's roles do not allow -> 403 Authorization_RequestDenied."""
    r = Graph(emu, NO_ROLES_APP, NO_ROLES_SECRET).get(f"groups/{SEC}/members")
    assert error_of(r) == (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def test_read_only_app_cannot_write_members(emu):
    """§1.1 permissions: GroupMember.Read.All reads but cannot add."""
    g = Graph(emu, READ_ONLY_APP, READ_ONLY_SECRET)
    assert g.get(f"groups/{SEC}/members").status_code == 200
    r = g.add_member(SEC, "00000000-0000-4000-8000-000000000002")
    assert error_of(r)[:2] == (403, "Authorization_RequestDenied")


def test_client_request_id_is_echoed(graph):
    """§0: client-request-id echoes the request header; request-id is always sent."""
    r = graph.get(f"groups/{SEC}", headers={"client-request-id": "abc-123"})
    assert r.headers["client-request-id"] == "abc-123" and r.headers["request-id"]
    r = graph.get("groups/00000000-0000-4000-8000-000000000999", headers={"client-request-id": "abc-123"})
    inner = r.json()["error"]["innerError"]
    assert inner["client-request-id"] == "abc-123" and inner["request-id"] == r.headers["request-id"]
    assert len(inner["date"]) == 19 and inner["date"][10] == "T"  # no zone, no fraction
