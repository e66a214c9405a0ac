"""Partial failure: one member of a batch is refused by Graph at apply (it was deleted after the
preview), the apply fails naming it, nothing outside the declaration is written, and the next
up converges."""
from __future__ import annotations

import grpc
import pytest

from harness.server import urn_for
from reliability.conftest import oid
from reliability.stack import graph_writes, provider_blob

GROUP = oid("partial-group")
USERS = [oid(f"partial-user-{i}") for i in range(45)]
DOOMED = oid("partial-doomed")  # exists at preview, deleted before the apply
URN = urn_for("GroupMembers", "partial")


def seed(with_doomed: bool) -> dict:
    users = USERS + ([DOOMED] if with_doomed else [])
    return {"users": [{"id": u, "displayName": f"user {i}"} for i, u in enumerate(users)],
            "groups": [{"id": GROUP, "displayName": "Partial", "mailNickname": "partial", "securityEnabled": True,
                        "mailEnabled": False, "groupTypes": []}]}


def news(ids):
    return {"__provider": provider_blob("GroupMembers"), "group_id": GROUP, "member_ids": ids, "authoritative": False}


def members(emu) -> set[str]:
    return set(next(g for g in emu.directory()["groups"] if g["id"] == GROUP)["members"])


@pytest.fixture
def failed_apply(emu, start_server):
    """Preview passes; the object is deleted; the apply fails. Returns the error message."""
    emu.seed(seed(with_doomed=True))
    server = start_server()
    inputs, failures = server.check(URN, {}, news(USERS + [DOOMED]))
    assert failures == []
    emu.reset()
    emu.seed(seed(with_doomed=False))  # DOOMED is gone from the directory
    emu.clear_requests()
    with pytest.raises(grpc.RpcError) as e:
        server.create(URN, inputs)
    return e.value.details()


def test_a_member_deleted_after_preview_fails_the_apply_naming_it(emu, failed_apply):
    assert DOOMED in failed_apply


def test_a_member_refused_at_apply_does_not_block_the_others(emu, failed_apply):
    """Graph refuses the whole chunk of 20 holding the bad id; the provider adds that chunk's
    other members one by one, so every good member is in and the error says the rest is kept."""
    assert members(emu) == set(USERS)
    assert "what was done is kept" in failed_apply


def test_a_failed_apply_writes_nothing_outside_the_declaration(emu, failed_apply):
    assert members(emu) <= set(USERS)
    assert all(GROUP in w["path"] or w["path"].endswith("$batch") for w in graph_writes(emu))


def test_after_a_failed_apply_the_next_up_without_the_bad_id_converges(emu, failed_apply, start_server):
    """No state was recorded (the create failed): the next up creates again, adopting what the
    failed run added, and the group then holds exactly the declared members."""
    server = start_server()
    inputs, failures = server.check(URN, {}, news(USERS))
    assert failures == []
    _, outs = server.create(URN, inputs)
    assert outs["member_ids"] == sorted(USERS)
    assert members(emu) == set(USERS)


def test_after_a_failed_apply_keeping_the_bad_id_fails_at_preview_naming_it(emu, failed_apply, start_server):
    server = start_server()
    emu.clear_requests()
    _, failures = server.check(URN, {}, news(USERS + [DOOMED]))
    assert failures and failures[0][0] == "member_ids" and DOOMED in failures[0][1]
    assert graph_writes(emu) == []
