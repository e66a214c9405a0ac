"""Declared resources applied by the real `pulumi` (an inline program of the Automation API,
tests/harness/cli.py), for the reliability and security tests: a list of `Declared` resources is
the program, `up`/`refresh`/`destroy` are the CLI's commands at `--parallel workers`, and the
state is what `pulumi stack export` holds. Also the Graph request-log helpers these tests share.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.program import collect
from harness.cli import CliStack, StackError
from harness.server import emulator_config, urn_for

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


SECRET_CONFIG = ("msgraph:clientSecret", "msgraph:clientCertificatePassword", "msgraph:oidcToken")


class Stack:
    """A stack whose program is the last list of `Declared` given to `up`, run by the real CLI."""

    def __init__(self, emu, *, workers: int = 4, config: dict | None = None, env: dict | None = None):
        import msgraph_membership

        self.emu = emu
        self.workers = workers
        self._declared: list[Declared] = []
        self._dir = tempfile.mkdtemp(prefix="reliability-stack-")
        self.logs: list[str] = []  # everything the CLI printed (the provider's log lines included)

        def program() -> None:
            for d in self._declared:
                getattr(msgraph_membership, d.type_name)(d.name, **d.inputs)

        self.cli = CliStack.inline(emu, "proj", program, Path(self._dir), env=env)
        for key, value in (config if config is not None else emulator_config(emu)).items():
            self.cli.set_config(key, value, secret=key in SECRET_CONFIG)

    def _record(self, summary) -> None:
        self.logs += [summary.stdout, summary.stderr, *summary.diagnostics]

    def _command(self, fn, **kw):
        try:
            summary = fn(**kw)
        except StackError as e:
            self._record(e.summary)
            raise StepFailed("", fn.__name__, str(e)) from None
        self._record(summary)
        return summary

    @staticmethod
    def _by_urn(summary) -> dict[str, str]:
        return {s.urn: s.op for s in summary.steps.values()
                if s.type.startswith("pulumi-python:dynamic")}

    def up(self, declared: list[Declared], *, raise_on_failure: bool = True) -> Outcome:
        self._declared = list(declared)
        try:
            summary = self._command(self.cli.up, parallel=self.workers)
        except StepFailed as e:
            if raise_on_failure:
                raise
            return Outcome(failures=[e])
        return Outcome(ops=self._by_urn(summary))

    def preview_diffs(self, declared: list[Declared]) -> dict[str, str]:
        """What `pulumi preview` plans: urn -> "create", "some" (an update or replace) or "none"."""
        self._declared = list(declared)
        summary = self._command(self.cli.preview, parallel=self.workers)
        word = {"create": "create", "same": "none"}
        return {urn: word.get(op, "some") for urn, op in self._by_urn(summary).items()}

    def refresh(self) -> dict[str, dict]:
        """`pulumi refresh`; returns urn -> refreshed outputs."""
        self._command(self.cli.refresh, parallel=self.workers)
        return {urn: s["outputs"] for urn, s in self.state.items()}

    def destroy(self) -> Outcome:
        summary = self._command(self.cli.destroy, parallel=self.workers)
        return Outcome(ops=self._by_urn(summary))

    @property
    def state(self) -> dict[str, dict]:
        """urn -> {"type", "id", "inputs", "outputs"}, as `pulumi stack export` holds it."""
        out = {}
        for r in self.cli.resources():
            out[r["urn"]] = {"type": r["type"].rsplit(":", 1)[-1], "id": r.get("id"),
                             "inputs": r.get("inputs", {}), "outputs": r.get("outputs", {})}
        return out

    def stop(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
