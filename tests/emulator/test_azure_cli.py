"""The real Azure CLI as a client of the emulator: `az login` (service principal, no subscriptions)
through the profile `msgraph-emulator az` writes, then `az ad group show`, `az ad group member
add | list | check | remove`, `az ad user show` and `az ad sp show`, each checked against the
emulator's directory. Every `az` is the profile's own `bin/az`, as in a shell that ran the exports.
Needs the Azure CLI of scripts/azure-cli.sh (installed by CI)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness.azcli import az_binary, az_on_path, person_env

GROUP = "0b000001-0000-4000-8000-000000000002"
ALICE = "0a000001-0000-4000-8000-000000000001"
SP = "0a000003-0000-4000-8000-000000000001"
PASSWORD = "alice-Pa55"
SEED = {
    "users": [{"id": ALICE, "displayName": "Alice", "userPrincipalName": "alice@contoso.test",
               "password": PASSWORD}],
    "servicePrincipals": [{"id": SP, "displayName": "build-pipeline",
                           "appId": "5b6c7d8e-0000-4000-8000-0000000000b1"}],
    "groups": [{"id": GROUP, "displayName": "Developers", "mailNickname": "developers",
                "securityEnabled": True}],
}


def members_of(emu, group_id: str) -> list[str]:
    return next(g.get("members", []) for g in emu.directory()["groups"] if g["id"] == group_id)


@pytest.fixture(scope="module")
def az_emulator(tmp_path_factory):
    from msgraph_membership.emulator.process import start_emulator

    az_binary()  # skips, saying why, where the Azure CLI is absent (outside CI)
    emu = start_emulator(seed=SEED)
    env = {**person_env(emu, tmp_path_factory.mktemp("az")), **emu.env()}
    binary = az_on_path(env)

    def az(*args: str, check: bool = True):
        res = subprocess.run([binary, *args, "-o", "json"], env=env, capture_output=True, text=True,
                             timeout=180)
        if check:
            assert res.returncode == 0, f"az {' '.join(args)}: {res.stderr}"
        return json.loads(res.stdout) if res.stdout.strip() else None, res

    try:
        yield emu, az
    finally:
        emu.stop()


def test_az_login_as_a_service_principal_with_no_subscriptions(az_emulator):
    emu, az = az_emulator
    ready = emu.ready
    accounts, _ = az("login", "--service-principal", "--username", ready["client_id"], "--password",
                     ready["client_secret"], "--tenant", ready["tenant_id"], "--allow-no-subscriptions")
    assert [(a["tenantId"], a["user"]["type"], a["cloudName"]) for a in accounts] == \
        [(ready["tenant_id"], "servicePrincipal", "MsgraphEmulator")]
    paths = [e["path"].split("?")[0] for e in emu.requests()]
    assert "/subscriptions" in paths  # the resource manager's answer, read by az login


def test_az_ad_group_and_member_commands_give_graphs_answers(az_emulator):
    emu, az = az_emulator
    group, _ = az("ad", "group", "show", "-g", "Developers")
    assert (group["id"], group["displayName"]) == (GROUP, "Developers")
    assert az("ad", "group", "member", "list", "-g", GROUP)[0] == []
    az("ad", "group", "member", "add", "-g", GROUP, "--member-id", ALICE)
    assert ALICE in members_of(emu, GROUP)  # the directory holds what az added
    listed, _ = az("ad", "group", "member", "list", "-g", "Developers")
    assert [m["id"] for m in listed] == [ALICE]
    assert az("ad", "group", "member", "check", "-g", GROUP, "--member-id", ALICE)[0] == {"value": True}
    _, again = az("ad", "group", "member", "add", "-g", GROUP, "--member-id", ALICE, check=False)
    assert again.returncode != 0 and "already exist" in again.stderr  # Graph's 400 for a member twice
    az("ad", "group", "member", "remove", "-g", GROUP, "--member-id", ALICE)
    assert az("ad", "group", "member", "check", "-g", GROUP, "--member-id", ALICE)[0] == {"value": False}
    assert az("ad", "group", "member", "list", "-g", GROUP)[0] == []
    assert members_of(emu, GROUP) == []


def test_az_ad_user_and_sp_show(az_emulator):
    emu, az = az_emulator
    assert az("ad", "user", "show", "--id", "alice@contoso.test")[0]["id"] == ALICE
    assert az("ad", "user", "show", "--id", ALICE)[0]["userPrincipalName"] == "alice@contoso.test"
    sp, _ = az("ad", "sp", "show", "--id", SP)
    assert (sp["id"], sp["displayName"]) == (SP, "build-pipeline")
    by_app, _ = az("ad", "sp", "show", "--id", "5b6c7d8e-0000-4000-8000-0000000000b1")
    assert by_app["id"] == SP
    _, missing = az("ad", "user", "show", "--id", "nobody@contoso.test", check=False)
    assert missing.returncode != 0 and "does not exist" in missing.stderr


def test_az_login_as_a_person_and_a_delegated_token_for_graph(az_emulator, tmp_path):
    """``az login -u -p`` (the password grant from the Azure CLI's client) in a profile of its own,
    then ``az account get-access-token``, which azure-identity's AzureCliCredential runs."""
    import jwt

    emu, _ = az_emulator
    env = person_env(emu, tmp_path / "az")
    binary = az_on_path(env)  # the profile's bin/az, as a shell after `eval "$(msgraph-emulator az)"` runs it

    def az(*args: str):
        return subprocess.run([binary, *args, "-o", "json"], env=env, capture_output=True, text=True, timeout=180)

    wrong = az("login", "-u", "alice@contoso.test", "-p", "nope", "--allow-no-subscriptions")
    assert wrong.returncode != 0 and "AADSTS50126" in wrong.stderr
    signed_in = az("login", "-u", "alice@contoso.test", "-p", PASSWORD, "--allow-no-subscriptions")
    assert signed_in.returncode == 0, signed_in.stderr
    assert [(a["user"]["name"], a["user"]["type"]) for a in json.loads(signed_in.stdout)] == \
        [("alice@contoso.test", "user")]
    token = az("account", "get-access-token", "--resource", emu.ready["base_url"] + "/")
    assert token.returncode == 0, token.stderr
    claims = jwt.decode(json.loads(token.stdout)["accessToken"], options={"verify_signature": False})
    assert (claims["idtyp"], claims["oid"], claims["appid"]) == ("user", ALICE, "04b07795-8ddb-461a-bbee-02f9e1bf7b46")

