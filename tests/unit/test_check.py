"""`check` catches bad input at preview, naming the argument, without calling Graph."""
import pytest
from pulumi.output import Unknown

from msgraph_membership.resources.group_member import GroupMemberProvider, parse_group_member_id
from msgraph_membership.resources.group_members import GroupMembersProvider

from .check_support import G, U, NoGraph


@pytest.fixture
def gm():
    p = GroupMemberProvider()
    p._client = NoGraph()
    return p


@pytest.fixture
def gms():
    p = GroupMembersProvider()
    p._client = NoGraph()
    return p


def failures(result):
    return {(f.property, f.reason) for f in result.failures}


@pytest.mark.parametrize("bad, needle", [
    ("not-a-guid", "is not a GUID"),
    ("", "is required"),
    (None, "is required"),
    (42, "must be a string GUID"),
    ("grp:Devs", "not a GUID or a reference by name"),
    ("alice smith", "not a GUID or a reference by name"),
])
def test_group_member_rejects_a_bad_member_id_naming_the_argument(gm, bad, needle):
    r = gm.check({}, {"group_id": G, "member_id": bad})
    assert [f.property for f in r.failures] == ["member_id"]
    assert needle in r.failures[0].reason


def test_group_member_rejects_the_group_as_its_own_member(gm):
    r = gm.check({}, {"group_id": G, "member_id": G.upper()})
    assert [f.property for f in r.failures] == ["member_id"] and "itself" in r.failures[0].reason


def test_group_member_normalises_ids_to_lower_case(gm):
    class Graph:
        def get_group(self, gid):
            from msgraph_membership.graph.rules import GroupInfo
            return GroupInfo(id=gid)

        def app_roles(self):  # a token without a roles claim: no permission check at preview
            return None

        def object_types(self, ids):
            return {i: "user" for i in ids}

        def is_unified_group(self, i):
            return False

        def write_permission_problem(self, group):
            return None

    gm._client = Graph()
    r = gm.check({}, {"group_id": G.upper(), "member_id": U.upper()})
    assert not r.failures and r.inputs == {"group_id": G, "member_id": U}


def test_unknown_inputs_pass_check_untouched(gm):
    r = gm.check({}, {"group_id": Unknown(), "member_id": U})
    assert not r.failures and isinstance(r.inputs["group_id"], Unknown)


def test_unchanged_inputs_cost_no_graph_call(gm):
    olds = {"group_id": G, "member_id": U}
    assert not gm.check(olds, dict(olds)).failures


def test_diff_replaces_on_any_change_and_not_otherwise(gm):
    olds = {"group_id": G, "member_id": U, "member_type": "user", "adopted": False}
    assert gm.diff("x", olds, {"group_id": G, "member_id": U}).changes is False
    d = gm.diff("x", olds, {"group_id": G, "member_id": G})
    assert d.changes is True and d.replaces == ["member_id"]
    d = gm.diff("x", olds, {"group_id": Unknown(), "member_id": U})
    assert d.changes is True and d.replaces == ["group_id"]


def test_group_member_id_round_trips_the_azuread_format():
    assert parse_group_member_id(f"{G}/member/{U}") == (G, U)
    with pytest.raises(ValueError):
        parse_group_member_id(G)


@pytest.mark.parametrize("member_ids, needle", [
    ("a-string", "must be a list"),
    ([["nested"]], "nested list"),
    ([U, "bad"], "[1]"),
    ([U, ""], "is required"),
    ({"a": 1}, "must be a list"),
])
def test_group_members_rejects_bad_member_lists(gms, member_ids, needle):
    r = gms.check({}, {"group_id": G, "member_ids": member_ids})
    props = [f.property for f in r.failures]
    assert props and set(props) == {"member_ids"}
    assert any(needle in f.reason for f in r.failures)


def test_group_members_rejects_the_group_itself_in_the_list(gms):
    r = gms.check({}, {"group_id": G, "member_ids": [U, G]})
    assert any(f.property == "member_ids" and "itself" in f.reason for f in r.failures)


def test_group_members_rejects_a_non_boolean_authoritative(gms):
    r = gms.check({}, {"group_id": G, "member_ids": [U], "authoritative": "maybe"})
    assert [f.property for f in r.failures] == ["authoritative"]


def test_group_members_sorts_and_dedups_member_ids(gms):
    olds = {"group_id": G, "member_ids": [U], "authoritative": False}
    r = gms.check(olds, {"group_id": G, "member_ids": [U.upper(), U], "authoritative": False})
    assert not r.failures and r.inputs["member_ids"] == [U]


def test_group_members_diff_ignores_order_and_changes_in_place():
    p = GroupMembersProvider()
    olds = {"group_id": G, "member_ids": [G, U], "authoritative": False}
    assert p.diff("x", olds, {"group_id": G, "member_ids": [U, G], "authoritative": False}).changes is False
    d = p.diff("x", olds, {"group_id": G, "member_ids": [U], "authoritative": False})
    assert d.changes is True and d.replaces == []
    d = p.diff("x", olds, {"group_id": U, "member_ids": [G], "authoritative": False})
    assert d.replaces == ["group_id"]


def test_a_guid_is_what_uuid_reads_and_prints_back_unchanged():
    """is_guid (a regular expression, fast on 100,000 ids) accepts exactly the strings uuid.UUID
    parses and prints back as they were (either case), as the check always did."""
    import random
    import string
    import uuid

    from msgraph_membership.graph.rules import is_guid

    def round_trips(value):
        try:
            return str(uuid.UUID(value)) == value.lower() and len(value) == 36
        except ValueError:
            return False

    rng = random.Random(7)
    good = str(uuid.UUID(int=rng.getrandbits(128)))
    cases = [good, good.upper(), "{" + good + "}", "urn:uuid:" + good, good.replace("-", ""), good + "\n",
             " " + good, good[:-1] + "g", good[:35], "", "٠" * 8 + good[8:]]
    for _ in range(5_000):
        chars = list(good)
        chars[rng.randrange(36)] = rng.choice(string.printable)
        cases.append("".join(chars))
    assert [c for c in cases if is_guid(c) != round_trips(c)] == []
    assert is_guid(good) and is_guid(good.upper()) and not is_guid(None) and not is_guid(5)
