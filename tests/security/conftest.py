"""Fixtures for the security tests: plain token requests to the emulator (sharing no code with
the provider), and a JWT pattern to look for anywhere the provider writes."""
from __future__ import annotations

import re
import uuid

import pytest
import requests

# A compact JWS: what every bearer token and OIDC assertion here looks like.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")


def oid(tag: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"security-{tag}"))


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE must not decide what is trusted here
    return s


def request_token(emu, client_id=None, client_secret=None, scope="https://graph.microsoft.com/.default") -> str:
    """A client-credentials token straight from the emulator's token endpoint."""
    r = session().post(f"{emu.authority_host}/{emu.tenant_id}/oauth2/v2.0/token",
                       data={"grant_type": "client_credentials", "client_id": client_id or emu.client_id,
                             "client_secret": client_secret or emu.client_secret, "scope": scope},
                       verify=emu.ca_bundle, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]


def graph_get(emu, path: str, token: str) -> requests.Response:
    return session().get(f"{emu.graph_url.rstrip('/')}/v1.0{path}", headers={"Authorization": f"Bearer {token}"},
                         verify=emu.ca_bundle, timeout=30)


def mint_oidc_assertion(emu, subject: str = "system:serviceaccount:default:pulumi") -> str:
    """A federated-credential assertion from the emulator's own OIDC issuer."""
    r = session().post(f"{emu.base_url}/_emulator/oidc/token", json={"subject": subject},
                       verify=emu.ca_bundle, timeout=30)
    r.raise_for_status()
    return r.json()["token"]


@pytest.fixture
def start_server(emu):
    from harness.server import ProviderServer

    servers = []

    def start(config: dict, env: dict | None = None) -> ProviderServer:
        s = ProviderServer(config=config, env=env or {})
        servers.append(s)
        return s

    yield start
    for s in servers:
        if s.proc.poll() is None:
            s.stop()
