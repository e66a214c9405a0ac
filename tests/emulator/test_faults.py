"""Fault injection and replication lag (docs/graph-behaviour.md §4.1, §4.3, §5)."""

from __future__ import annotations

import email.utils
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .conftest import BOB, CAROL, SEC, error_of

LAG_MS = 300


def _statuses(graph, n=40):
    out = []
    for _ in range(n):
        try:
            out.append(graph.get(f"groups/{SEC}/members?$select=id").status_code)
        except requests.ConnectionError:
            out.append("drop")
            graph.session.close()  # a fresh connection after a drop
    return out


def test_faults_settings_round_trip_and_empty_turns_off(emu):
    """Admin API: PUT /_emulator/faults returns the settings, GET shows them, {} turns all off."""
    current = emu.faults({"throttle_rate": 0.1, "retry_after_s": 2, "seed": 7})
    assert current["throttle_rate"] == 0.1 and emu.faults()["seed"] == 7
    assert emu.faults({}) == {} and emu.faults() == {}


def test_throttled_call_is_429_with_retry_after_seconds(graph, emu):
    """§4.1: 429 TooManyRequests with an integer Retry-After and x-ms-throttle headers."""
    emu.faults({"throttle_rate": 1.0, "retry_after_s": 2})
    r = graph.get(f"groups/{SEC}")
    assert error_of(r)[:2] == (429, "TooManyRequests")
    assert r.headers["Retry-After"] == "2"
    assert r.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert r.headers["x-ms-throttle-scope"] == f"Tenant_Application/ReadWrite/{graph.client_id}/{emu.tenant_id}"


def test_retry_after_as_http_date(graph, emu):
    """Retry-After in HTTP-date form."""
    emu.faults({"throttle_rate": 1.0, "retry_after_s": 5, "retry_after_http_date": True})
    r = graph.get(f"groups/{SEC}")
    when = email.utils.parsedate_to_datetime(r.headers["Retry-After"]).timestamp()
    assert 3 <= when - time.time() <= 7


def test_throttle_without_retry_after(graph, emu):
    """§4.2: clients must handle 429s without Retry-After (retry_after_s: null)."""
    emu.faults({"throttle_rate": 1.0, "retry_after_s": None})
    r = graph.get(f"groups/{SEC}")
    assert r.status_code == 429 and "Retry-After" not in r.headers


@pytest.mark.parametrize("key,status", [("unavailable_rate", 503), ("gateway_timeout_rate", 504)])
def test_unavailable_and_gateway_timeout(graph, emu, key, status):
    """§4.1: 503 and 504 faults, with the Graph error envelope; the write is not applied."""
    emu.faults({key: 1.0})
    r = graph.add_member(SEC, BOB)
    assert r.status_code == status and "error" in r.json()
    emu.faults({})
    assert graph.member_ids(SEC) == []


