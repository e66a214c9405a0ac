"""A scripted stand-in for requests.Session, and a Graph client on one, for transport and client unit tests."""
from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any

import requests


def response(status: int, body: Any = None, headers: dict | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    h = dict(headers or {})
    if body is not None:
        r._content = _json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    else:
        r._content = b""
    r.headers.update(h)
    return r


@dataclass
class Call:
    method: str
    url: str
    json: Any
    headers: dict
    verify: Any


@dataclass
class FakeSession:
    """Answers each request with the next scripted answer (a Response, an exception, or a
    callable taking the Call)."""

    script: list = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    trust_env: bool = False
    verify: Any = True

    def request(self, method, url, json=None, params=None, headers=None, verify=None, timeout=None):
        if params:
            url = url + "?" + "&".join(f"{k}={v}" for k, v in params.items())
        call = Call(method, url, json, dict(headers or {}), verify)
        self.calls.append(call)
        if not self.script:
            raise AssertionError(f"unexpected request {method} {url}")
        nxt = self.script.pop(0)
        if isinstance(nxt, Exception):
            raise nxt
        if callable(nxt):
            return nxt(call)
        return nxt


class FakeCredential:
    description = "fake"

    def __init__(self) -> None:
        self.n = 0
        self.forced = 0

    def get_token(self, *, force_refresh: bool = False) -> str:
        if force_refresh or self.n == 0:
            self.n += 1
            self.forced += int(force_refresh)
        return f"token-{self.n}"


GRAPH = "https://graph.example/v1.0"


def scripted_transport(script, **kw):
    """A GraphTransport on a scripted session, trusting /tmp/ca.pem, and the list its sleeps go to."""
    from msgraph_membership.graph.transport import GraphTransport

    sleeps: list[float] = []
    t = GraphTransport(GRAPH, FakeCredential(), session=FakeSession(script), verify="/tmp/ca.pem",
                       sleep=sleeps.append, **kw)
    return t, sleeps


def scripted_client(script, config: dict | None = None, environ: dict | None = None, **policy):
    """A GraphClient on a scripted session, and the list its sleeps go to. Its consistency policy
    is the one its settings give (`config`, `environ`), with `policy` fields over it."""
    from msgraph_membership.graph.client import ConsistencyPolicy, GraphClient
    from msgraph_membership.graph.settings import resolve_settings
    from msgraph_membership.graph.transport import GraphTransport

    settings = resolve_settings(config or {}, environ=environ or {})
    sleeps: list[float] = []
    t = GraphTransport(GRAPH, FakeCredential(), session=FakeSession(script), sleep=sleeps.append)
    policy.setdefault("absent_recheck_s", settings.recheck_missing_s)
    return GraphClient(settings, transport=t, sleep=sleeps.append, consistency=ConsistencyPolicy(**policy)), sleeps
