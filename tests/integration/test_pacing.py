"""Writes past a window's write quota, against the emulator's quotas (docs/graph-behaviour.md §4.2):
paced by the process's pacer, none comes back 429; unpaced, the emulator throttles them and the
retries still finish the job. 3,150 removals: 150 over the 3,000 a window allows."""
from __future__ import annotations

import uuid

import pytest

from msgraph_membership.graph.client import GraphClient
from msgraph_membership.graph.pacer import Pacer
from msgraph_membership.graph.rules import GROUPS
from msgraph_membership.graph.settings import resolve_settings

from harness.server import emulator_config

GROUP = "0b000003-0000-4000-8000-000000000077"
USERS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"pacing-user-{i}")) for i in range(3_150)]


@pytest.fixture
def client(emu):
    emu.seed({"users": [{"id": u, "displayName": u[:8]} for u in USERS],
              "groups": [{"id": GROUP, "displayName": "G", "mailNickname": "g", "securityEnabled": True,
                          "mailEnabled": False, "groupTypes": [], "members": USERS}]})
    emu.clear_requests()
    return GraphClient(resolve_settings(emulator_config(emu), environ={}))


def quota_429s(emu) -> int:
    log = [r for r in emu.requests() if r.get("kind") == "graph"]
    return sum(1 for r in log if r.get("fault") == "quota") + sum(r.get("batch_quota", 0) for r in log)


def members(emu) -> set:
    return set(next(g for g in emu.directory()["groups"] if g["id"] == GROUP)["members"])


def test_paced_writes_past_the_window_get_no_429(emu, client):
    rep = client.remove_members(GROUPS, GROUP, USERS)
    assert rep.done == set(USERS) and not rep.failed and members(emu) == set()
    assert quota_429s(emu) == 0, [r for r in emu.requests() if r.get("fault") == "quota" or r.get("batch_quota")]
    assert client.t.pacer.stats["writes"] == len(USERS) and client.t.pacer.stats["waited_s"] > 0


def test_unpaced_writes_are_throttled_and_the_retries_finish(emu, client):
    client.t.pacer = Pacer(quota=10 ** 9)  # a pacer that never waits: the emulator's quota does the limiting
    rep = client.remove_members(GROUPS, GROUP, USERS)
    assert rep.done == set(USERS) and not rep.failed and members(emu) == set()
    assert quota_429s(emu) > 0
