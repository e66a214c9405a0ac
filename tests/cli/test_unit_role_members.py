"""AdministrativeUnitRoleMembers through the real `pulumi` (inline programs) against the emulator:
the role check at preview, up, refresh with drift, destroy; and end to end, the delegation itself:
a person made Groups Administrator of a unit by the resource then changes the members of a group
in that unit signed in as themselves (the real Azure CLI, AzureCliCredential), and of no other.
"""
from __future__ import annotations

import pytest

from harness.azcli import az_binary
from harness.cli import CliStack, StackError
from harness.outside import OutsideGraph
from lifecycle.conftest import graph_writes
from lifecycle.test_personas import PASSWORD, persona_stack

pytestmark = pytest.mark.cli

ERIN, BOB, GRACE, HUGO = (f"00000000-0000-4000-8000-0000000003{n:02d}" for n in range(1, 5))
IN_UNIT, OUTSIDE = "00000000-0000-4000-8000-000000000311", "00000000-0000-4000-8000-000000000312"
PARIS = "00000000-0000-4000-8000-000000000321"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
SEED = {
    "users": [{"id": i, "displayName": n, "userPrincipalName": f"{n.lower()}@contoso.test", "password": PASSWORD}
              for i, n in ((ERIN, "Erin"), (BOB, "Bob"), (GRACE, "Grace"), (HUGO, "Hugo"))],
    "groups": [{"id": IN_UNIT, "displayName": "Paris devs", "mailNickname": "parisdevs", "securityEnabled": True},
               {"id": OUTSIDE, "displayName": "Lyon devs", "mailNickname": "lyondevs", "securityEnabled": True}],
    "administrativeUnits": [{"id": PARIS, "displayName": "Paris", "members": [IN_UNIT]}],
}
# Seeded by the test that uses them: an emulator started with apps signs its default app in as the first.
APPS = [{"client_id": "aaaaaaaa-0000-4000-8000-0000000003a1", "client_secret": "least-secret",
         "roles": ["RoleManagement.ReadWrite.Directory", "AdministrativeUnit.Read.All"]},
        {"client_id": "aaaaaaaa-0000-4000-8000-0000000003a2", "client_secret": "no-role-management",
         "roles": ["Directory.ReadWrite.All", "AdministrativeUnit.ReadWrite.All"]}]


@pytest.fixture(scope="module")
def emu():
    from msgraph_membership.emulator.process import start_emulator

    with start_emulator(seed=SEED) as e:
        yield e


@pytest.fixture
def fresh(emu):
    emu.reset()
    emu.seed(SEED)
    emu.clear_requests()
    return emu


def holders(emu) -> set[str]:
    r = OutsideGraph(emu).call("GET", f"/roleManagement/directory/roleAssignments?$filter=directoryScopeId eq "
                                      f"'/administrativeUnits/{PARIS}'")
    return {a["principalId"] for a in r.json()["value"] if a["roleDefinitionId"] == GROUPS_ADMIN}


def unit_admins(spec: dict):
    def program():
        from msgraph_membership import AdministrativeUnitRoleMembers

        if spec.get("declared", True):
            AdministrativeUnitRoleMembers("paris-admins", administrative_unit_id="unit:Paris", role=spec["role"],
                                          member_ids=spec["members"], authoritative=True)
    return program


def test_role_check_at_preview_then_up_refresh_with_drift_and_destroy(fresh, tmp_path):
    spec = {"role": "Global Administrator", "members": ["erin@contoso.test", BOB]}
    stack = CliStack.inline(fresh, "unit-roles", unit_admins(spec), tmp_path)
    with pytest.raises(StackError) as refused:
        stack.preview()
    text = "\n".join([refused.value.summary.stderr, *refused.value.summary.diagnostics])
    assert "not a role Microsoft allows at an administrative unit's scope" in text, text[-3000:]
    assert "Groups Administrator" in text and "Helpdesk Administrator" in text
    assert graph_writes(fresh) == [] and holders(fresh) == set()

    spec["role"] = "Groups Administrator"
    assert stack.up().ops() == {"paris-admins": "create"}
    assert holders(fresh) == {ERIN, BOB}
    assert stack.preview().changes == 0

    # Assigned by hand: authoritative, so the refresh shows drift, and the next up takes it away.
    OutsideGraph(fresh).call("POST", "/roleManagement/directory/roleAssignments",
                             {"principalId": GRACE, "roleDefinitionId": GROUPS_ADMIN,
                              "directoryScopeId": f"/administrativeUnits/{PARIS}"})
    refreshed = stack.refresh()
    assert refreshed.ops() == {"paris-admins": "update"}  # drift: the stranger, not made its own
    assert refreshed.step("paris-admins").new.get("outside_members_to_remove") == {GRACE: "roleAssignment"}
    assert sorted(refreshed.step("paris-admins").new["member_ids"]) == sorted([ERIN, BOB])
    assert stack.preview().ops() == {"paris-admins": "update"}
    assert stack.up().ops() == {"paris-admins": "update"}
    assert holders(fresh) == {ERIN, BOB}

    assert stack.destroy().ops() == {"paris-admins": "delete"}
    assert holders(fresh) == set()


