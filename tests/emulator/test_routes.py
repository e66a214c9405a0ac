"""The route table (emulator/routes.py) against the endpoints the docs name, and the answers for a
path or a method it does not serve (docs/graph-behaviour.md §3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from msgraph_membership.emulator import routes
from msgraph_membership.emulator.errors import GraphError

from .conftest import SEC, error_of

ROOT = Path(__file__).resolve().parents[2]
_ENDPOINT = re.compile(r"`((?:GET|POST|PATCH|DELETE|PUT)(?:\|(?:GET|POST|PATCH|DELETE|PUT))*) (/[^` ]+)`")


def _documented() -> list[tuple[str, str]]:
    """Every ``METHOD /path`` of Graph that docs/graph-behaviour.md and docs/permissions.md name."""
    found = set()
    for doc in ("docs/graph-behaviour.md", "docs/permissions.md"):
        for methods, path in _ENDPOINT.findall((ROOT / doc).read_text()):
            # Not Graph: the admin API, and the resource manager's (test_cloud_metadata.py tests those).
            if not path.startswith(("/_emulator", "/metadata", "/tenants", "/subscriptions")):
                found.update((m, path) for m in methods.split("|"))
    return sorted(found)


def _segments(path: str) -> list[str]:
    path = path.partition("?")[0]  # §11's requests carry their version and query
    path = re.sub(r"^/(v1\.0|beta)/", "/", path)
    path = re.sub(r"<\w+>", SEC, path)
    path = path.replace("/{version}", "").replace("…", "team").replace("{name}", "team")
    path = re.sub(r"\{(\w+),[^}]*\}", r"\1", path)  # {users,groups,…}: the first of them
    path = re.sub(r"\{[^}]*\}", SEC, path)
    return [s for s in path.split("/") if s]


def test_the_docs_name_endpoints():
    assert len(_documented()) >= 30


@pytest.mark.parametrize("method,path", _documented())
def test_every_documented_endpoint_has_a_route(method, path):
    served = []
    for version in ("v1.0", "beta"):
        try:
            route, _ = routes.resolve(method, version, routes._split(_segments(path)))
            served.append(route.handler)
        except GraphError as err:
            assert err.status == 405, err.message  # a route for the path, not for this version
    assert served, f"{method} {path} has no route"


def test_an_unknown_segment_answers_graphs_400(graph):
    assert error_of(graph.get(f"groups/{SEC}/nope")) == (
        400, "BadRequest", "Resource not found for the segment 'nope'.")
    assert error_of(graph.get("nope")) == (400, "BadRequest", "Resource not found for the segment 'nope'.")


def test_a_method_the_path_does_not_serve_answers_405(graph):
    assert error_of(graph.call("PUT", f"groups/{SEC}/members/$ref")) == (
        405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
    assert error_of(graph.post(f"groups/{SEC}/memberOf/$ref", {})) == (
        405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
