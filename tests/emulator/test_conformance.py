"""Tests generated from the conformance tables of docs/graph-behaviour.md §11: every row is a
request the emulator must answer as the row (and its Microsoft page) says.

§11.1 (query options): the status and error code, and for a supported query exactly the objects
named, in order when the request sorts (a ``/$count`` segment: the number). §11.2 (permission rows): the row's alternatives are the
emulator's (rules.py), the request succeeds with the least privileged alternative alone, and is
refused with every other permission the emulator knows.
"""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from msgraph_membership.emulator import rules

from .conftest import (ALICE, AU, BOB, CAROL, CONTACT, DEVICE, DISTRIBUTION, DYNAMIC, EMPTY, M365, MAIL_SEC, NESTED,
                       RESTRICTED_AU, ROLE_GROUP, SEC, SP, Graph, error_of, gid)

DOC = Path(__file__).resolve().parents[2] / "docs" / "graph-behaviour.md"
DAN = gid(4)
IDS = {"alice": ALICE, "bob": BOB, "carol": CAROL, "dan": DAN, "device": DEVICE, "sp": SP, "contact": CONTACT,
       "sec": SEC, "m365": M365, "dynamic": DYNAMIC, "mailsec": MAIL_SEC, "distribution": DISTRIBUTION,
       "role": ROLE_GROUP, "nested": NESTED, "empty": EMPTY, "au": AU, "vault": RESTRICTED_AU}
IDS["assignment"] = "conformance-ra"  # Groups Administrator of Bob at the unit's scope, seeded below
DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
UNIVERSE = sorted({p for alts in rules.PERMISSIONS.values() for alt in alts for p in alt}
                  | set(rules.MEMBER_TYPE_PERMISSION.values()) | {rules.ROLE_MANAGEMENT})


def _tables(section: str) -> list[dict]:
    """The rows of the first table under the heading ``section`` of the document, as dicts."""
    text = DOC.read_text()
    block = []
    for line in text[text.index(f"### {section}"):].splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            block.append(line)
        elif block:
            break
    assert block, f"no table under {section}"
    header = [c.strip() for c in block[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in row.strip("|").split(" | ")))) for row in block[2:]]


QUERY_ROWS = _tables("11.1 Query options")
PERMISSION_ROWS = _tables("11.2 Permission rows")


def _code(cell: str) -> str:
    return cell.strip().strip("`")


def _request(cell: str, ids: dict) -> tuple[str, str, dict | None]:
    """``METHOD /version/path [json]`` with ``<name>`` placeholders -> (method, path, body)."""
    text = re.sub(r"<(\w+)>", lambda m: ids[m.group(1)], _code(cell))
    method, _, rest = text.partition(" ")
    path, brace, body = rest.partition(" {")  # a JSON body follows the path (whose query may hold spaces)
    return method, path, json.loads(brace.strip() + body) if brace else None


def _headers(cell: str) -> dict:
    if cell.strip() in ("–", ""):
        return {}
    name, _, value = _code(cell).partition(": ")
    return {name: value}


def _answer(cell: str) -> tuple[int, str | None]:
    status, _, code = cell.strip().partition(" ")
    return int(status), code or None


def _send(graph: Graph, method: str, path: str, body, headers) -> object:
    version, _, rest = path.lstrip("/").partition("/")
    return graph.call(method, rest, json=body, headers=headers, version=version)


@pytest.fixture
def ids(emu, graph) -> dict:
    """The standard directory, plus a disabled user and Alice in Devs; the placeholders' values."""
    emu.seed({"users": [{"id": DAN, "displayName": "Dan", "userPrincipalName": "dan@contoso.test",
                         "accountEnabled": False}]})
    assert graph.add_member(SEC, ALICE).status_code == 204
    emu.seed({"roleAssignments": [{"id": IDS["assignment"], "principalId": BOB,
                                   "roleDefinitionId": "fdd7a751-b60b-444a-984c-02652fe8fa1c",
                                   "directoryScopeId": f"/administrativeUnits/{AU}"}]})
    device_id = graph.get(f"devices/{DEVICE}").json()["deviceId"]
    sp_app_id = graph.get(f"servicePrincipals/{SP}").json()["appId"]
    return {**IDS, "device_id": device_id, "sp_app_id": sp_app_id}


