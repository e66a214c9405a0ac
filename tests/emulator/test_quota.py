"""Graph's identity quotas in the emulator (quota.py, docs/graph-behaviour.md §4.2): costs, the three
buckets, the 429s' headers and Retry-After, $batch items, the settings. In-process, with a fake
clock, so nothing waits."""

from __future__ import annotations

import json

import pytest

from msgraph_membership.emulator import seed
from msgraph_membership.emulator.app import Emulator
from msgraph_membership.emulator.quota import request_cost
from msgraph_membership.emulator.store import Store
from msgraph_membership.emulator.wire import Request

from .conftest import APPS, FULL_APP, MEMBER_ONLY_APP, SEC, STANDARD, TENANT


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def emu():
    emulator = Emulator(Store(":memory:"))
    seed.apply(emulator.store, {"tenant_id": TENANT, "apps": APPS})
    seed.apply(emulator.store, STANDARD)
    emulator.quota.clock = Clock()
    return emulator


def _token(emu, app=FULL_APP):
    token, _ = emu.tokens.mint(tenant_id=TENANT, audience="https://graph.microsoft.com", appid=app, oid=app,
                               roles=["Group.ReadWrite.All", "GroupMember.ReadWrite.All"])
    return token


def call(emu, method, path, body=None, app=FULL_APP, query=""):
    data = json.dumps(body).encode() if body is not None else b""
    return emu.handle(Request(method, f"/v1.0/{path}", query_string=query, body=data, host="graph.microsoft.com",
                              headers={"authorization": f"Bearer {_token(emu, app)}",
                                       "content-type": "application/json"}, client_ip="127.0.0.1"))


def rename(emu, n, app=FULL_APP):
    return call(emu, "PATCH", f"groups/{SEC}", {"description": f"d{n}"}, app=app)


def drain(emu, app, units=0, writes=0):
    """Spend quota through the meter itself, as that many calls of cost 1 would."""
    for _ in range(writes):
        assert emu.quota.charge(app, 1, 1)[0] is None
    for _ in range(units):
        assert emu.quota.charge(app, 1, 0)[0] is None


@pytest.mark.parametrize("method, path, query, cost", [
    ("GET", ["groups", SEC, "members"], {}, (3, 0)),
    ("GET", ["groups", SEC, "members", "$ref"], {"$select": "id"}, (2, 0)),
    ("GET", ["groups", SEC, "transitiveMembers"], {"$expand": "x"}, (6, 0)),
    ("GET", ["users"], {"$top": "5", "$select": "id"}, (1, 0)),
    ("GET", ["me", "memberOf"], {}, (2, 0)),
    ("GET", ["groups", SEC], {}, (1, 0)),
    ("PATCH", ["groups", SEC], {}, (1, 1)),
    ("DELETE", ["groups", SEC, "members", "x-1", "$ref"], {}, (1, 1)),
    ("POST", ["directoryObjects", "getByIds"], {}, (3, 0)),
])
def test_request_costs_follow_the_page(method, path, query, cost):
    assert request_cost(method, path, query) == cost


def test_write_quota_per_app_is_429_with_graph_headers_and_retry_after(emu):
    drain(emu, FULL_APP, writes=2_999)
    assert rename(emu, 1).status < 300
    resp = rename(emu, 2)
    assert resp.status == 429
    body = resp.json_body()["error"]
    assert body["code"] == "TooManyRequests" and body["innerError"]["request-id"]
    assert resp.headers["x-ms-throttle-scope"] == f"Tenant_Application/Write/{FULL_APP}/{TENANT}"
    assert resp.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    wait = int(resp.headers["Retry-After"])
    assert 1 <= wait <= 150
    assert rename(emu, 3).status == 429  # no time passed: still over, and charged nothing
    emu.quota.clock.now += wait
    assert rename(emu, 4).status < 300
    # another app of the same tenant has its own write quota
    assert rename(emu, 5, app=MEMBER_ONLY_APP).status < 300


def test_reads_pass_while_writes_are_throttled(emu):
    drain(emu, FULL_APP, writes=3_000)
    assert rename(emu, 1).status == 429
    assert call(emu, "GET", f"groups/{SEC}").status == 200


def test_resource_unit_quota_by_tenant_size(emu):
    # the standard directory has 3 users: a small tenant, 3,500 units per 10 s
    drain(emu, FULL_APP, units=3_497)
    ok = call(emu, "GET", f"groups/{SEC}/members")  # costs 3
    assert ok.status == 200 and ok.headers["x-ms-resource-unit"] == "3"
    assert float(ok.headers["x-ms-throttle-limit-percentage"]) > 0.8
    over = call(emu, "GET", f"groups/{SEC}")
    assert over.status == 429
    assert over.headers["x-ms-throttle-scope"] == f"Tenant_Application/ReadWrite/{FULL_APP}/{TENANT}"
    assert over.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert over.headers["Retry-After"] == "1"
    emu.quota.configure({"tenant_size": "L"})
    drain(emu, FULL_APP, units=7_999)
    assert call(emu, "GET", f"groups/{SEC}").status == 200
    assert call(emu, "GET", f"groups/{SEC}").status == 429


def test_tenant_size_follows_the_number_of_users(emu):
    seed.apply(emu.store, {"users": [{"displayName": f"u{n}"} for n in range(60)]})
    emu.quota.configure({})
    drain(emu, FULL_APP, units=5_000)  # 63 users: a medium tenant
    assert call(emu, "GET", f"groups/{SEC}").status == 429


def test_tenant_write_quota_spans_apps(emu):
    for n in range(6):
        drain(emu, f"app-{n}", writes=3_000)
    resp = rename(emu, 1)
    assert resp.status == 429
    assert resp.headers["x-ms-throttle-scope"] == f"Tenant/Write/{FULL_APP}/{TENANT}"


def test_batch_items_each_count_and_each_carry_their_429(emu):
    drain(emu, FULL_APP, writes=2_995)
    requests = [{"id": str(n), "method": "PATCH", "url": f"/groups/{SEC}", "body": {"description": f"b{n}"},
                 "headers": {"Content-Type": "application/json"}} for n in range(8)]
    resp = call(emu, "POST", "$batch", {"requests": requests})
    assert resp.status == 200
    statuses = sorted(item["status"] for item in resp.json_body()["responses"])
    assert statuses.count(429) == 3 and len(statuses) == 8
    throttled = [i for i in resp.json_body()["responses"] if i["status"] == 429]
    assert all(int(i["headers"]["Retry-After"]) >= 1 for i in throttled)
    assert all(i["headers"]["x-ms-throttle-information"] == "WriteLimitExceeded" for i in throttled)
    assert emu.log.entries()[-1]["batch_quota"] == 3


def test_off_switch_and_admin_validation(emu):
    put = lambda doc: emu.handle(Request("PUT", "/_emulator/faults", body=json.dumps(doc).encode(),
                                         client_ip="127.0.0.1"))
    assert put({"quota": False}).status == 200
    drain(emu, FULL_APP, writes=3_000)
    assert emu.quota.enabled is False and rename(emu, 1).status < 300
    assert put({"tenant_size": "XL"}).status == 400
    assert put({"quota": "no"}).status == 400
    assert put({}).status == 200 and emu.quota.enabled  # {} turns faults off, not the quota
