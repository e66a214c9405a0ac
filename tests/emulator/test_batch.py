"""JSON batching (docs/graph-behaviour.md §4.3)."""

from __future__ import annotations

from .conftest import BOB, CAROL, DEVICE, DYNAMIC, MISSING, SEC, Graph, error_of, READ_ONLY_APP, READ_ONLY_SECRET


def _add(i, member, group=SEC):
    return {"id": str(i), "method": "POST", "url": f"/groups/{group}/members/$ref",
            "headers": {"Content-Type": "application/json"},
            "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{member}"}}


def test_batch_runs_items_and_correlates_by_id(graph, emu):
    """§4.3: 200 with per-item results; responses correlated by id, deliberately not in request order."""
    items = [_add(1, BOB), _add(2, CAROL), _add(3, MISSING), _add(4, BOB)]
    r = graph.post("$batch", {"requests": items})
    assert r.status_code == 200
    responses = r.json()["responses"]
    assert [x["id"] for x in responses] != ["1", "2", "3", "4"]
    by_id = {x["id"]: x for x in responses}
    assert by_id["1"]["status"] == 204 and by_id["2"]["status"] == 204
    assert by_id["3"]["status"] == 404 and by_id["3"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert by_id["4"]["status"] == 400  # already a member by then: items are not atomic together
    assert emu.requests()[-1]["batch_items"] == 4


def test_batch_over_20_requests_is_400(graph):
    """§4.3: at most 20 requests."""
    r = graph.post("$batch", {"requests": [_add(i, BOB) for i in range(21)]})
    assert error_of(r)[:2] == (400, "BadRequest")


def test_batch_duplicate_ids_is_400(graph):
    """§4.3: a duplicate id (case-insensitive) fails the whole batch."""
    items = [_add("a", BOB), _add("A", CAROL)]
    assert graph.post("$batch", {"requests": items}).status_code == 400


def test_batch_body_without_content_type_is_400(graph):
    """§4.3: headers with Content-Type are required when a body is present."""
    item = _add(1, BOB)
    del item["headers"]
    assert graph.post("$batch", {"requests": [item]}).status_code == 400


def test_batch_depends_on_failure_gives_424(graph):
    """§4.3: a request depending on a failed one fails with 424; sequencing follows dependsOn."""
    items = [_add(1, MISSING), {**_add(2, BOB), "dependsOn": ["1"]}, {**_add(3, CAROL), "dependsOn": ["2"]}]
    by_id = {x["id"]: x["status"] for x in graph.post("$batch", {"requests": items}).json()["responses"]}
    assert by_id == {"1": 404, "2": 424, "3": 424}


def test_batch_get_items_and_relative_urls(graph):
    """§4.3: url is relative (with or without a leading slash); GET items return bodies."""
    graph.add_member(SEC, DEVICE)
    items = [{"id": "1", "method": "GET", "url": f"groups/{SEC}/members?$select=id"},
             {"id": "2", "method": "GET", "url": f"/groups/{SEC}"}]
    by_id = {x["id"]: x for x in graph.post("$batch", {"requests": items}).json()["responses"]}
    assert by_id["1"]["status"] == 200 and by_id["1"]["body"]["value"][0]["id"] == DEVICE
    assert by_id["2"]["body"]["id"] == SEC


def test_batch_items_checked_against_outer_token_permissions(emu):
    """§4.3: each item is evaluated with the outer token: a read-only app's writes get 403 per item."""
    g = Graph(emu, READ_ONLY_APP, READ_ONLY_SECRET)
    items = [_add(1, BOB), {"id": "2", "method": "GET", "url": f"/groups/{SEC}/members"}]
    by_id = {x["id"]: x for x in g.post("$batch", {"requests": items}).json()["responses"]}
    assert by_id["1"]["status"] == 403 and by_id["1"]["body"]["error"]["code"] == "Authorization_RequestDenied"
    assert by_id["2"]["status"] == 200


def test_batch_item_errors_use_the_graph_envelope(graph):
    """§4.3: inner error bodies have the {"error": {...}} envelope."""
    items = [_add(1, BOB, group=DYNAMIC)]
    item = graph.post("$batch", {"requests": items}).json()["responses"][0]
    assert item["status"] == 403
    assert set(item["body"]["error"]) == {"code", "message", "innerError"}


def test_batch_items_are_throttled_individually_with_retry_after(graph, emu):
    """§4.3: a throttled item is 429 with its own Retry-After header; the batch itself is 200."""
    emu.faults({"throttle_rate": 1.0, "retry_after_s": 3, "seed": 1})
    r = graph.post("$batch", {"requests": [_add(1, BOB), _add(2, CAROL)]})
    assert r.status_code == 200
    for item in r.json()["responses"]:
        assert item["status"] == 429 and item["headers"]["Retry-After"] == "3"
    emu.faults({})
    assert next(g for g in emu.directory()["groups"] if g["id"] == SEC)["members"] == []
