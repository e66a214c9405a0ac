"""The emulator's OData query support on directory objects: $filter, $search, $expand, $count and
GET /users/{userPrincipalName}, with the bodies Microsoft documents in
https://learn.microsoft.com/graph/aad-advanced-queries and https://learn.microsoft.com/graph/query-parameters.
"""

from __future__ import annotations

import pytest

from msgraph_membership.emulator import odata_query
from msgraph_membership.emulator.errors import GraphError

from .conftest import ALICE, AU, BOB, CAROL, EMPTY, M365, SEC, error_of, gid

EVENTUAL = {"ConsistencyLevel": "eventual"}
OPERATOR_MISSING = ("Operator '{op}' is not supported because the required parameters might be missing. Try adding "
                    "$count=true query parameter and ConsistencyLevel:eventual header. Refer to "
                    "https://aka.ms/graph-docs/advanced-queries for more information")
SP_APP_ID = "11111111-2222-4333-8444-555555555555"
OBRIEN = gid(50)


@pytest.fixture
def more(emu):
    """Users with mail, an apostrophe in a name and a service principal with a known appId."""
    emu.seed({
        "users": [{"id": OBRIEN, "displayName": "Dara O'Brien", "userPrincipalName": "dara@fabrikam.test",
                   "mail": "dara.obrien@fabrikam.test", "mailNickname": "dara"}],
        "servicePrincipals": [{"id": gid(51), "displayName": "deploy-bot", "appId": SP_APP_ID}],
    })
    return emu


def ids(resp) -> list[str]:
    assert resp.status_code == 200, resp.text
    return sorted(o["id"] for o in resp.json()["value"])


# --- $filter by default --------------------------------------------------------------------------
def test_filter_eq_on_user_principal_name_ignores_case(graph):
    assert ids(graph.get("users?$filter=userPrincipalName eq 'ALICE@contoso.test'")) == [ALICE]


def test_filter_eq_on_display_name_of_groups(graph):
    """azuread's duplicate-name check: GET /groups?$filter=displayName eq '...'."""
    assert ids(graph.get("groups?$filter=displayName eq 'Devs'")) == [SEC]
    assert ids(graph.get("groups?$filter=displayName eq 'Nobody'")) == []


def test_filter_eq_on_id(graph):
    """azuread reads an administrative unit back with $filter=id eq '...'."""
    assert ids(graph.get(f"directory/administrativeUnits?$filter=id eq '{AU}'")) == [AU]
    assert ids(graph.get("directory/administrativeUnits?$filter=displayName eq 'Paris'")) == [AU]


def test_filter_in_on_id(graph):
    assert ids(graph.get(f"users?$filter=id in ('{ALICE}', '{CAROL}')")) == sorted([ALICE, CAROL])


def test_filter_startswith_and_or_parentheses(graph):
    r = graph.get("users?$filter=startsWith(displayName,'a') or (startswith(displayName,'B') and id eq '"
                  + BOB + "')")
    assert ids(r) == sorted([ALICE, BOB])


def test_filter_mail_and_mail_nickname(graph, more):
    assert ids(graph.get("users?$filter=mail eq 'Dara.OBrien@fabrikam.test'")) == [OBRIEN]
    assert ids(graph.get("users?$filter=startswith(mailNickname,'dar')")) == [OBRIEN]
    assert ids(graph.get("groups?$filter=mailNickname eq 'team'")) == [M365]


def test_filter_quoted_apostrophe(graph, more):
    """OData escapes a single quote in a literal by doubling it."""
    assert ids(graph.get("users?$filter=displayName eq 'Dara O''Brien'")) == [OBRIEN]


def test_filter_app_id_on_service_principals(graph, more):
    assert ids(graph.get(f"servicePrincipals?$filter=appId eq '{SP_APP_ID}'")) == [gid(51)]


def test_filter_combines_with_select_and_paging(graph):
    r = graph.get("users?$filter=startswith(userPrincipalName,'')&$select=id,displayName&$top=2")
    body = r.json()
    assert len(body["value"]) == 2 and "@odata.nextLink" in body
    assert set(body["value"][0]) == {"@odata.type", "id", "displayName"}
    rest = graph.get(body["@odata.nextLink"]).json()["value"]
    assert sorted([o["id"] for o in body["value"] + rest]) == sorted([ALICE, BOB, CAROL])


# --- $filter errors ------------------------------------------------------------------------------
def test_filter_unsupported_property_names_property_and_resource(graph):
    """The documented body for a property not indexed for the operator."""
    r = graph.get("groups?$filter=createdDateTime ge 2021-11-01")
    assert r.status_code == 400
    r = graph.get("groups?$filter=description eq 'x'")
    assert error_of(r) == (400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified "
                           "for property 'description' of resource 'Group'.")


def test_startswith_on_id_is_not_supported(graph):
    r = graph.get("users?$filter=startswith(id,'0000')")
    assert error_of(r) == (400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified "
                           "for property 'id' of resource 'User'.")


