"""The client's journal of its own writes and its write paths, on a scripted Graph: what reads
see while a listing lags, how adds are chunked, and what each kind of answer means per id."""
from __future__ import annotations

import logging

import pytest

from msgraph_membership.graph import errors as E
from msgraph_membership.graph import listings
from msgraph_membership.graph.errors import ALREADY_EXISTS, REFERENCE_MISSING, REPLICATION_LAG
from msgraph_membership.graph.rules import GROUPS, UNITS

from .fakes import GRAPH, response
from .fakes import scripted_client as client

GROUP = "0b000001-0000-4000-8000-000000000001"
UNIT = "0c000001-0000-4000-8000-000000000001"
USERS = [f"0a000001-0000-4000-8000-{i:012d}" for i in range(60)]
U = USERS[0]


class Clock:
    """The listings module's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(listings, "time", c)
    return c


def listing(*ids):
    return response(200, {"value": [{"@odata.type": "#microsoft.graph.user", "id": i} for i in ids]})


def bad(message):
    return {"error": {"code": "Request_BadRequest", "message": message}}


def batch_answer(statuses):
    """A `$batch` answer giving the n-th item of the call statuses[n] (a status, or (status, body))."""
    def answer(call):
        out = []
        for n, r in enumerate(call.json["requests"]):
            st = statuses[n]
            status, body = st if isinstance(st, tuple) else (st, None)
            out.append({"id": r["id"], "status": status, **({"body": body} if body else {})})
        return response(200, {"responses": out})
    return answer


def calls(c, method):
    return [x for x in c.t.session.calls if x.method == method]


# -- the journal -----------------------------------------------------------------------------

def test_a_listing_that_lags_behind_a_recorded_add_keeps_the_member_until_the_window_passes(clock):
    c, _ = client([response(204), listing(), listing()])
    assert c.add_group_members(GROUP, [U, USERS[1]]).done == {U, USERS[1]}
    assert {U, USERS[1]} <= c.member_ids(GROUPS, GROUP, max_age_s=0).keys()
    clock.now += c.consistency.journal_s + 1
    assert c.member_ids(GROUPS, GROUP, max_age_s=0) == {}  # from now on the listing alone decides


def test_a_recorded_removal_hides_a_stale_listing_entry_until_the_window_passes(clock):
    c, _ = client([response(204), listing(U), listing(U)])
    assert c.remove_member(GROUPS, GROUP, U) is True
    assert U not in c.member_ids(GROUPS, GROUP, max_age_s=0)
    clock.now += c.consistency.journal_s + 1
    assert U in c.member_ids(GROUPS, GROUP, max_age_s=0)  # put back outside: drift


def test_a_listing_that_agrees_with_a_write_ends_its_entry_so_a_later_outside_change_shows(clock):
    c, _ = client([response(204), listing(U), listing()])
    c.add_group_members(GROUP, [U])
    assert U in c.member_ids(GROUPS, GROUP, max_age_s=0)  # Graph shows it: the entry is done
    clock.now += 1
    assert U not in c.member_ids(GROUPS, GROUP, max_age_s=0)  # removed outside since: seen at once


def test_a_write_updates_the_shared_listing_without_a_new_request(clock):
    c, _ = client([listing(), response(204)])
    assert c.member_ids(GROUPS, GROUP) == {}
    c.add_group_members(GROUP, [U])
    assert U in c.member_ids(GROUPS, GROUP) and len(calls(c, "GET")) == 1


def test_member_of_applies_recorded_writes_to_a_lagging_answer(clock):
    other = "0b000001-0000-4000-8000-000000000002"
    member_of = response(200, {"value": [{"@odata.type": "#microsoft.graph.group", "id": other}]})
    c, _ = client([batch_answer([204, 204]), member_of, member_of])
    c.add_to_groups(U, [GROUP, other])
    assert c.member_of(U) == {GROUP, other}
    clock.now += c.consistency.journal_s + 1
    assert c.member_of(U) == {other}


def test_confirm_says_whether_graph_lists_every_write_and_refreshes_the_shared_listing(clock):
    c, _ = client([response(204), listing(), listing(U)])
    c.add_group_members(GROUP, [U])
    assert c.confirm(GROUPS, GROUP, present=[U]) is False
    assert c.confirm(GROUPS, GROUP, present=[U]) is True
    assert U in c.member_ids(GROUPS, GROUP) and len(calls(c, "GET")) == 2


# -- writes ----------------------------------------------------------------------------------

def test_bind_patch_is_chunked_at_twenty_links():
    c, _ = client([response(204)] * 3)
    report = c.add_group_members(GROUP, USERS[:45] + USERS[:3])  # duplicates count once
    sizes = sorted(len(x.json["members@odata.bind"]) for x in calls(c, "PATCH"))
    assert sizes == [5, 20, 20] and report.done == set(USERS[:45])
    refs = [r for x in calls(c, "PATCH") for r in x.json["members@odata.bind"]]
    assert sorted(refs) == sorted(f"{GRAPH}/directoryObjects/{u}" for u in USERS[:45])


def test_batch_item_failures_are_reported_per_id_and_already_a_member_is_success():
    a, b, d = USERS[:3]
    c, _ = client([batch_answer([204, (400, bad(ALREADY_EXISTS)), (403, {"error": {
        "code": "Authorization_RequestDenied", "message": "Insufficient privileges"}})])])
    report = c.add_unit_members(UNIT, [a, b, d])
    assert report.done == {a} and report.unchanged == {b}
    assert set(report.failed) == {d} and isinstance(report.failed[d], E.Forbidden)


def test_a_removal_of_a_member_already_gone_is_success():
    a, b, d = USERS[:3]
    c, _ = client([batch_answer([204, (404, {"error": {"code": "Request_ResourceNotFound", "message": "gone"}}),
                                 (400, bad(REFERENCE_MISSING))])])
    report = c.remove_members(UNITS, UNIT, [a, b, d])
    assert report.done == {a} and report.unchanged == {b, d} and report.failed == {}


def test_a_single_add_of_a_member_already_there_is_false_not_an_error():
    c, _ = client([response(400, bad(ALREADY_EXISTS))])
    assert c.add_member(UNITS, UNIT, U) is False


def test_a_lagging_reference_is_retried_then_reported(caplog):
    caplog.set_level(logging.INFO, logger="msgraph_membership")
    a, b = USERS[:2]
    lag = (400, bad(REPLICATION_LAG))
    c, sleeps = client([batch_answer([204, lag]), response(400, bad(REPLICATION_LAG)),
                        response(400, bad(REPLICATION_LAG))], lag_retry_total_s=1.5)
    report = c.add_unit_members(UNIT, [a, b])
    assert report.done == {a} and isinstance(report.failed[b], E.ReplicationLag)
    assert sleeps == [0.5, 1.0] and len(calls(c, "POST")) == 3  # the first try, then one per wait
    assert "1 references not replicated yet; retry in 0.5s" in caplog.text


def test_a_lagging_reference_that_replicates_is_added():
    a, b = USERS[:2]
    c, sleeps = client([batch_answer([204, (400, bad(REPLICATION_LAG))]), response(204)])
    report = c.add_unit_members(UNIT, [a, b])
    assert report.done == {a, b} and report.failed == {} and sleeps == [0.5]


def test_a_lagging_bind_patch_is_retried_with_a_doubling_wait(caplog):
    caplog.set_level(logging.INFO, logger="msgraph_membership")
    lag = response(400, bad(REPLICATION_LAG))
    c, sleeps = client([lag, lag, response(204)])
    assert c.add_group_members(GROUP, USERS[:2]).done == set(USERS[:2])
    assert sleeps == [0.5, 1.0] and "not replicated yet; retry in 1.0s" in caplog.text


def test_a_chunk_graph_refuses_is_added_one_by_one_and_the_bad_id_reported_alone():
    a, b, d = USERS[:3]
    refused = response(400, {"error": {"code": "Request_BadRequest", "message": "Invalid object identifier"}})
    c, _ = client([refused, batch_answer([204, (400, bad("Invalid object identifier")), 204])])
    report = c.add_group_members(GROUP, [a, b, d])
    assert report.done == {a, d} and set(report.failed) == {b}
    assert len(calls(c, "PATCH")) == 1 and len(calls(c, "POST")) == 1


def test_no_groups_to_join_or_leave_sends_nothing_and_reports_nothing():
    c, sleeps = client([])  # any request would find the script empty
    for report in (c.add_to_groups(U, []), c.remove_from_groups(U, [])):
        assert not (report.done or report.unchanged or report.failed)
    assert c.t.session.calls == [] and sleeps == []
