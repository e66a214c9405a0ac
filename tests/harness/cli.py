"""The real Pulumi CLI for tests: its build (scripts/pulumi-cli.sh) and a stack driven through the
Automation API, one per program, with a local file backend and the provider pointed at an emulator.

    stack = CliStack.for_directory(emu, program_dir, tmp_path)     # a project directory (Pulumi.yaml)
    stack = CliStack.inline(emu, "proj", program_fn, tmp_path)      # an inline program
    stack.preview().ops()   -> {"developers": "create", ...}
    stack.up(parallel=32); stack.refresh(); stack.destroy()

Every command's per-resource operations come from the engine's own event stream, so tests assert
what the engine did, not what a harness thinks it did.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "cli-tests"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # how the engine writes a value not known until apply

_BIN: list[str] = []


def pulumi_bin() -> str:
    """The bin directory of the `pulumi` the tests run, put first on PATH: the project's build
    (scripts/pulumi-cli.sh, made on first use) where Go is installed, else a `pulumi` already on PATH.

    With neither, the CLI tests skip with the reason, except in CI (CI set), where they fail."""
    if _BIN:
        return _BIN[0]
    if shutil.which("go") is None and shutil.which("pulumi") is not None:
        bin_dir = str(Path(shutil.which("pulumi")).parent)
    else:
        res = subprocess.run(["bash", str(REPO / "scripts" / "pulumi-cli.sh")], capture_output=True, text=True)
        if res.returncode != 0:
            msg = f"the Pulumi CLI could not be built: {res.stderr.strip()[-2000:]}"
            if os.environ.get("CI") or shutil.which("go"):
                pytest.fail(msg)
            pytest.skip(msg)
        sys.stderr.write(res.stderr)
        bin_dir = res.stdout.strip().splitlines()[-1]
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    _BIN.append(bin_dir)
    return bin_dir


OP_NAMES = {"create": "create", "update": "update", "delete": "delete", "same": "same", "read": "read",
            "replace": "replace", "create-replacement": "replace", "delete-replaced": "replace",
            "discard": "delete", "refresh": "refresh", "import": "import", "import-replacement": "replace"}


@dataclass
class Step:
    op: str
    urn: str
    type: str
    name: str
    diffs: list[str] = field(default_factory=list)
    old: dict = field(default_factory=dict)  # the resource's outputs before the step
    new: dict = field(default_factory=dict)  # and after it (planned, in a preview)


@dataclass
class Summary:
    """What one command did (or, for preview, would do), read from the engine's events."""

    command: str
    steps: dict[str, Step] = field(default_factory=dict)  # by URN, the last op the engine reported
    outputs: dict = field(default_factory=dict)
    planned_outputs: dict = field(default_factory=dict)  # the stack's outputs as the engine planned them
    stdout: str = ""
    stderr: str = ""
    resource_changes: dict = field(default_factory=dict)
    diagnostics: list[str] = field(default_factory=list)
    sequence: list[tuple[str, str]] = field(default_factory=list)  # (engine op, name) as steps finished

    def step(self, name: str) -> Step:
        [step] = [s for s in self.steps.values() if s.name == name]
        return step

    def ops(self) -> dict[str, str]:
        """resource name -> op, for the program's own resources (not the stack, not providers)."""
        return {s.name: s.op for s in self.steps.values()
                if s.type != "pulumi:pulumi:Stack" and not s.type.startswith("pulumi:providers:")}

    @property
    def counts(self) -> dict[str, int]:
        """op -> how many of the program's resources had it."""
        out: dict[str, int] = {}
        for op in self.ops().values():
            out[op] = out.get(op, 0) + 1
        return out

    @property
    def changes(self) -> int:
        """How many resources changed (0: "no changes"), as the engine counted them."""
        return sum(n for op, n in (self.resource_changes or {}).items() if op != "same")


class StackError(Exception):
    """A command failed; `summary` holds what the engine reported before it stopped."""

    def __init__(self, message: str, summary: Summary):
        super().__init__(message)
        self.summary = summary


