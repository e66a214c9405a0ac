"""`check` and `diff` of the unit, unit-group and memberOf resources: bad input fails at preview
naming the argument, without calling Graph; unknowns pass untouched; diff says what replaces."""
import pytest
from pulumi.output import Unknown

from msgraph_membership.graph.rules import GroupInfo
from msgraph_membership.resources._converge import plan
from msgraph_membership.resources.administrative_unit_group import AdministrativeUnitGroupProvider
from msgraph_membership.resources.administrative_unit_member import (AdministrativeUnitMemberProvider,
                                                                     parse_unit_member_id, unit_member_id)
from msgraph_membership.resources.administrative_unit_members import (AdministrativeUnitMembersProvider,
                                                                      parse_unit_members_id)
from msgraph_membership.resources.member_of import MemberOfProvider, parse_member_of_id

AU = "33333333-3333-4333-8333-333333333333"
G = "11111111-1111-4111-8111-111111111111"
U = "22222222-2222-4222-8222-222222222222"
SP = "44444444-4444-4444-8444-444444444444"


class NoGraph:
    """Fails the test if check() reaches for the directory when it should not."""

    def __getattr__(self, name):
        raise AssertionError(f"check() called Graph ({name}) for input it should reject or skip")


class Directory:
    """A tiny stand-in for the Graph client: a unit, some objects, some groups."""

    def __init__(self, units=(AU,), types=None, groups=None, restricted=False):
        self.units = {u: {"id": u, "isMemberManagementRestricted": restricted} for u in units}
        self.types = {U: "user", G: "group", SP: "servicePrincipal"} if types is None else types
        self.groups = {G: GroupInfo(id=G)} if groups is None else groups

    def get_unit(self, unit_id):
        return self.units.get(unit_id)

    def app_roles(self):  # a token without a roles claim: no permission check at preview
        return None

    def object_types(self, ids):
        return {i: self.types[i] for i in ids if i in self.types}

    def get_group(self, gid, **_):
        return self.groups.get(gid)

    def is_unified_group(self, i):
        return i in self.groups and self.groups[i].is_unified

    def write_permission_problem(self, group):
        return None

    def get_groups(self, ids):
        return {g: self.get_group(g) for g in dict.fromkeys(ids)}


def provider(cls, client=None):
    p = cls()
    p._client = client or NoGraph()
    return p


def props(result):
    return [f.property for f in result.failures]


# -- AdministrativeUnitMember ---------------------------------------------------------------------

@pytest.mark.parametrize("arg", ["administrative_unit_id", "member_id"])
@pytest.mark.parametrize("bad, needle", [("paris", "is not a GUID"), ("", "is required"), (7, "must be a string")])
def test_unit_member_rejects_a_bad_id_naming_the_argument(arg, bad, needle):
    news = {"administrative_unit_id": AU, "member_id": U, arg: bad}
    r = provider(AdministrativeUnitMemberProvider).check({}, news)
    assert props(r) == [arg] and needle in r.failures[0].reason


def test_unit_member_rejects_the_unit_as_its_own_member():
    r = provider(AdministrativeUnitMemberProvider).check({}, {"administrative_unit_id": AU, "member_id": AU.upper()})
    assert props(r) == ["member_id"] and "unit itself" in r.failures[0].reason


def test_unit_member_unknown_inputs_pass_check_untouched():
    r = provider(AdministrativeUnitMemberProvider).check({}, {"administrative_unit_id": Unknown(), "member_id": U})
    assert not r.failures and isinstance(r.inputs["administrative_unit_id"], Unknown)


def test_unit_member_unchanged_inputs_cost_no_graph_call():
    olds = {"administrative_unit_id": AU, "member_id": U}
    assert not provider(AdministrativeUnitMemberProvider).check(olds, dict(olds)).failures


def test_unit_member_reports_a_missing_unit_at_preview():
    p = provider(AdministrativeUnitMemberProvider, Directory(units=()))
    r = p.check({}, {"administrative_unit_id": AU, "member_id": U})
    assert props(r) == ["administrative_unit_id"] and "does not exist" in r.failures[0].reason


