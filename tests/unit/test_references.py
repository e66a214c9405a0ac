"""References by name: the syntax, and the batched, cached lookup (a fake Graph, no network)."""
from __future__ import annotations

import re

import pytest

from msgraph_membership.graph import errors as E
from msgraph_membership.graph.lookup import LookupRefused, resolve
from msgraph_membership.graph.references import (GROUP_KINDS, GROUP_MEMBER_KINDS, kind_problem,
                                                  parse_reference)
from msgraph_membership.resources.group_members import GroupMembersProvider
from msgraph_membership.resources.member_of import MemberOfProvider

G = "11111111-1111-4111-8111-111111111111"
APP = "33333333-3333-4333-8333-333333333333"


@pytest.mark.parametrize("text, kind, prop, value", [
    ("alice@contoso.com", "user", "userPrincipalName", "alice@contoso.com"),
    ("user:alice@contoso.com", "user", "userPrincipalName", "alice@contoso.com"),
    ("mail:Alice.Smith@contoso.com", "user", "mail", "Alice.Smith@contoso.com"),
    ("group:Build: release team", "group", "displayName", "Build: release team"),
    ("nickname:devs", "group", "mailNickname", "devs"),
    ("app:" + APP.upper(), "servicePrincipal", "appId", APP),
    ("sp:Build pipeline", "servicePrincipal", "displayName", "Build pipeline"),
    ("device:LAPTOP-0042", "device", "displayName", "LAPTOP-0042"),
    ("unit:Paris", "administrativeUnit", "displayName", "Paris"),
])
def test_each_form_of_reference_parses(text, kind, prop, value):
    r = parse_reference(text)
    assert (r.kind, r.prop, r.value, r.written) == (kind, prop, value, text)


@pytest.mark.parametrize("text", [G, G.upper(), "devs", "alice smith", "grp:Devs", "", None, 7])
def test_what_is_not_a_reference_is_left_to_the_guid_check(text):
    assert parse_reference(text) is None


@pytest.mark.parametrize("text, needle", [("group:", "write a value"), ("app:pipeline", "sp:<display name>")])
def test_a_malformed_reference_says_what_to_write(text, needle):
    with pytest.raises(ValueError) as e:
        parse_reference(text)
    assert needle in str(e.value)


def test_an_argument_refuses_a_kind_it_cannot_take():
    assert "group_id takes groups" in kind_problem(parse_reference("alice@contoso.com"), GROUP_KINDS, "group_id")
    assert kind_problem(parse_reference("device:x"), GROUP_MEMBER_KINDS, "member_ids") is None


# -- the lookup, against a fake Graph ------------------------------------------------------------------

_IN = re.compile(r"^(\w+) (?:in \((.*)\)|eq (.*))$")


class FakeTransport:
    """Answers `GET {collection}?$filter=prop in (...)` from a list of objects per path."""

    def __init__(self, objects: dict[str, list[dict]], refuse: set[str] = frozenset()):
        self.objects, self.refuse, self.calls = objects, refuse, []

    def pages(self, path, params=None):
        self.calls.append((path, dict(params or {})))
        if path in self.refuse:
            raise E.Forbidden("Insufficient privileges to complete the operation.", status=403)
        m = _IN.match(params["$filter"])
        prop, listed = m.group(1), m.group(2) or m.group(3)
        values = [v.replace("''", "'").lower() for v in re.findall(r"'((?:[^']|'')*)'", listed)]
        assert len(values) <= 15, "Graph takes at most 15 values in `in`"
        return iter([o for o in self.objects.get(path, []) if str(o.get(prop, "")).lower() in values])

    @staticmethod
    def map_bounded(fn, items):
        return [fn(i) for i in items]


class FakeClient:
    def __init__(self, transport):
        self.t = transport