def test_malformed_filter_is_bad_request(graph):
    status, code, message = error_of(graph.get("users?$filter=displayName eq"))
    assert (status, code) == (400, "BadRequest") and message.startswith("Invalid filter clause")
    status, code, _ = error_of(graph.get("users?$filter=displayName lt 'b'"))
    assert (status, code) == (400, "BadRequest")


# --- advanced queries ----------------------------------------------------------------------------
def test_endswith_without_advanced_parameters_is_the_documented_error(graph):
    r = graph.get("users?$filter=endsWith(userPrincipalName,'@contoso.test')")
    assert error_of(r) == (400, "Request_UnsupportedQuery", OPERATOR_MISSING.format(op="endsWith"))
    # the header alone is not enough: $count=true is required too
    r = graph.get("users?$filter=endsWith(userPrincipalName,'@contoso.test')", headers=EVENTUAL)
    assert error_of(r) == (400, "Request_UnsupportedQuery", OPERATOR_MISSING.format(op="endsWith"))


def test_endswith_with_advanced_parameters(graph, more):
    r = graph.get("users?$filter=endsWith(userPrincipalName,'@contoso.test')&$count=true", headers=EVENTUAL)
    assert ids(r) == sorted([ALICE, BOB, CAROL]) and r.json()["@odata.count"] == 3


def test_endswith_on_display_name_is_unsupported_even_when_advanced(graph):
    r = graph.get("users?$filter=endsWith(displayName,'e')&$count=true", headers=EVENTUAL)
    assert error_of(r) == (400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified "
                           "for property 'displayName' of resource 'User'.")


def test_ne_and_not_need_advanced_parameters(graph):
    assert error_of(graph.get("users?$filter=displayName ne 'Alice'"))[2] == OPERATOR_MISSING.format(op="ne")
    assert error_of(graph.get("users?$filter=not startsWith(displayName,'A')"))[2] == OPERATOR_MISSING.format(op="not")
    r = graph.get("users?$filter=displayName ne 'Alice'&$count=true", headers=EVENTUAL)
    assert ids(r) == sorted([BOB, CAROL])
    r = graph.get("users?$filter=NOT startsWith(displayName,'A')&$count=true", headers=EVENTUAL)
    assert ids(r) == sorted([BOB, CAROL])


def test_count_true_without_header_is_silently_ignored(graph):
    """Documented: ?$count=true without ConsistencyLevel returns the page without @odata.count."""
    r = graph.get("users?$count=true")
    assert r.status_code == 200 and "@odata.count" not in r.json() and len(r.json()["value"]) == 3
    r = graph.get("users?$count=true", headers=EVENTUAL)
    assert r.json()["@odata.count"] == 3


def test_count_segment_needs_the_header(graph):
    r = graph.get("users/$count")
    assert error_of(r) == (400, "Request_BadRequest", "$count is not currently supported.")
    r = graph.get("groups/$count", headers=EVENTUAL)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain") and r.text == "8"
    r = graph.get("users/$count?$filter=startswith(displayName,'B')", headers=EVENTUAL)
    assert r.text == "1"
    r = graph.get("users/$count?$filter=endsWith(userPrincipalName,'@contoso.test')", headers=EVENTUAL)
    assert r.status_code == 200 and r.text == "3"


