"""The admin API checks each document whole before applying it: a refused seed, fault setting or
reset answers 400 saying what is wrong, changes nothing, and the emulator keeps signing in and
serving (admin_docs.py). The cases first, then property-based tests with generated documents,
and generated `$filter`/`$orderby` queries, which get an answer or Graph's 400, never a dropped
connection.
"""
from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msgraph_membership.emulator.process import start_emulator

from .conftest import ALICE, APPS, FULL_APP, FULL_SECRET, SEC, STANDARD, TENANT, Graph

ADMIN_SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def admin(emu, method: str, name: str, body) -> requests.Response:
    """An admin call with a raw body (bytes: as given, so Infinity and NaN reach the emulator)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.request(method, f"{emu.base_url}/_emulator/{name}", data=data, verify=emu.ca_bundle,
                            timeout=30, headers={"Content-Type": "application/json"})


def signs_in_and_serves(emu) -> None:
    """A token for the full app (tenant as the emulator now has it), every collection read with it,
    and the members of a few groups and units."""
    tenant = emu.health()["tenant_id"]
    token = requests.post(f"{emu.authority_host}/{tenant}/oauth2/v2.0/token", verify=emu.ca_bundle, timeout=30,
                          data={"client_id": FULL_APP, "client_secret": FULL_SECRET, "grant_type": "client_credentials",
                                "scope": "https://graph.microsoft.com/.default"})
    assert token.status_code == 200, token.text
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for path in ("users", "groups", "devices", "servicePrincipals", "contacts", "directory/administrativeUnits"):
        r = requests.get(f"{emu.graph_url}/v1.0/{path}?$top=999", verify=emu.ca_bundle, timeout=30, headers=auth)
        assert r.status_code == 200, r.text
    for group in r.json()["value"][:3] + requests.get(f"{emu.graph_url}/v1.0/groups?$top=5", headers=auth,
                                                       verify=emu.ca_bundle, timeout=30).json()["value"]:
        kind = "directory/administrativeUnits" if group["@odata.type"].endswith("administrativeUnit") else "groups"
        r = requests.get(f"{emu.graph_url}/v1.0/{kind}/{group['id']}/members", verify=emu.ca_bundle, timeout=30,
                         headers=auth)
        assert r.status_code == 200, r.text


def refused(resp, *words) -> str:
    assert resp.status_code == 400, resp.text
    message = resp.json()["error"]
    for word in words:
        assert word in message, message
    return message


# --- the cases ---------------------------------------------------------------------------------
def test_a_domain_that_is_not_a_string_is_refused_and_sign_in_goes_on(emu):
    before = emu.directory()
    refused(admin(emu, "POST", "seed", {"domain": 5}), "domain")
    assert emu.directory() == before
    signs_in_and_serves(emu)


def test_a_refused_domain_is_not_saved_with_db(tmp_path):
    db, tls = str(tmp_path / "dir.db"), str(tmp_path / "tls")
    with start_emulator(seed={"tenant_id": TENANT, "apps": APPS}, db=db, tls_dir=tls) as first:
        refused(admin(first, "POST", "seed", {"domain": 5}), "domain")
    with start_emulator(db=db, tls_dir=tls) as again:
        assert again.directory()["domain"] == "contoso.test"
        signs_in_and_serves(again)


def test_a_seed_cannot_turn_a_group_into_a_user(emu, graph):
    refused(admin(emu, "POST", "seed", {"users": [{"id": SEC}]}), SEC, "group")
    assert graph.get(f"groups/{SEC}").status_code == 200
    assert graph.get(f"groups/{SEC}/members").status_code == 200
    assert [g["id"] for g in emu.directory()["groups"] if g["id"] == SEC] == [SEC]


def test_a_seed_cannot_turn_an_app_into_a_managed_identity(emu):
    before = emu.directory()
    refused(admin(emu, "POST", "seed", {"managed_identities": [{"client_id": FULL_APP}]}), FULL_APP)
    assert emu.directory() == before


def test_group_types_must_be_a_list(emu, graph):
    gid = "00000000-0000-4000-8000-000000000777"
    refused(admin(emu, "POST", "seed", {"groups": [{"id": gid, "groupTypes": "Unified"}]}), "groupTypes")
    assert graph.get(f"groups/{gid}").status_code == 404


def test_a_display_name_that_is_not_a_string_is_answered_400(emu):
    before = emu.directory()
    refused(admin(emu, "POST", "seed", {"users": [{"displayName": 5}]}), "displayName")
    assert emu.directory() == before


def test_a_user_cannot_hold_members(emu):
    refused(admin(emu, "POST", "seed", {"users": [{"id": ALICE, "members": [SEC]}]}), "members")


def test_refused_fault_settings_are_not_applied(emu, graph):
    refused(admin(emu, "PUT", "faults", {"throttle_rate": 1.0, "seed": [1]}), "seed")
    assert emu.faults() == {}
    assert graph.get(f"groups/{SEC}").status_code == 200


@pytest.mark.parametrize("body", [b'{"latency_ms": Infinity}', b'{"retry_after_s": Infinity}',
                                  b'{"replication_lag_ms": NaN}', b'{"latency_ms": 1e999}',
                                  b'{"latency_ms": -1}', b'{"throttle_rate": 1.5}', b'{"retry_after_s": "2"}',
                                  b'{"no_such_setting": 1}', b"[]", b"{"])
def test_fault_settings_out_of_range_are_answered_400_and_change_nothing(emu, graph, body):
    emu.faults({"retry_after_s": 2})
    refused(admin(emu, "PUT", "faults", body))
    assert emu.faults() == {"retry_after_s": 2}
    assert graph.get(f"groups/{SEC}").status_code == 200


def test_a_reset_takes_no_settings(emu):
    before = emu.directory()
    refused(admin(emu, "POST", "reset", {"keep": "users"}), "keep")
    assert emu.directory() == before
    assert admin(emu, "POST", "reset", b"").status_code == 200
    assert emu.directory()["users"] == []


def test_a_seed_that_is_not_json_is_answered_400(emu):
    before = emu.directory()
    refused(admin(emu, "POST", "seed", b'{"users": [{"displayName": NaN}]}'), "NaN")
    refused(admin(emu, "POST", "seed", b"not json"), "JSON")
    assert emu.directory() == before


# --- property-based: generated documents, on an emulator of this module's own ------------------
@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """An emulator these tests may change as they like (the tenant, the domain, managed identities)."""
    with start_emulator(seed={"tenant_id": TENANT, "apps": APPS, **STANDARD},
                        tls_dir=str(tmp_path_factory.mktemp("tls"))) as emu:
        yield emu


def _kinds(directory: dict) -> dict:
    return {o["id"]: collection for collection in ("users", "groups", "devices", "servicePrincipals",
                                                    "orgContacts", "administrativeUnits")
            for o in directory[collection]}


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                      st.text(max_size=12))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)
known_ids = st.sampled_from([o["id"] for c in ("users", "groups", "devices", "administrativeUnits")
                             for o in STANDARD.get(c, [])] + ["not-a-guid", "00000000-0000-4000-8000-000000000555"])
entry = st.fixed_dictionaries({}, optional={
    "id": known_ids, "displayName": st.one_of(st.text(max_size=20), json_leaf),
    "mailNickname": st.one_of(st.text(max_size=10), json_leaf),
    "groupTypes": st.one_of(st.lists(st.sampled_from(["Unified", "DynamicMembership", "Other"]), max_size=2), json_leaf),
    "securityEnabled": json_leaf, "accountEnabled": json_leaf,
    "members": st.lists(known_ids, max_size=2), "owners": st.lists(known_ids, max_size=2), "extra": json_value})
collection = st.sampled_from(["users", "groups", "devices", "servicePrincipals", "orgContacts",
                              "administrativeUnits"])
seed_docs = st.one_of(
    st.dictionaries(collection, st.lists(entry, max_size=3), min_size=1, max_size=2),
    st.dictionaries(st.sampled_from(["domain", "tenant_id", "apps", "managed_identities", "github", "identity_header",
                                     "users", "nonsense"]), json_value, min_size=1, max_size=2),
    json_value)


@ADMIN_SETTINGS
@given(doc=seed_docs)
def test_generated_seeds_are_applied_whole_or_refused_whole(own, doc):
    before = own.directory()
    body = json.dumps(doc, allow_nan=True).encode()
    r = admin(own, "POST", "seed", body)
    assert r.status_code in (200, 400), r.text
    after = own.directory()
    if r.status_code == 400:
        assert after == before
    else:
        kinds_before, kinds_after = _kinds(before), _kinds(after)
        assert all(kinds_after[i] == k for i, k in kinds_before.items())  # nothing changed type or vanished
    signs_in_and_serves(own)


rate = st.one_of(st.floats(-1, 2), st.integers(-2, 2), st.sampled_from([0.0, 0.5, 1.0]), json_leaf)
fault_docs = st.one_of(
    st.fixed_dictionaries({}, optional={
        "throttle_rate": rate, "unavailable_rate": rate, "drop_rate": rate, "cut_body_rate": rate,
        "retry_after_s": st.one_of(st.integers(-5, 10**6), json_leaf), "retry_after_http_date": json_leaf,
        "latency_ms": st.one_of(st.floats(-10, 10**6), json_leaf),
        "replication_lag_ms": st.one_of(st.floats(allow_nan=True, allow_infinity=True), json_leaf),
        "token_lifetime_s": st.one_of(st.integers(-10**6, 10**6), json_leaf),
        "seed": json_value, "bogus": json_value}),
    json_value)


@ADMIN_SETTINGS
@given(doc=fault_docs)
def test_generated_fault_settings_are_applied_whole_or_refused_whole(own, doc):
    own.faults({"retry_after_s": 3})
    r = admin(own, "PUT", "faults", json.dumps(doc, allow_nan=True).encode())
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert own.faults() == {"retry_after_s": 3}
    else:
        assert set(own.faults()) <= set(doc) | {"retry_after_http_date"}
    own.faults({})  # what was accepted must also be undone, and then Graph serves
    signs_in_and_serves(own)


def test_the_generated_documents_include_refusals_and_acceptances(own):
    """The strategies above reach both outcomes (else the properties would hold vacuously)."""
    outcomes = set()
    for doc in ({"users": [{"displayName": "ok"}]}, {"users": [{"displayName": 5}]}):
        outcomes.add(admin(own, "POST", "seed", doc).status_code)
    assert outcomes == {200, 400}


# --- generated queries: Graph's answer or Graph's 400, never a dropped connection ---------------------
props = st.sampled_from(["id", "displayName", "accountEnabled", "securityEnabled", "groupTypes", "deviceId", "mail",
                         "jobTitle", "c", "x/any"])
literal = st.one_of(st.sampled_from(["'Al'", "true", "false", "null", "1", "'Unified'", "('a','b')"]),
                    st.text(max_size=6).map(lambda t: "'" + t.replace("'", "''") + "'"))
clause = st.one_of(
    st.builds(lambda p, op, v: f"{p} {op} {v}", props, st.sampled_from(["eq", "ne", "in", "gt", "startsWith"]), literal),
    st.builds(lambda p, v: f"startsWith({p},{v})", props, literal),
    st.builds(lambda p, v: f"{p}/any(c:c eq {v})", props, literal),
    st.text(max_size=15))
filters = st.recursive(clause, lambda inner: st.builds(lambda a, j, b: f"{a} {j} {b}", inner,
                                                       st.sampled_from(["and", "or", "AND"]), inner)
                       | inner.map(lambda c: f"not ({c})"), max_leaves=4)


@ADMIN_SETTINGS
@given(text=filters, target=st.sampled_from(["users", "groups", "devices", f"groups/{SEC}/members",
                                             f"groups/{SEC}/transitiveMembers"]),
       advanced=st.booleans(), orderby=st.sampled_from([None, "displayName", "displayName desc", "nope"]))
def test_generated_queries_are_answered_or_refused_as_graph_does(emu, text, target, advanced, orderby):
    g = Graph(emu)
    params = {"$filter": text, **({"$count": "true"} if advanced else {}), **({"$orderby": orderby} if orderby else {})}
    r = g.session.get(g.url(target), params=params, verify=emu.ca_bundle, timeout=30,
                      headers={"Authorization": f"Bearer {g.token}",
                               **({"ConsistencyLevel": "eventual"} if advanced else {})})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert r.json()["error"]["code"] in ("BadRequest", "Request_BadRequest", "Request_UnsupportedQuery")
    else:
        assert isinstance(r.json()["value"], list)
