"""Shared fixtures: one local Graph emulator per test session, reset per test that asks."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def emulator():
    from msgraph_membership.emulator.process import start_emulator

    emu = start_emulator()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(emulator):
    """The session's emulator with an empty directory, no faults and an empty request log."""
    emulator.faults({})
    emulator.reset()
    emulator.clear_requests()
    return emulator


class OutsideGraph:
    """Changes made to the directory outside Pulumi: plain Graph calls with the emulator's app,
    sharing no code with the provider's client."""

    def __init__(self, emu):
        import requests

        self.emu = emu
        self.s = requests.Session()
        self.s.trust_env = False
        r = self.s.post(f"{emu.authority_host}/{emu.tenant_id}/oauth2/v2.0/token",
                        data={"grant_type": "client_credentials", "client_id": emu.client_id,
                              "client_secret": emu.client_secret, "scope": "https://graph.microsoft.com/.default"},
                        verify=emu.ca_bundle, timeout=30)
        r.raise_for_status()
        self.s.headers["Authorization"] = "Bearer " + r.json()["access_token"]
        self.base = emu.graph_url.rstrip("/") + "/v1.0"

    def call(self, method: str, path: str, json=None, expect=(200, 201, 204)):
        r = self.s.request(method, self.base + path, json=json, verify=self.emu.ca_bundle, timeout=30)
        assert r.status_code in expect, f"{method} {path}: {r.status_code} {r.text}"
        return r

    def add_member(self, group_id: str, member_id: str):
        return self.call("POST", f"/groups/{group_id}/members/$ref",
                         {"@odata.id": f"{self.base}/directoryObjects/{member_id}"})

    def remove_member(self, group_id: str, member_id: str):
        return self.call("DELETE", f"/groups/{group_id}/members/{member_id}/$ref")


@pytest.fixture
def outside(emu):
    return OutsideGraph(emu)
