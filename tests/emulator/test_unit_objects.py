"""Administrative units as objects, as azuread_administrative_unit manages them: create (201 with
the unit), update (204), delete (204), with the AdministrativeUnit.ReadWrite.All permission their
Microsoft Learn pages list and the group-style 400s for bad bodies."""

from __future__ import annotations

from .conftest import ALICE, AU, MEMBER_ONLY_APP, MEMBER_ONLY_SECRET, Graph, error_of

UNITS = "directory/administrativeUnits"


def test_create_unit_returns_201_with_the_unit(graph, emu):
    r = graph.post(UNITS, {"displayName": "Seattle", "description": "Schools", "visibility": "HiddenMembership"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["@odata.context"].endswith("/$metadata#directory/administrativeUnits/$entity")
    assert (body["displayName"], body["description"], body["visibility"]) == ("Seattle", "Schools", "HiddenMembership")
    assert body["deletedDateTime"] is None and body["isMemberManagementRestricted"] is False
    assert r.headers["Location"].endswith(f"/{UNITS}/{body['id']}")
    assert body["id"] in {u["id"] for u in emu.directory()["administrativeUnits"]}
    assert graph.get(f"{UNITS}?$filter=displayName eq 'Seattle'").json()["value"][0]["id"] == body["id"]


def test_create_unit_needs_a_display_name(graph):
    r = graph.post(UNITS, {"description": "no name"})
    assert error_of(r) == (400, "Request_BadRequest",
                           "Invalid value specified for property 'displayName' of resource 'AdministrativeUnit'.")


def test_create_unit_with_unknown_property(graph):
    r = graph.post(UNITS, {"displayName": "X", "colour": "red"})
    assert error_of(r) == (400, "BadRequest", "The property 'colour' does not exist on type "
                           "'microsoft.graph.administrativeUnit'. Make sure to only use property names that are "
                           "defined by the type.")


def test_update_unit_returns_204_and_changes_only_what_it_names(graph):
    assert graph.patch(f"{UNITS}/{AU}", {"description": "Paris office"}).status_code == 204
    unit = graph.get(f"{UNITS}/{AU}").json()
    assert (unit["displayName"], unit["description"]) == ("Paris", "Paris office")
    r = graph.patch(f"{UNITS}/{AU}", {"isMemberManagementRestricted": True})
    assert error_of(r) == (400, "Request_BadRequest",
                           "Property 'isMemberManagementRestricted' is read-only and cannot be set.")


def test_delete_unit_returns_204_then_404(graph):
    assert graph.post(f"{UNITS}/{AU}/members/$ref", graph.ref(ALICE, "users")).status_code == 204
    assert graph.delete(f"{UNITS}/{AU}").status_code == 204
    r = graph.get(f"{UNITS}/{AU}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "Request_ResourceNotFound"
    assert graph.get(f"users/{ALICE}/memberOf").json()["value"] == []


def test_unit_writes_need_administrative_unit_read_write(emu):
    weak = Graph(emu, MEMBER_ONLY_APP, MEMBER_ONLY_SECRET)
    for r in (weak.post(UNITS, {"displayName": "X"}), weak.patch(f"{UNITS}/{AU}", {"description": "d"}),
              weak.delete(f"{UNITS}/{AU}")):
        assert error_of(r)[:2] == (403, "Authorization_RequestDenied")