def test_unit_member_reports_a_missing_member_at_preview():
    p = provider(AdministrativeUnitMemberProvider, Directory(types={}))
    r = p.check({}, {"administrative_unit_id": AU, "member_id": U})
    assert props(r) == ["member_id"] and "do not exist" in r.failures[0].reason


def test_unit_member_refuses_a_service_principal_as_rules_say():
    p = provider(AdministrativeUnitMemberProvider, Directory())
    r = p.check({}, {"administrative_unit_id": AU, "member_id": SP})
    assert props(r) == ["member_id"] and "servicePrincipal" in r.failures[0].reason


def test_restricted_unit_refuses_a_microsoft_365_group():
    m365 = GroupInfo(id=G, group_types=("Unified",), mail_enabled=True)
    p = provider(AdministrativeUnitMemberProvider, Directory(groups={G: m365}, restricted=True))
    r = p.check({}, {"administrative_unit_id": AU, "member_id": G})
    assert props(r) == ["member_id"] and "restricted-management" in r.failures[0].reason


def test_unit_member_normalises_ids_and_accepts_a_user():
    p = provider(AdministrativeUnitMemberProvider, Directory())
    r = p.check({}, {"administrative_unit_id": AU.upper(), "member_id": U.upper()})
    assert not r.failures and r.inputs == {"administrative_unit_id": AU, "member_id": U}


def test_unit_member_diff_replaces_on_any_change():
    p = AdministrativeUnitMemberProvider()
    olds = {"administrative_unit_id": AU, "member_id": U, "member_type": "user", "adopted": False}
    assert p.diff("x", olds, {"administrative_unit_id": AU, "member_id": U}).changes is False
    d = p.diff("x", olds, {"administrative_unit_id": AU, "member_id": G})
    assert d.changes is True and d.replaces == ["member_id"]
    d = p.diff("x", olds, {"administrative_unit_id": Unknown(), "member_id": U})
    assert d.changes is True and d.replaces == ["administrative_unit_id"]


def test_unit_member_id_round_trips_the_azuread_format():
    id_ = unit_member_id(AU, U)
    assert id_ == f"/directory/administrativeUnits/{AU}/members/{U}"
    assert parse_unit_member_id(id_) == (AU, U)
    with pytest.raises(ValueError):
        parse_unit_member_id(f"{AU}/member/{U}")
    assert parse_unit_members_id(f"/directory/administrativeUnits/{AU}/members") == AU


# -- AdministrativeUnitMembers --------------------------------------------------------------------

@pytest.mark.parametrize("member_ids, needle", [
    ("a-string", "must be a list"),
    ([U, "bad"], "[1]"),
    ([U, None], "is required"),
])
def test_unit_members_rejects_bad_member_lists(member_ids, needle):
    r = provider(AdministrativeUnitMembersProvider).check({}, {"administrative_unit_id": AU, "member_ids": member_ids})
    assert set(props(r)) == {"member_ids"} and any(needle in f.reason for f in r.failures)


def test_unit_members_rejects_a_non_boolean_authoritative():
    r = provider(AdministrativeUnitMembersProvider).check(
        {}, {"administrative_unit_id": AU, "member_ids": [U], "authoritative": "maybe"})
    assert props(r) == ["authoritative"]


def test_unit_members_unknown_authoritative_and_members_pass_untouched():
    r = provider(AdministrativeUnitMembersProvider).check(
        {}, {"administrative_unit_id": AU, "member_ids": [U, Unknown()], "authoritative": Unknown()})
    assert not r.failures and isinstance(r.inputs["authoritative"], Unknown)


def test_unit_members_checks_only_the_new_ids_against_the_directory():
    seen = []

    class Dir(Directory):
        def object_types(self, ids):
            seen.append(list(ids))
            return super().object_types(ids)

    p = provider(AdministrativeUnitMembersProvider, Dir())
    olds = {"administrative_unit_id": AU, "member_ids": [U], "authoritative": False}
    r = p.check(olds, {"administrative_unit_id": AU, "member_ids": [U, G], "authoritative": False})
    assert not r.failures and seen == [[G]]


