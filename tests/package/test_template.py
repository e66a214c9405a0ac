"""`pulumi new` from templates/msgraph-membership, then `pulumi up`, as README's first section
shows it: the template's prompts (tenant, client id, Graph endpoint) become the stack's config,
the project's virtualenv gets the package (from the wheel built once, through PIP_FIND_LINKS, as
from the package index), and the stack converges against the emulator seeded with the
template's own seed.yaml."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.cli import PASSPHRASE, pulumi_bin
from package.conftest import quiet_pip_env

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "templates" / "msgraph-membership"


def template() -> dict:
    return yaml.safe_load((TEMPLATE / "Pulumi.yaml").read_text())


def test_the_prompts_default_to_the_local_emulator():
    from msgraph_membership.emulator import seed

    config = template()["template"]["config"]
    assert set(config) == {"msgraph:tenantId", "msgraph:clientId", "msgraph:graphEndpoint"}
    assert all(c["description"] for c in config.values())
    assert config["msgraph:tenantId"]["default"] == seed.DEFAULT_TENANT_ID
    assert config["msgraph:clientId"]["default"] == seed.DEFAULT_CLIENT_ID
    assert config["msgraph:graphEndpoint"]["default"] == "https://127.0.0.1:8443"  # msgraph-emulator env's port
    assert template()["runtime"]["options"]["virtualenv"] == "venv"


def test_the_template_matches_pulumis_project_schema():
    import jsonschema

    schema_file = REPO.parent / "shared" / "data" / "pulumi-project.schema.json"
    if not schema_file.exists():
        pytest.skip(f"Pulumi's project schema is not at {schema_file}")
    schema = json.loads(schema_file.read_text())
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(template()))
    assert not errors, [e.message for e in errors]


def pulumi(*args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    res = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=900)
    assert res.returncode == 0, f"pulumi {' '.join(args)}:\n{res.stdout}\n{res.stderr}"
    return res


@pytest.mark.cli
def test_pulumi_new_from_the_template_then_up(emu, dist, tmp_path, monkeypatch):
    pulumi_bin()
    monkeypatch.delenv("PULUMI_PYTHON_CMD", raising=False)  # the project's own virtualenv runs it
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    seed = yaml.safe_load((TEMPLATE / "seed.yaml").read_text())
    emu.seed(seed)
    backend = tmp_path / "backend"
    backend.mkdir()
    # Only what sign-in to the emulator needs beyond the prompts: its secret, sign-in host and CA.
    # Tenant, client id and Graph endpoint come from the stack config the prompts wrote.
    emu_env = emu.env()
    env = {**quiet_pip_env(), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "PULUMI_SKIP_UPDATE_CHECK": "true",
           "PULUMI_BACKEND_URL": f"file://{backend}", "PIP_FIND_LINKS": str(dist),
           **{k: emu_env[k] for k in ("ARM_CLIENT_SECRET", "AZURE_AUTHORITY_HOST", "MSGRAPH_CA_BUNDLE")}}
    for k in ("ARM_TENANT_ID", "ARM_CLIENT_ID", "MSGRAPH_ENDPOINT", "AZURE_TENANT_ID", "AZURE_CLIENT_ID"):
        env.pop(k, None)
    # README's steps: the project's virtualenv first (a CLI whose language host installs nothing,
    # as this project's build, needs it before `pulumi new`; Pulumi's own CLI installs the
    # template's requirements.txt into it), then `pulumi new --force` into that directory.
    project = tmp_path / "my-memberships"
    project.mkdir()
    subprocess.run([sys.executable, "-m", "venv", "venv"], cwd=project, check=True, timeout=300)
    res = subprocess.run(["venv/bin/pip", "install", "-q", "-r", str(TEMPLATE / "requirements.txt")], cwd=project,
                         env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    pulumi("new", str(TEMPLATE), "--force", "--yes", "--stack", "dev", "--name", "my-memberships",
           "--description", "memberships", "--config", f"msgraph:tenantId={emu.tenant_id}",
           "--config", f"msgraph:clientId={emu.client_id}", "--config", f"msgraph:graphEndpoint={emu.graph_url}",
           cwd=project, env=env)
    made = yaml.safe_load((project / "Pulumi.yaml").read_text())
    assert made["name"] == "my-memberships" and "template" not in made
    assert (project / "seed.yaml").read_text() == (TEMPLATE / "seed.yaml").read_text()
    stack_config = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]
    assert stack_config == {"msgraph:tenantId": emu.tenant_id, "msgraph:clientId": emu.client_id,
                            "msgraph:graphEndpoint": emu.graph_url}
    pulumi("up", "--yes", cwd=project, env=env)
    outputs = json.loads(pulumi("stack", "output", "--json", cwd=project, env=env).stdout)
    users = {u["userPrincipalName"]: u["id"] for u in seed["users"]}
    assert sorted(outputs["developers"]) == sorted([users["alice@contoso.test"], users["bob@contoso.test"]])
    groups = {g["displayName"]: g for g in emu.directory()["groups"]}
    assert sorted(groups["Developers"]["members"]) == sorted(outputs["developers"])
    assert groups["Platform admins"]["members"] == [users["carol@contoso.test"]]
    again = pulumi("preview", "--expect-no-changes", cwd=project, env=env)
    assert again.returncode == 0
    assert os.path.realpath(project).startswith(os.path.realpath(tmp_path))
