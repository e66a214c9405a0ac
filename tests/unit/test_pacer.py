"""The write pacer (graph/pacer.py): Graph's documented write quota, shared by concurrent callers,
learning from 429s. A fake clock whose sleep advances it: nothing waits for real."""
from __future__ import annotations

import threading

import requests

from msgraph_membership.graph import pacer as pacing
from msgraph_membership.graph.pacer import Pacer, call_writes, floor_s, over_write_quota, write_cost


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.slept = []
        self._lock = threading.Lock()

    def clock(self):
        return self.now

    def sleep(self, s):
        with self._lock:
            self.slept.append(s)


def test_write_costs():
    assert write_cost("PATCH", "https://g/v1.0/groups/x") == 1
    assert write_cost("DELETE", "/groups/x/members/y/$ref") == 1
    assert write_cost("GET", "/groups/x/members") == 0
    assert write_cost("POST", "/directoryObjects/getByIds") == 0
    body = {"requests": [{"method": "DELETE", "url": "/groups/g/members/a/$ref"},
                         {"method": "GET", "url": "/groups/g"}, {"method": "POST", "url": "/groups/g/members/$ref"}]}
    assert call_writes("POST", "https://g/v1.0/$batch", body) == 2
    assert over_write_quota(429, {"X-Ms-Throttle-Information": "WriteLimitExceeded"})
    assert not over_write_quota(429, {"x-ms-throttle-information": "ResourceUnitLimitExceeded"})


def test_a_full_bucket_then_the_documented_rate():
    t = FakeTime()
    p = Pacer(clock=t.clock, sleep=t.sleep)
    waits = [p.reserve(1) for _ in range(3_000 - pacing.HEADROOM)]
    assert sum(waits) == 0  # the window's quota (less a batch of headroom) goes at once
    later = [p.reserve(1) for _ in range(200)]
    # then 20 a second: the 200th extra write waits 10 s, and the waits grow evenly
    assert round(later[-1], 6) == 10.0 and round(later[0], 6) == 0.05
    assert floor_s(3_200) == 10.0 and floor_s(5_000) == 100.0 and floor_s(100) == 0


def test_concurrent_callers_share_one_bucket():
    t = FakeTime()
    p = Pacer(quota=10, window_s=10, clock=t.clock, sleep=t.sleep)
    threads = [threading.Thread(target=lambda: [p.acquire(1) for _ in range(10)]) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # 40 writes, 10 free: the other 30 wait 1..30 s, each slot handed out once
    assert sorted(round(s) for s in t.slept) == list(range(1, 31))


def test_a_write_quota_429_pauses_and_slows_then_recovers():
    t = FakeTime()
    p = Pacer(clock=t.clock, sleep=t.sleep)
    p.throttled(30)
    assert p.stats["throttled"] == 1 and p.rate == 15.0
    assert round(p.reserve(1), 6) == round(30 + 1 / 15, 6)  # nothing before Retry-After has passed
    t.now += 150 + 31
    p.reserve(1)
    assert p.rate == 20.0  # a quiet window brings the documented rate back
    for _ in range(20):  # each after the previous one's pause: twenty separate signals
        p.throttled(1)
        t.now += 1
    assert p.rate < 2.5  # never below a tenth of the documented rate (plus a second's climb)
    p.throttled(1)
    assert p.rate == 2.0


def test_transport_paces_writes_and_learns_from_the_429s_it_gets(monkeypatch):
    from msgraph_membership.graph.transport import GraphTransport

    t = FakeTime()
    p = Pacer(quota=2, window_s=1, clock=t.clock, sleep=t.sleep)
    answers = [(429, {"Retry-After": "3", "x-ms-throttle-information": "WriteLimitExceeded"}), (204, {}),
               (204, {}), (204, {}), (200, {})]

    class Session:
        calls = 0

        def request(self, method, url, **kw):
            status, headers = answers[Session.calls]
            Session.calls += 1
            r = requests.Response()
            r.status_code, r.headers, r._content = status, requests.structures.CaseInsensitiveDict(headers), b""
            return r

    class Cred:
        def get_token(self, force_refresh=False):
            return "t"

    tr = GraphTransport("https://g/v1.0", Cred(), session=Session(), sleep=t.sleep, pacer=p)
    for _ in range(3):
        tr.request("PATCH", "/groups/x", json={})
    tr.request("GET", "/groups/x")
    assert Session.calls == 5 and p.stats["throttled"] == 1
    assert p.stats["writes"] == 4  # three writes, one of them sent twice; the GET spends none
    assert pacing.shared() is pacing.shared()
