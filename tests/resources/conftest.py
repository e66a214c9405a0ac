"""Fixtures for the resource tests: the SDK's real provider server (one per module: processes are
slow to start) driven like the engine against the session's Graph emulator.

Every test seeds fresh random object ids, so the provider process's caches (listings, the write
journal, object types) from one test can never answer for the next one.
"""
from __future__ import annotations

import pytest

from harness.program import collect
from harness.server import ProviderServer, emulator_config

from .support import RESOURCES, Outside, Stack


@pytest.fixture(scope="session")
def blobs() -> dict[str, str]:
    """The `__provider` blob of each resource, as a real program registers it."""
    import msgraph_membership as m
    from pulumi.dynamic.dynamic import serialize_provider
    from pulumi.runtime._serialization import _serialize

    x = "00000000-0000-4000-8000-000000000001"
    regs = collect(lambda: [
        m.AdministrativeUnitMember("a", administrative_unit_id=x, member_id=x),
        m.AdministrativeUnitMembers("b", administrative_unit_id=x, member_ids=[x]),
        m.AdministrativeUnitGroup("c", administrative_unit_id=x, display_name="c", mail_nickname="c"),
        m.MemberOf("d", member_id=x, group_ids=[x]),
        m.GroupMembers("e", group_id=x, member_ids=[x]),
        m.GroupMember("f", group_id=x, member_id=x),
        m.GroupOwners("g", group_id=x, owner_ids=[x]),
        m.GroupOwner("h", group_id=x, owner_id=x),
    ])
    out = {r.typ.rsplit(":", 1)[1]: r.inputs["__provider"] for r in regs}
    assert sorted(out) == sorted(RESOURCES)
    for name in RESOURCES:  # what a program registers is what the SDK serializes: either works
        provider = getattr(m, name).__init__.__globals__[name + "Provider"]()
        assert out[name] == _serialize(True, serialize_provider, provider)[0]
    return out


@pytest.fixture(scope="module")
def server(emulator):
    """One provider process for the module (the emulator's config does not change on reset)."""
    s = ProviderServer(config=emulator_config(emulator))
    yield s
    s.stop()


@pytest.fixture
def fresh(emulator):
    """A new provider process, as a later `pulumi refresh` or `pulumi up` would start."""
    started: list[ProviderServer] = []

    def start() -> ProviderServer:
        started.append(ProviderServer(config=emulator_config(emulator)))
        return started[-1]

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def stack(server, blobs):
    def make(type_name: str, name: str = "r") -> Stack:
        return Stack(server, type_name, name, blobs[type_name])
    return make


@pytest.fixture
def outside_graph(emu):
    return Outside(emu)
