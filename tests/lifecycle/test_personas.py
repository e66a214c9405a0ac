"""Signed in as a person: each persona runs the real `pulumi` with the provider signed in through
azure-identity's AzureCliCredential, which runs the real Azure CLI logged in (`az login -u -p`) as
that persona in a profile of its own; no ARM_CLIENT_* in the environment. Apps sign in with their
secret. Where the persona may touch the resource: up, refresh, destroy; where not: the preview
fails, naming who is signed in, what they lack and what would do.

Each CLI run costs 10-20 s, so the matrix keeps one resource per persona."""
from __future__ import annotations

import pytest

from harness.azcli import az_binary, sign_in
from harness.cli import CliStack, StackError, pulumi_bin
from msgraph_membership.emulator.process import start_emulator

TENANT = "7f0c4bd5-0000-4000-8000-000000000001"
ALICE, BOB, CAROL, DAVE, ERIN, FRANK, NOEL = (f"00000000-0000-4000-8000-0000000000{n:02d}" for n in range(1, 8))
SEC, EMPTY, IN_UNIT, IN_VAULT = (f"00000000-0000-4000-8000-0000000001{n:02d}" for n in range(1, 5))
AU, VAULT = "00000000-0000-4000-8000-000000000201", "00000000-0000-4000-8000-000000000202"
GROUPS_ADMIN, PRA = "fdd7a751-b60b-444a-984c-02652fe8fa1c", "e8611ab8-c189-46e8-94e1-60213ab1f814"
WRITER_APP = "aaaaaaaa-0000-4000-8000-0000000000d1"  # Directory.ReadWrite.All only
PASSWORD = "Persona-Pa55"

