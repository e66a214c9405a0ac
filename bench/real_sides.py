"""The three sides of bench/real.py, each a stack driven by its real CLI against one emulator:
pulumi-azuread through `pulumi`, terraform-provider-azuread through `tofu`, ours through `pulumi`.

A side knows how to lay out a stack for a program spec ({"kind", "group", "unit", "members"}),
the command line of each phase, and which process is its provider (for its peak memory). Timing,
request counting and memory sampling are the caller's (bench/real.py).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bench.procmem import PeakMemory, kill_tree

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "bench" / "real_program"
PASSPHRASE = "bench"

# tofu resource type per program kind (the Pulumi kinds of bench/real_program/__main__.py)
TOFU_KINDS = {"azuread.GroupMember": "azuread_group_member", "azuread.Group": "azuread_group",
              "azuread.AdministrativeUnitMember": "azuread_administrative_unit_member"}


def emulator_env(emu) -> dict[str, str]:
    """What both azuread providers need besides `msgraph-emulator env`: the custom cloud's metadata
    host (the emulator serves its endpoints there) and the emulator's CA for Go's TLS."""
    return {**emu.env(), "ARM_METADATA_HOSTNAME": urlparse(emu.graph_url).netloc,
            "SSL_CERT_FILE": emu.ca_bundle}


def tofu_config(spec: dict) -> str:
    """main.tf for a spec: the azuread kinds as terraform-provider-azuread resources."""
    kind, members = TOFU_KINDS[spec["kind"]], json.dumps(spec.get("members", []))
    head = ('terraform {\n  required_providers {\n    azuread = { source = "hashicorp/azuread" }\n  }\n}\n'
            'provider "azuread" {}\n'
            f"locals {{\n  members = {members}\n}}\n")
    if kind == "azuread_group_member":
        body = (f'resource "azuread_group_member" "m" {{\n  for_each = toset(local.members)\n'
                f'  group_object_id = "{spec["group"]}"\n  member_object_id = each.value\n}}\n')
    elif kind == "azuread_administrative_unit_member":
        body = (f'resource "azuread_administrative_unit_member" "m" {{\n  for_each = toset(local.members)\n'
                f'  administrative_unit_object_id = "{spec["unit"]}"\n  member_object_id = each.value\n}}\n')
    else:
        units = f'  administrative_unit_ids = ["{spec["unit"]}"]\n' if spec.get("unit") else ""
        body = ('resource "azuread_group" "big" {\n  display_name = "Bench big group"\n'
                f"  security_enabled = true\n  members = local.members\n{units}}}\n")
    return head + body


@dataclass
class Run:
    """One command: its wall time, exit code and what it printed."""

    argv: list[str]
    wall_s: float = 0.0
    rc: int | None = None
    out: str = ""
    killed: bool = False


@dataclass
class Side:
    """One side: `name` (the column), `cli` ("pulumi" or "tofu"), `provider_match` (substrings, one
    of which is in its provider process's command line)."""

    name: str
    cli: str
    provider_match: tuple[str, ...]
    env: dict = field(default_factory=dict)

    # -- a stack ------------------------------------------------------------------------------------
    def stack(self, work: Path, spec: dict) -> Path:
        """A fresh stack directory for `spec` under `work`."""
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        if self.cli == "tofu":
            (work / "main.tf").write_text(tofu_config(spec))
            return work
        for name in ("__main__.py", "nop_provider.py", "Pulumi.yaml"):
            shutil.copy(PROGRAM / name, work / name)
        (work / "spec.json").write_text(json.dumps(spec))
        (work / "backend").mkdir()
        self.command(work, ["pulumi", "stack", "init", "bench", "--non-interactive"], check=True)
        return work

    def argv(self, phase: str) -> list[str]:
        """The command a user types for a phase: up, preview (no change expected), refresh, destroy."""
        if self.cli == "tofu":
            return {"up": ["tofu", "apply", "-auto-approve", "-input=false"],
                    "preview": ["tofu", "plan", "-input=false", "-detailed-exitcode"],
                    "refresh": ["tofu", "apply", "-refresh-only", "-auto-approve", "-input=false"],
                    "destroy": ["tofu", "destroy", "-auto-approve", "-input=false"]}[phase]
        return {"up": ["pulumi", "up", "--yes"], "preview": ["pulumi", "preview", "--expect-no-changes"],
                "refresh": ["pulumi", "refresh", "--yes"], "destroy": ["pulumi", "destroy", "--yes"]}[phase] + [
            "--non-interactive", "--stack", "bench"]

    def stack_env(self, work: Path) -> dict[str, str]:
        env = {**os.environ, **self.env}
        if self.cli == "pulumi":
            env.update({"PULUMI_BACKEND_URL": f"file://{work / 'backend'}", "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
            # the floor's provider module (nop_provider.py, beside the program) must import in the
            # provider process too, whichever directory its launcher puts first on sys.path
            env["PYTHONPATH"] = os.pathsep.join([str(work)] + [p for p in [env.get("PYTHONPATH")] if p])
        return env

    def command(self, work: Path, argv: list[str], check: bool = False, kill_when=None,
                timeout: float = 7200, memory: "PeakMemory | None" = None) -> Run:
        """Run `argv` in the stack; `kill_when()` (polled) true: SIGKILL every process of the
        command, as a runner that dies would. `memory` watches the command's own processes."""
        run = Run(argv)
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, cwd=work, env=self.stack_env(work), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        if memory is not None:
            memory.root = proc.pid
        chunks: list[str] = []
        reader = threading.Thread(target=lambda: chunks.extend(iter(proc.stdout.readline, "")), daemon=True)
        reader.start()
        while proc.poll() is None:
            if kill_when is not None and kill_when():
                kill_tree(proc.pid)
                run.killed = True
                break
            if time.monotonic() - t0 > timeout:
                kill_tree(proc.pid)
                break
            time.sleep(0.05)
        run.rc = proc.wait()
        run.wall_s = time.monotonic() - t0
        reader.join(5)
        run.out = "".join(chunks)
        if check and run.rc != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({run.rc}):\n{run.out[-3000:]}")
        return run


def sides(emu, tofu_bin: Path, pulumi_bin: str, python: str) -> list[Side]:
    """The three sides, with their environments."""
    base = emulator_env(emu)
    # each CLI sees only its own bin directory (pulumi would otherwise take the azuread plugin from PATH)
    pulumi_env = {**base, "PATH": f"{pulumi_bin}{os.pathsep}{os.environ.get('PATH', '')}",
                  "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_PYTHON_CMD": python}
    # ours without azuread's metadata host: our provider refuses ARM_METADATA_HOSTNAME by name
    # (clouds are chosen by name here), and `msgraph-emulator env` already says where Graph is
    ours_env = {k: v for k, v in pulumi_env.items() if k not in ("ARM_METADATA_HOSTNAME", "SSL_CERT_FILE")}
    return [
        Side("pulumi-azuread", "pulumi", ("pulumi-resource-azuread",), pulumi_env),
        Side("terraform azuread", "tofu", ("terraform-provider-azuread",),
             {**base, "PATH": f"{tofu_bin}{os.pathsep}{os.environ.get('PATH', '')}", "TF_CLI_CONFIG_FILE": str(tofu_bin / "tofurc"), "TF_IN_AUTOMATION": "1",
              "CHECKPOINT_DISABLE": "1"}),
        Side("ours", "pulumi", ("pulumi.dynamic", "dynamic_provider.py"), ours_env),
    ]