def test_unit_members_names_every_missing_id():
    p = provider(AdministrativeUnitMembersProvider, Directory(types={U: "user"}))
    r = p.check({}, {"administrative_unit_id": AU, "member_ids": [U, G, SP]})
    assert props(r) == ["member_ids"] and G in r.failures[0].reason and SP in r.failures[0].reason


def test_unit_members_diff_changes_members_in_place_and_replaces_on_unit():
    p = AdministrativeUnitMembersProvider()
    olds = {"administrative_unit_id": AU, "member_ids": [G, U], "authoritative": False, "adopted_member_ids": []}
    assert p.diff("x", olds, {"administrative_unit_id": AU, "member_ids": [U, G], "authoritative": False}).changes is False
    d = p.diff("x", olds, {"administrative_unit_id": AU, "member_ids": [U], "authoritative": True})
    assert d.changes is True and d.replaces == []
    d = p.diff("x", olds, {"administrative_unit_id": Unknown(), "member_ids": [U], "authoritative": False})
    assert d.replaces == ["administrative_unit_id"]


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


# -- AdministrativeUnitGroup ----------------------------------------------------------------------

def group_args(**kw):
    base = {"administrative_unit_id": AU, "display_name": "Paris helpdesk", "mail_nickname": "paris-helpdesk"}
    base.update(kw)
    return base


@pytest.mark.parametrize("kw, prop, needle", [
    ({"mail_nickname": "paris helpdesk"}, "mail_nickname", "SPACE"),
    ({"mail_nickname": "a@b"}, "mail_nickname", "@"),
    ({"mail_nickname": "x" * 65}, "mail_nickname", "at most 64"),
    ({"mail_nickname": ""}, "mail_nickname", "must not be empty"),
    ({"display_name": "  "}, "display_name", "is required"),
    ({"display_name": None}, "display_name", "is required"),
    ({"administrative_unit_id": "paris"}, "administrative_unit_id", "not a GUID"),
    ({"group_types": ["DynamicMembership"]}, "group_types", "membership rule"),
    ({"group_types": ["Team"]}, "group_types", "not a group type"),
    ({"group_types": "Unified"}, "group_types", "must be a list"),
    ({"group_types": ["Unified"]}, "mail_enabled", "always mail-enabled"),
    ({"mail_enabled": True}, "mail_enabled", "cannot create mail-enabled"),
    ({"security_enabled": False}, "security_enabled", "set security_enabled=True"),
    ({"visibility": "Private"}, "visibility", "only Microsoft 365 groups"),
    ({"group_types": ["Unified"], "mail_enabled": True, "visibility": "Secret"}, "visibility", "not a visibility"),
    ({"is_assignable_to_role": "yes"}, "is_assignable_to_role", "true or false"),
    ({"description": 5}, "description", "must be a string"),
])
def test_unit_group_check_names_the_argument(kw, prop, needle):
    r = provider(AdministrativeUnitGroupProvider).check({}, group_args(**kw))
    assert props(r) == [prop], r.failures
    assert needle in r.failures[0].reason


def test_unit_group_check_normalises_and_accepts_a_microsoft_365_group():
    p = provider(AdministrativeUnitGroupProvider, Directory())
    r = p.check({}, group_args(group_types=["unified"], mail_enabled=True, security_enabled=False,
                               visibility="private"))
    assert not r.failures
    assert r.inputs["group_types"] == ["Unified"] and r.inputs["visibility"] == "Private"


def test_unit_group_check_fills_defaults():
    r = provider(AdministrativeUnitGroupProvider, Directory()).check({}, group_args())
    assert not r.failures
    assert r.inputs["security_enabled"] is True and r.inputs["mail_enabled"] is False and r.inputs["group_types"] == []


def test_unit_group_check_reports_a_missing_unit_and_a_restricted_one():
    r = provider(AdministrativeUnitGroupProvider, Directory(units=())).check({}, group_args())
    assert props(r) == ["administrative_unit_id"]
    r = provider(AdministrativeUnitGroupProvider, Directory(restricted=True)).check(
        {}, group_args(group_types=["Unified"], mail_enabled=True))
    assert props(r) == ["group_types"] and "restricted" in r.failures[0].reason


