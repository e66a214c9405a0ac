"""A person signed in: the password and refresh grants, delegated tokens, role assignments, and
each write judged on the user's role, ownership or unit-scoped role (emulator/roles.py)."""

from __future__ import annotations

import jwt
import pytest

from .conftest import ALICE, AU, BOB, CAROL, EMPTY, FULL_APP, M365, RESTRICTED_AU, ROLE_GROUP, SEC, Graph, error_of, gid

AZ = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
PRA = "e8611ab8-c189-46e8-94e1-60213ab1f814"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
DAVE, ERIN, FRANK, GINA = gid(5), gid(6), gid(7), gid(8)
IN_UNIT, IN_VAULT = gid(30), gid(31)
PASSWORD = "P@ss-word-1"

PEOPLE = {
    "users": [{"id": u, "displayName": n, "userPrincipalName": f"{n.lower()}@contoso.test", "password": PASSWORD}
              for u, n in ((DAVE, "Dave"), (ERIN, "Erin"), (FRANK, "Frank"), (GINA, "Gina"))]
    + [{"id": ALICE, "displayName": "Alice", "userPrincipalName": "alice@contoso.test", "password": PASSWORD}],
    "groups": [{"id": IN_UNIT, "displayName": "Paris devs", "mailNickname": "parisdevs", "securityEnabled": True},
               {"id": IN_VAULT, "displayName": "Vault devs", "mailNickname": "vaultdevs", "securityEnabled": True}],
    "administrativeUnits": [{"id": AU, "displayName": "Paris", "members": [IN_UNIT]},
                            {"id": RESTRICTED_AU, "displayName": "Vault", "isMemberManagementRestricted": True,
                             "members": [IN_VAULT]}],
    "roleAssignments": [
        {"principalId": DAVE, "roleDefinitionId": GROUPS_ADMIN, "directoryScopeId": "/"},
        {"principalId": ERIN, "roleDefinitionId": GROUPS_ADMIN, "directoryScopeId": f"/administrativeUnits/{AU}"},
        {"principalId": FRANK, "roleDefinitionId": PRA, "directoryScopeId": "/"},
        {"principalId": GINA, "roleDefinitionId": GROUPS_ADMIN,
         "directoryScopeId": f"/administrativeUnits/{RESTRICTED_AU}"},
    ],
}


class Person(Graph):
    def __init__(self, emu, upn: str, password: str = PASSWORD):
        super().__init__(emu, AZ, "")
        self.upn, self.password = upn, password

    def get_token(self, scope: str = "https://graph.microsoft.com/.default offline_access openid profile", **form):
        data = {"client_id": AZ, "grant_type": "password", "username": self.upn, "password": self.password,
                "scope": scope, "client_info": "1", **form}
        return self.session.post(self.token_url, data=data, verify=self.emu.ca_bundle, timeout=30)


@pytest.fixture
def people(emu):
    emu.seed(PEOPLE)
    return lambda name: Person(emu, f"{name}@contoso.test")


def test_password_grant_issues_a_delegated_token_and_refreshes_it(people):
    dave = people("dave")
    answer = dave.get_token().json()
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert (claims["idtyp"], claims["oid"], claims["upn"], claims["wids"]) == \
        ("user", DAVE, "dave@contoso.test", [GROUPS_ADMIN])
    assert "Directory.AccessAsUser.All" in claims["scp"].split() and "roles" not in claims
    assert jwt.decode(answer["id_token"], options={"verify_signature": False})["preferred_username"] == \
        "dave@contoso.test"
    again = dave.session.post(dave.token_url, data={"client_id": AZ, "grant_type": "refresh_token",
                                                    "refresh_token": answer["refresh_token"],
                                                    "scope": "https://graph.microsoft.com/.default"},
                              verify=dave.emu.ca_bundle, timeout=30)
    assert again.status_code == 200, again.text
    assert jwt.decode(again.json()["access_token"], options={"verify_signature": False})["oid"] == DAVE


def test_wrong_password_unknown_user_and_confidential_client_are_refused(people, emu):
    assert people("dave").get_token(password="nope").json()["error_codes"] == [50126]
    assert Person(emu, "nobody@contoso.test").get_token().json()["error_codes"] == [50034]
    assert people("dave").get_token(client_id=FULL_APP).json()["error_codes"] == [700016]


