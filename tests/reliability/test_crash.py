"""Crash safety (issue 8, item 2): the provider process killed (-9) in the middle of a
`GroupMembers` create and of an update; the next run converges with no error, nothing missing
and nothing extra.

What the engine does after such a crash, and so what these tests replay:
- a killed Create leaves no state (the engine records a resource only when Create returns), so
  the next `up` runs Check and Create again, in a fresh provider process;
- a killed Update leaves the old outputs in state, so the next `up` runs Check (old inputs),
  Diff (old outputs) and Update again.

Emulator latency (200 ms per Graph call) keeps the provider's writes in flight long enough to
kill it between its first and its last write; each test asserts the kill really left the
directory half-changed, so it cannot pass by killing too late.
"""
from __future__ import annotations

import threading
import time

import grpc
import pytest

from harness.server import urn_for
from reliability.conftest import oid, wait_for
from reliability.stack import graph_requests, provider_blob

GROUP = oid("crash-group")
STRANGER = oid("crash-stranger")
USERS = [oid(f"crash-user-{i}") for i in range(600)]
URN = urn_for("GroupMembers", "crash")
LATENCY_MS = 200


def seed() -> dict:
    return {"users": [{"id": u, "displayName": f"user {i}"} for i, u in enumerate(USERS + [STRANGER])],
            "groups": [{"id": GROUP, "displayName": "Crash", "mailNickname": "crash", "securityEnabled": True,
                        "mailEnabled": False, "groupTypes": [], "members": [STRANGER]}]}


def members(emu) -> set[str]:
    return set(next(g for g in emu.directory()["groups"] if g["id"] == GROUP)["members"])


def news(member_ids: list[str]) -> dict:
    return {"__provider": provider_blob("GroupMembers"), "group_id": GROUP, "member_ids": member_ids,
            "authoritative": False}


def count(emu, method: str, suffix: str) -> int:
    return sum(1 for r in graph_requests(emu)
               if r["method"] == method and r["path"].split("?")[0].endswith(suffix) and r["status"] is not None)


def kill_when(server, emu, call, ready) -> BaseException | None:
    """Run `call` (an RPC to `server`) in a thread; once `ready()` holds, kill -9 the server.
    Returns what the RPC raised (it must fail: the process died under it)."""
    raised: list[BaseException] = []

    def run():
        try:
            call()
        except BaseException as e:  # noqa: BLE001 - reported to the test
            raised.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    wait_for(ready, timeout=60, what="the provider's first writes")
    server.kill()
    t.join(30)
    # Writes already on the wire still land (Graph does not undo them when the client dies).
    time.sleep(3 * LATENCY_MS / 1000)
    return raised[0] if raised else None


@pytest.fixture
def slow(emu):
    emu.seed(seed())
    emu.faults({"latency_ms": LATENCY_MS})
    yield emu
    emu.faults({})


def test_kill_during_create_then_next_up_creates_exactly_the_declared_members(slow, start_server):
    desired = USERS[:300]
    first = start_server()
    inputs, failures = first.check(URN, {}, news(desired))
    assert failures == []
    err = kill_when(first, slow, lambda: first.create(URN, inputs),
                    lambda: count(slow, "PATCH", f"/groups/{GROUP}") >= 1)
    assert isinstance(err, grpc.RpcError)
    half = members(slow) - {STRANGER}
    assert 0 < len(half) < len(desired), "the kill must land between the first and the last write"

    # Next up: no state, so Check and Create again in a fresh provider process.
    slow.faults({})
    second = start_server()
    inputs, failures = second.check(URN, {}, news(desired))
    assert failures == []
    id_, outs = second.create(URN, inputs)
    assert id_ == f"{GROUP}/members"
    assert outs["member_ids"] == sorted(desired)
    assert members(slow) == set(desired) | {STRANGER}
    # What the killed run added is reported as adopted, not lost and not an error.
    assert set(outs["adopted_member_ids"]) == half


def test_after_a_killed_create_destroy_removes_what_the_killed_run_added(slow, start_server):
    """The orphans of the killed Create are adopted by the next Create, so destroy removes them
    too: nothing of ours is left behind."""
    desired = USERS[:300]
    first = start_server()
    inputs, _ = first.check(URN, {}, news(desired))
    kill_when(first, slow, lambda: first.create(URN, inputs),
              lambda: count(slow, "PATCH", f"/groups/{GROUP}") >= 1)
    slow.faults({})
    second = start_server()
    inputs, _ = second.check(URN, {}, news(desired))
    id_, outs = second.create(URN, inputs)
    second.delete(URN, id_, outs)
    assert members(slow) == {STRANGER}


