"""GroupMembers end to end through the real provider server against the emulator."""
from __future__ import annotations

import uuid

import grpc
import pytest

from harness.program import collect
from harness.server import ProviderServer, emulator_config, urn_for

GROUP = "0b000002-0000-4000-8000-000000000001"
OTHER = "0b000002-0000-4000-8000-000000000002"
USERS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"user-{i}")) for i in range(120)]
STRANGER = str(uuid.uuid5(uuid.NAMESPACE_URL, "stranger"))
GHOST = str(uuid.uuid5(uuid.NAMESPACE_URL, "ghost"))
URN = urn_for("GroupMembers", "devs")


def seed(members=()):
    return {
        "users": [{"id": u, "displayName": f"user {i}"} for i, u in enumerate(USERS + [STRANGER])],
        "groups": [{"id": GROUP, "displayName": "Devs", "mailNickname": "devs", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": [], "members": list(members)},
                   {"id": OTHER, "displayName": "Ops", "mailNickname": "ops", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": []}],
    }


def members_of(emu, group_id=GROUP):
    return set(next(g for g in emu.directory()["groups"] if g["id"] == group_id)["members"])


def graph_requests(emu, method=None):
    return [r for r in emu.requests() if r.get("kind") == "graph" and (method is None or r["method"] == method)]


@pytest.fixture(scope="module")
def blob():
    from msgraph_membership import GroupMembers

    return collect(lambda: GroupMembers("devs", group_id=GROUP, member_ids=[USERS[0]]))[0].inputs["__provider"]


@pytest.fixture
def server(emu):
    s = ProviderServer(config=emulator_config(emu))
    yield s
    s.stop()


def news(blob, member_ids, authoritative=False, group_id=GROUP):
    return {"__provider": blob, "group_id": group_id, "member_ids": member_ids, "authoritative": authoritative}


def up(server, blob, member_ids, **kw):
    inputs, failures = server.check(URN, {}, news(blob, member_ids, **kw))
    assert failures == []
    return server.create(URN, inputs)


def test_create_adds_in_chunks_of_twenty_and_adopts_existing_members(emu, server, blob):
    emu.seed(seed(members=[USERS[0], USERS[1]]))
    emu.clear_requests()
    id_, outs = up(server, blob, list(reversed(USERS[:45])) + [USERS[3]])
    assert id_ == f"{GROUP}/members"
    assert outs["member_ids"] == sorted(USERS[:45])
    assert outs["adopted_member_ids"] == sorted(USERS[:2])
    assert members_of(emu) == set(USERS[:45])
    patches = graph_requests(emu, "PATCH")
    assert len(patches) == 3  # 43 new members: 20 + 20 + 3
    assert not [r for r in graph_requests(emu, "POST") if r["path"].endswith("/members/$ref")]


def test_update_adds_45_and_removes_30_from_the_directory_state(emu, server, blob):
    emu.seed(seed())
    id_, outs = up(server, blob, USERS[:60])
    new = USERS[30:60] + USERS[60:105]  # drop 30, keep 30, add 45
    inputs, failures = server.check(URN, {k: outs[k] for k in ("group_id", "member_ids", "authoritative")},
                                    news(blob, new))
    assert failures == []
    d = server.diff(URN, id_, outs, inputs)
    assert d.changes == "some" and d.replaces == []
    emu.clear_requests()
    outs2 = server.update(URN, id_, outs, inputs)
    assert outs2["member_ids"] == sorted(new)
    assert members_of(emu) == set(new)
    assert len(graph_requests(emu, "PATCH")) == 3        # 45 adds: 20 + 20 + 5
    batches = [r for r in graph_requests(emu, "POST") if r["path"].endswith("$batch")]
    assert len(batches) == 2                             # 30 removals: 20 + 10
    assert set(outs2) >= {"group_id", "member_ids", "authoritative", "adopted_member_ids"}


def test_authoritative_mode_removes_strangers_and_shows_them_as_drift(emu, server, blob, outside):
    emu.seed(seed(members=[STRANGER]))
    id_, outs = up(server, blob, USERS[:3], authoritative=True)
    assert members_of(emu) == set(USERS[:3])
    # A stranger added outside: refresh reports it as drift (never as a managed member), so the
    # next up removes it.
    outside.add_member(GROUP, STRANGER)
    fresh = ProviderServer(config=emulator_config(emu))
    try:
        rid, routs, rins = fresh.read(URN, id_, outs)
        assert rid == id_ and STRANGER not in routs["member_ids"] and STRANGER not in rins["member_ids"]
        assert list(routs["outside_members_to_remove"]) == [STRANGER]  # id -> type
        inputs, _ = fresh.check(URN, rins, news(blob, USERS[:3], authoritative=True))
        assert fresh.diff(URN, id_, routs, inputs).changes == "some"
        fresh.update(URN, id_, routs, inputs)
    finally:
        fresh.stop()
    assert members_of(emu) == set(USERS[:3])


def test_non_authoritative_mode_leaves_other_members_alone(emu, server, blob):
    emu.seed(seed(members=[STRANGER]))
    id_, outs = up(server, blob, USERS[:3])
    server.delete(URN, id_, outs)
    assert members_of(emu) == {STRANGER}


def test_drift_removed_outside_shows_on_refresh_and_up_re_adds(emu, server, blob, outside):
    emu.seed(seed())
    id_, outs = up(server, blob, USERS[:5])
    outside.remove_member(GROUP, USERS[3])
    outside.remove_member(GROUP, USERS[4])
    fresh = ProviderServer(config=emulator_config(emu))
    try:
        rid, routs, rins = fresh.read(URN, id_, outs)
        assert routs["member_ids"] == sorted(USERS[:3])
        inputs, _ = fresh.check(URN, rins, news(blob, USERS[:5]))
        assert fresh.diff(URN, id_, routs, inputs).changes == "some"
        outs2 = fresh.update(URN, id_, routs, inputs)
    finally:
        fresh.stop()
    assert outs2["member_ids"] == sorted(USERS[:5]) and members_of(emu) == set(USERS[:5])


def test_an_id_that_does_not_exist_fails_before_any_write_naming_it(emu, server, blob):
    emu.seed(seed())
    props = news(blob, sorted(USERS[:19] + [GHOST]))  # as if the object vanished after preview
    emu.clear_requests()
    with pytest.raises(grpc.RpcError) as e:
        server.create(URN, props)
    assert GHOST in e.value.details() and "do not exist" in e.value.details()
    assert members_of(emu) == set()
    assert not [r for r in graph_requests(emu) if r["method"] in ("PATCH", "DELETE")]


def test_replace_on_group_change_and_delete_of_what_is_gone(emu, server, blob):
    emu.seed(seed())
    id_, outs = up(server, blob, USERS[:2])
    inputs, _ = server.check(URN, {}, news(blob, USERS[:2], group_id=OTHER))
    d = server.diff(URN, id_, outs, inputs)
    assert d.changes == "some" and d.replaces == ["group_id"]
    server.delete(URN, id_, outs)
    server.delete(URN, id_, outs)
    assert members_of(emu) == set()


def test_refresh_of_a_big_group_costs_one_paged_listing(emu, server, blob):
    emu.seed(seed(members=USERS))
    id_, outs = up(server, blob, USERS)
    fresh = ProviderServer(config=emulator_config(emu))
    try:
        emu.clear_requests()
        fresh.read(URN, id_, outs)
    finally:
        fresh.stop()
    assert len(graph_requests(emu)) == 1


def test_preview_rejects_unknown_member_ids_by_name(emu, server, blob):
    emu.seed(seed())
    _, failures = server.check(URN, {}, news(blob, USERS[:2] + [GHOST]))
    assert [p for p, _ in failures] == ["member_ids"] and GHOST in failures[0][1]
