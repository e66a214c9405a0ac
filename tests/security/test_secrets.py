"""No configured secret and no token ever leaves the provider process (docs/guarantees.md, "Secrets, tokens and TLS"):
not in the serialized provider (the `__provider` blob in state), not in any input or output of
any resource after create, read and update, and not in the provider's logs at DEBUG.

The secrets configured: the client secret, a certificate password, an OIDC token (a real
assertion from the emulator's issuer); the tokens: every bearer token the emulator issued to the
provider, which the test cannot see, so it looks for any JWT (`eyJ...`) at all.
"""
from __future__ import annotations

import base64
import json
import secrets

import pytest

from harness.program import collect
from harness.server import emulator_config
from reliability.stack import Declared, Stack
from security.conftest import JWT, mint_oidc_assertion, oid

SEC, SEC2 = oid("sec"), oid("sec2")
UNIT = oid("unit")
U = [oid(f"user-{i}") for i in range(5)]


def seed() -> dict:
    return {"users": [{"id": u, "displayName": f"user {i}"} for i, u in enumerate(U)],
            "groups": [{"id": g, "displayName": n, "mailNickname": n, "securityEnabled": True, "mailEnabled": False,
                        "groupTypes": []} for g, n in ((SEC, "sec"), (SEC2, "sec2"))],
            "administrativeUnits": [{"id": UNIT, "displayName": "Paris"}]}


def program(step: int) -> list[Declared]:
    """Every resource type; step 2 changes what can change in place."""
    two = step == 2
    return [
        Declared("GroupMembers", "gms", {"group_id": SEC, "member_ids": [U[2], U[3]] if two else [U[1], U[2]]}),
        Declared("GroupMember", "gm", {"group_id": SEC2, "member_id": U[1]}),
        Declared("AdministrativeUnitMembers", "aums", {"administrative_unit_id": UNIT,
                                                      "member_ids": [U[1], U[2]] if two else [U[1]]}),
        Declared("AdministrativeUnitMember", "aum", {"administrative_unit_id": UNIT, "member_id": U[4]}),
        Declared("AdministrativeUnitGroup", "aug", {"administrative_unit_id": UNIT, "display_name":
                                                    "Lyon 2" if two else "Lyon", "mail_nickname": "lyon"}),
        Declared("MemberOf", "mo", {"member_id": U[4], "group_ids": [SEC] if two else [SEC, SEC2]}),
    ]


@pytest.fixture
def configured(emu):
    emu.seed(seed())
    oidc = mint_oidc_assertion(emu)
    cert_password = "cert-password-" + secrets.token_urlsafe(12)
    config = {**emulator_config(emu), "msgraph:clientCertificatePassword": cert_password, "msgraph:oidcToken": oidc}
    return config, [emu.client_secret, cert_password, oidc]


@pytest.fixture
def lifecycle(emu, configured):
    """Create, update, refresh and destroy every resource type at DEBUG; returns what the
    provider wrote: every check/create/read/update output and every stderr line."""
    config, secret_values = configured
    stack = Stack(emu, workers=2, config=config, env={"MSGRAPH_LOG_LEVEL": "DEBUG"})
    written: list[dict] = []
    try:
        stack.up(program(1))
        written += [dict(s) for s in stack.state.values()]
        stack.up(program(2))
        written += [dict(s) for s in stack.state.values()]
        stack.refresh()
        written += [dict(s) for s in stack.state.values()]
        stack.destroy()
    finally:
        stack.stop()
    logs = stack.logs
    return {"outputs": json.dumps(written), "logs": "\n".join(logs), "secrets": secret_values}


def test_the_lifecycle_ran_with_every_resource_type_and_debug_logs(lifecycle):
    """The scan below is meaningful: six resource types went through, and DEBUG lines were
    written (every Graph call is logged at DEBUG)."""
    outs = json.loads(lifecycle["outputs"])
    assert {o["type"] for o in outs} == {"GroupMembers", "GroupMember", "AdministrativeUnitMembers",
                                        "AdministrativeUnitMember", "AdministrativeUnitGroup", "MemberOf"}
    assert "DEBUG" in lifecycle["logs"] and "/v1.0/" in lifecycle["logs"]


def test_no_configured_secret_in_any_output(lifecycle):
    for value in lifecycle["secrets"]:
        assert value not in lifecycle["outputs"]


def test_no_configured_secret_in_the_logs_at_debug(lifecycle):
    for value in lifecycle["secrets"]:
        assert value not in lifecycle["logs"]


def test_no_token_in_any_output_or_log(lifecycle):
    """Bearer tokens (and the OIDC assertion) are JWTs: none may appear anywhere."""
    assert not JWT.search(lifecycle["outputs"])
    assert not JWT.search(lifecycle["logs"])


def test_no_authorization_header_in_the_logs_at_debug(lifecycle):
    logs = lifecycle["logs"].lower()
    assert "authorization" not in logs
    assert "bearer " not in logs


def _blob_texts(blob: str) -> list[str]:
    """The blob as stored, and decoded (it is base64 of a pickle)."""
    raw = base64.b64decode(blob)
    return [blob, raw.decode("latin-1")]


def test_serialized_providers_hold_no_secret_even_with_secrets_in_the_environment(monkeypatch, emu, configured):
    """The `__provider` blob of every resource type, pickled while credentials sit in the program's
    environment (as in CI), contains none of them and no token."""
    import msgraph_membership as m

    _, secret_values = configured
    monkeypatch.setenv("ARM_CLIENT_SECRET", secret_values[0])
    monkeypatch.setenv("ARM_CLIENT_CERTIFICATE_PASSWORD", secret_values[1])
    monkeypatch.setenv("ARM_OIDC_TOKEN", secret_values[2])
    d = "00000000-0000-4000-8000-000000000000"

    def everything():
        m.GroupMembers("a", group_id=d, member_ids=[d])
        m.GroupMember("b", group_id=d, member_id=d)
        m.AdministrativeUnitMembers("c", administrative_unit_id=d, member_ids=[d])
        m.AdministrativeUnitMember("e", administrative_unit_id=d, member_id=d)
        m.AdministrativeUnitGroup("f", administrative_unit_id=d, display_name="x", mail_nickname="x")
        m.MemberOf("g", member_id=d, group_ids=[d])

    regs = collect(everything)
    assert len(regs) == 6
    for r in regs:
        for text in _blob_texts(r.inputs["__provider"]):
            for value in secret_values:
                assert value not in text, r.typ
            assert not JWT.search(text), r.typ


def test_a_wrong_secret_is_not_echoed_in_the_error(emu, start_server):
    """A rejected secret is described, not printed: users paste these errors into tickets."""
    wrong = "wrong-" + secrets.token_urlsafe(16)
    from reliability.stack import provider_blob
    from harness.server import urn_for

    emu.seed(seed())
    server = start_server({**emulator_config(emu), "msgraph:clientSecret": wrong}, {"MSGRAPH_LOG_LEVEL": "DEBUG"})
    _, failures = server.check(urn_for("GroupMembers", "x"), {}, {"__provider": provider_blob("GroupMembers"),
                                                                  "group_id": SEC, "member_ids": [U[0]]})
    assert failures, "a wrong secret must fail at preview"
    text = json.dumps(failures)
    assert "msgraph:clientSecret" in text
    assert wrong not in text and wrong not in "\n".join(server.stderr_lines)
