"""`check` and `diff` of AdministrativeUnitGroup: bad arguments fail at preview naming them,
defaults are filled, unknowns pass untouched, and diff updates in place only what Graph can update
(else a replacement, deleting first where the nickname must stay)."""
import pytest
from pulumi.output import Unknown

from msgraph_membership.resources.administrative_unit_group import AdministrativeUnitGroupProvider

from .check_support import AU, G, SP, Directory, provider, props


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
