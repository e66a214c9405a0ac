"""Sign-in safety through the real `pulumi` (the Automation API, a local backend, the emulator):

- no token reaches a plain-HTTP Graph or sign-in host: the preview fails naming the setting;
- a stack configured for pulumi-azuread with a secret file signs in as its own app, even with an `az`
  on PATH logged in as another app, and without the secret file it fails instead of using `az`;
- after a secret is rotated, refresh and destroy fail naming the stale copy in the state and the fix,
  and `pulumi up` then lets destroy finish;
- the corrected messages: the host hint on an ordinary preview, a certificate name mismatch, `useMsi`
  with an application id, a malformed tenant with the Azure CLI, a Graph endpoint with a version, and
  no "property provider value {<nil>}" in any of them.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

from auth.conftest import write_stub_az
from auth.test_sign_in_safety import PlainListener
from harness.cli import CliStack, StackError, pulumi_bin
from security.conftest import request_token

pytestmark = pytest.mark.cli


def oid(tag: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sign-in-cli-{tag}"))


GROUP, USER = oid("group"), oid("user")
OTHER_APP, OTHER_SECRET = oid("other-app"), "other-" + uuid.uuid4().hex
ROTATED_APP = oid("rotated-app")
ROLES = ["GroupMember.ReadWrite.All", "Group.Read.All", "User.Read.All", "Directory.Read.All"]
NO_APP = {"ARM_TENANT_ID": "", "ARM_CLIENT_ID": "", "ARM_CLIENT_SECRET": ""}


def seed(emu, apps=()) -> None:
    emu.seed({"users": [{"id": USER, "displayName": "Sign-in user"}],
              "groups": [{"id": GROUP, "displayName": "Sign-in", "mailNickname": "sign-in", "securityEnabled": True,
                          "mailEnabled": False, "groupTypes": []}],
              "apps": list(apps)})
    emu.clear_requests()


def program():
    from msgraph_membership import GroupMembers

    GroupMembers("members", group_id=GROUP, member_ids=[USER])


def failed(run) -> str:
    """The text of a command that must fail: what the engine said, diagnostics included."""
    with pytest.raises(StackError) as e:
        run()
    text = "\n".join([str(e.value), e.value.summary.stderr, *e.value.summary.diagnostics])
    assert "property provider value" not in text and "{<nil>}" not in text
    return text


@pytest.fixture
def stack_for(emu, tmp_path):
    def make(env: dict | None = None, name: str = "sign-in") -> CliStack:
        return CliStack.inline(emu, name, program, tmp_path, env=env)
    return make


# -- no token in cleartext ------------------------------------------------------------------------

@pytest.mark.parametrize("setting", ["MSGRAPH_ENDPOINT", "AZURE_AUTHORITY_HOST"])
def test_no_token_reaches_a_plain_http_host(emu, stack_for, setting):
    seed(emu)
    listener = PlainListener()
    try:
        text = failed(stack_for({setting: listener.url}).preview)
    finally:
        listener.close()
    assert f"{setting} is '{listener.url}', which is not an https:// URL" in text
    assert "resource 'members' has a problem: configuration:" in text
    assert listener.seen == []  # not a request, so no Authorization header and no secret
    assert emu.client_secret not in text


# -- a stack configured for pulumi-azuread ------------------------------------------------------------

def test_an_azuread_stack_with_a_secret_file_signs_in_as_its_own_app_not_as_az(emu, stack_for, tmp_path):
    seed(emu, [{"client_id": OTHER_APP, "client_secret": OTHER_SECRET, "roles": ROLES}])
    other_token = request_token(emu, OTHER_APP, OTHER_SECRET)
    az_log = tmp_path / "az.log"
    write_stub_az(tmp_path / "az-bin", {"accessToken": other_token, "expiresOn": "2099-01-01 00:00:00.000000",
                                        "expires_on": int(time.time()) + 3600}, log_file=az_log)
    path = f"{tmp_path / 'az-bin'}{os.pathsep}{pulumi_bin()}{os.pathsep}{os.environ['PATH']}"
    stack = stack_for({**NO_APP, "PATH": path})
    stack.set_config("azuread:tenantId", emu.tenant_id)
    stack.set_config("azuread:clientId", emu.client_id)
    # Without a credential for the app, the preview fails naming what is missing; `az` is never run.
    text = failed(stack.preview)
    assert f"azuread:clientId and azuread:tenantId name application {emu.client_id}, but no credential" in text
    assert "ARM_CLIENT_SECRET_FILE_PATH" in text and not az_log.exists()
    secret_file = tmp_path / "client-secret"
    secret_file.write_text(emu.client_secret + "\n")
    stack.set_config("azuread:clientSecretFilePath", str(secret_file))
    emu.clear_requests()
    stack.up()
    assert (GROUP, USER) in {(g["id"], m) for g in emu.directory()["groups"] for m in g.get("members", [])}
    callers = {r.get("app") for r in emu.requests() if r.get("kind") == "graph"}
    assert callers == {emu.client_id}, callers
    assert not az_log.exists()
    stack.destroy()


def test_a_fallback_to_az_is_said_at_warning_naming_who_signed_in(emu, stack_for, tmp_path):
    """No application configured: the Azure CLI is the fallback, and the run says so at WARNING with
    the identity the token names."""
    seed(emu, [{"client_id": OTHER_APP, "client_secret": OTHER_SECRET, "roles": ROLES}])
    write_stub_az(tmp_path / "az-bin", {"accessToken": request_token(emu, OTHER_APP, OTHER_SECRET),
                                        "expires_on": int(time.time()) + 3600})
    path = f"{tmp_path / 'az-bin'}{os.pathsep}{pulumi_bin()}{os.pathsep}{os.environ['PATH']}"
    res = stack_for({**NO_APP, "ARM_TENANT_ID": emu.tenant_id, "PATH": path}).preview()
    said = "\n".join([res.stdout, res.stderr, *res.diagnostics])
    assert f"WARNING sign-in: using Azure CLI (tenant {emu.tenant_id}) as application {OTHER_APP} (a fallback" in said


# -- rotation, refresh and destroy --------------------------------------------------------------------

def project_dir(tmp_path, name: str):
    """A project directory as a user has one (Pulumi.yaml, __main__.py): the CLI starts the provider
    there, so it can see the stack configuration files."""
    d = tmp_path / name
    d.mkdir()
    (d / "Pulumi.yaml").write_text(yaml.safe_dump({"name": name, "runtime": {
        "name": "python", "options": {"virtualenv": str(Path(sys.executable).parents[1])}}}))
    (d / "__main__.py").write_text("from msgraph_membership import GroupMembers\n\n"
                                   f"GroupMembers('members', group_id={GROUP!r}, member_ids=[{USER!r}])\n")
    return d


def test_after_a_rotation_refresh_and_destroy_name_the_stale_copy_and_the_fix(emu, tmp_path):
    old, new = "old-" + uuid.uuid4().hex, "new-" + uuid.uuid4().hex
    seed(emu, [{"client_id": ROTATED_APP, "client_secret": old, "roles": ROLES}])
    stack = CliStack.for_directory(emu, project_dir(tmp_path, "rotation"), tmp_path, env={**NO_APP})
    stack.set_config("msgraph:tenantId", emu.tenant_id)
    stack.set_config("msgraph:clientId", ROTATED_APP)
    stack.set_config("msgraph:clientSecret", old, secret=True)
    stack.up()
    emu.seed({"apps": [{"client_id": ROTATED_APP, "client_secret": new, "roles": ROLES}]})  # rotated
    stack.set_config("msgraph:clientSecret", new, secret=True)

    text = failed(stack.refresh)
    assert "AADSTS7000215" in text
    assert "`pulumi refresh` and `pulumi destroy` sign in with the copy of the stack configuration saved in " \
           "the state at the last `pulumi up`" in text
    assert "run `pulumi up`" in text and "`pulumi refresh --run-program`" in text
    assert old not in text and new not in text

    # The secret now only in the environment: the difference is named, never a value.
    stack.pulumi("config", "rm", "msgraph:clientSecret")
    stack.stack.workspace.env_vars["ARM_CLIENT_SECRET"] = new
    for run in (stack.refresh, stack.destroy):
        text = failed(run)
        assert "msgraph:clientSecret is no longer in the stack configuration" in text
        assert "ARM_CLIENT_SECRET in the environment holds another value than the msgraph:clientSecret in use" in text
        assert "`pulumi destroy --run-program`" in text
        assert old not in text and new not in text
    stack.up()  # saves the current configuration: destroy now signs in with the new secret
    stack.destroy()
    assert USER not in {m for g in emu.directory()["groups"] if g["id"] == GROUP for m in g.get("members", [])}


# -- messages that name the real cause ------------------------------------------------------------------

def test_the_host_hint_appears_on_an_ordinary_preview(emu, stack_for):
    seed(emu)
    text = failed(stack_for({"AZURE_AUTHORITY_HOST": ""}).preview)
    assert (f"MSGRAPH_ENDPOINT points at an emulator ({emu.graph_url}): set msgraph:authorityHost or "
            f"AZURE_AUTHORITY_HOST to {emu.graph_url} as well") in text
    text = failed(stack_for({"MSGRAPH_ENDPOINT": ""}, name="hint-graph").preview)
    assert (f"AZURE_AUTHORITY_HOST points at an emulator ({emu.authority_host}): set msgraph:graphEndpoint or "
            f"MSGRAPH_ENDPOINT to {emu.authority_host} as well") in text


def _relay(listen: tuple[str, int], target: tuple[str, int]) -> socket.socket:
    """A TCP relay from `listen` to `target` (the emulator), so it is reached at another address."""
    server = socket.create_server(listen)

    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve():
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(target)
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
    threading.Thread(target=serve, daemon=True).start()
    return server


def test_a_certificate_name_mismatch_is_not_reported_as_an_untrusted_ca(emu, stack_for):
    seed(emu)
    relay = _relay(("127.0.0.2", 0), ("127.0.0.1", emu.port))
    url = f"https://127.0.0.2:{relay.getsockname()[1]}"
    try:
        text = failed(stack_for({"MSGRAPH_ENDPOINT": url, "AZURE_AUTHORITY_HOST": url}).preview)
    finally:
        relay.close()
    assert "certificate name mismatch" in text and "the host comes from AZURE_AUTHORITY_HOST" in text
    assert "does not hold that CA" not in text


def test_use_msi_with_an_application_id_names_the_client_id_setting(emu, stack_for):
    seed(emu)
    text = failed(stack_for({"ARM_USE_MSI": "true", "ARM_CLIENT_SECRET": "",
                             "IDENTITY_ENDPOINT": f"{emu.base_url}/_emulator/msi/token",
                             "IDENTITY_HEADER": emu.ready["identity_header"]}).preview)
    assert "with ARM_USE_MSI, ARM_CLIENT_ID names the managed identity" in text and emu.client_id in text
    assert "check msgraph:msiClientId" not in text and "ARM_MSI_CLIENT_ID" not in text.split("or set")[0]


def test_a_malformed_tenant_with_the_azure_cli_names_the_tenant_setting(emu, stack_for, tmp_path):
    seed(emu)
    az_log = tmp_path / "az.log"
    write_stub_az(tmp_path / "az-bin", {"accessToken": "x", "expires_on": int(time.time()) + 3600}, log_file=az_log)
    path = f"{tmp_path / 'az-bin'}{os.pathsep}{pulumi_bin()}{os.pathsep}{os.environ['PATH']}"
    text = failed(stack_for({**NO_APP, "ARM_TENANT_ID": "contoso tenant/1", "PATH": path}).preview)
    assert "ARM_TENANT_ID ('contoso tenant/1') is not a tenant id" in text
    assert "get-access-token" not in text and not az_log.exists()


def test_a_graph_endpoint_with_a_version_names_graph_endpoint(emu, stack_for):
    seed(emu)
    text = failed(stack_for({"MSGRAPH_ENDPOINT": emu.graph_url + "/v1.0"}).preview)
    assert f"MSGRAPH_ENDPOINT is '{emu.graph_url}/v1.0', which ends in an API version" in text
    assert "/v1.0/v1.0/" not in text
    assert json.dumps(emu.requests()).count("/v1.0/v1.0") == 0