SEED = {
    "tenant_id": TENANT,
    "apps": [{"client_id": WRITER_APP, "client_secret": "writer-secret", "roles": ["Directory.ReadWrite.All"]}],
    "users": [{"id": i, "displayName": n, "userPrincipalName": f"{n.lower()}@contoso.test", "password": PASSWORD}
              for i, n in ((ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol"), (DAVE, "Dave"), (ERIN, "Erin"),
                           (FRANK, "Frank"), (NOEL, "Noel"))],
    "groups": [{"id": SEC, "displayName": "Devs", "mailNickname": "devs", "owners": [ALICE]},
               {"id": EMPTY, "displayName": "Ops", "mailNickname": "ops"},
               {"id": IN_UNIT, "displayName": "Paris devs", "mailNickname": "parisdevs"},
               {"id": IN_VAULT, "displayName": "Vault devs", "mailNickname": "vaultdevs"}],
    "administrativeUnits": [{"id": AU, "displayName": "Paris", "members": [IN_UNIT]},
                            {"id": VAULT, "displayName": "Vault", "isMemberManagementRestricted": True,
                             "members": [IN_VAULT]}],
    "roleAssignments": [{"principalId": DAVE, "roleDefinitionId": GROUPS_ADMIN, "directoryScopeId": "/"},
                        {"principalId": ERIN, "roleDefinitionId": GROUPS_ADMIN,
                         "directoryScopeId": f"/administrativeUnits/{AU}"},
                        {"principalId": FRANK, "roleDefinitionId": PRA, "directoryScopeId": "/"}],
}


def group_member(group_id: str, member_id: str):
    def program():
        from msgraph_membership import GroupMember

        GroupMember("m", group_id=group_id, member_id=member_id)
    return program


def unit_member(unit_id: str, member_id: str):
    def program():
        from msgraph_membership import AdministrativeUnitMember

        AdministrativeUnitMember("m", administrative_unit_id=unit_id, member_id=member_id)
    return program


# persona (a user's name, or "app:<client id>:<secret>"), program, the membership it makes, or the
# words the preview error must hold.
ALLOWED = [
    ("alice", group_member(SEC, BOB), ("groups", SEC, BOB)),                   # owner of the group
    ("dave", group_member(EMPTY, BOB), ("groups", EMPTY, BOB)),                # tenant Groups Administrator
    ("erin", group_member(IN_UNIT, BOB), ("groups", IN_UNIT, BOB)),            # Groups Administrator of the unit
    ("frank", unit_member(AU, CAROL), ("administrativeUnits", AU, CAROL)),     # Privileged Role Administrator
    (f"app:{WRITER_APP}:writer-secret", group_member(EMPTY, CAROL), ("groups", EMPTY, CAROL)),
]
REFUSED = [
    ("noel", group_member(EMPTY, BOB), ["noel@contoso.test", "not an owner of this group", "no Entra role",
                                        "Groups Administrator"]),
    ("erin", group_member(EMPTY, BOB), ["erin@contoso.test", f"scoped to /administrativeUnits/{AU}",
                                        "which does not hold this group"]),
    ("app", group_member(IN_VAULT, BOB), ["restricted-management administrative unit", VAULT,
                                          "application permissions do not count"]),
    ("dave", unit_member(AU, CAROL), ["dave@contoso.test", f"administrative unit {AU}",
                                      "Groups Administrator", "what would do: Privileged Role Administrator"]),
]


@pytest.fixture(scope="module")
def emu():
    az_binary()  # skips, saying why, where the Azure CLI is absent (outside CI)
    emulator = start_emulator(seed=SEED)
    try:
        yield emulator
    finally:
        emulator.stop()


def persona_stack(emu, persona: str, program, tmp_path) -> CliStack:
    """A stack whose provider signs in as `persona`: a person through the real `az`, or an app."""
    pulumi_bin()  # first on PATH, before the persona's environment copies PATH
    graph = {"MSGRAPH_ENDPOINT": emu.graph_url, "AZURE_AUTHORITY_HOST": emu.authority_host,
             "MSGRAPH_CA_BUNDLE": emu.ca_bundle, "ARM_TENANT_ID": emu.tenant_id}
    if persona == "app":
        env = {**emu.env()}
    elif persona.startswith("app:"):
        _, client_id, secret = persona.split(":")
        env = {**graph, "ARM_CLIENT_ID": client_id, "ARM_CLIENT_SECRET": secret}
    else:
        env = {**sign_in(emu, tmp_path / "az", f"{persona}@contoso.test", PASSWORD), **graph, "ARM_USE_CLI": "true"}
    stack = CliStack.inline(None, "persona", program, tmp_path, env=env)
    stack.emu = emu
    return stack


def memberships(emu) -> set[tuple[str, str, str]]:
    return {(kind, c["id"], m) for kind in ("groups", "administrativeUnits")
            for c in emu.directory().get(kind, []) for m in c.get("members", [])}


@pytest.mark.parametrize("persona, program, membership", ALLOWED, ids=[p[0].split(":")[0] for p in ALLOWED])
def test_a_persona_with_the_documented_minimum_runs_up_refresh_destroy(emu, persona, program, membership, tmp_path,
                                                                     monkeypatch):
    for name in ("ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "AZURE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    stack = persona_stack(emu, persona, program, tmp_path)
    emu.clear_requests()
    assert stack.up().ops() == {"m": "create"}
    assert membership in memberships(emu)
    # What the preview checks cost: the person's roles read once; the group's units (people and apps)
    # and owners (people, when no role covers the group) once each.
    paths = [e["path"].split("?")[0] for e in emu.requests() if e["method"] == "GET"]
    if persona.startswith("app:"):  # Directory.ReadWrite.All reads what Directory.Read.All reads
        assert [e["status"] for e in emu.requests() if e["path"] == "/v1.0/directoryObjects/getByIds"] == [200]
    person = not persona.startswith("app")
    assert paths.count("/v1.0/roleManagement/directory/roleAssignments") == (1 if person else 0)
    if membership[0] == "groups":
        assert paths.count(f"/v1.0/groups/{membership[1]}/memberOf") == 1
        assert paths.count(f"/v1.0/groups/{membership[1]}/owners") == (1 if persona == "alice" else 0)
    assert stack.refresh().ops() == {"m": "same"}
    assert stack.destroy().ops() == {"m": "delete"}
    assert membership not in memberships(emu)


@pytest.mark.parametrize("persona, program, words", REFUSED, ids=["no-role", "unit-admin-outside", "app-restricted",
                                                                    "groups-admin-on-unit-members"])
def test_what_the_directory_makes_predictable_fails_at_preview(emu, persona, program, words, tmp_path, monkeypatch):
    for name in ("ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "AZURE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    stack = persona_stack(emu, persona, program, tmp_path)
    before = memberships(emu)
    with pytest.raises(StackError) as failed:
        stack.preview()
    text = failed.value.summary.stderr + failed.value.summary.stdout + "\n".join(failed.value.summary.diagnostics)
    assert all(w in text for w in words), text[-3000:]
    assert memberships(emu) == before


def unit_group(unit_id: str):
    def program():
        from msgraph_membership import AdministrativeUnitGroup

        AdministrativeUnitGroup("g", administrative_unit_id=unit_id, display_name="Paris helpdesk",
                                mail_nickname="paris-helpdesk")
    return program


def unit_groups(emu, unit_id: str) -> list[str]:
    names = {g["id"]: g.get("displayName") for g in emu.directory().get("groups", [])}
    unit = next(u for u in emu.directory()["administrativeUnits"] if u["id"] == unit_id)
    return [names[m] for m in unit.get("members", []) if m in names]


def test_a_unit_scoped_groups_administrator_creates_a_group_in_the_unit_and_nobody_else_may(emu, tmp_path,
                                                                                            monkeypatch):
    for name in ("ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "AZURE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    noel = persona_stack(emu, "noel", unit_group(AU), tmp_path / "noel")
    with pytest.raises(StackError) as failed:
        noel.preview()
    text = failed.value.summary.stderr + "\n".join(failed.value.summary.diagnostics)
    assert "noel@contoso.test (signed in) cannot create a group in administrative unit" in text, text[-3000:]
    assert f"Groups Administrator or User Administrator at /administrativeUnits/{AU}" in text
    erin = persona_stack(emu, "erin", unit_group(AU), tmp_path / "erin")
    assert erin.up().ops() == {"g": "create"}
    assert "Paris helpdesk" in unit_groups(emu, AU)
    assert erin.refresh().ops() == {"g": "same"}
    assert erin.destroy().ops() == {"g": "delete"}
    assert "Paris helpdesk" not in unit_groups(emu, AU)