def _created(emu, start_server, member_ids):
    s = start_server()
    inputs, failures = s.check(URN, {}, news(member_ids))
    assert failures == []
    id_, outs = s.create(URN, inputs)
    s.stop()
    return inputs, id_, outs


@pytest.mark.parametrize("phase,method,suffix", [
    pytest.param("adding", "PATCH", f"/groups/{GROUP}", id="while-adding"),
    pytest.param("removing", "POST", "/$batch", id="while-removing"),
])
def test_kill_during_update_then_next_up_converges(slow, start_server, phase, method, suffix):
    """Update from 300 members to 300 others (300 adds in PATCHes, then 300 removals in
    `$batch`es), killed during the adds or during the removals; the next up updates again from
    the old outputs and the group ends with exactly the new members."""
    slow.faults({})
    old, new = USERS[:300], USERS[300:600]
    old_inputs, id_, old_outs = _created(slow, start_server, old)
    slow.faults({"latency_ms": LATENCY_MS})
    slow.clear_requests()

    first = start_server()
    inputs, failures = first.check(URN, old_inputs, news(new))
    assert failures == []
    assert first.diff(URN, id_, old_outs, inputs).changes == "some"
    err = kill_when(first, slow, lambda: first.update(URN, id_, old_outs, inputs),
                    lambda: count(slow, method, suffix) >= 1)
    assert isinstance(err, grpc.RpcError)
    half = members(slow) - {STRANGER}
    assert half != set(new), "the kill must land before the update finished"
    assert half & set(new), "the kill must land after the update started writing"

    # Next up: state still holds the old inputs and outputs.
    slow.faults({})
    second = start_server()
    inputs, failures = second.check(URN, old_inputs, news(new))
    assert failures == []
    assert second.diff(URN, id_, old_outs, inputs).changes == "some"
    outs = second.update(URN, id_, old_outs, inputs)
    assert outs["member_ids"] == sorted(new)
    assert members(slow) == set(new) | {STRANGER}


# -- AdministrativeUnitGroup: killed between Graph's create and Pulumi's state write ---------------

UNIT = oid("crash-unit")
GROUP_URN = urn_for("AdministrativeUnitGroup", "crash-helpdesk")


def group_news() -> dict:
    """What the program sends: its arguments and the scope its unique name is derived from."""
    return {"__provider": provider_blob("AdministrativeUnitGroup"), "administrative_unit_id": UNIT,
            "display_name": "Crash helpdesk", "mail_nickname": "crash-helpdesk",
            "unique_name_scope": "proj/dev/crash-helpdesk"}


def helpdesks(emu) -> list[dict]:
    return [g for g in emu.directory()["groups"] if g.get("displayName") == "Crash helpdesk"]


def test_kill_after_a_group_create_landed_then_next_up_adopts_exactly_that_group(emu, start_server):
    """The group is created in Graph, the provider dies before Pulumi records it (no state), the
    next `up` creates again in a fresh process: it gets that same group, never a second one,
    and an `up` after that changes nothing."""
    emu.seed({"administrativeUnits": [{"id": UNIT, "displayName": "Crash unit"}]})
    emu.faults({"latency_ms": LATENCY_MS})
    try:
        first = start_server()
        inputs, failures = first.check(GROUP_URN, {}, group_news())
        assert failures == []
        err = kill_when(first, emu, lambda: first.create(GROUP_URN, inputs),
                        lambda: count(emu, "POST", f"/directory/administrativeUnits/{UNIT}/members") >= 1)
        assert isinstance(err, grpc.RpcError)
        assert len(helpdesks(emu)) == 1, "the kill must land after Graph created the group"
    finally:
        emu.faults({})

    second = start_server()
    inputs, failures = second.check(GROUP_URN, {}, group_news())
    assert failures == []
    id_, outs = second.create(GROUP_URN, inputs)
    [group] = helpdesks(emu)
    assert id_ == group["id"] and outs["unique_name"] == group["uniqueName"]
    unit = next(u for u in emu.directory()["administrativeUnits"] if u["id"] == UNIT)
    assert unit["members"] == [id_]

    # A clean next up: the same inputs, no change and no Graph write.
    emu.clear_requests()
    again, failures = second.check(GROUP_URN, inputs, group_news())
    assert failures == [] and second.diff(GROUP_URN, id_, outs, again).changes == "none"
    assert [r for r in graph_requests(emu) if r["method"] != "GET"] == []