def test_unit_group_unknowns_pass_check_and_an_in_place_change_costs_no_graph_call():
    r = provider(AdministrativeUnitGroupProvider).check({}, group_args(administrative_unit_id=Unknown(),
                                                                       mail_nickname=Unknown()))
    assert not r.failures
    olds = provider(AdministrativeUnitGroupProvider, Directory()).check({}, group_args()).inputs
    r = provider(AdministrativeUnitGroupProvider).check(olds, group_args(display_name="Renamed"))
    assert not r.failures


def outputs(**kw):
    base = {"administrative_unit_id": AU, "display_name": "Paris helpdesk", "mail_nickname": "paris-helpdesk",
            "security_enabled": True, "mail_enabled": False, "group_types": [], "description": None,
            "visibility": None, "is_assignable_to_role": None, "group_id": G}
    base.update(kw)
    return base


@pytest.mark.parametrize("news, changes, replaces", [
    ({}, False, []),
    ({"display_name": "Renamed"}, True, []),
    ({"description": "d"}, True, []),
    ({"mail_nickname": "paris2"}, True, []),
    ({"administrative_unit_id": SP}, True, ["administrative_unit_id"]),
    ({"security_enabled": False}, True, []),  # Graph updates securityEnabled in place
    ({"group_types": ["Unified"], "mail_enabled": True}, True, ["mail_enabled", "group_types"]),
    ({"is_assignable_to_role": True}, True, ["is_assignable_to_role"]),
    ({"is_assignable_to_role": False}, False, []),
    ({"administrative_unit_id": Unknown()}, True, ["administrative_unit_id"]),
    ({"display_name": Unknown()}, True, []),
])
def test_unit_group_diff_updates_in_place_only_what_graph_can_update(news, changes, replaces):
    p = AdministrativeUnitGroupProvider()
    olds = outputs()
    new_inputs = {k: olds[k] for k in olds if k != "group_id"}
    new_inputs.update(news)
    d = p.diff(G, olds, new_inputs)
    assert d.changes is changes and d.replaces == replaces


def test_unit_group_visibility_changes_in_place_except_hidden_membership():
    p = AdministrativeUnitGroupProvider()
    olds = outputs(group_types=["Unified"], mail_enabled=True, visibility="Public")
    news = {k: v for k, v in olds.items() if k != "group_id"}
    assert p.diff(G, olds, {**news, "visibility": "Private"}).replaces == []
    assert p.diff(G, olds, {**news, "visibility": "HiddenMembership"}).replaces == ["visibility"]
    assert p.diff(G, olds, {**news, "visibility": None}).changes is False  # unset: not managed


def test_unit_group_replacement_keeping_a_microsoft_365_nickname_deletes_first():
    p = AdministrativeUnitGroupProvider()
    olds = outputs(group_types=["Unified"], mail_enabled=True, security_enabled=False)
    news = {k: v for k, v in olds.items() if k != "group_id"}
    d = p.diff(G, olds, {**news, "administrative_unit_id": SP})
    assert d.replaces == ["administrative_unit_id"] and d.delete_before_replace is True
    d = p.diff(G, outputs(), {**{k: v for k, v in outputs().items() if k != "group_id"}, "administrative_unit_id": SP})
    assert d.delete_before_replace is False


# -- the shared plan ------------------------------------------------------------------------------

def test_plan_manages_only_what_it_listed_unless_authoritative():
    p = plan({"a", "b", "x"}, ["a", "c"], managed_before={"a", "b"})
    assert p.to_add == ["c"] and p.to_remove == ["b"] and p.adopted == set()
    p = plan({"a", "b", "x"}, ["a", "c"], managed_before={"a", "b"}, authoritative=True)
    assert p.to_remove == ["b", "x"]


def test_plan_adopts_what_was_there_before_it_was_managed_and_keeps_it_adopted():
    p = plan({"a"}, ["a", "b"])
    assert p.adopted == {"a"} and p.to_add == ["b"]
    p = plan({"a", "b"}, ["a", "b"], managed_before={"a", "b"}, adopted_before={"a"})
    assert p.adopted == {"a"} and not p.to_add and not p.to_remove


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
