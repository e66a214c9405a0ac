"""The Graph transport, one request at a time: retries, Retry-After, token refresh, paging, errors,
which failures of `requests` are safe to repeat, header names in any case, and unreachable hosts.
Batches: test_transport_batch.py; TLS trust and proxies: test_transport_trust.py."""
import email.utils
import time

import pytest
import requests

from msgraph_membership.graph import errors as E
from msgraph_membership.graph.transport import GraphTransport, RetryPolicy, parse_retry_after

from .fakes import FakeCredential, FakeSession, response
from .fakes import scripted_transport as transport


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
