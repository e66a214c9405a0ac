"""The Graph client's decisions, on a scripted Graph: never create twice, look twice before
calling a membership gone."""
import time

import requests

from msgraph_membership.graph.client import GraphClient
from msgraph_membership.graph.rules import GROUPS, UNITS
from msgraph_membership.graph.settings import resolve_settings

from .fakes import response
from .fakes import scripted_client as client

UNIT = "0c000001-0000-4000-8000-000000000001"
GROUP = "0b000001-0000-4000-8000-000000000001"
NEW = "0b000001-0000-4000-8000-0000000000aa"
USER = "0a000001-0000-4000-8000-000000000001"

HELPDESK = {"displayName": "Helpdesk", "mailNickname": "helpdesk", "securityEnabled": True, "mailEnabled": False,
            "uniqueName": "pulumi-helpdesk-1"}
LOST = requests.ConnectionError("Connection aborted: RemoteDisconnected")
TAKEN = response(400, {"error": {"code": "Request_BadRequest", "message":
                                 "Another object with the same value for property uniqueName already exists."}})


def scripted_graph(*, posts, by_key, unit_members=()):
    """A Graph where POSTs answer from `posts` (a list consumed in order), the unique-name key
    finds `by_key` (None: 404), the unit lists `unit_members`, any group reads as existing."""
    seen = {"posts": [], "keys": []}

    def graph(call):
        if call.method == "POST":
            seen["posts"].append(call.json)
            nxt = posts.pop(0)
            if isinstance(nxt, Exception):
                raise nxt
            return nxt
        if "uniqueName=" in call.url:
            seen["keys"].append(call.url)
            return response(200, by_key) if by_key else response(404, {"error": {
                "code": "Request_ResourceNotFound", "message": "Resource 'x' does not exist"}})
        if f"/administrativeUnits/{UNIT}/members" in call.url:
            # Each member looks like our group: same names, created just now.
            return response(200, {"value": [{"id": m, "@odata.type": "#microsoft.graph.group", **HELPDESK,
                                             "createdDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                                            for m in unit_members]})
        return response(200, {"id": call.url.split("/groups/")[-1].split("?")[0]})

    return graph, seen


def test_a_create_whose_answer_was_lost_is_found_by_its_unique_name_not_created_twice():
    graph, seen = scripted_graph(posts=[LOST], by_key={"id": NEW, **HELPDESK}, unit_members=[NEW])
    c, _ = client([graph] * 20)
    group, adopted = c.create_group_in_unit(UNIT, HELPDESK)
    assert group["id"] == NEW and adopted and len(seen["posts"]) == 1
    assert seen["keys"] and all("uniqueName='pulumi-helpdesk-1'" in k for k in seen["keys"])


def test_a_create_refused_because_its_unique_name_is_taken_adopts_the_group_in_the_unit():
    """What the next `up` meets after the provider died between the create and the state write."""
    graph, seen = scripted_graph(posts=[TAKEN], by_key={"id": NEW, **HELPDESK}, unit_members=[NEW])
    c, _ = client([graph] * 20)
    group, adopted = c.create_group_in_unit(UNIT, HELPDESK)
    assert group["id"] == NEW and adopted and len(seen["posts"]) == 1


def test_a_lost_create_that_did_not_land_is_sent_again_under_the_same_unique_name():
    graph, seen = scripted_graph(posts=[LOST, response(201, {"id": NEW, **HELPDESK})], by_key=None)
    c, _ = client([graph] * 40)
    c.consistency.fresh_object_wait_s = 1.0
    group, adopted = c.create_group_in_unit(UNIT, HELPDESK)
    assert group["id"] == NEW and not adopted
    assert len(seen["posts"]) == 2 and all(p["uniqueName"] == "pulumi-helpdesk-1" for p in seen["posts"])


def test_a_group_with_the_same_name_made_by_somebody_else_is_never_adopted():
    """The unit holds a group with our display name and nickname made a moment ago by someone
    else; our unique name finds nothing, so our create is sent again, and that group is ignored."""
    other = "0b000001-0000-4000-8000-0000000000bb"
    graph, seen = scripted_graph(posts=[LOST, response(201, {"id": NEW, **HELPDESK})], by_key=None,
                                 unit_members=[other])
    c, _ = client([graph] * 40)
    c.consistency.fresh_object_wait_s = 1.0
    group, adopted = c.create_group_in_unit(UNIT, HELPDESK)
    assert group["id"] == NEW and not adopted


def test_a_unique_name_held_by_a_group_outside_the_unit_is_not_taken_over():
    import pytest
    from msgraph_membership.graph import errors as E

    graph, _ = scripted_graph(posts=[TAKEN], by_key={"id": NEW, **HELPDESK}, unit_members=[])
    c, _ = client([graph] * 40)
    c.consistency.absent_recheck_s = 0
    with pytest.raises(E.UniqueNameTaken, match="another unique_name"):
        c.create_group_in_unit(UNIT, HELPDESK)


def test_without_a_unique_name_a_lost_create_is_reported_never_sent_again():
    import pytest
    from msgraph_membership.graph import errors as E

    graph, seen = scripted_graph(posts=[LOST, response(201, {"id": NEW})], by_key=None)
    c, _ = client([graph] * 20)
    with pytest.raises(E.AmbiguousWrite):
        c.create_group_in_unit(UNIT, {k: v for k, v in HELPDESK.items() if k != "uniqueName"})
    assert len(seen["posts"]) == 1


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


def test_looking_again_for_missing_memberships_is_said_in_one_line():
    c, sleeps = client([response(200, {"value": []})] * 5)
    said = []
    c.notice = said.append
    assert c.missing_after_wait(GROUPS, GROUP, [USER, NEW]) == {USER, NEW}
    assert len(said) == 1
    assert f"groups {GROUP}: 2 managed memberships not listed by Graph; looking again for up to 3 s" in said[0]
    assert "msgraph:recheckMissingSeconds" in said[0] and sum(sleeps) == 3


def test_the_look_again_can_be_turned_off():
    c, sleeps = client([response(200, {"value": []})], environ={"MSGRAPH_RECHECK_MISSING_SECONDS": "0"})
    said = []
    c.notice = said.append
    assert c.missing_after_wait(GROUPS, GROUP, [USER]) == {USER}
    assert sleeps == [] and said == [] and len(c.t.session.calls) == 1


def test_a_shorter_look_again_waits_only_that_long():
    c, sleeps = client([response(200, {"value": []})] * 3, {"msgraph:recheckMissingSeconds": "1"})
    c.notice = lambda line: None
    c.missing_after_wait(GROUPS, GROUP, [USER])
    assert sleeps == [1.0] and len(c.t.session.calls) == 2


def test_a_look_again_under_a_second_still_looks_once():
    c, sleeps = client([response(200, {"value": []})] * 3, {"msgraph:recheckMissingSeconds": "0.5"})
    said = []
    c.notice = said.append
    c.missing_after_wait(GROUPS, GROUP, [USER])
    assert sleeps == [0.5] and len(c.t.session.calls) == 2 and len(said) == 1


def test_a_recheck_setting_that_is_not_a_number_of_seconds_names_itself():
    import pytest
    from msgraph_membership.graph.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="MSGRAPH_RECHECK_MISSING_SECONDS must be a number of seconds"):
        GraphClient(resolve_settings({}, environ={"MSGRAPH_RECHECK_MISSING_SECONDS": "soon"}))
