"""Changes made to the directory outside Pulumi: plain Graph calls with the emulator's app,
sharing no code with the provider's Graph client."""
from __future__ import annotations

import requests


class OutsideGraph:
    def __init__(self, emu):
        self.emu = emu
        self.s = requests.Session()
        self.s.trust_env = False
        r = self.s.post(f"{emu.authority_host}/{emu.tenant_id}/oauth2/v2.0/token",
                        data={"grant_type": "client_credentials", "client_id": emu.client_id,
                              "client_secret": emu.client_secret, "scope": "https://graph.microsoft.com/.default"},
                        verify=emu.ca_bundle, timeout=30)
        r.raise_for_status()
        self.s.headers["Authorization"] = "Bearer " + r.json()["access_token"]
        self.base = emu.graph_url.rstrip("/").removesuffix("/v1.0") + "/v1.0"

    def call(self, method: str, path: str, json=None, expect=(200, 201, 204)):
        r = self.s.request(method, self.base + path, json=json, verify=self.emu.ca_bundle, timeout=30)
        assert r.status_code in expect, f"{method} {path}: {r.status_code} {r.text}"
        return r

    def add(self, container: str, member_id: str):
        """`container`: "/groups/{id}" or "/directory/administrativeUnits/{id}"."""
        return self.call("POST", f"{container}/members/$ref", {"@odata.id": f"{self.base}/directoryObjects/{member_id}"})

    def remove(self, container: str, member_id: str):
        return self.call("DELETE", f"{container}/members/{member_id}/$ref")

    def add_member(self, container_id: str, member_id: str, kind: str = "groups"):
        """`kind`: "groups" or "administrativeUnits", as in the directory the emulator shows."""
        return self.add(_path(container_id, kind), member_id)

    def remove_member(self, container_id: str, member_id: str, kind: str = "groups"):
        return self.remove(_path(container_id, kind), member_id)


def _path(container_id: str, kind: str) -> str:
    return f"/groups/{container_id}" if kind == "groups" else f"/directory/administrativeUnits/{container_id}"
