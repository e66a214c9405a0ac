"""A small stand-in for the engine's deployment loop, for the reliability tests: declared
resources go through the real provider server (`python -m pulumi.dynamic`, over gRPC) with the
engine's call shapes (Check with old inputs, Diff with old outputs, Create, Update, Delete,
Read), several steps at once like the engine's workers (`--parallel`).

Why not `harness.engine`: it runs steps one at a time and from program directories; the soak and
crash tests need concurrent steps, a handle on the provider process (to kill it), and exact
control over when each command starts. State here is kept after every step, as the engine's
snapshot journal does, so a killed step leaves exactly what the engine would keep.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import grpc

from harness.program import collect
from harness.server import ProviderServer, emulator_config, urn_for

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# POSTs that only read the directory.
READ_POSTS = ("/directoryObjects/getByIds", "/checkMemberObjects", "/checkMemberGroups",
              "/getMemberObjects", "/getMemberGroups")

_BLOBS: dict[str, str] = {}
_BLOBS_LOCK = threading.Lock()


def provider_blob(type_name: str) -> str:
    """The `__provider` blob the program side serializes for a resource type (as in state)."""
    with _BLOBS_LOCK:
        if type_name not in _BLOBS:
            import msgraph_membership as m

            dummy = "00000000-0000-4000-8000-000000000000"
            build = {
                "GroupMembers": lambda: m.GroupMembers("x", group_id=dummy, member_ids=[]),
                "GroupMember": lambda: m.GroupMember("x", group_id=dummy, member_id=dummy),
                "AdministrativeUnitMembers": lambda: m.AdministrativeUnitMembers(
                    "x", administrative_unit_id=dummy, member_ids=[]),
                "AdministrativeUnitMember": lambda: m.AdministrativeUnitMember(
                    "x", administrative_unit_id=dummy, member_id=dummy),
                "AdministrativeUnitGroup": lambda: m.AdministrativeUnitGroup(
                    "x", administrative_unit_id=dummy, display_name="x", mail_nickname="x"),
                "MemberOf": lambda: m.MemberOf("x", member_id=dummy, group_ids=[]),
            }[type_name]
            _BLOBS[type_name] = collect(build)[0].inputs["__provider"]
        return _BLOBS[type_name]


def graph_requests(emu) -> list[dict]:
    return [r for r in emu.requests() if r.get("kind") == "graph"]


def is_write(entry: dict) -> bool:
    """A Graph request that may change the directory (a `$batch` counts: it may carry writes)."""
    if entry["method"] not in WRITE_METHODS:
        return False
    path = entry["path"].split("?", 1)[0]
    return not path.endswith(READ_POSTS)


def graph_writes(emu) -> list[dict]:
    return [r for r in graph_requests(emu) if is_write(r)]


@dataclass
class Declared:
    """One resource as a program declares it: type name, resource name, inputs."""

    type_name: str
    name: str
    inputs: dict[str, Any]

    @property
    def urn(self) -> str:
        return urn_for(self.type_name, self.name)


@dataclass
class StepFailed(Exception):
    urn: str
    op: str
    message: str

    def __str__(self) -> str:
        return f"{self.op} {self.urn}: {self.message}"


@dataclass
class Outcome:
    """What one command did, by urn."""

    ops: dict[str, str] = field(default_factory=dict)
    failures: list[StepFailed] = field(default_factory=list)

    def count(self, op: str) -> int:
        return sum(1 for o in self.ops.values() if o == op)


class Stack:
    """Declared resources, their state, and the provider server of the current command."""

    def __init__(self, emu, *, workers: int = 4, config: dict | None = None, env: dict | None = None):
        self.emu = emu
        self.workers = workers
        self.config = config if config is not None else emulator_config(emu)
        self.env = env or {}
        self.state: dict[str, dict] = {}  # urn -> {"type", "id", "inputs", "outputs"}
        self._lock = threading.Lock()
        self.server: ProviderServer | None = None

    # -- the provider process: a fresh one per command, as the CLI starts a plugin per run --------

    def start(self) -> ProviderServer:
        self.stop()
        self.server = ProviderServer(config=self.config, env=self.env)
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    # -- commands ---------------------------------------------------------------------------------

    def up(self, declared: list[Declared], *, raise_on_failure: bool = True) -> Outcome:
        """Check, diff and create/update each declared resource (`workers` at a time), then
        delete what is in state and no longer declared."""
        for d in declared:  # serialized here: the SDK's program side needs the main thread
            provider_blob(d.type_name)
        server = self.start()
        out = Outcome()

        def step(d: Declared) -> None:
            urn = d.urn
            news = {"__provider": provider_blob(d.type_name), **d.inputs}
            old = self.state.get(urn)
            try:
                inputs, failures = server.check(urn, old["inputs"] if old else {}, news)
                if failures:
                    raise StepFailed(urn, "check", "; ".join(f"{p}: {r}" for p, r in failures))
                if old is None:
                    id_, outs = server.create(urn, inputs)
                    op = "create"
                else:
                    diff = server.diff(urn, old["id"], old["outputs"], inputs)
                    if diff.changes == "none":
                        op, id_, outs = "same", old["id"], old["outputs"]
                    elif diff.replaces:
                        raise StepFailed(urn, "diff", f"replacement not supported here: {diff.replaces}")
                    else:
                        outs = server.update(urn, old["id"], old["outputs"], inputs)
                        op, id_ = "update", old["id"]
            except grpc.RpcError as e:
                raise StepFailed(urn, "apply", e.details() or str(e)) from None
            with self._lock:
                self.state[urn] = {"type": d.type_name, "id": id_, "inputs": inputs, "outputs": outs}
                out.ops[urn] = op

        self._run(step, declared, out)
        wanted = {d.urn for d in declared}
        if not out.failures:
            gone = [urn for urn in self.state if urn not in wanted]
            self._run(self._delete, gone, out)
        if raise_on_failure and out.failures:
            raise out.failures[0]
        return out

    def preview_diffs(self, declared: list[Declared]) -> dict[str, str]:
        """Check and Diff only (what `pulumi preview` asks the provider): urn -> changes."""
        for d in declared:
            provider_blob(d.type_name)
        server = self.start()
        answers: dict[str, str] = {}

        def step(d: Declared) -> None:
            old = self.state.get(d.urn)
            inputs, failures = server.check(d.urn, old["inputs"] if old else {},
                                            {"__provider": provider_blob(d.type_name), **d.inputs})
            if failures:
                raise StepFailed(d.urn, "check", str(failures))
            answers[d.urn] = "create" if old is None else server.diff(d.urn, old["id"], old["outputs"], inputs).changes

        out = Outcome()
        self._run(step, declared, out)
        if out.failures:
            raise out.failures[0]
        return answers

    def refresh(self) -> dict[str, dict]:
        """Read every resource; returns urn -> refreshed outputs (state updated)."""
        server = self.start()
        result: dict[str, dict] = {}

        def step(urn: str) -> None:
            s = self.state[urn]
            id_, outs, ins = server.read(urn, s["id"], s["outputs"], s["inputs"])
            with self._lock:
                result[urn] = outs
                if id_:
                    self.state[urn] = {**s, "outputs": outs, "inputs": {**s["inputs"], **ins}}
                else:
                    del self.state[urn]

        out = Outcome()
        self._run(step, list(self.state), out)
        if out.failures:
            raise out.failures[0]
        return result

    def destroy(self) -> Outcome:
        self.start()
        out = Outcome()
        self._run(self._delete, list(self.state), out)
        if out.failures:
            raise out.failures[0]
        return out

    # -- internals --------------------------------------------------------------------------------

    def _delete(self, urn: str, out: Outcome | None = None) -> None:
        s = self.state[urn]
        try:
            self.server.delete(urn, s["id"], s["outputs"])
        except grpc.RpcError as e:
            raise StepFailed(urn, "delete", e.details() or str(e)) from None
        with self._lock:
            del self.state[urn]

    def _run(self, fn, items, out: Outcome) -> None:
        def guarded(item):
            try:
                fn(item)
            except StepFailed as e:
                with self._lock:
                    out.failures.append(e)
            else:
                if fn == self._delete:
                    with self._lock:
                        out.ops[item] = "delete"

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(guarded, items))
