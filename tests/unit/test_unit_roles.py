"""Who holds a role at a unit's scope (graph/unit_roles.py), read through the client's one listing
cache (graph/listings.py), on a scripted Graph: a write keeps the shared listing current, and a
listing that was in flight during a write of ours never undoes it."""
from __future__ import annotations

import pytest

from msgraph_membership.graph import errors as E
from msgraph_membership.graph import listings
from msgraph_membership.graph.rules import UNIT_ROLES, UnitRole
from msgraph_membership.graph.unit_roles import assign, holders, unassign

from .fakes import response
from .fakes import scripted_client as client
from .test_journal_and_writes import Clock

UNIT = "0c000002-0000-4000-8000-000000000001"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
KEY = UnitRole(UNIT, GROUPS_ADMIN)
P, Q, R = (f"0a000002-0000-4000-8000-{i:012d}" for i in range(3))


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(listings, "time", c)
    return c


def assignment(principal: str, role: str = GROUPS_ADMIN) -> dict:
    return {"id": f"a-{principal[-4:]}-{role[:4]}", "principalId": principal, "roleDefinitionId": role,
            "directoryScopeId": f"/administrativeUnits/{UNIT}"}


def listing(*assignments: dict):
    return response(200, {"value": list(assignments)})


def gets(c) -> int:
    return len([x for x in c.t.session.calls if x.method == "GET"])


def created(principal: str):
    return response(201, assignment(principal))


def test_the_listing_picks_the_role_and_serves_reads_until_it_is_old(clock):
    c, _ = client([listing(assignment(Q), assignment(R, HELPDESK_ADMIN)), listing(assignment(Q))])
    assert holders(c, KEY) == {Q: assignment(Q)["id"]}
    assert c.member_ids(UNIT_ROLES, KEY) == {Q: "roleAssignment"} and gets(c) == 1  # one listing serves both
    clock.now += c.consistency.listing_ttl_s + 1
    assert holders(c, KEY) == {Q: assignment(Q)["id"]} and gets(c) == 2


def test_a_write_keeps_the_shared_listing_current_without_a_new_request(clock):
    c, _ = client([listing(assignment(Q)), created(P), response(204)])
    holders(c, KEY)
    assert assign(c, KEY, [P]).done == {P}
    assert holders(c, KEY) == {Q: assignment(Q)["id"], P: assignment(P)["id"]}  # the id Graph answered
    assert unassign(c, KEY, {Q: assignment(Q)["id"]}).done == {Q}
    assert holders(c, KEY) == {P: assignment(P)["id"]} and gets(c) == 1


def test_a_listing_in_flight_during_an_assign_does_not_erase_the_new_holder(clock):
    """The listing starts before the assign and is stored after it: it does not show P."""
    def before_the_write(call):
        assert assign(c, KEY, [P]).done == {P}  # answered while the listing is in flight
        return listing(assignment(Q))

    c, _ = client([before_the_write, created(P), listing(assignment(Q))])  # the next one lags too
    assert holders(c, KEY) == {Q: assignment(Q)["id"], P: assignment(P)["id"]}
    clock.now += 1
    assert holders(c, KEY) == {Q: assignment(Q)["id"], P: assignment(P)["id"]}
    assert c.member_ids(UNIT_ROLES, KEY) == {Q: "roleAssignment", P: "roleAssignment"}


def test_a_listing_in_flight_during_an_unassign_does_not_resurrect_the_holder(clock):
    """The listing starts before the unassign and is stored after it: it still shows P."""
    def before_the_write(call):
        assert unassign(c, KEY, {P: assignment(P)["id"]}).done == {P}
        return listing(assignment(P), assignment(Q))

    c, _ = client([before_the_write, response(204), listing(assignment(P), assignment(Q))])
    assert P not in holders(c, KEY)
    clock.now += 1
    assert holders(c, KEY) == {Q: assignment(Q)["id"]}


def test_a_listing_that_agrees_with_a_write_ends_it_so_a_change_made_outside_shows(clock):
    unit = response(200, {"id": UNIT})
    c, _ = client([listing(), unit, created(P), listing(assignment(P)), listing(), unit])
    assert holders(c, KEY) == {}  # none: the unit was read, and exists
    assign(c, KEY, [P])
    clock.now += 1
    assert P in holders(c, KEY, max_age_s=0)  # Graph shows it: the write is confirmed
    clock.now += 1
    assert holders(c, KEY, max_age_s=0) == {} and gets(c) == 5  # unassigned outside since: seen at once


def test_a_conflicting_assignment_counts_as_already_held():
    conflict = response(400, {"error": {"code": "Request_BadRequest", "message": (
        "A conflicting object with one or more of the specified property values is present in the directory.")}})
    c, _ = client([conflict])
    report = assign(c, KEY, [P])
    assert report.unchanged == {P} and report.done == set() and report.failed == {}


def test_no_assignments_and_no_unit_is_not_found_and_nothing_is_kept():
    missing = response(404, {"error": {"code": "Request_ResourceNotFound", "message": "gone"}})
    c, _ = client([listing(), missing, listing(assignment(Q))])
    with pytest.raises(E.NotFound):
        holders(c, KEY)
    assert holders(c, KEY) == {Q: assignment(Q)["id"]}  # the failed listing was not stored
