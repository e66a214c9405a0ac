"""The Graph transport: retries, Retry-After, token refresh, paging, batching, TLS trust."""
import email.utils
import logging
import time

import pytest
import requests

from msgraph_membership.graph import errors as E
from msgraph_membership.graph.transport import BatchRequest, GraphTransport, RetryPolicy, new_session, parse_retry_after

from .fakes import FakeCredential, FakeSession, response

GRAPH = "https://graph.example/v1.0"


def transport(script, **kw):
    sleeps = []
    t = GraphTransport(GRAPH, FakeCredential(), session=FakeSession(script), verify="/tmp/ca.pem",
                       sleep=sleeps.append, **kw)
    return t, sleeps


def test_throttled_request_waits_retry_after_seconds_then_succeeds():
    t, sleeps = transport([response(429, {"error": {"code": "TooManyRequests", "message": "x"}}, {"Retry-After": "3"}),
                           response(204)])
    assert t.request("POST", "/groups/g/members/$ref", json={}).status == 204
    assert sleeps == [3.0]


def test_retry_after_as_http_date_is_honoured():
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3.5 <= parse_retry_after(when) <= 5.0
    t, sleeps = transport([response(429, None, {"Retry-After": when}), response(200, {"value": []})])
    t.request("GET", "/groups/g/members")
    assert len(sleeps) == 1 and 3.5 <= sleeps[0] <= 5.0


@pytest.mark.parametrize("status", [503, 504])
def test_unavailable_is_retried_with_backoff_when_no_retry_after(status):
    t, sleeps = transport([response(status), response(status), response(200, {"id": "g"})])
    assert t.request("GET", "/groups/g").body == {"id": "g"}
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)


def test_throttling_that_never_ends_raises_throttled_after_max_attempts():
    t, sleeps = transport([response(429, None, {"Retry-After": "1"})] * 3, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(E.Throttled):
        t.request("GET", "/groups/g")
    assert len(sleeps) == 2


def test_dropped_connection_is_retried():
    t, sleeps = transport([requests.ConnectionError("reset"), response(204)])
    assert t.request("DELETE", "/groups/g/members/m/$ref").status == 204
    assert len(sleeps) == 1


def test_expired_token_is_refreshed_once_and_the_call_repeated():
    t, _ = transport([response(401, {"error": {"code": "InvalidAuthenticationToken",
                                               "message": "Access token has expired or is not yet valid."}}),
                      response(200, {"id": "g"})])
    assert t.request("GET", "/groups/g").body["id"] == "g"
    assert t.credential.forced == 1
    auth = [c.headers["Authorization"] for c in t.session.calls]
    assert auth[0] != auth[1]


def test_a_second_401_is_raised_as_unauthorized():
    body = {"error": {"code": "InvalidAuthenticationToken", "message": "Access token validation failure. Invalid audience."}}
    t, _ = transport([response(401, body), response(401, body)])
    with pytest.raises(E.Unauthorized, match="Invalid audience"):
        t.request("GET", "/groups/g")


def test_already_a_member_is_classified_as_already_exists():
    msg = "One or more added object references already exist for the following modified properties: 'members'."
    t, _ = transport([response(400, {"error": {"code": "Request_BadRequest", "message": msg}})])
    with pytest.raises(E.AlreadyExists):
        t.request("POST", "/groups/g/members/$ref", json={})


def test_error_message_as_object_is_tolerated():
    t, _ = transport([response(404, {"error": {"code": "Request_ResourceNotFound", "message": {"value": "gone"}}})])
    with pytest.raises(E.NotFound, match="gone"):
        t.request("GET", "/groups/g")


def test_pages_follow_the_absolute_next_link_verbatim():
    nxt = "https://graph.example/v1.0/groups/g/members?$skiptoken=abc"
    t, _ = transport([response(200, {"value": [{"id": "1"}], "@odata.nextLink": nxt}),
                      response(200, {"value": [{"id": "2"}]})])
    assert [o["id"] for o in t.pages("/groups/g/members", {"$top": "999"})] == ["1", "2"]
    assert t.session.calls[1].url == nxt


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


def test_configured_ca_bundle_is_passed_on_every_request_and_env_trust_is_off(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    s = new_session("/tmp/emulator-ca.pem")
    assert s.trust_env is False and s.verify == "/tmp/emulator-ca.pem"
    t, _ = transport([response(200, {})])
    t.request("GET", "/groups/g")
    assert t.session.calls[0].verify == "/tmp/ca.pem"


def test_authorization_header_and_token_never_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="msgraph_membership")
    t, _ = transport([response(429, None, {"Retry-After": "0"}), response(200, {})])
    t.request("GET", "/groups/g")
    text = caplog.text
    assert "GET" in text  # debug logging is on and did log the call
    assert "token-1" not in text and "Authorization" not in text and "Bearer" not in text


def test_ca_bundle_adds_to_the_default_trust_store_instead_of_replacing_it(tmp_path):
    import certifi

    from msgraph_membership.graph.settings import resolve_settings

    ca = tmp_path / "extra.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nZXh0cmE=\n-----END CERTIFICATE-----\n")
    path = resolve_settings({"msgraph:caBundle": str(ca)}, environ={}).verify
    text = open(path).read()
    assert "ZXh0cmE=" in text and open(certifi.where()).read().strip()[:2000] in text
    assert resolve_settings({}, environ={}).verify is True  # never False


