"""A scripted stand-in for requests.Session, for transport unit tests."""
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