def test_the_tables_are_there_and_cover_every_permission_row():
    assert len(QUERY_ROWS) >= 40
    documented = {_code(r["operation"]) for r in PERMISSION_ROWS}
    assert documented == set(rules.PERMISSIONS)
    for row in QUERY_ROWS + PERMISSION_ROWS:
        assert "https://learn.microsoft.com/" in row["page"], row


@pytest.mark.parametrize("row", QUERY_ROWS, ids=[_code(r["request"])[:90] + f" [{r['headers'][:5]}]"
                                                 for r in QUERY_ROWS])
def test_query_option(graph, ids, row):
    method, path, body = _request(row["request"], ids)
    status, code = _answer(row["answer"])
    r = _send(graph, method, path, body, _headers(row["headers"]))
    assert r.status_code == status, r.text
    assert r.headers.get("OData-Version") == "4.0"
    if code:
        assert error_of(r)[1] == code, r.text
        return
    if "/$count" in path:  # a count segment answers a number as text
        assert r.text == _code(row["returns"])
        return
    got = [o["id"] for o in r.json()["value"]]
    want = [ids[name] for name in re.findall(r"<(\w+)>", row["returns"])]
    if "orderby" in path:
        assert got == want
    else:
        assert sorted(got) == sorted(want)


def _alternatives(cell: str) -> list[frozenset]:
    if cell.strip() == "–":
        return []
    return [frozenset(_code(p) for p in alt.split(" + ")) for alt in cell.split(", ")]


def _app(emu, roles) -> Graph:
    client_id, secret = str(uuid.uuid4()), "s-" + uuid.uuid4().hex
    emu.seed({"apps": [{"client_id": client_id, "client_secret": secret, "roles": sorted(roles)}]})
    return Graph(emu, client_id, secret)


def _everything_but(alternatives: list[frozenset]) -> set[str]:
    named = {p for alt in alternatives for p in alt}
    implying = {p for p, implied in rules.IMPLIED.items() if implied & named}
    return set(UNIVERSE) - named - implying


@pytest.mark.parametrize("row", PERMISSION_ROWS, ids=[_code(r["operation"]) for r in PERMISSION_ROWS])
def test_permission_row_is_the_emulators(row):
    alternatives = _alternatives(row["least privileged"]) + _alternatives(row["higher privileged"])
    assert sorted(map(sorted, alternatives)) == sorted(map(sorted, rules.PERMISSIONS[_code(row["operation"])]))
    assert alternatives[0] == rules.PERMISSIONS[_code(row["operation"])][0]  # least privileged first


@pytest.mark.parametrize("row", PERMISSION_ROWS, ids=[_code(r["operation"]) for r in PERMISSION_ROWS])
def test_permission_row_allows_its_least_privileged(emu, graph, ids, row):
    if row["before"] != "–":
        before = _send(graph, *_request(row["before"], ids), {})
        assert before.status_code < 300, before.text
    least = _alternatives(row["least privileged"])[0]
    r = _send(_app(emu, least), *_request(row["request"], ids), _headers(row["headers"]))
    assert r.status_code == _answer(row["answer"])[0], r.text


@pytest.mark.parametrize("row", PERMISSION_ROWS, ids=[_code(r["operation"]) for r in PERMISSION_ROWS])
def test_permission_row_refuses_every_other_permission(emu, graph, ids, row):
    if row["before"] != "–":
        assert _send(graph, *_request(row["before"], ids), {}).status_code < 300
    others = _everything_but(_alternatives(row["least privileged"]) + _alternatives(row["higher privileged"]))
    r = _send(_app(emu, others), *_request(row["request"], ids), _headers(row["headers"]))
    assert r.status_code == 403, r.text
    assert error_of(r) == DENIED
