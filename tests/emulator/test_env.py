"""`msgraph-emulator env` and `stop`: the environment that points a stack at the emulator, from a
running emulator or one the command starts (emulator/env.py, emulator/running.py)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
import requests

from msgraph_membership.emulator import running
from msgraph_membership.emulator.env import render, variables

READY = {"tenant_id": "7f0c4bd5-0000-4000-8000-000000000001", "client_id": "c1",
         "client_secret": "s3cr$t 'x\"", "graph_url": "https://127.0.0.1:8443",
         "authority_host": "https://127.0.0.1:8443", "ca_bundle": "/tmp/my dir/ca.pem"}
NAMES = ["ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "MSGRAPH_ENDPOINT", "AZURE_AUTHORITY_HOST",
         "MSGRAPH_CA_BUNDLE"]


def shell_values(text: str) -> list[str]:
    script = 'eval "$(cat)"; for n in ' + " ".join(NAMES) + '; do printf "%s\\0" "${!n}"; done'
    out = subprocess.run(["bash", "-c", script], input=text, capture_output=True, text=True, check=True).stdout
    return out.split("\0")[:-1]


def test_variables_are_the_providers_names_for_the_ready_line():
    env = variables(READY)
    assert list(env) == NAMES
    assert env["MSGRAPH_ENDPOINT"] == env["AZURE_AUTHORITY_HOST"] == READY["graph_url"]
    assert (env["ARM_TENANT_ID"], env["MSGRAPH_CA_BUNDLE"]) == (READY["tenant_id"], READY["ca_bundle"])


def test_shell_format_survives_eval_with_quotes_and_spaces():
    env = variables(READY)
    assert shell_values(render(env, "shell")) == list(env.values())


def test_dotenv_format_is_plain_when_it_can_be_and_quoted_when_it_must():
    lines = render(variables(READY), "dotenv").splitlines()
    assert "MSGRAPH_ENDPOINT=https://127.0.0.1:8443" in lines
    assert 'MSGRAPH_CA_BUNDLE="/tmp/my dir/ca.pem"' in lines
    assert 'ARM_CLIENT_SECRET="s3cr\\$t \'x\\""' in lines


def test_github_and_json_formats():
    env = variables(READY)
    assert render(env, "github").splitlines()[0] == f"ARM_TENANT_ID={READY['tenant_id']}"
    assert json.loads(render(env, "json")) == env
    with pytest.raises(ValueError, match="newline"):
        render({"X": "a\nb"}, "github")
    with pytest.raises(ValueError, match="unknown format"):
        render(env, "yaml")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "msgraph_membership.emulator", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private cache directory (records, logs, test CA) for the commands and this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}


def test_env_starts_an_emulator_reuses_it_and_its_settings_sign_in(cache):
    port = free_port()
    first = cli("env", "--port", str(port), "--format", "json", env=cache)
    try:
        assert first.returncode == 0, first.stderr
        assert "started an emulator" in first.stderr and "/_emulator/ui" in first.stderr
        env = json.loads(first.stdout)
        assert env["MSGRAPH_ENDPOINT"] == f"https://127.0.0.1:{port}"
        again = cli("env", "--port", str(port), env=cache)
        assert again.returncode == 0 and "using the emulator" in again.stderr
        assert shell_values(again.stdout) == [env[n] for n in NAMES]
        # The printed settings are all a client needs: sign in with them, over the printed CA.
        s = requests.Session()
        s.trust_env = False
        token = s.post(f"{env['AZURE_AUTHORITY_HOST']}/{env['ARM_TENANT_ID']}/oauth2/v2.0/token",
                       data={"grant_type": "client_credentials", "client_id": env["ARM_CLIENT_ID"],
                             "client_secret": env["ARM_CLIENT_SECRET"],
                             "scope": "https://graph.microsoft.com/.default"},
                       verify=env["MSGRAPH_CA_BUNDLE"], timeout=30)
        assert token.status_code == 200 and token.json()["access_token"]
    finally:
        stopped = cli("stop", "--port", str(port), env=cache)
    assert stopped.returncode == 0, stopped.stderr
    assert not running.record_path(port).exists()
    gone = cli("env", "--port", str(port), "--no-start", env=cache)
    assert gone.returncode == 1 and "no emulator answers" in gone.stderr and gone.stdout == ""


def test_env_passes_the_seed_to_the_emulator_it_starts(cache, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"tenant_id": "7f0c4bd5-0000-4000-8000-0000000000ee"}))
    port = free_port()
    try:
        out = cli("env", "--port", str(port), "--seed", str(seed), "--format", "dotenv", env=cache)
        assert out.returncode == 0, out.stderr
        assert "ARM_TENANT_ID=7f0c4bd5-0000-4000-8000-0000000000ee" in out.stdout.splitlines()
        again = cli("env", "--port", str(port), "--seed", str(seed), env=cache)  # one already answers there
        assert again.returncode == 0
        assert f"warning: an emulator already answers on port {port}, so --seed was not applied" in again.stderr
        assert f"msgraph-emulator stop --port {port}" in again.stderr
        quiet = cli("env", "--port", str(port), env=cache)
        assert "warning" not in quiet.stderr
    finally:
        cli("stop", "--port", str(port), env=cache)


def test_az_writes_an_azure_cli_profile_for_the_running_emulator(cache, tmp_path):
    import configparser

    port = free_port()
    none = cli("az", "--port", str(port), env=cache)
    assert none.returncode == 1 and "no emulator answers" in none.stderr and "msgraph-emulator env" in none.stderr
    try:
        env = json.loads(cli("env", "--port", str(port), "--format", "json", env=cache).stdout)
        out = cli("az", "--port", str(port), "--dir", str(tmp_path / "az"), "--format", "json", env=cache)
        assert out.returncode == 0, out.stderr
        exports = json.loads(out.stdout)
        assert exports["AZURE_CONFIG_DIR"] == str(tmp_path / "az")
        clouds = configparser.ConfigParser()
        clouds.read(tmp_path / "az" / "clouds.config")
        base = f"https://127.0.0.1:{port}"
        assert dict(clouds["MsgraphEmulator"]) == {
            "endpoint_active_directory": base, "endpoint_active_directory_resource_id": "https://management.core.windows.net/",
            "endpoint_microsoft_graph_resource_id": f"{base}/", "endpoint_resource_manager": f"{base}/"}
        config = configparser.ConfigParser()
        config.read(tmp_path / "az" / "config")
        assert config["cloud"]["name"] == "MsgraphEmulator" and config["core"]["instance_discovery"] == "false"
        bundle = open(exports["REQUESTS_CA_BUNDLE"]).read()
        assert open(env["MSGRAPH_CA_BUNDLE"]).read().strip() in bundle and bundle.count("BEGIN CERTIFICATE") > 10
        assert env["ARM_CLIENT_SECRET"] not in out.stdout + out.stderr  # the login line names the variable
        assert '"$ARM_CLIENT_SECRET"' in out.stderr
        # MSAL's user-realm discovery skipped for the emulator's host (az login -u -p), for az alone:
        # the profile's bin/az first on PATH, then the caller's PATH; no PYTHONPATH for the shell
        assert "PYTHONPATH" not in exports
        assert exports["PATH"].split(os.pathsep) == [str(tmp_path / "az" / "bin"), *cache["PATH"].split(os.pathsep)]
        assert os.access(tmp_path / "az" / "bin" / "az", os.X_OK)
        assert 'add("127.0.0.1")' in (tmp_path / "az" / "python" / "sitecustomize.py").read_text()
        assert "az login -u USER -p PASSWORD" in out.stderr
    finally:
        cli("stop", "--port", str(port), env=cache)


def test_a_stale_record_is_ignored_and_removed(cache):
    port = free_port()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    running.write_record({**READY, "port": port, "pid": int(dead.stdout), "base_url": f"https://127.0.0.1:{port}"})
    assert running.find(port) is None
    assert not running.record_path(port).exists()


def test_an_emulator_on_port_0_leaves_no_record(cache):
    from msgraph_membership.emulator.process import start_emulator

    with start_emulator() as emu:
        assert not running.record_path(emu.port).exists()


def _answers_at(port: int, ca: str) -> bool:
    s = requests.Session()
    s.trust_env = False
    try:
        return s.get(f"https://127.0.0.1:{port}/_emulator/health", verify=ca, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_env_on_all_interfaces_prints_an_address_the_certificate_covers_and_stop_stops_it(cache):
    """`--host 0.0.0.0`: the printed endpoint is the loopback address (the certificate covers it, not
    0.0.0.0), a client verifying the certificate reaches it, and `stop` stops that emulator."""
    port = free_port()
    first = cli("env", "--host", "0.0.0.0", "--port", str(port), "--format", "json", env=cache)
    try:
        assert first.returncode == 0, first.stderr
        env = json.loads(first.stdout)
        assert env["MSGRAPH_ENDPOINT"] == env["AZURE_AUTHORITY_HOST"] == f"https://127.0.0.1:{port}"
        assert _answers_at(port, env["MSGRAPH_CA_BUNDLE"])
        pid = running.find(port)["pid"]
    finally:
        stopped = cli("stop", "--port", str(port), env=cache)
    assert stopped.returncode == 0 and f"pid {pid}" in stopped.stderr, stopped.stderr
    assert not _answers_at(port, env["MSGRAPH_CA_BUNDLE"])
    assert not running.record_path(port).exists()


def test_stop_stops_a_recorded_emulator_that_does_not_answer_at_its_recorded_address(cache):
    """A record whose address is wrong (as `env --host 0.0.0.0` once wrote): `stop` still stops the
    emulator serving that port, found by its pid and command line, and says so."""
    port = free_port()
    first = cli("env", "--port", str(port), "--format", "json", env=cache)
    assert first.returncode == 0, first.stderr
    ready = json.loads(running.record_path(port).read_text())
    running.write_record({**ready, "base_url": f"https://0.0.0.0:{port}"})
    stopped = cli("stop", "--port", str(port), env=cache)
    if stopped.returncode != 0:  # leave nothing running whatever happened
        os.kill(ready["pid"], 15)
    assert stopped.returncode == 0 and f"pid {ready['pid']}" in stopped.stderr, stopped.stderr
    assert not _answers_at(port, ready["ca_bundle"])
