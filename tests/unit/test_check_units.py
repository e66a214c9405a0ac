"""`check` and `diff` of AdministrativeUnitMember and AdministrativeUnitMembers, and the plan the
membership lists share: bad input fails at preview naming the argument, without calling Graph;
unknowns pass untouched; diff says what replaces. MemberOf: test_check_member_of.py;
AdministrativeUnitGroup: test_check_unit_group.py."""
import pytest
from pulumi.output import Unknown

from msgraph_membership.graph.rules import GroupInfo
from msgraph_membership.resources._converge import plan
from msgraph_membership.resources.administrative_unit_member import (AdministrativeUnitMemberProvider,
                                                                     parse_unit_member_id, unit_member_id)
from msgraph_membership.resources.administrative_unit_members import (AdministrativeUnitMembersProvider,
                                                                      parse_unit_members_id)

from .check_support import AU, G, SP, U, Directory, provider, props


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
