"""Transport-neutral request and response objects shared by the HTTP layer and the handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from . import errors


@dataclass
class Request:
    method: str
    path: str  # normalised path without the query, e.g. /v1.0/groups/{id}/members
    query_string: str = ""
    headers: dict = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    host: str = "127.0.0.1"  # the Host header, used for absolute links
    client_ip: str = "127.0.0.1"

    @property
    def query_items(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    @property
    def query(self) -> dict:
        return {k: v for k, v in self.query_items}

    @property
    def segments(self) -> list[str]:
        return [unquote(s) for s in self.path.split("/") if s]

    def header(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        """The JSON body; raises a Graph 400 when it is not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise errors.bad_request(errors.INVALID_JSON, code="BadRequest") from None


@dataclass
class Response:
    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    # Transport instructions set by fault injection; never sent to the client.
    drop: bool = False
    drop_after: bool = False
    cut_body: bool = False  # send the head and half the body, then close
    fault: str | None = None
    batch_items: int | None = None

    @classmethod
    def json(cls, status: int, payload, content_type: str = "application/json", headers: dict | None = None):
        h = {"Content-Type": content_type}
        h.update(headers or {})
        return cls(status, h, json.dumps(payload, separators=(",", ":")).encode())

    @classmethod
    def graph(cls, status: int, payload, headers: dict | None = None):
        return cls.json(status, payload, errors.GRAPH_JSON, headers)

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain;charset=utf-8"):
        return cls(status, {"Content-Type": content_type}, text.encode())

    @classmethod
    def no_content(cls):
        return cls(204, {}, b"")

    def json_body(self):
        return json.loads(self.body) if self.body else None