def test_a_ca_bundle_that_is_not_a_file_is_a_configuration_error_naming_the_key(tmp_path):
    from msgraph_membership.graph.settings import resolve_settings
    from msgraph_membership.graph.trust import trust_bundle

    missing = str(tmp_path / "nope.pem")
    with pytest.raises(E.ConfigurationError, match="msgraph:caBundle names .*nope.pem"):
        resolve_settings({"msgraph:caBundle": missing}, environ={}).verify
    with pytest.raises(E.ConfigurationError, match="MSGRAPH_CA_BUNDLE"):
        resolve_settings({}, environ={"MSGRAPH_CA_BUNDLE": missing}).verify
    assert trust_bundle(missing) == missing  # and requests would name the bad path too


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


def test_a_create_that_lost_its_answer_is_not_sent_again():
    t, sleeps = transport([requests.ConnectionError("Connection aborted: RemoteDisconnected")])
    with pytest.raises(E.AmbiguousWrite, match="may have been applied"):
        t.request("POST", "/directory/administrativeUnits/u/members", json={}, idempotent=False)
    assert len(t.session.calls) == 1 and sleeps == []


def test_a_create_that_never_connected_is_retried():
    t, _ = transport([requests.exceptions.ConnectTimeout("connect timeout"), response(201, {"id": "g"})])
    assert t.request("POST", "/directory/administrativeUnits/u/members", json={}, idempotent=False).body == {"id": "g"}


def test_a_gateway_timeout_on_a_create_is_ambiguous_not_retried():
    t, _ = transport([response(504)])
    with pytest.raises(E.AmbiguousWrite):
        t.request("POST", "/directory/administrativeUnits/u/members", json={}, idempotent=False)


def test_retry_after_zero_still_waits_a_little():
    t, sleeps = transport([response(429, None, {"Retry-After": "0"}), response(204)])
    t.request("DELETE", "/groups/g/members/m/$ref")
    assert sleeps and sleeps[0] > 0


def test_a_batch_call_that_fails_whole_answers_only_its_own_items():
    def fail(call):
        return response(400, {"error": {"code": "BadRequest", "message": "bad batch"}})

    t, _ = transport([fail])
    out = t.batch([BatchRequest("a", "DELETE", "/groups/g/members/1/$ref")])
    assert out["a"].status == 400 and "bad batch" in out["a"].body["error"]["message"]


def test_no_proxy_is_honoured_per_url(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    seen = {}

    class Adapter(requests.adapters.HTTPAdapter):
        def send(self, request, **kw):
            seen[request.url] = kw.get("proxies")
            return response(200, {})

    s = new_session(True)
    s.mount("https://", Adapter())
    s.get("https://127.0.0.1:8443/v1.0/groups")
    s.get("https://graph.microsoft.com/v1.0/groups")
    assert not (seen["https://127.0.0.1:8443/v1.0/groups"] or {}).get("https")
    assert seen["https://graph.microsoft.com/v1.0/groups"]["https"] == "http://proxy.invalid:3128"


def test_the_combined_trust_file_is_private_and_rewritten_when_tampered(tmp_path, monkeypatch):
    import os
    import stat

    from msgraph_membership.graph.trust import trust_bundle

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ca = tmp_path / "extra.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nZXh0cmE=\n-----END CERTIFICATE-----\n")
    path = trust_bundle(str(ca))
    assert path.startswith(str(tmp_path / "cache"))
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    good = open(path, "rb").read()
    open(path, "w").write("-----BEGIN CERTIFICATE-----\nZXZpbA==\n-----END CERTIFICATE-----\n")
    assert trust_bundle(str(ca)) == path and open(path, "rb").read() == good


# -- every failure of `requests` is classified by whether the call is safe to repeat ---------

CUT_OFF = requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(12 bytes read, 80 more expected)")
UNDECODABLE = requests.exceptions.ContentDecodingError("Received response with content-encoding: gzip, but failed to decode it")


@pytest.mark.parametrize("failure", [CUT_OFF, UNDECODABLE, requests.exceptions.ReadTimeout("read timed out"),
                                     requests.RequestException("something new")],
                         ids=["cut-off-body", "undecodable-body", "read-timeout", "other"])