def test_password_is_never_shown_and_role_assignments_are_listed(people, graph):
    assert "password" not in graph.get(f"users/{DAVE}").json()
    r = graph.get(f"roleManagement/directory/roleAssignments?$filter=principalId eq '{ERIN}'")
    assert r.status_code == 200, r.text
    assert [(a["roleDefinitionId"], a["directoryScopeId"]) for a in r.json()["value"]] == \
        [(GROUPS_ADMIN, f"/administrativeUnits/{AU}")]
    assert graph.get(f"administrativeUnits/{RESTRICTED_AU}", version="beta").json()["isMemberManagementRestricted"]


@pytest.mark.parametrize("person,group,status", [
    ("alice", SEC, 204),        # owner of Devs
    ("alice", EMPTY, 403),      # no role, not an owner
    ("dave", EMPTY, 204),       # tenant Groups Administrator
    ("erin", IN_UNIT, 204),     # Groups Administrator of the unit that holds the group
    ("erin", EMPTY, 403),       # ... pointing at a group outside the unit
    ("dave", IN_VAULT, 403),    # tenant-wide roles do not reach into a restricted unit
    ("gina", IN_VAULT, 204),    # an administrator scoped to the restricted unit does
    ("dave", ROLE_GROUP, 403),  # role-assignable: Privileged Role Administrator and the role-management scope
])
def test_group_member_writes_are_judged_on_the_persons_roles(people, person, group, status):
    who = people(person)
    r = who.add_member(group, BOB)
    assert r.status_code == status, r.text
    if status == 403:
        assert error_of(r)[1] == "Authorization_RequestDenied"
    else:
        assert who.remove_member(group, BOB).status_code == 204


def test_m365_groups_take_the_service_admins(people, emu):
    emu.seed({"roleAssignments": [{"principalId": ERIN, "roleDefinitionId": EXCHANGE_ADMIN}]})
    erin = people("erin")
    assert erin.add_member(M365, CAROL).status_code == 204
    assert erin.add_member(EMPTY, CAROL).status_code == 403  # a security group: not the Exchange admin's


def test_unit_members_need_a_privileged_role_administrator_and_apps_stay_out_of_restricted_units(people, graph):
    path = f"directory/administrativeUnits/{AU}/members/$ref"
    assert people("dave").post(path, people("dave").ref(CAROL)).status_code == 403
    assert people("frank").post(path, people("frank").ref(CAROL)).status_code == 204
    r = graph.add_member(IN_VAULT, BOB)  # an app with GroupMember.ReadWrite.All
    assert error_of(r)[:2] == (403, "Authorization_RequestDenied")


def test_a_group_created_in_a_unit_needs_an_admin_at_its_scope(people):
    body = {"@odata.type": "#microsoft.graph.group", "displayName": "New", "mailNickname": "new",
            "securityEnabled": True, "mailEnabled": False}
    assert people("erin").post(f"directory/administrativeUnits/{AU}/members", body).status_code == 201
    assert people("alice").post(f"directory/administrativeUnits/{AU}/members", body).status_code == 403


@pytest.mark.parametrize("assignment, named", [
    ({"principalId": gid(998), "roleDefinitionId": GROUPS_ADMIN}, "principalId"),
    ({"principalId": DAVE, "roleDefinitionId": GROUPS_ADMIN, "directoryScopeId": f"/administrativeUnits/{gid(997)}"},
     "directoryScopeId"),
    ({"principalId": DAVE, "roleDefinitionId": GROUPS_ADMIN, "directoryScopeId": "/groups"}, "directoryScopeId"),
])
def test_a_role_assignment_to_nothing_is_refused_whole(people, emu, assignment, named):
    from .test_admin_validation import admin

    r = admin(emu, "POST", "seed", {"roleAssignments": [assignment]})
    assert r.status_code == 400 and named in r.text, r.text
    assert Graph(emu).get(f"roleManagement/directory/roleAssignments?$filter=principalId eq '{DAVE}'").json()[
        "value"][0]["directoryScopeId"] == "/"