def test_a_unit_admin_declared_here_manages_that_units_groups_as_themselves(fresh, tmp_path, monkeypatch):
    az_binary()  # skips, saying why, where the Azure CLI is absent (outside CI)
    for name in ("ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "AZURE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    spec = {"role": "Groups Administrator", "members": ["erin@contoso.test"]}
    admins = persona_stack(fresh, "app", unit_admins(spec), tmp_path / "admins")  # the platform team's app

    def member_of(group_id: str):
        def program():
            from msgraph_membership import GroupMember

            GroupMember("m", group_id=group_id, member_id="hugo@contoso.test")
        return program

    # A person cannot make the delegation through the Azure CLI: its token lacks the role-management scope.
    by_hand = persona_stack(fresh, "erin", unit_admins(spec), tmp_path / "by-hand")
    with pytest.raises(StackError) as no_scope:
        by_hand.preview()
    assert "lack RoleManagement.ReadWrite.Directory" in "\n".join(
        [no_scope.value.summary.stderr, *no_scope.value.summary.diagnostics])

    # Before the delegation, Erin may not touch the unit's group: the preview says so.
    erin = persona_stack(fresh, "erin", member_of(IN_UNIT), tmp_path / "erin")
    with pytest.raises(StackError) as before:
        erin.preview()
    assert "erin@contoso.test (signed in) cannot change the members of" in "\n".join(
        [before.value.summary.stderr, *before.value.summary.diagnostics])

    assert admins.up().ops() == {"paris-admins": "create"} and holders(fresh) == {ERIN}
    assert erin.up().ops() == {"m": "create"}
    assert HUGO in next(g for g in fresh.directory()["groups"] if g["id"] == IN_UNIT)["members"]
    assert erin.refresh().ops() == {"m": "same"}

    # A group outside the unit stays out of reach, at preview, naming the unit scope she holds.
    elsewhere = persona_stack(fresh, "erin", member_of(OUTSIDE), tmp_path / "elsewhere")
    with pytest.raises(StackError) as outside:
        elsewhere.preview()
    assert f"scoped to /administrativeUnits/{PARIS}" in "\n".join(
        [outside.value.summary.stderr, *outside.value.summary.diagnostics])

    assert erin.destroy().ops() == {"m": "delete"}
    assert HUGO not in next(g for g in fresh.directory()["groups"] if g["id"] == IN_UNIT)["members"]
    # The delegation withdrawn: she can no longer change it.
    assert admins.destroy().ops() == {"paris-admins": "delete"} and holders(fresh) == set()
    with pytest.raises(StackError):
        erin.preview()


def test_the_documented_minimum_runs_up_refresh_destroy_and_less_stops_at_preview(fresh, tmp_path, monkeypatch):
    """docs/permissions.md: RoleManagement.ReadWrite.Directory and AdministrativeUnit.Read.All."""
    for name in ("ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "AZURE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    fresh.seed({"apps": APPS})
    spec = {"role": "Helpdesk Administrator", "members": [ERIN, HUGO]}

    def program():
        from msgraph_membership import AdministrativeUnitRoleMembers

        AdministrativeUnitRoleMembers("helpdesk", administrative_unit_id=PARIS, role=spec["role"],
                                      member_ids=spec["members"])

    weak = persona_stack(fresh, "app:aaaaaaaa-0000-4000-8000-0000000003a2:no-role-management", program,
                         tmp_path / "weak")
    with pytest.raises(StackError) as refused:
        weak.preview()
    assert "RoleManagement.ReadWrite.Directory" in "\n".join([refused.value.summary.stderr,
                                                               *refused.value.summary.diagnostics])
    assert graph_writes(fresh) == []

    least = persona_stack(fresh, "app:aaaaaaaa-0000-4000-8000-0000000003a1:least-secret", program, tmp_path / "least")
    assert least.up().ops() == {"helpdesk": "create"}
    assert least.refresh().ops() == {"helpdesk": "same"}
    assert least.destroy().ops() == {"helpdesk": "delete"}
    r = OutsideGraph(fresh).call("GET", f"/roleManagement/directory/roleAssignments?$filter=directoryScopeId eq "
                                        f"'/administrativeUnits/{PARIS}'")
    assert r.json()["value"] == []
