"""The Graph transport's `$batch`: twenty requests a call, per-item Retry-After, retries folded
into as few calls as needed, concurrent callers sharing calls, and failures of a whole call answered
per item with their own types."""
import pytest
import requests

from msgraph_membership.graph import errors as E
from msgraph_membership.graph.transport import BatchRequest, GraphTransport, RetryPolicy

from .fakes import GRAPH, FakeSession, response
from .fakes import scripted_transport as transport


def test_batch_retries_only_throttled_items_after_their_own_retry_after():
    def first(call):
        ids = [r["id"] for r in call.json["requests"]]
        assert ids == ["a", "b"]
        return response(200, {"responses": [
            {"id": "b", "status": 429, "headers": {"Retry-After": "2"}, "body": {"error": {"code": "TooManyRequests", "message": "slow"}}},
            {"id": "a", "status": 204, "headers": {}},
        ]})

    def second(call):
        assert [r["id"] for r in call.json["requests"]] == ["b"]
        return response(200, {"responses": [{"id": "b", "status": 204}]})

    t, sleeps = transport([first, second])
    out = t.batch([BatchRequest("a", "DELETE", "/groups/g/members/1/$ref"),
                   BatchRequest("b", "DELETE", "/groups/g/members/2/$ref")])
    assert {k: v.status for k, v in out.items()} == {"a": 204, "b": 204}
    assert sleeps == [2.0]


def test_batch_splits_into_twenty_per_call():
    seen = []

    def answer(call):
        seen.append(len(call.json["requests"]))
        return response(200, {"responses": [{"id": r["id"], "status": 204} for r in call.json["requests"]]})

    t, _ = transport([answer, answer, answer])
    out = t.batch([BatchRequest(str(i), "DELETE", f"/groups/g/members/{i}/$ref") for i in range(45)])
    assert sorted(seen) == [5, 20, 20] and len(out) == 45


def test_batch_body_items_carry_content_type():
    def answer(call):
        item = call.json["requests"][0]
        assert item["headers"]["Content-Type"] == "application/json" and item["url"].startswith("/groups/")
        return response(200, {"responses": [{"id": "1", "status": 204}]})

    t, _ = transport([answer])
    t.batch([BatchRequest("1", "POST", "/groups/g/members/$ref", {"@odata.id": "x"})])


def test_batch_retries_from_every_call_of_a_round_are_folded_into_as_few_calls_as_needed():
    calls = []

    def answer(call):
        reqs = call.json["requests"]
        calls.append(len(reqs))
        first_round = len(calls) <= 2
        out = []
        for r in reqs:
            throttled = first_round and int(r["id"]) % 7 == 0
            out.append({"id": r["id"], "status": 429 if throttled else 204,
                        "headers": {"Retry-After": "1"} if throttled else {}})
        return response(200, {"responses": out})

    t, sleeps = transport([answer, answer, answer])
    out = t.batch([BatchRequest(str(i), "DELETE", f"/groups/g/members/{i}/$ref") for i in range(40)])
    assert all(r.status == 204 for r in out.values()) and len(out) == 40
    assert sorted(calls) == [6, 20, 20]  # the 6 throttled items of both calls, retried in one call
    assert sleeps == [1.0]


def test_batch_items_that_stay_throttled_keep_their_last_answer():
    def answer(call):
        return response(200, {"responses": [{"id": r["id"], "status": 429, "headers": {"Retry-After": "0"}}
                                            for r in call.json["requests"]]})

    t, _ = transport([answer, answer], retry=RetryPolicy(max_attempts=2))
    out = t.batch([BatchRequest("a", "DELETE", "/groups/g/members/1/$ref")])
    assert out["a"].status == 429


def test_items_of_concurrent_batch_calls_share_batch_requests():
    import threading

    sizes = []

    def answer(call):
        sizes.append(len(call.json["requests"]))
        ids = [r["id"] for r in call.json["requests"]]
        assert len(set(ids)) == len(ids)  # callers' ids collide ("0", "1"): renumbered
        return response(200, {"responses": [{"id": i, "status": 204} for i in ids]})

    t, _ = transport([answer] * 4)
    t._shared._window_s = 0.2
    results = {}
    barrier = threading.Barrier(3)

    def caller(n):
        barrier.wait()
        results[n] = t.batch([BatchRequest(str(i), "DELETE", f"/groups/g{n}/members/{i}/$ref") for i in range(3)])

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(3)]
    [th.start() for th in threads]
    [th.join() for th in threads]
    assert sizes == [9]
    assert all(sorted(r) == ["0", "1", "2"] and all(v.status == 204 for v in r.values()) for r in results.values())


def test_a_batch_call_that_fails_whole_answers_only_its_own_items():
    def fail(call):
        return response(400, {"error": {"code": "BadRequest", "message": "bad batch"}})

    t, _ = transport([fail])
    out = t.batch([BatchRequest("a", "DELETE", "/groups/g/members/1/$ref")])
    assert out["a"].status == 400 and "bad batch" in out["a"].body["error"]["message"]


# -- errors that are not HTTP answers keep their type -----------------------------------------

class _RefusedCredential:
    description = "fake"

    def get_token(self, *, force_refresh: bool = False) -> str:
        raise E.AuthenticationError("could not sign in: client secret (msgraph:clientSecret) was rejected")


def test_a_sign_in_failure_inside_a_batch_surfaces_as_a_sign_in_failure():
    t = GraphTransport(GRAPH, _RefusedCredential(), session=FakeSession([]), sleep=lambda s: None)
    with pytest.raises(E.AuthenticationError, match="msgraph:clientSecret"):
        t.batch([BatchRequest("a", "DELETE", "/groups/g/members/1/$ref")])


def test_a_batch_call_lost_to_the_network_keeps_the_unavailable_type_per_item():
    from msgraph_membership.graph.transport import raise_for_item

    t, _ = transport([requests.ConnectionError("Connection aborted: RemoteDisconnected")] * 2,
                     retry=RetryPolicy(max_attempts=2, base_delay_s=0.01))
    out = t.batch([BatchRequest("a", "DELETE", "/groups/g/members/1/$ref")])
    with pytest.raises(E.Unavailable, match=r"the exchange failed \(ConnectionError\)") as info:
        raise_for_item(out["a"], "DELETE", "/groups/g/members/1/$ref")
    assert info.value.status is None  # no made-up HTTP status: Graph never answered


def test_a_batch_item_with_a_lower_case_retry_after_waits_that_long():
    answers = iter([
        {"responses": [{"id": "a", "status": 429, "headers": {"retry-after": "4"}, "body": {}}]},
        {"responses": [{"id": "a", "status": 204}]},
    ])
    t, sleeps = transport([lambda call: response(200, next(answers))] * 2)
    out = t.batch([BatchRequest("a", "DELETE", "/groups/g/members/1/$ref")])
    assert out["a"].status == 204 and sleeps == [4.0]
