"""TLS trust has one rule (docs/authentication.md, "TLS trust"): the system trust store plus one
extra CA bundle, taken from the first of `msgraph:caBundle`, MSGRAPH_CA_BUNDLE and
REQUESTS_CA_BUNDLE; a certificate nobody trusts fails naming `msgraph:caBundle` and the bundle in
use. Each of the three settings is tried against the emulator."""
from __future__ import annotations

import pytest

from msgraph_membership.graph.client import GraphClient
from msgraph_membership.graph.errors import GraphError
from msgraph_membership.graph.settings import resolve_settings

process = pytest.importorskip("msgraph_membership.emulator.process")

UNIT = "7f0c4bd5-0000-4000-8000-00000000f001"
SYSTEM_STORE = "/etc/ssl/certs/ca-certificates.crt"


@pytest.fixture(scope="module")
def emu():
    e = process.start_emulator(seed={"administrativeUnits": [{"id": UNIT, "displayName": "Trust"}]})
    try:
        yield e
    finally:
        e.stop()


def _client(emu, config: dict, env: dict) -> GraphClient:
    base = {"msgraph:graphEndpoint": emu.graph_url, "msgraph:authorityHost": emu.authority_host,
            "msgraph:tenantId": emu.tenant_id, "msgraph:clientId": emu.client_id,
            "msgraph:clientSecret": emu.client_secret, "msgraph:useCli": "false"}
    return GraphClient(resolve_settings({**base, **config}, env))


@pytest.mark.parametrize("config, env", [
    ({"msgraph:caBundle": "{ca}"}, {}),
    ({}, {"MSGRAPH_CA_BUNDLE": "{ca}"}),
    ({}, {"REQUESTS_CA_BUNDLE": "{ca}"}),
], ids=["msgraph:caBundle", "MSGRAPH_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
def test_each_setting_adds_the_emulator_ca_to_the_trust(emu, config, env):
    fill = lambda d: {k: v.format(ca=emu.ca_bundle) for k, v in d.items()}  # noqa: E731
    assert _client(emu, fill(config), fill(env)).get_unit(UNIT)["id"] == UNIT


def test_requests_ca_bundle_is_only_a_fallback_of_the_same_setting(emu):
    c = _client(emu, {"msgraph:caBundle": emu.ca_bundle}, {"REQUESTS_CA_BUNDLE": SYSTEM_STORE})
    assert c.get_unit(UNIT)["id"] == UNIT


def test_an_untrusted_certificate_names_the_setting_and_the_bundle_in_use(emu):
    """The machine's own store exported in REQUESTS_CA_BUNDLE, nothing else: the emulator's test CA
    is not trusted, and the message says which setting adds it and which bundle was in use."""
    c = _client(emu, {}, {"REQUESTS_CA_BUNDLE": SYSTEM_STORE})
    with pytest.raises(GraphError) as info:
        c.get_unit(UNIT)
    msg = str(info.value)
    assert "CERTIFICATE_VERIFY_FAILED" in msg
    assert "Trust the CA that signed it with msgraph:caBundle or MSGRAPH_CA_BUNDLE" in msg
    assert f"in use now, REQUESTS_CA_BUNDLE ({SYSTEM_STORE})" in msg
