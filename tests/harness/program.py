"""Run Pulumi program code under `pulumi.runtime.set_mocks` to collect what it registers, the
way the engine would receive it: type token, name, inputs and the `__provider` blob.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pulumi
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await


@dataclass
class Registration:
    typ: str
    name: str
    inputs: dict[str, Any]


class _Collect(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registrations: list[Registration] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        ins = {k: rpc.unwrap_rpc_secret(v) for k, v in args.inputs.items()}
        self.registrations.append(Registration(args.typ, args.name, ins))
        return args.name + "_id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def collect(program: Callable[[], Any], project: str = "proj", stack: str = "dev") -> list[Registration]:
    """Run `program` (which constructs resources) under mocks; return its registrations."""
    old = settings.SETTINGS
    mocks = _Collect()
    try:
        # set_mocks registers the stack resource on the current event loop; code run before
        # (asyncio.run, another test) may have left the main thread without one.
        _ensure_event_loop()
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False)
        # run_pulumi_func runs the program, then waits for every outstanding registration,
        # as `pulumi.runtime.test` does.
        _sync_await(run_pulumi_func(program))
    finally:
        settings.configure(old)
    return mocks.registrations
