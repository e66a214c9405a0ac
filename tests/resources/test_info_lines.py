"""The provider's info lines (what `pulumi up` shows under a resource) name a group or an
administrative unit by id and display name, from what the checks before the write already read:
naming costs no Graph request of its own."""
from __future__ import annotations

import time

import pytest

from .support import new_id


@pytest.fixture
def world(emu):
    w = {k: new_id() for k in ("alice", "bob", "devs", "paris")}
    emu.seed({
        "users": [{"id": w["alice"], "displayName": "Alice"}, {"id": w["bob"], "displayName": "Bob"}],
        "groups": [{"id": w["devs"], "displayName": "Developers", "mailNickname": "developers",
                    "securityEnabled": True, "mailEnabled": False, "groupTypes": [], "members": [w["bob"]]}],
        "administrativeUnits": [{"id": w["paris"], "displayName": "Paris", "members": []}],
    })
    emu.clear_requests()
    return w


def said(server, text: str) -> list[str]:
    time.sleep(0.2)  # the provider's stderr is drained by a thread
    return [line for line in server.stderr_lines if text in line]


def container_reads(emu, path: str) -> int:
    """GETs of the container itself (its properties), not of its members."""
    return sum(1 for r in emu.requests() if r["method"] == "GET" and r["path"].split("?")[0] == path)


def test_group_members_progress_names_the_group_without_another_read(emu, stack, world):
    r = stack("GroupMembers")
    r.up(group_id=world["devs"], member_ids=[world["alice"], world["bob"]])
    assert said(r.server, f"group {world['devs']} (Developers): adding 1, removing 0 member(s)")
    assert container_reads(emu, f"/v1.0/groups/{world['devs']}") == 1  # the checks' read, shared


def test_unit_members_progress_names_the_unit_without_another_read(emu, stack, world):
    r = stack("AdministrativeUnitMembers")
    r.up(administrative_unit_id=world["paris"], member_ids=[world["alice"]])
    assert said(r.server, f"administrative unit {world['paris']} (Paris): adding 1, removing 0 member(s)")
    assert container_reads(emu, f"/v1.0/directory/administrativeUnits/{world['paris']}") == 1


def test_an_adopted_membership_names_the_group(emu, stack, world):
    r = stack("GroupMember")
    outs = r.up(group_id=world["devs"], member_id=world["bob"])
    assert outs["adopted"] is True
    assert said(r.server, f"group {world['devs']} (Developers): {world['bob']} was already a member; adopted")
    assert container_reads(emu, f"/v1.0/groups/{world['devs']}") == 1