def test_a_create_whose_answer_failed_after_sending_is_ambiguous_and_not_sent_again(failure):
    t, sleeps = transport([failure, response(201, {"id": "second"})])
    with pytest.raises(E.AmbiguousWrite, match="may have been applied"):
        t.request("POST", "/directory/administrativeUnits/u/members", json={}, idempotent=False)
    assert len(t.session.calls) == 1 and sleeps == []


@pytest.mark.parametrize("failure", [CUT_OFF, UNDECODABLE, requests.RequestException("something new")],
                         ids=["cut-off-body", "undecodable-body", "other"])
def test_a_repeatable_call_whose_answer_was_cut_off_is_retried(failure):
    t, sleeps = transport([failure, response(200, {"value": []})])
    assert t.request("GET", "/groups/g/members").body == {"value": []}
    assert len(t.session.calls) == 2 and len(sleeps) == 1


def test_a_cut_off_answer_that_never_heals_is_unavailable_not_a_raw_requests_error():
    t, _ = transport([CUT_OFF] * 3, retry=RetryPolicy(max_attempts=3, base_delay_s=0.01))
    with pytest.raises(E.Unavailable, match="ChunkedEncodingError"):
        t.request("GET", "/groups/g/members")
    assert len(t.session.calls) == 3


def test_a_malformed_url_is_a_configuration_error_not_retried():
    t, sleeps = transport([requests.exceptions.InvalidURL("Invalid URL 'https://graph.example:99999/v1.0'")])
    with pytest.raises(E.ConfigurationError, match="graphEndpoint"):
        t.request("GET", "/groups/g")
    assert len(t.session.calls) == 1 and sleeps == []


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


# -- header names in any case -------------------------------------------------------------------

def test_a_lower_case_retry_after_is_honoured():
    t, sleeps = transport([response(429, None, {"retry-after": "7"}), response(204)])
    t.request("DELETE", "/groups/g/members/m/$ref")
    assert sleeps == [7.0]


def test_a_request_id_in_another_case_reaches_the_error_and_a_lower_case_content_type_is_parsed():
    t, _ = transport([response(403, {"error": {"code": "Authorization_RequestDenied", "message": "no"}},
                               {"Request-Id": "rid-1", "content-type": "application/json"})])
    with pytest.raises(E.Forbidden) as info:
        t.request("GET", "/groups/g")
    assert info.value.request_id == "rid-1" and info.value.graph_message == "no"


def test_a_batch_item_with_a_lower_case_retry_after_waits_that_long():
    answers = iter([
        {"responses": [{"id": "a", "status": 429, "headers": {"retry-after": "4"}, "body": {}}]},
        {"responses": [{"id": "a", "status": 204}]},
    ])
    t, sleeps = transport([lambda call: response(200, next(answers))] * 2)
    out = t.batch([BatchRequest("a", "DELETE", "/groups/g/members/1/$ref")])
    assert out["a"].status == 204 and sleeps == [4.0]


# -- hosts that cannot be reached name the setting that chose them ------------------------------

def test_a_graph_host_that_does_not_resolve_names_the_full_host_and_its_setting_at_once():
    typo = requests.ConnectionError(
        "HTTPSConnectionPool(host='graph.microsofto.com', port=443): Max retries exceeded with url: /v1.0/groups/g "
        "(Caused by NameResolutionError(\"HTTPSConnection(host='graph.microsofto.com', port=443): Failed to "
        "resolve 'graph.microsofto.com' ([Errno -2] Name or service not known)\"))")
    t = GraphTransport("https://graph.microsofto.com/v1.0", FakeCredential(), session=FakeSession([typo]),
                       sleep=lambda s: None, endpoint_setting="msgraph:graphEndpoint")
    with pytest.raises(E.ConfigurationError) as info:
        t.request("GET", "/groups/g")
    assert str(info.value) == ("cannot reach https://graph.microsofto.com: its name does not resolve; the host "
                               "comes from msgraph:graphEndpoint: check it")
    assert len(t.session.calls) == 1


def test_a_graph_host_that_refuses_connections_names_it_after_the_retries():
    refused = requests.ConnectionError("HTTPSConnectionPool(host='127.0.0.1', port=9): (Caused by "
                                       "NewConnectionError('Failed to establish a new connection: [Errno 111] "
                                       "Connection refused'))")
    t, _ = transport([refused] * 2, retry=RetryPolicy(max_attempts=2, base_delay_s=0.01))
    with pytest.raises(E.Unavailable, match=r"cannot reach https://graph.example: the connection was refused; "
                                            r"the host comes from msgraph:graphEndpoint"):
        t.request("GET", "/groups/g")
