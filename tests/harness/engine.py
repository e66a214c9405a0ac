"""A small, faithful stand-in for the Pulumi engine, to run example programs as `pulumi` would.

    PYTHONPATH=tests python -m harness.engine {preview,up,refresh,destroy} PROGRAM_DIR \
        --state FILE [--stack dev] [--config key=value ...]

The Pulumi CLI cannot be installed here, so this drives the *real* parts (the program, run by the
real Python SDK; the SDK's real dynamic-provider server, `python -m pulumi.dynamic`, over gRPC)
and replaces only the engine in between. Which engine behaviour each part follows, with pointers
into github.com/pulumi/pulumi:

- **The program run.** The program directory's `__main__.py` runs with `runpy` (as the Python
  language host does: program directory on `sys.path` and as the working directory) under
  `pulumi.runtime.set_mocks`, with a resource monitor (`_EngineMonitor`, a `MockMonitor`) whose
  `RegisterResource` *is* the step generator: each registration is checked, diffed and applied
  before the program gets its outputs, as `pkg/resource/deploy/source_eval.go` (RegisterResource
  waits for the step) and `step_generator.go` (GenerateSteps) do. So a resource whose inputs come
  from another resource's outputs gets the real values on `up`, and **unknowns in preview** (of
  any depth: apply/all/interpolated values too), exactly as the SDK resolves them in a real
  preview. Same resources hand back their old outputs in preview.
- **URNs.** `urn:pulumi:<stack>::<project>::<qualified type>::<name>`, the parent's type prefixed
  unless the parent is the root stack (`pkg/resource/deploy/deployment.go: generateURN`).
- **Check.** `olds` = old *inputs* (none for a new resource), `news` = the program's inputs;
  failures stop the deployment (`step_generator.go: generateSteps`, `issueCheckErrors`).
- **Diff.** `olds` = old *outputs*, `news` = checked inputs. DIFF_UNKNOWN falls back to a deep
  compare of old and new *inputs*, `__provider` included (`step_generator.go: diffResource`).
  `replaces` non-empty means replace; `deleteBeforeReplace` from the provider or the resource
  option (`step_generator.go`: "Case 3: hasOld").
- **Create / Update.** Create with the checked inputs; Update with old outputs and checked
  inputs (`pkg/resource/deploy/step.go: CreateStep.Apply, UpdateStep.Apply`). In preview neither
  is called and the inputs stand in for the outputs (`sdk/go/common/resource/plugin/
  provider_plugin.go: Create`: "If the provider does not support previews, return the inputs as
  the state"; the Python dynamic provider does not support previews).
- **Replace.** Create-before-delete: the replacement is created at once, the old resource is
  marked `delete: true` in state and deleted after the program finishes, with the other deletes
  (`step_generator.go`: `NewCreateReplacementStep` + `NewReplaceStep`, old one pending delete;
  `GenerateDeletes`). With delete-before-replace the old one is deleted first
  (`NewDeleteReplacementStep`). Resources left `delete: true` by a crashed run are deleted first
  thing on the next `up` (`deployment_executor.go`: `GeneratePendingDeletes`).
- **Deletes.** Resources in state that the program no longer registers, in reverse state order
  (state is kept in registration order, which is a dependency order), after the program
  (`step_generator.go: GenerateDeletes`, `deployment_executor.go`). Delete gets the old outputs,
  so the old `__provider` blob (`step.go: DeleteStep.Apply`).
- **State.** Written after every step, so a crash loses nothing already done (the snapshot
  journal, `pkg/backend/snapshot.go`): the resources stepped so far, then the old ones not yet
  reached, then those pending deletion.
- **Refresh.** Read each resource with its id, old outputs and old inputs; an empty id drops it
  from state; returned inputs replace the stored ones (`step.go: RefreshStep.Apply`,
  pulumi/pulumi#21315); the program does not run (`pulumi refresh` without `--run-program`).
- **Destroy.** Delete every resource, in reverse state order (`step_generator.go`, destroy mode).
- **The provider process.** A fresh `python -m pulumi.dynamic` per command, as the CLI starts a
  fresh plugin per run, sent `Configure` with the whole stack config first
  (`pkg/resource/deploy/target.go: GetPackageConfig` for `pulumi-python`), with `PULUMI_PROJECT`
  and `PULUMI_CONFIG` in its environment.

Limitations (compared with the real engine):
- Steps run one at a time (like `--parallel 1`); the engine runs independent steps in parallel.
- Only Python dynamic resources and component resources; other packages (e.g. `azuread`) would
  need their providers. `ReadResource` (`.get()`) and invokes are not supported.
- Resource options honoured: `depends_on`/dependencies, `parent`, `delete_before_replace`.
  Not honoured: `protect`, `retain_on_delete`, `ignore_changes`, `replace_on_changes`, `aliases`,
  `import_` (does not work for dynamic providers anyway, pulumi/pulumi#16175), transforms,
  custom timeouts, `--target`.
- Delete-before-replace does not also replace the old resource's dependents (the engine does).
- Secrets are not tracked: state holds plain values (the engine encrypts secret values).
- On a failed step the deployment stops issuing steps (like the engine without
  `--continue-on-error`), keeps what was done, and runs no deletes.
"""
from __future__ import annotations