def test_dropped_connection_closes_without_answer(graph, emu):
    """drop_rate closes the connection without answering; the request did not run."""
    emu.faults({"drop_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        graph.add_member(SEC, BOB)
    emu.faults({})
    graph.session.close()
    assert graph.member_ids(SEC) == []
    assert any(e.get("fault") == "drop" and e["status"] is None for e in emu.requests())


def test_drop_after_write_commits_then_closes(graph, emu):
    """drop_after_rate: the write commits, then the connection closes unanswered (a retry sees "already exist")."""
    emu.faults({"drop_after_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        graph.add_member(SEC, BOB)
    emu.faults({})
    graph.session.close()
    assert graph.member_ids(SEC) == [BOB]


def test_latency_is_added_to_graph_calls_only(graph, emu):
    """Faults: latency_ms delays Graph calls, not admin calls.

    No upper bound on time: while a Graph call is held by its latency, an admin call is answered
    (the Graph call is not logged yet, as entries are logged when answered); the Graph call's log
    entry then shows at least the injected latency."""
    graph.get(f"groups/{SEC}")  # token and connection warm
    emu.clear_requests()
    emu.faults({"latency_ms": 3000})
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(graph.get, f"groups/{SEC}")
        assert "groups" in emu.directory()
        assert emu.requests() == [] and not held.done()
        assert held.result().status_code == 200
    (entry,) = emu.requests()
    assert entry["kind"] == "graph" and entry["duration_ms"] >= 3000


def test_faults_are_reproducible_from_seed(graph, emu):
    """Faults: the same seed and call sequence give the same faults."""
    graph.get(f"groups/{SEC}")
    settings = {"throttle_rate": 0.2, "unavailable_rate": 0.1, "gateway_timeout_rate": 0.05, "drop_rate": 0.05,
                "seed": 42}
    emu.faults(settings)
    first = _statuses(graph)
    emu.faults(settings)
    second = _statuses(graph)
    emu.faults({**settings, "seed": 43})
    third = _statuses(graph)
    assert first == second
    assert first != third
    assert {429, 503, 200} <= set(first)


def test_admin_calls_are_never_faulted(graph, emu):
    """Faults apply to Graph calls, not admin calls."""
    emu.faults({"unavailable_rate": 1.0})
    for _ in range(5):
        assert "groups" in emu.directory()
        assert emu.health()
    assert graph.get(f"groups/{SEC}").status_code == 503


def test_replication_lag_hides_new_objects(graph, emu):
    """§5: a group created through Graph 404s for replication_lag_ms, then appears; the directory shows it."""
    emu.faults({"replication_lag_ms": LAG_MS})
    r = graph.post("groups", {"displayName": "Fresh", "mailNickname": "fresh", "mailEnabled": False,
                              "securityEnabled": True})
    new = r.json()["id"]
    assert error_of(graph.get(f"groups/{new}"))[:2] == (404, "Request_ResourceNotFound")
    assert new in [g["id"] for g in emu.directory()["groups"]]
    time.sleep(LAG_MS / 1000 + 0.05)
    assert graph.get(f"groups/{new}").status_code == 200


def test_member_add_to_just_created_group_is_source_object_400(graph, emu):
    """§1.1/§5: adds to a just-created group -> 400 "The source resource object … do not exist."."""
    emu.faults({"replication_lag_ms": LAG_MS})
    new = graph.post("groups", {"displayName": "Fresh", "mailNickname": "fresh", "mailEnabled": False,
                                "securityEnabled": True}).json()["id"]
    r = graph.add_member(new, BOB)
    assert error_of(r) == (400, "Request_BadRequest",
                           "The source resource object or one of the objects being referenced do not exist.")
    time.sleep(LAG_MS / 1000 + 0.05)
    assert graph.add_member(new, BOB).status_code == 204


def test_member_lists_lag_writes(graph, emu):
    """§5: a list right after an add does not show it until the lag has passed; the directory does."""
    emu.faults({"replication_lag_ms": LAG_MS})
    assert graph.add_member(SEC, BOB).status_code == 204
    assert graph.member_ids(SEC) == []
    assert next(g for g in emu.directory()["groups"] if g["id"] == SEC)["members"] == [BOB]
    time.sleep(LAG_MS / 1000 + 0.05)
    assert graph.member_ids(SEC) == [BOB]
    assert graph.remove_member(SEC, BOB).status_code == 204
    assert graph.member_ids(SEC) == [BOB]  # still listed for a while
    time.sleep(LAG_MS / 1000 + 0.05)
    assert graph.member_ids(SEC) == []


def test_repeated_remove_during_lag_is_removed_references_400(graph, emu):
    """§1.4: during replication lag a second remove answers the 400 "removed object references" form."""
    graph.add_member(SEC, CAROL)
    emu.faults({"replication_lag_ms": LAG_MS})
    assert graph.remove_member(SEC, CAROL).status_code == 204
    r = graph.remove_member(SEC, CAROL)
    assert error_of(r) == (400, "Request_BadRequest", "One or more removed object references do not exist for "
                           "the following modified properties: 'members'.")
    time.sleep(LAG_MS / 1000 + 0.05)
    assert graph.remove_member(SEC, CAROL).status_code == 404


def test_cut_body_commits_the_write_then_ends_the_answer_mid_body(graph, emu):
    """cut_body_rate: the write commits, the status line and headers arrive, the body stops
    halfway and the connection closes; `requests` reports it as ChunkedEncodingError."""
    emu.faults({"cut_body_rate": 1.0})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        graph.post("groups", {"displayName": "Cut", "mailNickname": "cut", "securityEnabled": True,
                              "mailEnabled": False})
    emu.faults({})
    graph.session.close()
    assert [g for g in emu.directory()["groups"] if g.get("displayName") == "Cut"]
    assert any(e.get("fault") == "cut_body" and e["status"] == 201 for e in emu.requests())
