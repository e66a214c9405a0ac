"""Bad tokens are refused, and a refusal or a missing permission is reported so a user knows what
to change (docs/guarantees.md, "Secrets, tokens and TLS").

- The emulator refuses tokens signed by another key, expired, or for another audience, with
  Graph's 401 `InvalidAuthenticationToken` messages (docs/graph-behaviour.md §3).
- The provider, handed only expired tokens, fails with a message saying the token expired.
- A 403 names the permission the app most likely lacks.
"""
from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.server import emulator_config, urn_for
from reliability.stack import graph_requests, graph_writes, provider_blob
from security.conftest import graph_get, oid, request_token

GROUP, UNIT = oid("tok-group"), oid("tok-unit")
USERS = [oid(f"tok-user-{i}") for i in range(3)]
NO_MEMBER_WRITE_APP, NO_MEMBER_WRITE_SECRET = oid("app-read-only"), "read-only-secret-4c1f"
NO_UNIT_WRITE_APP, NO_UNIT_WRITE_SECRET = oid("app-no-unit-write"), "no-unit-write-secret-9e2a"


def seed() -> dict:
    return {
        "apps": [
            # Can read the directory but not change group members.
            {"client_id": NO_MEMBER_WRITE_APP, "client_secret": NO_MEMBER_WRITE_SECRET,
             "roles": ["Directory.Read.All", "GroupMember.Read.All"]},
            # Can change group members but not administrative units.
            {"client_id": NO_UNIT_WRITE_APP, "client_secret": NO_UNIT_WRITE_SECRET,
             "roles": ["Directory.Read.All", "GroupMember.ReadWrite.All"]},
        ],
        "users": [{"id": u, "displayName": f"u{i}"} for i, u in enumerate(USERS)],
        "groups": [{"id": GROUP, "displayName": "g", "mailNickname": "g", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": []}],
        "administrativeUnits": [{"id": UNIT, "displayName": "Paris"}],
    }


def error_of(r):
    body = r.json()["error"]
    return r.status_code, body["code"], body["message"]


def claims_like_the_emulators(emu, **override) -> dict:
    now = int(time.time())
    c = {"aud": "https://graph.microsoft.com", "iss": f"https://sts.windows.net/{emu.tenant_id}/", "iat": now,
         "nbf": now, "exp": now + 3600, "tid": emu.tenant_id, "appid": emu.client_id, "oid": emu.client_id,
         "roles": ["GroupMember.ReadWrite.All", "Directory.Read.All"], "ver": "1.0"}
    c.update(override)
    return c


# -- the emulator refuses bad tokens ----------------------------------------------------------------

def test_a_valid_token_is_accepted(emu):
    """The baseline for the refusals below: the emulator's own token reads the directory."""
    emu.seed(seed())
    assert graph_get(emu, f"/groups/{GROUP}", request_token(emu)).status_code == 200


def test_a_token_signed_by_another_key_is_refused(emu):
    emu.seed(seed())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims_like_the_emulators(emu), other, algorithm="RS256")
    r = graph_get(emu, f"/groups/{GROUP}", forged)
    assert error_of(r) == (401, "InvalidAuthenticationToken", "Access token validation failure.")


def test_a_token_with_the_emulators_key_id_but_another_signature_is_refused(emu):
    """A forger who copies the real key id still fails the signature check."""
    emu.seed(seed())
    real_kid = jwt.get_unverified_header(request_token(emu))["kid"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims_like_the_emulators(emu), other, algorithm="RS256", headers={"kid": real_kid})
    r = graph_get(emu, f"/groups/{GROUP}", forged)
    assert error_of(r) == (401, "InvalidAuthenticationToken", "Access token validation failure.")


def test_an_unsigned_token_is_refused(emu):
    emu.seed(seed())
    unsigned = jwt.encode(claims_like_the_emulators(emu), None, algorithm="none")
    r = graph_get(emu, f"/groups/{GROUP}", unsigned)
    assert r.status_code == 401 and error_of(r)[1] == "InvalidAuthenticationToken"


def test_an_expired_token_is_refused(emu):
    emu.seed(seed())
    emu.faults({"token_lifetime_s": -120})  # tokens minted from now on are already expired
    token = request_token(emu)
    emu.faults({})
    r = graph_get(emu, f"/groups/{GROUP}", token)
    assert error_of(r) == (401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")


def test_a_token_for_another_audience_is_refused(emu):
    emu.seed(seed())
    token = request_token(emu, scope="https://management.azure.com/.default")
    r = graph_get(emu, f"/groups/{GROUP}", token)
    assert error_of(r) == (401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")


def test_401_answers_carry_www_authenticate(emu):
    emu.seed(seed())
    r = graph_get(emu, f"/groups/{GROUP}", "not-a-token")
    assert r.status_code == 401 and r.headers.get("WWW-Authenticate", "").startswith("Bearer")


# -- the provider reports a refused token clearly ---------------------------------------------------

def _members_news(member_ids, group_id=GROUP) -> dict:
    return {"__provider": provider_blob("GroupMembers"), "group_id": group_id, "member_ids": member_ids,
            "authoritative": False}


def test_provider_given_only_expired_tokens_says_the_token_expired(emu, start_server):
    """Every token the identity platform hands out is already expired (a skewed clock looks like
    this): the provider refreshes once, then fails at preview with Graph's reason, not a bare 401."""
    emu.seed(seed())
    emu.faults({"token_lifetime_s": -120})
    server = start_server(emulator_config(emu))
    _, failures = server.check(urn_for("GroupMembers", "t"), {}, _members_news(USERS))
    assert failures, "expired tokens must not pass"
    prop, message = failures[0]
    assert "expired" in message.lower(), message
    assert graph_writes(emu) == []


# -- a 403 names the permission -----------------------------------------------------------------

def test_403_on_group_members_names_group_member_readwrite_all(emu, start_server):
    """An app that can read but not change memberships: the create fails naming
    GroupMember.ReadWrite.All, and nothing is added."""
    emu.seed(seed())
    config = {**emulator_config(emu), "msgraph:clientId": NO_MEMBER_WRITE_APP,
              "msgraph:clientSecret": NO_MEMBER_WRITE_SECRET}
    server = start_server(config)
    urn = urn_for("GroupMembers", "p")
    inputs, failures = server.check(urn, {}, _members_news(USERS))
    if failures:
        message = " ".join(r for _, r in failures)
    else:
        import grpc

        with pytest.raises(grpc.RpcError) as e:
            server.create(urn, inputs)
        message = e.value.details()
    assert "GroupMember.ReadWrite.All" in message, message
    group = next(g for g in emu.directory()["groups"] if g["id"] == GROUP)
    assert group["members"] == []


def test_403_on_administrative_unit_members_names_administrative_unit_readwrite_all(emu, start_server):
    emu.seed(seed())
    config = {**emulator_config(emu), "msgraph:clientId": NO_UNIT_WRITE_APP,
              "msgraph:clientSecret": NO_UNIT_WRITE_SECRET}
    server = start_server(config)
    urn = urn_for("AdministrativeUnitMembers", "p")
    news = {"__provider": provider_blob("AdministrativeUnitMembers"), "administrative_unit_id": UNIT,
            "member_ids": USERS, "authoritative": False}
    inputs, failures = server.check(urn, {}, news)
    if failures:
        message = " ".join(r for _, r in failures)
    else:
        import grpc

        with pytest.raises(grpc.RpcError) as e:
            server.create(urn, inputs)
        message = e.value.details()
    assert "AdministrativeUnit.ReadWrite.All" in message, message
    unit = next(a for a in emu.directory()["administrativeUnits"] if a["id"] == UNIT)
    assert unit["members"] == []


def test_a_403_is_not_retried(emu, start_server):
    """A missing permission does not heal by waiting: one refused write per chunk, no retry storm."""
    emu.seed(seed())
    config = {**emulator_config(emu), "msgraph:clientId": NO_MEMBER_WRITE_APP,
              "msgraph:clientSecret": NO_MEMBER_WRITE_SECRET}
    server = start_server(config)
    urn = urn_for("GroupMembers", "p")
    inputs, failures = server.check(urn, {}, _members_news(USERS))
    emu.clear_requests()
    if not failures:
        import grpc

        with pytest.raises(grpc.RpcError):
            server.create(urn, inputs)
    refused = [r for r in graph_requests(emu) if r["status"] == 403]
    assert len(refused) <= 1