import argparse
import contextvars
import json
import os
import runpy
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from .server import ProviderServer, to_struct

STACK_TYPE = "pulumi:pulumi:Stack"
DYNAMIC_PREFIX = "pulumi-python:dynamic"
STATE_VERSION = 1

OPS = ("create", "update", "replace", "delete", "same")
SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " ", "read": " "}


# -- values ---------------------------------------------------------------------------------------

def plain(v: Any) -> Any:
    """A wire value as the engine hands it to a provider that does not accept secrets: secrets
    unwrapped (`acceptSecrets=False`), unknowns as the `rpc.UNKNOWN` sentinel string."""
    if isinstance(v, Unknown):
        return rpc.UNKNOWN
    if rpc.is_rpc_secret(v):
        return plain(rpc.unwrap_rpc_secret(v))
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def has_unknowns(v: Any) -> bool:
    if v == rpc.UNKNOWN or isinstance(v, Unknown):
        return True
    if isinstance(v, dict):
        return any(has_unknowns(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(has_unknowns(x) for x in v)
    return False


def _struct_to_plain(s: struct_pb2.Struct) -> dict:
    return plain(rpc.deserialize_properties(s, keep_unknowns=True))


# -- state ----------------------------------------------------------------------------------------

@dataclass
class ResourceState:
    """One resource in the state file (a subset of the engine's `resource.State`)."""

    urn: str
    type: str
    name: str
    custom: bool = True
    id: str = ""
    inputs: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    delete: bool = False  # pending deletion: replaced, or left by a crashed run

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict) -> "ResourceState":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def load_state(path: Path) -> tuple[list[ResourceState], dict]:
    """Resources (in state order) and the stack outputs from a state file; empty if none yet."""
    if not path.exists():
        return [], {}
    doc = json.loads(path.read_text())
    if doc.get("version") != STATE_VERSION:
        raise ValueError(f"{path}: unsupported state version {doc.get('version')!r}")
    return [ResourceState.from_json(r) for r in doc.get("resources", [])], doc.get("outputs", {})


def save_state(path: Path, project: str, stack: str, resources: list[ResourceState], outputs: dict) -> None:
    """Write atomically (temp file + rename): a crash mid-write never leaves a torn state file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"version": STATE_VERSION, "project": project, "stack": stack, "outputs": outputs,
           "resources": [r.to_json() for r in resources]}
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=False))
    os.replace(tmp, path)


# -- summaries ------------------------------------------------------------------------------------

@dataclass
class Step:
    op: str  # create | update | replace | delete | same
    urn: str
    type: str
    name: str
    detail: str = ""


@dataclass
class Summary:
    """What a command did (or, for preview, would do)."""

    command: str
    steps: list[Step] = field(default_factory=list)
    outputs: dict = field(default_factory=dict)
    error: str | None = None
    duration_s: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        c = {op: 0 for op in OPS}
        for s in self.steps:
            c[s.op] = c.get(s.op, 0) + 1
        return c

    @property
    def changes(self) -> int:
        """How many steps change something: 0 means "no changes"."""
        return sum(n for op, n in self.counts.items() if op != "same")

    def ops(self) -> dict[str, str]:
        """name -> op, for assertions."""
        return {s.name: s.op for s in self.steps}

    def render(self) -> str:
        verb = {"preview": "Previewing update", "up": "Updating", "refresh": "Refreshing",
                "destroy": "Destroying"}[self.command]
        lines = [f"{verb}:", ""]
        if self.steps:
            w_type = max(len(s.type) for s in self.steps)
            w_name = max(len(s.name) for s in self.steps)
            lines.append(f"     {'Type':<{w_type}}  {'Name':<{w_name}}  {'Plan' if self.command == 'preview' else 'Status'}")
            for s in self.steps:
                lines.append(f" {SYMBOL.get(s.op, '?'):<3} {s.type:<{w_type}}  {s.name:<{w_name}}  {s.op}"
                             + (f"  [{s.detail}]" if s.detail else ""))
            lines.append("")
        if self.outputs:
            lines.append("Outputs:")
            for k, v in sorted(self.outputs.items()):
                lines.append(f"    {k}: {json.dumps(v)}")
            lines.append("")
        lines.append("Resources:")
        c = self.counts
        future = self.command == "preview"
        for op, label in (("create", "to create" if future else "created"), ("update", "to update" if future else "updated"),
                          ("replace", "to replace" if future else "replaced"), ("delete", "to delete" if future else "deleted")):
            if c.get(op):
                lines.append(f"    {SYMBOL[op]} {c[op]} {label}")
        if c.get("same"):
            lines.append(f"    {c['same']} unchanged")
        if not self.changes:
            lines.append("    no changes")
        lines.append("")
        lines.append(f"Duration: {self.duration_s:.1f}s")
        if self.error:
            lines += ["", f"error: {self.error}"]
        return "\n".join(lines)


class EngineError(Exception):
    """A command failed; `summary` says what was done before the failure."""

    def __init__(self, message: str, summary: Summary):
        super().__init__(message)
        self.summary = summary


# -- the engine -----------------------------------------------------------------------------------

class Engine:
    """Runs one program directory against one state file, command by command, like the CLI.

    Example::

        eng = Engine("examples/quickstart", tmp / "state.json", config=emulator_config(emu))
        assert eng.up().counts["create"] == 2
        assert eng.up().changes == 0
    """

    def __init__(self, program_dir: str | os.PathLike, state_file: str | os.PathLike,
                 config: dict[str, Any] | None = None, env: dict[str, str] | None = None,
                 stack: str = "dev", project: str | None = None):
        self.program_dir = Path(program_dir).resolve()
        if not (self.program_dir / "__main__.py").is_file():
            raise FileNotFoundError(f"{self.program_dir} has no __main__.py")
        self.state_file = Path(state_file)
        self.stack = stack
        self.project = project or project_name(self.program_dir)
        self.config = {**stack_config_file(self.program_dir, stack, self.project), **qualify(config or {}, self.project)}
        self.env = dict(env or {})

    # ---- commands ----

    def preview(self) -> Summary:
        """Check and Diff each registration against state; no provider writes, no state writes."""
        return self._deploy(preview=True)

    def up(self) -> Summary:
        """Create, update, replace and delete until state and the directory match the program."""
        return self._deploy(preview=False)

    def refresh(self) -> Summary:
        """Read every resource; drop the ones gone, take the providers' outputs and inputs."""
        started = time.monotonic()
        summary = Summary("refresh")
        resources, outputs = load_state(self.state_file)
        kept: list[ResourceState] = []
        server = None
        try:
            for i, r in enumerate(resources):
                if not r.custom:
                    kept.append(r)
                    continue
                server = server or self._server()
                try:
                    new_id, outs, ins = server.read(r.urn, r.id, r.outputs, r.inputs)
                except Exception as e:  # noqa: BLE001 - reported like the engine does, state kept
                    summary.error = f"{r.urn}: read failed: {_rpc_message(e)}"
                    save_state(self.state_file, self.project, self.stack, kept + resources[i:], outputs)
                    raise EngineError(summary.error, summary) from None
                if not new_id:
                    summary.steps.append(Step("delete", r.urn, r.type, r.name, "gone"))
                else:
                    outs, ins = plain(outs), plain(ins)
                    changed = outs != r.outputs or (ins and ins != r.inputs)
                    summary.steps.append(Step("update" if changed else "same", r.urn, r.type, r.name,
                                              _describe_drift(r.outputs, outs) if changed else ""))
                    r.id, r.outputs = new_id, outs
                    if ins:
                        r.inputs = ins
                    kept.append(r)
                save_state(self.state_file, self.project, self.stack, kept + resources[i + 1:], outputs)
        finally:
            if server:
                server.stop()
            summary.duration_s = time.monotonic() - started
        summary.outputs = outputs
        return summary

    def destroy(self) -> Summary:
        """Delete every resource, dependents first."""
        started = time.monotonic()
        summary = Summary("destroy")
        resources, outputs = load_state(self.state_file)
        server = None
        try:
            while resources:
                r = resources[-1]
                if r.custom:
                    server = server or self._server()
                    try:
                        server.delete(r.urn, r.id, r.outputs)
                    except Exception as e:  # noqa: BLE001
                        summary.error = f"{r.urn}: delete failed: {_rpc_message(e)}"
                        raise EngineError(summary.error, summary) from None
                summary.steps.append(Step("delete", r.urn, r.type, r.name))
                resources.pop()
                save_state(self.state_file, self.project, self.stack, resources, outputs if resources else {})
        finally:
            if server:
                server.stop()
            summary.duration_s = time.monotonic() - started
        return summary

    # ---- internals ----

    def _server(self) -> ProviderServer:
        env = {"PULUMI_CONFIG": json.dumps(self.config), **self.env}
        return ProviderServer(config=self.config, env=env, project=self.project)

    def _deploy(self, preview: bool) -> Summary:
        started = time.monotonic()
        olds, old_outputs = load_state(self.state_file)
        dep = _Deployment(self, olds, old_outputs, preview)
        try:
            if not preview:
                dep.delete_pending()  # deployment_executor.go: GeneratePendingDeletes
            program_error = dep.run_program()
            if dep.error is None and program_error is not None:
                dep.error = f"the program failed: {program_error}"
            if dep.error is None:
                dep.delete_unregistered()
        finally:
            dep.close()
            dep.summary.duration_s = time.monotonic() - started
        if dep.error is not None:
            dep.summary.error = dep.error
            raise EngineError(dep.error, dep.summary)
        return dep.summary


class _Deployment:
    """One preview or up: the step generator and executor for the registrations of one run."""

    def __init__(self, engine: Engine, olds: list[ResourceState], old_outputs: dict, preview: bool):
        self.engine = engine
        self.preview = preview
        self.olds = [r for r in olds if not r.delete]
        self.old_order = {r.urn: i for i, r in enumerate(self.olds)}
        self.old_by_urn = {r.urn: r for r in self.olds}
        self.pending = [r for r in olds if r.delete]  # left by an earlier, interrupted run
        self.old_outputs = old_outputs
        self.news: dict[str, ResourceState] = {}  # stepped this run, in order
        self.condemned: list[ResourceState] = []  # replaced (create-before-delete), deleted at the end
        self.summary = Summary("preview" if preview else "up")
        self.outputs: dict = {}
        self.error: str | None = None
        self.stack_urn = ""
        # Registrations arrive on the SDK's executor threads; steps and state writes are serialized.
        self.lock = threading.RLock()
        self._server: ProviderServer | None = None

    @property
    def server(self) -> ProviderServer:
        if self._server is None:
            self._server = self.engine._server()
        return self._server

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()

    # ---- state ----

    def snapshot(self) -> list[ResourceState]:
        """The state as of now: stepped resources, the old ones not reached yet, pending deletes."""
        untouched = [r for r in self.olds if r.urn not in self.news]
        return list(self.news.values()) + untouched + self.condemned + self.pending

    def save(self) -> None:
        if self.preview:
            return
        with self.lock:
            outputs = self.outputs if self.outputs else self.old_outputs
            self.engine_save(self.snapshot(), outputs)

    def engine_save(self, resources: list[ResourceState], outputs: dict) -> None:
        e = self.engine
        save_state(e.state_file, e.project, e.stack, resources, outputs)

    def record(self, op: str, r: ResourceState, detail: str = "") -> None:
        self.summary.steps.append(Step(op, r.urn, r.type, r.name, detail))

    # ---- the program ----

    def run_program(self) -> BaseException | None:
        """Run `__main__.py` under the SDK with our monitor; returns the program's exception, if any."""
        e = self.engine
        monitor = _EngineMonitor(self)

        def run() -> None:
            # set_mocks would register (and finish) a root stack of its own unless one exists; hold
            # its place, then let run_in_stack make the real one, as the Python entry point does,
            # so that `pulumi.export`s land on it when the program ends.
            settings.set_root_resource(_PLACEHOLDER_ROOT)
            pulumi.runtime.set_mocks(_NoMocks(), project=e.project, stack=e.stack, preview=self.preview,
                                     monitor=monitor)
            settings.ROOT.set(None)
            pulumi.runtime.set_all_config({k: str(v) if not isinstance(v, str) else v for k, v in e.config.items()})
            _quiet_step_failures(_ensure_event_loop())
            _sync_await(run_in_stack(lambda: runpy.run_path(str(e.program_dir), run_name="__main__")))

        old_cwd, old_env = os.getcwd(), dict(os.environ)
        os.environ.update(e.env)
        os.chdir(e.program_dir)
        try:
            # A fresh context: settings, config and the root stack resource are context variables,
            # so nothing leaks from one run (or test) into the next.
            contextvars.Context().run(run)
            return None
        except Exception as exc:  # noqa: BLE001 - reported as the program's failure
            return exc
        finally:
            os.chdir(old_cwd)
            os.environ.clear()
            os.environ.update(old_env)

    # ---- steps ----

    def register(self, req) -> tuple[str, str, dict]:
        """Generate and execute the steps of one registration; returns (urn, id, outputs)."""
        with self.lock:
            urn = self.make_urn(req.parent, req.type, req.name)
            if req.type == STACK_TYPE:
                self.stack_urn = urn
                return urn, "", {}
            if self.error is not None:
                raise RuntimeError(f"{urn}: not registered: the deployment already failed")
            deps = sorted(set(req.dependencies) | {u for v in req.propertyDependencies.values() for u in v.urns})
            if not req.custom:
                r = ResourceState(urn, req.type, req.name, custom=False, parent=req.parent, dependencies=deps)
                old = self.old_by_urn.get(urn)
                self.news[urn] = r
                self.record("same" if old else "create", r)
                self.save()
                return urn, "", {}
            if not req.type.startswith(DYNAMIC_PREFIX):
                self.fail(f"{urn}: only Python dynamic resources are supported by this harness, not {req.type}")
            try:
                return self._step(urn, req, deps)
            except _StepFailed:
                raise
            except Exception as exc:  # noqa: BLE001 - a provider error fails the deployment
                self.fail(f"{urn}: {_rpc_message(exc)}")

    def fail(self, message: str):
        self.error = self.error or message
        self.save()
        raise _StepFailed(message)

    def _step(self, urn: str, req, deps: list[str]) -> tuple[str, str, dict]:
        news = _struct_to_plain(req.object)
        old = self.old_by_urn.get(urn)
        dbr_option = bool(req.deleteBeforeReplace)
        new = ResourceState(urn, req.type, req.name, parent=req.parent, dependencies=deps,
                            delete_before_replace=dbr_option)
        srv = self.server

        # Check: old inputs and the program's inputs (step_generator.go: generateSteps).
        checked, failures = srv.check(urn, old.inputs if old else {}, news)
        checked = plain(checked)
        if failures:
            self.fail(f"{urn}: check failed: " + "; ".join(f"{p}: {r}" for p, r in failures))
        new.inputs = checked

        if old is None:
            if self.preview:
                self.news[urn] = new
                self.record("create", new)
                return urn, "", checked
            new.id, outs = srv.create(urn, checked)
            new.outputs = plain(outs)
            self.news[urn] = new
            self.record("create", new)
            self.save()
            return urn, new.id, new.outputs

        # Diff: old outputs and checked inputs; DIFF_UNKNOWN -> compare inputs (diffResource).
        d = srv.diff(urn, old.id, old.outputs, checked)
        if d.changes == "unknown":
            changed = old.inputs != checked
        else:
            changed = d.changes == "some"
        if not changed:
            new.id, new.outputs = old.id, old.outputs
            self.news[urn] = new
            self.record("same", new)
            self.save()
            return urn, old.id, old.outputs

        if not d.replaces:
            detail = "changed: " + ", ".join(_changed_keys(old.inputs, checked))
            if self.preview:
                new.id, new.outputs = old.id, old.outputs
                self.news[urn] = new
                self.record("update", new, detail)
                return urn, old.id, checked
            outs = srv.update(urn, old.id, old.outputs, checked)
            new.id, new.outputs = old.id, plain(outs)
            self.news[urn] = new
            self.record("update", new, detail)
            self.save()
            return urn, new.id, new.outputs

        delete_first = d.delete_before_replace or dbr_option
        detail = ("delete-before-replace; " if delete_first else "") + "replaces: " + ", ".join(d.replaces)
        if self.preview:
            self.news[urn] = new
            self.record("replace", new, detail)
            return urn, "", checked
        if delete_first:
            # step_generator.go: NewDeleteReplacementStep, then NewCreateReplacementStep.
            srv.delete(urn, old.id, old.outputs)
            self.olds = [r for r in self.olds if r is not old]
            self.save()
        else:
            old.delete = True
            self.condemned.append(old)
            self.olds = [r for r in self.olds if r is not old]
        new.id, outs = srv.create(urn, checked)
        new.outputs = plain(outs)
        self.news[urn] = new
        self.record("replace", new, detail)
        self.save()
        return urn, new.id, new.outputs

    def delete_pending(self) -> None:
        """Delete what an interrupted run left pending deletion, before anything else."""
        for r in list(reversed(self.pending)):
            self._delete(r, "pending delete from an earlier run")
            self.pending.remove(r)
            self.save()

    def delete_unregistered(self) -> None:
        """After the program: delete the resources it no longer has and the replaced ones."""
        gone = [r for r in self.olds if r.urn not in self.news]
        # Reverse state order: dependents (registered later) before their dependencies.
        for r in sorted(gone + self.condemned, key=lambda r: self.old_order.get(r.urn, -1), reverse=True):
            if self.preview:
                if r in gone:
                    self.record("delete", r)
                continue
            try:
                self._delete(r, "")
            except Exception as exc:  # noqa: BLE001
                self.error = f"{r.urn}: delete failed: {_rpc_message(exc)}"
                self.save()
                return
            if r in gone:
                self.olds.remove(r)
                self.record("delete", r)
            else:
                self.condemned.remove(r)
            self.save()

    def _delete(self, r: ResourceState, detail: str) -> None:
        if r.custom:
            self.server.delete(r.urn, r.id, r.outputs)

    def make_urn(self, parent: str, typ: str, name: str) -> str:
        # deployment.go: generateURN skips the root stack's type as a parent prefix.
        qualified = typ
        if parent and parent != self.stack_urn:
            qualified = parent.split("::")[2] + "$" + typ
        e = self.engine
        return f"urn:pulumi:{e.stack}::{e.project}::{qualified}::{name}"


_PLACEHOLDER_ROOT = object()


def _quiet_step_failures(loop) -> None:
    """A failed step is reported once, in the summary; the SDK's registration futures that carry
    it would otherwise each print "Future exception was never retrieved" when collected."""
    previous = loop.get_exception_handler()
    if getattr(previous, "quiet_step_failures", False):
        return

    def handler(loop, context):
        if isinstance(context.get("exception"), _StepFailed):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.quiet_step_failures = True
    loop.set_exception_handler(handler)


class _StepFailed(Exception):
    pass


class _NoMocks(pulumi.runtime.Mocks):
    """Never called: `_EngineMonitor` answers registrations itself."""

    def new_resource(self, args):  # pragma: no cover
        raise AssertionError("unexpected")

    def call(self, args):
        raise NotImplementedError(f"invokes are not supported by the engine harness ({args.token})")


class _EngineMonitor(MockMonitor):
    """The resource monitor the SDK talks to; each registration runs its steps synchronously."""

    def __init__(self, deployment: _Deployment):
        super().__init__(_NoMocks())
        self.deployment = deployment

    def RegisterResource(self, request):
        urn, id_, outs = self.deployment.register(request)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=to_struct(outs))

    def RegisterResourceOutputs(self, request):
        dep = self.deployment
        if request.urn == dep.stack_urn:
            with dep.lock:
                dep.outputs = {k: ("[unknown]" if v == rpc.UNKNOWN else v)
                               for k, v in _struct_to_plain(request.outputs).items()}
                dep.summary.outputs = dict(dep.outputs)
                dep.save()
        return super().RegisterResourceOutputs(request)

    def ReadResource(self, request):
        raise NotImplementedError("reading existing resources (.get) is not supported by the engine harness")