def test_search_needs_the_header_then_matches_word_starts(graph, more):
    r = graph.get('users?$search="displayName:brien"')
    assert error_of(r) == (400, "Request_UnsupportedQuery", "Request with $search query parameter only works "
                           "through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
    assert ids(graph.get('users?$search="displayName:brien"', headers=EVENTUAL)) == [OBRIEN]
    assert ids(graph.get('users?$search="displayName:ali" OR "displayName:car"', headers=EVENTUAL)) == \
        sorted([ALICE, CAROL])


def test_member_listing_filter_by_id_as_azuread_reads_a_membership(graph):
    """azuread's read of one membership: GET /beta/groups/{g}/members?$filter=id eq '{m}', no header."""
    graph.add_member(SEC, BOB)
    graph.add_member(SEC, CAROL)
    assert ids(graph.get(f"groups/{SEC}/members?$filter=id eq '{BOB}'", version="beta")) == [BOB]
    assert ids(graph.get(f"groups/{SEC}/members?$filter=id eq '{ALICE}'")) == []
    assert graph.post(f"directory/administrativeUnits/{AU}/members/$ref", graph.ref(CAROL, "users")).status_code == 204
    assert ids(graph.get(f"directory/administrativeUnits/{AU}/members?$filter=id eq '{CAROL}'")) == [CAROL]


def test_member_listing_advanced_operators_need_advanced_parameters(graph):
    graph.add_member(SEC, BOB)
    graph.add_member(SEC, CAROL)
    r = graph.get(f"groups/{SEC}/members?$filter=id ne '{BOB}'")
    assert error_of(r) == (400, "Request_UnsupportedQuery", OPERATOR_MISSING.format(op="ne"))
    r = graph.get(f"groups/{SEC}/members?$filter=id ne '{BOB}'&$count=true", headers=EVENTUAL)
    assert ids(r) == [CAROL] and r.json()["@odata.count"] == 1


# --- GET /users/{userPrincipalName} --------------------------------------------------------------
def test_get_user_by_user_principal_name(graph):
    r = graph.get("users/Bob@Contoso.test")
    assert r.status_code == 200 and r.json()["id"] == BOB
    assert r.json()["@odata.context"].endswith("/$metadata#users/$entity")


def test_get_unknown_user_principal_name_is_404(graph):
    r = graph.get("users/nobody@contoso.test")
    assert error_of(r) == (404, "Request_ResourceNotFound", "Resource 'nobody@contoso.test' does not exist or one "
                           "of its queried reference-property objects are not present.")


# --- $expand -------------------------------------------------------------------------------------
def test_expand_members_on_a_group(graph):
    graph.add_member(SEC, BOB)
    r = graph.get(f"groups/{SEC}?$expand=members($select=id,displayName)")
    assert r.status_code == 200, r.text
    members = r.json()["members"]
    assert [m["id"] for m in members] == [BOB]
    assert set(members[0]) == {"@odata.type", "id", "displayName"}


def test_expand_returns_at_most_20_related_objects(graph, emu):
    users = [{"id": gid(100 + n), "displayName": f"u{n}", "userPrincipalName": f"u{n}@contoso.test"}
             for n in range(25)]
    emu.seed({"users": users})
    body = {"members@odata.bind": [f"https://graph.microsoft.com/v1.0/directoryObjects/{u['id']}" for u in users[:20]]}
    assert graph.patch(f"groups/{EMPTY}", body).status_code == 204
    for u in users[20:]:
        assert graph.add_member(EMPTY, u["id"]).status_code == 204
    r = graph.get(f"groups/{EMPTY}?$expand=members")
    assert len(r.json()["members"]) == 20 and "members@odata.nextLink" not in r.json()


def test_expand_on_collections_and_administrative_units(graph):
    graph.add_member(SEC, ALICE)
    assert graph.post(f"directory/administrativeUnits/{AU}/members/$ref",
                      graph.ref(CAROL, "users")).status_code == 204
    groups = graph.get("groups?$filter=id eq '" + SEC + "'&$expand=owners").json()["value"]
    assert [o["id"] for o in groups[0]["owners"]] == [ALICE]
    unit = graph.get(f"directory/administrativeUnits/{AU}?$expand=members").json()
    assert [m["id"] for m in unit["members"]] == [CAROL]
    user = graph.get(f"users/{ALICE}?$expand=memberOf").json()
    assert [g["id"] for g in user["memberOf"]] == [SEC]


def test_expand_unknown_navigation_property(graph):
    r = graph.get(f"groups/{SEC}?$expand=manager")
    assert error_of(r) == (400, "BadRequest", "Could not find a property named 'manager' on type "
                           "'microsoft.graph.group'.")


def test_expand_is_not_supported_with_advanced_queries(graph):
    r = graph.get("groups?$expand=members&$count=true", headers=EVENTUAL)
    assert error_of(r)[:2] == (400, "Request_UnsupportedQuery")


# --- the parser on its own -----------------------------------------------------------------------
class _Obj:
    def __init__(self, obj_id, **props):
        self.id, self.props, self.kind = obj_id, props, "user"


@pytest.mark.parametrize("text,expected", [
    ("displayName eq 'a'", True),
    ("displayName eq 'A'", True),
    ("displayName eq 'b'", False),
    ("mail eq null", True),
    ("displayName in ('x', 'A')", True),
    ("startswith(userPrincipalName,'a@')", True),
    ("displayName eq 'a' and mail ne null", False),
    ("displayName eq 'b' or not (mail ne null)", True),
    ("endswith(userPrincipalName,'@C.TEST')", True),
])
def test_compile_filter_evaluates(text, expected):
    predicate = odata_query.compile_filter(text, ("user",), advanced=True)
    assert predicate(_Obj(gid(1), displayName="a", userPrincipalName="a@c.test", mail=None)) is expected


def test_compile_filter_rejects_trailing_tokens():
    with pytest.raises(GraphError) as exc:
        odata_query.compile_filter("displayName eq 'a' 'b'", ("user",), advanced=False)
    assert exc.value.status == 400 and exc.value.code == "BadRequest"


# --- the 15-value limit of `in` ------------------------------------------------------------------
def test_filter_in_takes_15_values_by_default_and_more_as_an_advanced_query(graph):
    """https://learn.microsoft.com/graph/filter-query-parameter: `in` is limited to 15 expressions
    by default; advanced queries are bound by the URL's length instead."""
    fifteen = ",".join(f"'u{i}@contoso.test'" for i in range(14)) + ",'alice@contoso.test'"
    assert ids(graph.get(f"users?$filter=userPrincipalName in ({fifteen})")) == [ALICE]
    sixteen = fifteen + ",'x@contoso.test'"
    status, code, message = error_of(graph.get(f"users?$filter=userPrincipalName in ({sixteen})"))
    assert (status, code) == (400, "Request_UnsupportedQuery") and "16" in message and "15" in message
    r = graph.get(f"users?$filter=userPrincipalName in ({sixteen})&$count=true", headers=EVENTUAL)
    assert ids(r) == [ALICE]
