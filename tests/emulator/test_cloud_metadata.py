"""The custom-cloud metadata endpoint (emulator/cloudmeta.py) and signing in through it, the way a
client configured with ``metadata_host`` does: read the metadata, ask the login endpoint for a token
for ``{microsoftGraphResourceId}.default``, call Graph at ``microsoftGraphResourceId``."""

from __future__ import annotations

from urllib.parse import urlsplit

from .conftest import FULL_APP, FULL_SECRET, SEC, TENANT, Graph


def _metadata(graph: Graph, query: str = "?api-version=2022-09-01"):
    return graph.session.get(f"{graph.emu.graph_url}/metadata/endpoints{query}", verify=graph.emu.ca_bundle,
                             timeout=30)


def test_metadata_2022_09_01_is_one_cloud_pointing_at_the_emulator(graph, emu):
    r = _metadata(graph)
    assert [(e["kind"], e["status"]) for e in emu.requests()] == [("metadata", 200)]
    assert r.status_code == 200, r.text
    doc = r.json()
    host = urlsplit(graph.emu.graph_url).netloc
    assert doc["name"] and doc["resourceManager"]
    assert doc["authentication"]["loginEndpoint"] == f"https://{host}"
    assert doc["microsoftGraphResourceId"] == f"https://{host}/"


def test_metadata_2019_05_01_is_an_array(graph):
    r = _metadata(graph, "?api-version=2019-05-01")
    assert r.status_code == 200 and isinstance(r.json(), list) and r.json()[0]["microsoftGraphResourceId"]


def test_metadata_without_or_with_unknown_api_version_is_arm_400(graph):
    r = _metadata(graph, "")
    assert r.status_code == 400 and r.json()["error"] == {
        "code": "MissingApiVersionParameter",
        "message": "The api-version query parameter (?api-version=) is required for all requests."}
    r = _metadata(graph, "?api-version=1999-01-01")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert "'1999-01-01'" in r.json()["error"]["message"]


def test_sign_in_and_call_graph_through_the_metadata(graph, emu):
    doc = _metadata(graph).json()
    login, resource = doc["authentication"]["loginEndpoint"], doc["microsoftGraphResourceId"]
    r = graph.session.post(f"{login}/{TENANT}/oauth2/v2.0/token", verify=emu.ca_bundle, timeout=30, data={
        "client_id": FULL_APP, "client_secret": FULL_SECRET, "grant_type": "client_credentials",
        "scope": f"{resource}.default"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    g = graph.session.get(f"{resource}v1.0/groups/{SEC}", headers={"Authorization": f"Bearer {token}"},
                          verify=emu.ca_bundle, timeout=30)
    assert g.status_code == 200 and g.json()["id"] == SEC


def test_a_token_for_another_origin_is_refused(graph, emu):
    """The emulator's origin is a Graph audience only for requests sent to that origin."""
    r = graph.get_token(scope="https://graph.example.test/.default")
    token = r.json()["access_token"]
    g = graph.get(f"groups/{SEC}", token=token)
    assert g.status_code == 401 and g.json()["error"]["message"] == "Access token validation failure. Invalid audience."


def _arm(graph: Graph, path: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return graph.session.get(f"{graph.emu.graph_url}{path}", headers=headers, verify=graph.emu.ca_bundle, timeout=30)


def test_resource_manager_lists_the_home_tenant_and_no_subscription(graph, emu):
    token = graph.get_token(scope="https://management.core.windows.net//.default").json()["access_token"]
    tenants = _arm(graph, "/tenants?api-version=2022-12-01", token)
    assert tenants.status_code == 200, tenants.text
    assert [(t["tenantId"], t["id"], t["tenantCategory"]) for t in tenants.json()["value"]] == \
        [(TENANT, f"/tenants/{TENANT}", "Home")]
    subs = _arm(graph, "/subscriptions?api-version=2022-12-01", token)
    assert (subs.status_code, subs.json()) == (200, {"value": []})
    one = _arm(graph, f"/subscriptions/{TENANT}?api-version=2022-12-01", token)
    assert (one.status_code, one.json()["error"]["code"]) == (404, "SubscriptionNotFound")
    assert {e["kind"] for e in emu.requests() if "subscriptions" in e["path"]} == {"arm"}


def test_resource_manager_refuses_as_arm_does(graph):
    assert _arm(graph, "/subscriptions", None).json()["error"]["code"] == "MissingApiVersionParameter"
    missing = _arm(graph, "/subscriptions?api-version=2022-12-01", None)
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "AuthenticationFailed")
    graph_token = graph.token  # a Graph token is not for the resource manager
    wrong = _arm(graph, "/subscriptions?api-version=2022-12-01", graph_token)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "InvalidAuthenticationTokenAudience")
    bad = _arm(graph, "/tenants?api-version=2022-12-01", "not-a-token")
    assert (bad.status_code, bad.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")