# -- helpers ----------------------------------------------------------------------------------------

def _rpc_message(e: BaseException) -> str:
    details = getattr(e, "details", None)
    if callable(details):
        text = details() or str(e)
        # The Python provider server sends the whole traceback; its last line is the message.
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        return lines[-1] if lines else text
    return str(e)


def _changed_keys(old: dict, new: dict) -> list[str]:
    keys = sorted((set(old) | set(new)) - {"__provider"})
    return [k for k in keys if old.get(k) != new.get(k)] or ["__provider"]


def _describe_drift(old: dict, new: dict) -> str:
    parts = []
    for k in sorted((set(old) | set(new)) - {"__provider"}):
        if old.get(k) != new.get(k):
            a, b = old.get(k), new.get(k)
            if isinstance(a, list) and isinstance(b, list):
                gone, added = sorted(set(map(str, a)) - set(map(str, b))), sorted(set(map(str, b)) - set(map(str, a)))
                parts.append(f"{k}: " + " ".join([f"-{x}" for x in gone] + [f"+{x}" for x in added]))
            else:
                parts.append(f"{k}: {a!r} -> {b!r}")
    return "; ".join(parts)


def project_name(program_dir: Path) -> str:
    """The project name from the nearest Pulumi.yaml whose `main` is this directory (or which is in
    it), as the CLI finds its project; "project" if there is none."""
    import yaml

    for d in (program_dir, *program_dir.parents):
        f = d / "Pulumi.yaml"
        if f.is_file():
            doc = yaml.safe_load(f.read_text()) or {}
            main = (d / doc.get("main", ".")).resolve()
            if main == program_dir:
                return str(doc.get("name", "project"))
    return "project"


