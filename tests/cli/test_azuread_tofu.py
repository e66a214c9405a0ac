"""terraform-provider-azuread v3.9.0, run by OpenTofu, against the emulator: its resources and data
sources that touch what the emulator serves (groups with members and owners, group, user and
service-principal data sources, unit members, a unit and a group created in it) apply, plan no
change, and destroy without an error, and the directory holds what they wrote.

Needs what scripts/azuread-cli.sh builds (OpenTofu and the provider, from a source checkout: minutes
of Go builds), so it skips wherever they are missing, CI included, and says which is missing.
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pulumi-msgraph-membership")
BINS = sorted(glob.glob(os.path.join(CACHE, "azuread-cli-*", "bin")))
BIN = next((Path(b) for b in BINS if (Path(b) / "tofu").exists() and (Path(b) / "terraform-provider-azuread").exists()),
           None)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    BIN is None, reason="OpenTofu and terraform-provider-azuread are not built "
                        "(run scripts/azuread-cli.sh with AZUREAD_SRC)")]


def gid(n: int) -> str:
    return f"0a0e0c00-0000-4000-8000-{n:012d}"


ALICE, BOB, CAROL, SP, SEC, OPS, UNIT = gid(1), gid(2), gid(3), gid(11), gid(20), gid(21), gid(40)

MAIN_TF = f"""
terraform {{
  required_providers {{
    azuread = {{ source = "hashicorp/azuread" }}
  }}
}}
provider "azuread" {{}}

data "azuread_client_config" "me" {{}}
data "azuread_user" "alice" {{ user_principal_name = "alice@contoso.test" }}
data "azuread_user" "bob" {{ object_id = "{BOB}" }}
data "azuread_users" "two" {{ object_ids = ["{ALICE}", "{BOB}"] }}
data "azuread_group" "devs" {{ object_id = "{SEC}" }}
data "azuread_group" "devs_by_name" {{
  display_name     = "Devs"
  security_enabled = true
}}
data "azuread_groups" "by_names" {{ display_names = ["Devs"] }}
data "azuread_service_principal" "bot" {{ object_id = "{SP}" }}

resource "azuread_group" "team" {{
  display_name     = "Tofu team"
  security_enabled = true
  owners           = [data.azuread_client_config.me.object_id, data.azuread_user.alice.object_id]
  members          = [data.azuread_user.alice.object_id, data.azuread_user.bob.object_id,
                      data.azuread_service_principal.bot.object_id]
}}
resource "azuread_group_member" "carol" {{
  group_object_id  = "{OPS}"
  member_object_id = "{CAROL}"
}}
resource "azuread_administrative_unit" "made" {{ display_name = "Made by tofu" }}
resource "azuread_group" "in_unit" {{
  display_name            = "Tofu group in a unit"
  security_enabled        = true
  administrative_unit_ids = [azuread_administrative_unit.made.object_id]
}}
resource "azuread_administrative_unit_member" "alice" {{
  administrative_unit_object_id = "{UNIT}"
  member_object_id              = "{ALICE}"
}}
output "alice_manager" {{ value = data.azuread_user.alice.manager_id }}
output "devs_members" {{ value = data.azuread_group.devs.members }}
"""


def seed(app_object_id: str) -> dict:
    return {"users": [{"id": ALICE, "displayName": "Alice", "userPrincipalName": "alice@contoso.test"},
                      {"id": BOB, "displayName": "Bob", "userPrincipalName": "bob@contoso.test"},
                      {"id": CAROL, "displayName": "Carol", "userPrincipalName": "carol@contoso.test"}],
            "servicePrincipals": [{"id": SP, "displayName": "ci-bot"},
                                  {"id": app_object_id, "displayName": "the signed-in app"}],
            "groups": [{"id": SEC, "displayName": "Devs", "mailNickname": "devs", "securityEnabled": True,
                        "mailEnabled": False, "groupTypes": [], "members": [BOB], "owners": [ALICE]},
                       {"id": OPS, "displayName": "Ops", "mailNickname": "ops", "securityEnabled": True,
                        "mailEnabled": False, "groupTypes": []}],
            "administrativeUnits": [{"id": UNIT, "displayName": "Paris"}]}


def test_azuread_resources_and_data_sources_apply_plan_and_destroy(tmp_path):
    from bench.real_sides import emulator_env
    from msgraph_membership.emulator.process import start_emulator

    with start_emulator() as emu:
        app = next(a["object_id"] for a in emu.directory()["apps"] if a["client_id"] == emu.client_id)
        emu.seed(seed(app))
        (tmp_path / "main.tf").write_text(MAIN_TF)
        env = {**os.environ, **emulator_env(emu), "TF_CLI_CONFIG_FILE": str(BIN / "tofurc"),
               "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

        def tofu(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([str(BIN / "tofu"), *args, "-no-color"], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=1800)

        up = tofu("apply", "-auto-approve", "-input=false")
        assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-4000:]
        state = emu.directory()
        team = next(g for g in state["groups"] if g["displayName"] == "Tofu team")
        assert sorted(team["members"]) == sorted([ALICE, BOB, SP])
        assert next(g for g in state["groups"] if g["id"] == OPS)["members"] == [CAROL]
        assert sorted(team["owners"]) == sorted([app, ALICE])
        made = next(u for u in state["administrativeUnits"] if u["displayName"] == "Made by tofu")
        in_unit = next(g for g in state["groups"] if g["displayName"] == "Tofu group in a unit")
        assert in_unit["id"] in made["members"]
        assert next(u for u in state["administrativeUnits"] if u["id"] == UNIT)["members"] == [ALICE]
        outputs = json.loads(tofu("output", "-json").stdout)
        assert outputs["alice_manager"]["value"] == "" and outputs["devs_members"]["value"] == [BOB]

        plan = tofu("plan", "-detailed-exitcode", "-input=false")
        assert plan.returncode == 0, plan.stdout[-4000:] + plan.stderr[-4000:]  # 0: no change

        down = tofu("destroy", "-auto-approve", "-input=false")
        assert down.returncode == 0, down.stdout[-4000:] + down.stderr[-4000:]
        state = emu.directory()
        assert sorted(g["displayName"] for g in state["groups"]) == ["Devs", "Ops"]
        assert next(g for g in state["groups"] if g["id"] == OPS)["members"] == []
        assert [u["displayName"] for u in state["administrativeUnits"]] == ["Paris"]
        assert next(u for u in state["administrativeUnits"] if u["id"] == UNIT)["members"] == []