def _collector(summary: Summary) -> Callable:
    def on_event(ev) -> None:
        pre = ev.resource_pre_event
        out = ev.res_outputs_event
        meta = (out or pre).metadata if (out or pre) else None
        if meta is not None:
            op = OP_NAMES.get(getattr(meta.op, "value", meta.op), str(meta.op))
            if op == "refresh":  # a refresh step: gone, changed or the same
                gone = meta.new is None or not getattr(meta.new, "id", None)
                op = "delete" if gone else ("update" if meta.diffs else "same")
            name = meta.urn.rsplit("::", 1)[-1]
            if meta.type == "pulumi:pulumi:Stack" and getattr(meta.new, "outputs", None):
                summary.planned_outputs = dict(meta.new.outputs)
            if out is not None:
                summary.sequence.append((getattr(meta.op, "value", str(meta.op)), name))
            prev = summary.steps.get(meta.urn)
            if prev is None or out is not None or prev.op == "same":
                summary.steps[meta.urn] = Step(op, meta.urn, meta.type, name, list(meta.diffs or []),
                                               dict(getattr(meta.old, "outputs", None) or {}),
                                               dict(getattr(meta.new, "outputs", None) or {}))
        if ev.diagnostic_event is not None:
            summary.diagnostics.append(ev.diagnostic_event.message)
        if ev.summary_event is not None:
            summary.resource_changes = dict(ev.summary_event.resource_changes or {})
    return on_event