def stack_config_file(program_dir: Path, stack: str, project: str) -> dict[str, Any]:
    """Plain (non-secret) values of `Pulumi.<stack>.yaml` next to the program, if present."""
    f = program_dir / f"Pulumi.{stack}.yaml"
    if not f.is_file():
        return {}
    import yaml

    cfg = (yaml.safe_load(f.read_text()) or {}).get("config") or {}
    out = {}
    for k, v in cfg.items():
        if isinstance(v, dict) and "secure" in v:
            continue  # encrypted with the stack's secrets provider; not supported here
        out[k] = v if isinstance(v, str) else json.dumps(v)
    return qualify(out, project)


def qualify(config: dict[str, Any], project: str) -> dict[str, Any]:
    """`key` means `<project>:key`, as with `pulumi config set`."""
    return {(k if ":" in k else f"{project}:{k}"): v for k, v in config.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.engine",
                                description="Run a Pulumi program against the SDK's dynamic-provider server, as `pulumi` would.")
    p.add_argument("command", choices=["preview", "up", "refresh", "destroy"])
    p.add_argument("program_dir")
    p.add_argument("--state", required=True, help="the state file (JSON), created if missing")
    p.add_argument("--stack", default="dev")
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                   help="stack config; a key without a namespace is <project>:key")
    args = p.parse_args(argv)
    config = {}
    for item in args.config:
        k, sep, v = item.partition("=")
        if not sep:
            p.error(f"--config {item!r}: expected KEY=VALUE")
        config[k] = v
    eng = Engine(args.program_dir, args.state, config=config, stack=args.stack)
    try:
        summary = getattr(eng, args.command)()
    except EngineError as e:
        print(e.summary.render())
        return 1
    print(summary.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