def uid(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def people(n):
    return [{"id": uid(i), "displayName": f"User {i}", "userPrincipalName": f"user{i}@contoso.test"} for i in range(n)]


def test_100_names_cost_7_requests_and_none_the_second_time():
    t = FakeTransport({"/users": people(120)})
    c = FakeClient(t)
    refs = [parse_reference(f"USER{i}@contoso.test") for i in range(100)]
    found = resolve(c, refs)
    assert len(t.calls) == 7  # ceil(100 / 15)
    assert [found[r.key][0].id for r in refs] == [uid(i) for i in range(100)]
    resolve(c, refs + [parse_reference(f"user{i}@contoso.test") for i in range(5)])
    assert len(t.calls) == 7, "names resolved in this process are not asked again"


def test_names_of_different_kinds_are_asked_per_collection():
    t = FakeTransport({"/users": people(3), "/groups": [{"id": G, "displayName": "Devs", "mailNickname": "devs"}],
                       "/servicePrincipals": [{"id": uid(900), "displayName": "Build", "appId": APP}]})
    found = resolve(FakeClient(t), [parse_reference(x) for x in
                                    ("user0@contoso.test", "group:devs", "nickname:DEVS", "app:" + APP, "sp:Build")])
    assert sorted(p for p, _ in t.calls) == ["/groups", "/groups", "/servicePrincipals", "/servicePrincipals", "/users"]
    assert [m[0].id for m in found.values()] == [uid(0), G, G, uid(900), uid(900)]


def test_quotes_in_a_name_are_doubled():
    t = FakeTransport({"/groups": [{"id": G, "displayName": "O'Brien's team"}]})
    found = resolve(FakeClient(t), [parse_reference("group:O'Brien's team")])
    assert "'O''Brien''s team'" in t.calls[0][1]["$filter"] and found[("group", "displayName", "o'brien's team")][0].id == G


def test_a_refused_lookup_names_the_permission():
    t = FakeTransport({}, refuse={"/users"})
    with pytest.raises(LookupRefused) as e:
        resolve(FakeClient(t), [parse_reference("alice@contoso.test")])
    assert "User.Read.All" in str(e.value) and "'alice@contoso.test'" in str(e.value)


# -- in check: what the user wrote and what it resolved to ----------------------------------------------

class Directory:
    """Enough of the client for GroupMembers' and MemberOf's checks."""

    def __init__(self, transport):
        self.t = transport

    def app_roles(self):
        return None

    def get_group(self, gid, **kw):
        from msgraph_membership.graph.rules import GroupInfo
        return GroupInfo(id=gid)

    def get_groups(self, ids):
        return {i: self.get_group(i) for i in ids}

    def object_types(self, ids):
        return {i: "user" for i in ids}

    def is_unified_group(self, i):
        return False

    def write_permission_problem(self, group):
        return None

    def member_ids(self, kind, cid, **kw):
        return {}


def provider(cls, transport):
    p = cls()
    p._client = Directory(transport)
    return p


def test_check_resolves_names_and_keeps_what_was_written():
    t = FakeTransport({"/users": people(3), "/groups": [{"id": G, "displayName": "Devs"}]})
    p = provider(GroupMembersProvider, t)
    r = p.check({}, {"group_id": "group:Devs", "member_ids": ["user1@contoso.test", uid(2)]})
    assert not r.failures, r.failures
    assert r.inputs["group_id"] == G and r.inputs["member_ids"] == sorted([uid(1), uid(2)])
    assert r.inputs["__references"] == {"group:Devs": G, "user1@contoso.test": uid(1)}
    assert "references" not in r.inputs  # internal: the engine's summary of a change leaves it out
    # The same members written by id: no change in the diff.
    d = p.diff(f"{G}/members", {**r.inputs}, {"group_id": G, "member_ids": [uid(1), uid(2)]})
    assert not d.changes


@pytest.mark.parametrize("key", ["__references", "references"])  # the checked input now, and in older states
def test_a_name_that_matches_nothing_fails_naming_the_argument_and_a_rename(key):
    t = FakeTransport({"/users": people(3)})
    p = provider(GroupMembersProvider, t)
    olds = {"group_id": G, "member_ids": [uid(7)], key: {"gone@contoso.test": uid(7)}}
    r = p.check(olds, {"group_id": G, "member_ids": [uid(0), "gone@contoso.test"]})
    [(prop, reason)] = [(f.property, f.reason) for f in r.failures]
    assert prop == "member_ids" and "[1] 'gone@contoso.test' matches no object" in reason
    assert uid(7) in reason and "renamed" in reason


def test_an_ambiguous_name_lists_the_candidates_with_ids_and_kinds():
    twins = [{"id": uid(50), "displayName": "Readers"}, {"id": uid(51), "displayName": "readers"}]
    p = provider(MemberOfProvider, FakeTransport({"/users": people(1), "/groups": twins}))
    r = p.check({}, {"member_id": "user0@contoso.test", "group_ids": ["group:Readers"]})
    [(prop, reason)] = [(f.property, f.reason) for f in r.failures]
    assert prop == "group_ids" and "ambiguous: 2 objects" in reason
    assert f"group 'Readers' {uid(50)}" in reason and f"group 'readers' {uid(51)}" in reason


def test_a_reference_of_the_wrong_kind_fails_without_a_lookup():
    t = FakeTransport({})
    r = provider(GroupMembersProvider, t).check({}, {"group_id": "unit:Paris", "member_ids": []})
    assert [f.property for f in r.failures] == ["group_id"] and t.calls == []