class CliStack:
    """One stack of one program, run by the real `pulumi` through the Automation API."""

    def __init__(self, stack, emu, work: Path):
        self.stack = stack
        self.emu = emu
        self.work = work

    # -- construction ---------------------------------------------------------------------------
    @staticmethod
    def env_for(emu, tmp_path: Path, extra: dict | None = None) -> dict[str, str]:
        """The CLI on PATH, a local file backend under `tmp_path`, and the CLI's environment: the
        emulator's settings, the passphrase, this test's Python, and `extra`."""
        pulumi_bin()
        backend = tmp_path / "backend"
        backend.mkdir(parents=True, exist_ok=True)
        return {**(emu.env() if emu is not None else {}), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_BACKEND_URL": f"file://{backend}",
                "PULUMI_PYTHON_CMD": sys.executable, **(extra or {})}

    @classmethod
    def for_directory(cls, emu, program_dir: Path, tmp_path: Path, stack_name: str = "dev",
                      env: dict | None = None) -> "CliStack":
        """A project directory (with Pulumi.yaml, run through the Python language host)."""
        from pulumi import automation as auto

        stack = auto.create_or_select_stack(
            stack_name, work_dir=str(program_dir),
            opts=auto.LocalWorkspaceOptions(env_vars=cls.env_for(emu, tmp_path, env), secrets_provider="passphrase"))
        return cls(stack, emu, program_dir)

    @classmethod
    def inline(cls, emu, project: str, program: Callable[[], None], tmp_path: Path, stack_name: str = "dev",
               env: dict | None = None) -> "CliStack":
        """An inline program: the engine talks to this process's own language server."""
        from pulumi import automation as auto

        env_vars = cls.env_for(emu, tmp_path, env)
        work = tmp_path / "inline"
        work.mkdir(parents=True, exist_ok=True)
        settings = auto.ProjectSettings(name=project, runtime=auto.ProjectRuntimeInfo(
            name="python", options={"virtualenv": str(Path(sys.executable).parents[1])}))
        stack = auto.create_or_select_stack(
            stack_name, project_name=project, program=program,
            opts=auto.LocalWorkspaceOptions(work_dir=str(work), project_settings=settings,
                                            env_vars=env_vars,
                                            secrets_provider="passphrase"))
        return cls(stack, emu, work)

    # -- commands -------------------------------------------------------------------------------
    def _run(self, command: str, fn: Callable, **kw) -> Summary:
        from pulumi import automation as auto

        summary = Summary(command)
        try:
            res = fn(on_event=_collector(summary), **kw)
        except auto.CommandError as e:
            summary.stderr = getattr(e, "stderr", "") or str(e)
            raise StackError(str(e), summary) from e
        summary.stdout = getattr(res, "stdout", "") or ""
        summary.stderr = getattr(res, "stderr", "") or ""
        outs = getattr(res, "outputs", None)
        if outs:
            summary.outputs = {k: v.value for k, v in outs.items()}
        if not summary.resource_changes:
            rc = getattr(getattr(res, "summary", None), "resource_changes", None) or getattr(res, "change_summary", None)
            summary.resource_changes = dict(rc or {})
        return summary

    def preview(self, **kw) -> Summary:
        return self._run("preview", self.stack.preview, **kw)

    def up(self, **kw) -> Summary:
        return self._run("up", self.stack.up, **kw)

    def refresh(self, **kw) -> Summary:
        return self._run("refresh", self.stack.refresh, **kw)

    def destroy(self, **kw) -> Summary:
        return self._run("destroy", self.stack.destroy, **kw)

    def export(self) -> dict:
        """The stack's state, as `pulumi stack export` gives it (secrets encrypted; the Automation
        API's export_stack would decrypt them)."""
        import json

        return json.loads(self.pulumi("stack", "export").stdout)["deployment"]

    def set_config(self, key: str, value: str, secret: bool = False) -> None:
        from pulumi import automation as auto

        self.stack.set_config(key, auto.ConfigValue(value=value, secret=secret))

    def pulumi(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """The `pulumi` command itself, in the stack's directory with its environment."""
        env = {**os.environ, **self.stack.workspace.env_vars}
        return subprocess.run(["pulumi", *args, "--stack", self.stack.name, "--non-interactive"],
                              cwd=self.work, env=env, capture_output=True, text=True, check=check)

    def resources(self) -> list[dict]:
        return [r for r in self.export().get("resources", [])
                if r["type"].startswith("pulumi-python:dynamic")]

    # -- the directory --------------------------------------------------------------------------
    def directory(self) -> dict:
        return self.emu.directory()

    def memberships(self) -> set[tuple[str, str, str]]:
        from lifecycle.conftest import memberships

        return memberships(self.emu.directory())

    def edit(self, old: str, new: str) -> None:
        """Edit the program's source (a private copy), as a user would between two `up`s."""
        main = self.work / "__main__.py"
        src = main.read_text()
        assert src.count(old) == 1, f"{old!r} must occur exactly once in {main}"
        main.write_text(src.replace(old, new))


class ShellStack(CliStack):
    """The same stack driven as a user types it: `pulumi <command>` in the project directory, with
    the engine's events read from `--event-log` (the file the Automation API reads too)."""

    def __init__(self, emu, work: Path, env: dict[str, str], stack_name: str = "dev"):
        self.emu = emu
        self.work = work
        # PULUMI_DEBUG_COMMANDS enables --event-log, as the Automation API does for its commands.
        self.env = {**os.environ, **env, "PULUMI_DEBUG_COMMANDS": "true"}
        self.name = stack_name
        self.run("stack", "init", stack_name)

    @classmethod
    def for_directory(cls, emu, program_dir: Path, tmp_path: Path, stack_name: str = "dev",
                      env: dict | None = None) -> "ShellStack":
        return cls(emu, program_dir, cls.env_for(emu, tmp_path, env), stack_name)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        res = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=self.work, env=self.env,
                             capture_output=True, text=True)
        if check and res.returncode != 0:
            raise StackError(f"pulumi {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}",
                             Summary(args[0], stdout=res.stdout, stderr=res.stderr))
        return res

    def _command(self, command: str, *args: str) -> Summary:
        from pulumi.automation.events import EngineEvent
        import json
        import tempfile

        summary = Summary(command)
        on_event = _collector(summary)
        with tempfile.TemporaryDirectory() as d:
            log = Path(d) / "events.jsonl"
            yes = [] if command == "preview" else ["--yes"]
            try:
                res = self.run(command, *yes, "--event-log", str(log), *args)
            finally:
                if log.exists():
                    for line in log.read_text().splitlines():
                        if line.strip():
                            on_event(EngineEvent.from_json(json.loads(line)))
        summary.stdout, summary.stderr = res.stdout, res.stderr
        if command != "preview":
            outs = json.loads(self.run("stack", "output", "--json").stdout or "{}")
            summary.outputs = outs
        return summary

    @staticmethod
    def flags(kw: dict) -> list[str]:
        """Automation API keywords as the CLI's flags: parallel=4 -> --parallel 4, refresh=True -> --refresh."""
        out: list[str] = []
        for k, v in kw.items():
            flag = "--" + k.replace("_", "-")
            if v is True:
                out.append(flag)
            elif v not in (None, False):
                out += [flag, str(v)]
        return out

    def preview(self, *args: str, **kw) -> Summary:
        return self._command("preview", *args, *self.flags(kw))

    def up(self, *args: str, **kw) -> Summary:
        return self._command("up", *args, *self.flags(kw))

    def refresh(self, *args: str, **kw) -> Summary:
        return self._command("refresh", *args, *self.flags(kw))

    def destroy(self, *args: str, **kw) -> Summary:
        return self._command("destroy", *args, *self.flags(kw))

    def export(self) -> dict:
        import json

        return json.loads(self.run("stack", "export").stdout)["deployment"]

    def set_config(self, key: str, value: str, secret: bool = False) -> None:
        self.run("config", "set", *(["--secret"] if secret else []), key, value)


def copy_example(example_dir: Path, dest: Path) -> Path:
    """An example program, copied so the CLI's stack files stay out of the repository, with its
    virtualenv made absolute (the copy no longer sits two levels under the repository)."""
    shutil.copytree(example_dir, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    project = yaml.safe_load((dest / "Pulumi.yaml").read_text())
    project["runtime"]["options"]["virtualenv"] = str(Path(sys.executable).parents[1])
    (dest / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    return dest
