"""The Graph client's decisions, on a scripted Graph: never create twice, look twice before
calling a membership gone."""
import requests

from msgraph_membership.graph.client import ConsistencyPolicy, GraphClient
from msgraph_membership.graph.rules import GROUPS, UNITS
from msgraph_membership.graph.settings import resolve_settings
from msgraph_membership.graph.transport import GraphTransport

from .fakes import FakeCredential, FakeSession, response

GRAPH = "https://graph.example/v1.0"
UNIT = "0c000001-0000-4000-8000-000000000001"
GROUP = "0b000001-0000-4000-8000-000000000001"
NEW = "0b000001-0000-4000-8000-0000000000aa"
USER = "0a000001-0000-4000-8000-000000000001"


def client(script):
    sleeps = []
    t = GraphTransport(GRAPH, FakeCredential(), session=FakeSession(script), sleep=sleeps.append,
                       retry_alignment_s=0)
    return GraphClient(resolve_settings({}, environ={}), transport=t, sleep=sleeps.append,
                       consistency=ConsistencyPolicy()), sleeps


def test_a_group_create_whose_answer_was_lost_is_found_in_the_unit_not_created_twice():
    created = {"id": NEW, "displayName": "Helpdesk", "mailNickname": "helpdesk",
               "createdDateTime": "2099-01-01T00:00:00Z"}
    c, _ = client([
        requests.ConnectionError("Connection aborted: RemoteDisconnected"),   # POST: applied, answer lost
        response(200, {"value": [created]}),                                  # the unit's groups
        response(200, {**created, "mail": None}),                             # the group's properties
        response(200, {"id": NEW}),                                           # visible: done
    ])
    group = c.create_group_in_unit(UNIT, {"displayName": "Helpdesk", "mailNickname": "helpdesk",
                                          "securityEnabled": True, "mailEnabled": False})
    assert group["id"] == NEW
    posts = [call for call in c.t.session.calls if call.method == "POST"]
    assert len(posts) == 1


def test_a_group_create_that_did_not_land_is_sent_again_once():
    posts = []

    def graph(call):
        if call.method == "POST":
            posts.append(call)
            if len(posts) == 1:
                raise requests.ConnectionError("Connection aborted: RemoteDisconnected")  # lost, not applied
            return response(201, {"id": NEW, "displayName": "Helpdesk", "mailNickname": "helpdesk"})
        if f"/groups/{NEW}" in call.url:
            return response(200, {"id": NEW})
        return response(200, {"value": []})  # the unit's groups: the lost create is not there

    c, _ = client([graph] * 40)
    c.consistency.fresh_object_wait_s = 2.0
    group = c.create_group_in_unit(UNIT, {"displayName": "Helpdesk", "mailNickname": "helpdesk"})
    assert group["id"] == NEW and len(posts) == 2  # the lost one, then exactly one more


def test_a_membership_missing_from_one_listing_is_looked_for_again_before_it_is_called_gone():
    listing = {"value": [{"@odata.type": "#microsoft.graph.user", "id": USER}]}
    c, sleeps = client([response(200, {"value": []}), response(200, listing)])
    assert USER not in c.member_ids(GROUPS, GROUP)
    assert c.still_absent(GROUPS, GROUP, USER) is False
    assert sleeps  # it waited before looking again


def test_a_membership_missing_from_every_listing_is_gone():
    c, sleeps = client([response(200, {"value": []})] * 5)
    c.member_ids(GROUPS, GROUP)
    assert c.still_absent(GROUPS, GROUP, USER) is True
    assert len(c.t.session.calls) <= 3 and sum(sleeps) <= c.consistency.absent_recheck_s


def test_a_sign_in_failure_during_a_single_add_surfaces_as_a_sign_in_failure():
    from msgraph_membership.graph import errors as E

    class Refused:
        description = "fake"

        def get_token(self, *, force_refresh: bool = False) -> str:
            raise E.AuthenticationError("client secret (msgraph:clientSecret): the secret was rejected")

    c, _ = client([])
    c.t.credential = Refused()
    import pytest

    with pytest.raises(E.AuthenticationError, match="msgraph:clientSecret"):
        c.add_member(UNITS, UNIT, USER)
    assert c.t.session.calls == []
