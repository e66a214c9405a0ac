"""Drive the Pulumi SDK's own dynamic-provider server (`python -m pulumi.dynamic`) over gRPC,
exactly as the engine does (the server is `pulumi/dynamic/__main__.py` of the installed SDK:
https://github.com/pulumi/pulumi/blob/master/sdk/python/lib/pulumi/dynamic/__main__.py).

- The server is a subprocess (importing `pulumi.dynamic.__main__` in-process blocks for ever in
  pulumi 3.272); its stdout and stderr are drained by threads so a chatty child never blocks.
- `Configure` is sent first with the stack config, as the engine does before any CRUD call.
- Properties go over the wire as protobuf Structs; the `__provider` blob rides in them as the
  engine passes it: from the new inputs for Check/Diff/Create/Update, from the old outputs for
  Read/Delete.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto import provider_pb2_grpc as pbg

PROVIDER_KEY = "__provider"


def to_struct(d: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update({k: v for k, v in d.items()})
    return s


def from_struct(s: struct_pb2.Struct) -> dict:
    return rpc.deserialize_properties(s, keep_unknowns=True)


def type_token(resource_name: str) -> str:
    return f"pulumi-python:dynamic/msgraph:{resource_name}"


def urn_for(type_name: str, name: str, stack: str = "dev", project: str = "proj") -> str:
    return f"urn:pulumi:{stack}::{project}::{type_token(type_name)}::{name}"


@dataclass
class DiffAnswer:
    changes: str  # "some" | "none" | "unknown"
    replaces: list[str]
    delete_before_replace: bool


@dataclass
class ProviderServer:
    """A running `python -m pulumi.dynamic`, configured, with typed helpers for each RPC."""

    config: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    project: str = "proj"

    def __post_init__(self) -> None:
        env = {**os.environ, "PULUMI_PROJECT": self.project, **self.env}
        self.proc = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.dynamic"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        line = self.proc.stdout.readline()
        if not line.strip():
            err = self.proc.stderr.read().decode(errors="replace")
            raise RuntimeError(f"provider server did not start: {err[-2000:]}")
        self.port = int(line)
        self.stderr_lines: list[str] = []
        self._drain(self.proc.stdout, [])
        self._drain(self.proc.stderr, self.stderr_lines)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=20)
        self.stub = pbg.ResourceProviderStub(self.channel)
        self.stub.Configure(pb.ConfigureRequest(args=to_struct(self.config), acceptSecrets=True))

    def _drain(self, stream, sink: list[str]) -> None:
        def run():
            for raw in iter(stream.readline, b""):
                sink.append(raw.decode(errors="replace").rstrip("\n"))
        threading.Thread(target=run, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    # -- RPCs -----------------------------------------------------------------------------------

    def check(self, urn: str, olds: dict, news: dict) -> tuple[dict, list[tuple[str, str]]]:
        r = self.stub.Check(pb.CheckRequest(urn=urn, olds=to_struct(olds), news=to_struct(news)))
        return from_struct(r.inputs), [(f.property, f.reason) for f in r.failures]

    def diff(self, urn: str, id_: str, olds: dict, news: dict) -> DiffAnswer:
        r = self.stub.Diff(pb.DiffRequest(urn=urn, id=id_, olds=to_struct(olds), news=to_struct(news)))
        kind = {pb.DiffResponse.DIFF_SOME: "some", pb.DiffResponse.DIFF_NONE: "none"}.get(r.changes, "unknown")
        return DiffAnswer(kind, list(r.replaces), r.deleteBeforeReplace)

    def create(self, urn: str, props: dict, timeout: float = 600) -> tuple[str, dict]:
        r = self.stub.Create(pb.CreateRequest(urn=urn, properties=to_struct(props)), timeout=timeout)
        return r.id, from_struct(r.properties)

    def read(self, urn: str, id_: str, props: dict, inputs: dict | None = None) -> tuple[str, dict, dict]:
        r = self.stub.Read(pb.ReadRequest(urn=urn, id=id_, properties=to_struct(props),
                                          inputs=to_struct(inputs or {})))
        return r.id, from_struct(r.properties), from_struct(r.inputs)

    def update(self, urn: str, id_: str, olds: dict, news: dict, timeout: float = 600) -> dict:
        r = self.stub.Update(pb.UpdateRequest(urn=urn, id=id_, olds=to_struct(olds), news=to_struct(news)),
                             timeout=timeout)
        return from_struct(r.properties)

    def delete(self, urn: str, id_: str, props: dict, timeout: float = 600) -> None:
        self.stub.Delete(pb.DeleteRequest(urn=urn, id=id_, properties=to_struct(props)), timeout=timeout)

    # -- lifecycle ------------------------------------------------------------------------------

    def stop(self) -> None:
        try:
            self.channel.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)

    def kill(self) -> None:
        """Kill -9, as a crash would."""
        self.proc.kill()
        self.proc.wait(5)
        self.channel.close()

    def __enter__(self) -> "ProviderServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def emulator_config(emu, **extra: str) -> dict[str, str]:
    """Stack config (`msgraph:*`) pointing the provider at a running emulator."""
    cfg = {
        "msgraph:tenantId": emu.tenant_id,
        "msgraph:clientId": emu.client_id,
        "msgraph:clientSecret": emu.client_secret,
        "msgraph:graphEndpoint": emu.graph_url.rsplit("/v1.0", 1)[0] if emu.graph_url.endswith("/v1.0") else emu.graph_url,
        "msgraph:authorityHost": emu.authority_host,
        "msgraph:caBundle": emu.ca_bundle,
    }
    cfg.update(extra)
    return cfg
