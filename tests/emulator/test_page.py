"""The emulator's page and the JSON it polls (`/_emulator/ui`, `/_emulator/live`), without a
browser: what they serve, to whom, and the request log's `seq` and `app` they rely on."""
from __future__ import annotations

import requests

from msgraph_membership.emulator.app import Emulator
from msgraph_membership.emulator.live import group_kind
from msgraph_membership.emulator.store import Store
from msgraph_membership.emulator.wire import Request

from .conftest import ALICE, AU, BOB, DEVICE, DYNAMIC, FULL_APP, M365, SEC


def admin(emu, path: str, **kw) -> requests.Response:
    s = requests.Session()
    s.trust_env = False
    return s.get(f"{emu.base_url}/_emulator/{path}", verify=emu.ca_bundle, timeout=30, **kw)


def live(emu, **params) -> dict:
    r = admin(emu, "live", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def container(doc: dict, kind: str, cid: str) -> dict:
    return next(c for c in doc["directory"][kind] if c["id"] == cid)


def test_page_and_its_assets_are_served_from_the_package(emu):
    page = admin(emu, "ui")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<script src="/_emulator/ui/page.js"' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset, ctype in (("page.js", "text/javascript"), ("page.css", "text/css")):
        r = admin(emu, f"ui/{asset}")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(ctype) and r.content


def test_page_serves_nothing_but_its_assets(emu):
    for path in ("ui/../cli.py", "ui/page.py", "ui/%2e%2e/admin.py", "ui/nope.js"):
        assert admin(emu, path).status_code == 404, path


def test_favicon_answers_without_entering_the_request_log(emu):
    s = requests.Session()
    s.trust_env = False
    r = s.get(f"{emu.base_url}/favicon.ico", verify=emu.ca_bundle, timeout=30)
    assert r.status_code == 204 and r.content == b""
    assert s.get(f"{emu.base_url}/nope.ico", verify=emu.ca_bundle, timeout=30).status_code == 400  # as before
    assert [e["path"] for e in emu.requests()] == ["/nope.ico"]


def test_page_and_live_answer_loopback_clients_only():
    emulator = Emulator(Store(":memory:"))
    for path in ("/_emulator/ui", "/_emulator/live"):
        outside = emulator.handle(Request("GET", path, client_ip="10.1.2.3"))
        inside = emulator.handle(Request("GET", path, client_ip="127.0.0.1"))
        assert (outside.status, inside.status) == (403, 200), path


def test_live_lists_containers_with_members_by_type_name_and_id(emu, graph):
    assert graph.add_member(SEC, BOB).status_code == 204
    assert graph.add_member(SEC, DEVICE).status_code == 204
    doc = live(emu)
    devs = container(doc, "groups", SEC)
    assert devs["displayName"] == "Devs" and devs["kind"] == "security"
    assert {(m["type"], m["name"], m["id"]) for m in devs["members"]} >= {
        ("user", "Bob", BOB), ("device", "laptop-1", DEVICE)}
    truth = next(g for g in emu.directory()["groups"] if g["id"] == SEC)["members"]
    assert sorted(m["id"] for m in devs["members"]) == sorted(truth)
    assert container(doc, "administrativeUnits", AU)["displayName"]
    assert doc["directory"]["counts"]["users"] == len(emu.directory()["users"])
    assert doc["tenant_id"] == emu.tenant_id


def test_live_leaves_out_an_unchanged_directory_and_sends_a_changed_one(emu, graph):
    first = live(emu)
    again = live(emu, directory=first["directory_etag"])
    assert "directory" not in again and again["directory_etag"] == first["directory_etag"]
    assert graph.add_member(SEC, ALICE).status_code == 204
    changed = live(emu, directory=first["directory_etag"])
    assert changed["directory_etag"] != first["directory_etag"]
    assert ALICE in [m["id"] for m in container(changed, "groups", SEC)["members"]]


def test_live_sends_only_requests_after_since_with_their_app(emu, graph):
    graph.get(f"groups/{SEC}")
    first = live(emu)
    seqs = [r["seq"] for r in first["requests"]]
    assert seqs == sorted(seqs) and first["last_seq"] == seqs[-1]
    token = next(r for r in first["requests"] if r["kind"] == "token")
    read = next(r for r in first["requests"] if r["kind"] == "graph")
    assert token["app"] == FULL_APP and read["app"] == FULL_APP
    assert live(emu, since=first["last_seq"])["requests"] == []
    graph.get(f"groups/{M365}")
    newer = live(emu, since=first["last_seq"])["requests"]
    assert [r["path"] for r in newer] == [f"/v1.0/groups/{M365}"]


def test_live_shows_the_faults_in_force(emu):
    emu.faults({"throttle_rate": 0.25, "seed": 3})
    assert live(emu)["faults"] == {"throttle_rate": 0.25, "seed": 3}
    emu.faults({})
    assert live(emu)["faults"] == {}


def test_group_kinds_are_named_as_the_admin_center_names_them(emu):
    kinds = {g["id"]: g["kind"] for g in live(emu)["directory"]["groups"]}
    assert (kinds[SEC], kinds[M365], kinds[DYNAMIC]) == ("security", "Microsoft 365", "dynamic")
    assert group_kind({"mailEnabled": True, "securityEnabled": False}) == "distribution"
    assert group_kind({"mailEnabled": True, "securityEnabled": True}) == "mail-enabled security"


def test_every_page_asset_is_shipped_as_package_data():
    import fnmatch
    from pathlib import Path

    import pytest

    tomllib = pytest.importorskip("tomllib")
    import msgraph_membership.emulator as emulator_pkg

    repo = Path(__file__).resolve().parents[2]
    globs = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "msgraph_membership.emulator"]
    assets = [p.relative_to(Path(emulator_pkg.__file__).parent).as_posix()
              for p in (Path(emulator_pkg.__file__).parent / "page").iterdir()]
    assert {"page/index.html", "page/page.css", "page/page.js"} <= set(assets)
    assert all(any(fnmatch.fnmatch(a, g) for g in globs) for a in assets), (assets, globs)
