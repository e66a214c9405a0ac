"""Role assignments through the role-management API (emulator/role_assignments.py): created,
listed by scope, deleted; only the roles a unit's scope takes, only principals that can hold a
role; and the person so assigned may then change the unit's groups, and only those."""

from __future__ import annotations

import pytest

from .conftest import AU, BOB, DEVICE, EMPTY, MEMBER_ONLY_APP, MEMBER_ONLY_SECRET, ROLE_GROUP, SEC, SP, Graph, \
    error_of, gid
from .test_delegated import DAVE, ERIN, FRANK, GROUPS_ADMIN, IN_UNIT, PRA, people  # noqa: F401 (fixture)

PATH = "roleManagement/directory/roleAssignments"
SCOPE = f"/administrativeUnits/{AU}"
DIRECTORY_WRITERS = "9360feb5-f418-4baa-8175-e2a00bac4301"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"


def assign(graph, principal: str, role: str = GROUPS_ADMIN, scope: str = SCOPE):
    return graph.post(PATH, {"@odata.type": "#microsoft.graph.unifiedRoleAssignment", "principalId": principal,
                             "roleDefinitionId": role, "directoryScopeId": scope})


def at_unit(graph) -> list[tuple[str, str]]:
    r = graph.get(f"{PATH}?$filter=directoryScopeId eq '{SCOPE}'")
    assert r.status_code == 200, r.text
    return sorted((a["principalId"], a["roleDefinitionId"]) for a in r.json()["value"])


def test_an_assignment_at_a_units_scope_lets_the_person_manage_that_units_groups_only(people, graph):
    dave = people("dave")
    assert dave.add_member(IN_UNIT, BOB).status_code == 204  # tenant-wide Groups Administrator (seeded)
    frank = people("frank")  # holds no group role
    assert frank.add_member(IN_UNIT, BOB).status_code == 403
    r = assign(graph, FRANK)
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["@odata.type"], created["principalId"], created["directoryScopeId"]) == \
        ("#microsoft.graph.unifiedRoleAssignment", FRANK, SCOPE)
    assert r.headers["Location"].endswith(f"{PATH}/{created['id']}")
    assert (FRANK, GROUPS_ADMIN) in at_unit(graph)
    assert {"id": created["id"], "principalId": FRANK, "roleDefinitionId": GROUPS_ADMIN,
            "directoryScopeId": SCOPE} in graph.emu.directory()["roleAssignments"]  # the admin API's ground truth
    assert graph.get(f"{PATH}/{created['id']}").json()["roleDefinitionId"] == GROUPS_ADMIN
    assert frank.remove_member(IN_UNIT, BOB).status_code == 204   # in the unit: yes
    assert frank.add_member(EMPTY, BOB).status_code == 403       # outside it: no
    assert graph.delete(f"{PATH}/{created['id']}").status_code == 204
    assert frank.add_member(IN_UNIT, BOB).status_code == 403
    assert (FRANK, GROUPS_ADMIN) not in at_unit(graph)
    assert error_of(graph.delete(f"{PATH}/{created['id']}"))[:2] == (404, "Request_ResourceNotFound")


def test_filters_combine_and_unknown_properties_are_refused(people, graph):
    assert assign(graph, DAVE, HELPDESK_ADMIN).status_code == 201
    r = graph.get(f"{PATH}?$filter=directoryScopeId eq '{SCOPE}' and roleDefinitionId eq '{HELPDESK_ADMIN}'")
    assert [a["principalId"] for a in r.json()["value"]] == [DAVE]
    assert graph.get(f"{PATH}?$filter=displayName eq 'x'").status_code == 400


@pytest.mark.parametrize("role", [DIRECTORY_WRITERS, PRA])
def test_only_the_roles_microsoft_allows_at_a_unit_scope_are_taken(people, graph, role):
    r = assign(graph, DAVE, role)
    assert error_of(r)[:2] == (400, "Request_BadRequest") and "administrative unit scope" in error_of(r)[2]
    assert assign(graph, DAVE, role, "/").status_code == 201  # tenant-wide, the same role is fine


@pytest.mark.parametrize("principal,taken", [(DEVICE, False), (SEC, False), (ROLE_GROUP, True), (SP, True)])
def test_principals_are_users_role_assignable_groups_and_service_principals(graph, principal, taken):
    r = assign(graph, principal)
    assert (r.status_code == 201) is taken, r.text
    if not taken:
        assert error_of(r)[:2] == (400, "Request_BadRequest")


def test_a_second_identical_assignment_conflicts_and_missing_things_are_named(graph):
    assert assign(graph, BOB).status_code == 201
    code, _, message = error_of(assign(graph, BOB))
    assert code == 400 and message.startswith("A conflicting object")
    assert assign(graph, gid(990)).status_code == 404
    assert assign(graph, BOB, scope=f"/administrativeUnits/{gid(991)}").status_code == 404
    assert assign(graph, BOB, scope="/groups").status_code == 400
    assert at_unit(graph) == [(BOB, GROUPS_ADMIN)]


def test_writes_need_role_management_and_a_person_privileged_role_administrator(people, emu, graph):
    app = Graph(emu, MEMBER_ONLY_APP, MEMBER_ONLY_SECRET)
    assert error_of(assign(app, BOB))[:2] == (403, "Authorization_RequestDenied")
    # The Azure CLI's token carries no RoleManagement.ReadWrite.Directory (Directory.AccessAsUser.All
    # does not stand in for it): even a Privileged Role Administrator is refused through it.
    assert assign(people("frank"), BOB).status_code == 403
    assert assign(people("erin"), BOB).status_code == 403
    created = assign(graph, BOB).json()["id"]
    assert app.delete(f"{PATH}/{created}").status_code == 403
    assert at_unit(graph) == sorted([(BOB, GROUPS_ADMIN), (ERIN, GROUPS_ADMIN)])  # Erin's is seeded
