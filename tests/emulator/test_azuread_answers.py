"""Answers to calls terraform-provider-azuread makes that the membership provider does not: a
user's manager, the resource options a group create carries, and groups filtered by kind
(docs/graph-behaviour.md §1.6, §5, §8)."""

from __future__ import annotations

from .conftest import ALICE, M365, MISSING, SEC, error_of

NO_MANAGER = "Resource 'manager' does not exist or one of its queried reference-property objects are not present."


def test_a_user_without_a_manager_answers_404_naming_manager(graph):
    for version in ("v1.0", "beta"):
        assert error_of(graph.get(f"users/{ALICE}/manager", version=version)) == (
            404, "Request_ResourceNotFound", NO_MANAGER)
        assert error_of(graph.get(f"users/alice@contoso.test/manager", version=version)) == (
            404, "Request_ResourceNotFound", NO_MANAGER)


def test_the_manager_of_an_unknown_user_is_the_users_404(graph):
    status, code, message = error_of(graph.get(f"users/{MISSING}/manager"))
    assert (status, code) == (404, "Request_ResourceNotFound") and MISSING in message


def _group(**extra) -> dict:
    return {"displayName": "Created", "mailNickname": "created", "mailEnabled": False, "securityEnabled": True,
            "groupTypes": [], **extra}


def test_a_group_create_takes_the_resource_options(graph):
    r = graph.post("groups", _group(resourceBehaviorOptions=["WelcomeEmailDisabled"],
                                    resourceProvisioningOptions=[]))
    assert r.status_code == 201, r.text
    body = graph.get(f"groups/{r.json()['id']}").json()
    assert (body["resourceBehaviorOptions"], body["resourceProvisioningOptions"]) == (["WelcomeEmailDisabled"], [])


def test_resource_options_are_read_only_after_creation_and_must_be_strings(graph):
    assert error_of(graph.patch(f"groups/{SEC}", {"resourceBehaviorOptions": []})) == (
        400, "Request_BadRequest", "Property 'resourceBehaviorOptions' is read-only and cannot be set.")
    assert graph.post("groups", _group(resourceBehaviorOptions="WelcomeEmailDisabled")).status_code == 400
    assert graph.post("groups", _group(resourceProvisioningOptions=[1])).status_code == 400


def test_groups_filter_on_security_enabled_and_mail_enabled(graph):
    """azuread's group data source by name: `displayName eq '...' and securityEnabled eq true`."""
    r = graph.get("groups", params={"$filter": "displayName eq 'Devs' and securityEnabled eq true"})
    assert r.status_code == 200, r.text
    assert [g["id"] for g in r.json()["value"]] == [SEC]
    r = graph.get("groups", params={"$filter": "displayName eq 'Team' and mailEnabled eq true"})
    assert [g["id"] for g in r.json()["value"]] == [M365]
    assert graph.get("groups", params={"$filter": "displayName eq 'Devs' and securityEnabled eq false"}).json()[
        "value"] == []


def test_a_group_created_in_a_unit_names_its_type(graph):
    """Microsoft's Go SDK (go-azure-sdk, used by terraform-provider-azuread) picks the model of a
    directory object by its `@odata.type`; without it azuread says "returned model was not a group"."""
    from .conftest import AU

    r = graph.post(f"directory/administrativeUnits/{AU}/members",
                   {"@odata.type": "#microsoft.graph.group", **_group(), "mailNickname": "inunit"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["@odata.type"] == "#microsoft.graph.group" and body["displayName"] == "Created"
    assert list(body)[:3] == ["@odata.context", "@odata.type", "id"]
