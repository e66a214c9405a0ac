"""`check`, `diff` and per-item failures of MemberOf: bad ids and groups that cannot take the member
fail at preview naming the argument; a create that some groups refuse does the rest and names them."""
import pytest

from msgraph_membership.graph.rules import GroupInfo
from msgraph_membership.resources.member_of import MemberOfProvider, parse_member_of_id

from .check_support import AU, G, SP, U, Directory, provider, props


# -- MemberOf -------------------------------------------------------------------------------------

def test_member_of_rejects_bad_ids_naming_the_argument():
    r = provider(MemberOfProvider).check({}, {"member_id": "alice", "group_ids": [G, "devs"]})
    assert set(props(r)) == {"member_id", "group_ids"}


def test_member_of_rejects_the_member_in_its_own_group_list():
    r = provider(MemberOfProvider).check({}, {"member_id": G, "group_ids": [G]})
    assert props(r) == ["group_ids"] and "itself" in r.failures[0].reason


def test_member_of_has_no_authoritative_argument():
    r = provider(MemberOfProvider, Directory()).check({}, {"member_id": U, "group_ids": [G], "authoritative": True})
    assert "authoritative" not in r.inputs


def test_member_of_reports_a_missing_member_and_missing_groups():
    r = provider(MemberOfProvider, Directory(types={})).check({}, {"member_id": U, "group_ids": [G]})
    assert props(r) == ["member_id"]
    r = provider(MemberOfProvider, Directory(groups={})).check({}, {"member_id": U, "group_ids": [G]})
    assert props(r) == ["group_ids"] and G in r.failures[0].reason


@pytest.mark.parametrize("group, needle", [
    (GroupInfo(id=G, group_types=("DynamicMembership",), membership_rule="user.department -eq \"x\""), "dynamic"),
    (GroupInfo(id=G, mail_enabled=True, security_enabled=False), "distribution group"),
    (GroupInfo(id=G, group_types=("Unified",), mail_enabled=True), "takes only users"),
])
def test_member_of_refuses_groups_that_cannot_take_the_member(group, needle):
    d = Directory(types={SP: "servicePrincipal"}, groups={G: group})
    r = provider(MemberOfProvider, d).check({}, {"member_id": SP, "group_ids": [G]})
    assert props(r) == ["group_ids"] and needle in r.failures[0].reason


def test_member_of_refuses_a_microsoft_365_group_as_member():
    m365 = "55555555-5555-4555-8555-555555555555"
    d = Directory(types={m365: "group"}, groups={G: GroupInfo(id=G),
                                                 m365: GroupInfo(id=m365, group_types=("Unified",), mail_enabled=True)})
    r = provider(MemberOfProvider, d).check({}, {"member_id": m365, "group_ids": [G]})
    assert props(r) == ["member_id"] and "Microsoft 365" in r.failures[0].reason


def test_member_of_diff():
    p = MemberOfProvider()
    olds = {"member_id": U, "group_ids": [G], "adopted_group_ids": []}
    assert p.diff("x", olds, {"member_id": U, "group_ids": [G]}).changes is False
    d = p.diff("x", olds, {"member_id": U, "group_ids": [G, AU]})
    assert d.changes and d.replaces == []
    assert p.diff("x", olds, {"member_id": G, "group_ids": [G]}).replaces == ["member_id"]
    assert parse_member_of_id(f"{U}/memberOf") == U


# -- per-item failures: the rest is done, the failures are named ----------------------------------

def test_member_of_reports_each_refusing_group_after_doing_the_rest():
    from msgraph_membership.graph import errors as E
    from msgraph_membership.graph.client import WriteReport
    from msgraph_membership.resources._base import ApplyError

    g2 = "66666666-6666-4666-8666-666666666666"
    calls = []

    class Dir(Directory):
        def member_of(self, member_id):
            return set()

        def add_to_groups(self, member_id, group_ids):
            calls.append(list(group_ids))
            return WriteReport(done={G}, failed={g2: E.Forbidden("denied", status=403,
                                                                 graph_message="Insufficient privileges")})

        def remove_from_groups(self, member_id, group_ids):
            return WriteReport()

        def confirm_member_of(self, member_id, present=(), absent=()):
            return True

    d = Dir(groups={G: GroupInfo(id=G), g2: GroupInfo(id=g2)})
    with pytest.raises(ApplyError) as e:
        provider(MemberOfProvider, d).create({"member_id": U, "group_ids": [G, g2]})
    assert calls == [[G, g2]]
    msg = str(e.value)
    assert "1 group(s) could not be changed" in msg and g2 in msg and "Insufficient privileges" in msg
    assert "GroupMember.ReadWrite.All" in msg
