"""The Graph client's membership operations against the emulator (below the provider)."""
from __future__ import annotations

import uuid

import pytest

from msgraph_membership.graph.client import GraphClient
from msgraph_membership.graph.rules import GROUPS
from msgraph_membership.graph.settings import resolve_settings

from harness.server import emulator_config

GROUP = "0b000003-0000-4000-8000-000000000001"
USERS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"client-user-{i}")) for i in range(60)]
GHOST = str(uuid.uuid5(uuid.NAMESPACE_URL, "client-ghost"))


@pytest.fixture
def client(emu):
    emu.seed({"users": [{"id": u, "displayName": u[:8]} for u in USERS],
              "groups": [{"id": GROUP, "displayName": "G", "mailNickname": "g", "securityEnabled": True,
                          "mailEnabled": False, "groupTypes": []}]})
    return GraphClient(resolve_settings(emulator_config(emu), environ={}))


def members(emu):
    return set(next(g for g in emu.directory()["groups"] if g["id"] == GROUP)["members"])


def test_a_refused_chunk_is_retried_item_by_item_and_the_bad_id_reported(emu, client):
    emu.clear_requests()
    rep = client.add_group_members(GROUP, USERS[:19] + [GHOST] + USERS[19:25])
    assert rep.done == set(USERS[:25])
    assert set(rep.failed) == {GHOST}
    assert members(emu) == set(USERS[:25])
    methods = [r["method"] for r in emu.requests() if r.get("kind") == "graph"]
    assert methods.count("PATCH") == 2  # 20 (refused, atomic) + 6 (accepted)


def test_a_chunk_with_an_existing_member_falls_back_and_reports_it_unchanged(emu, client):
    client.add_group_members(GROUP, USERS[:1])
    rep = client.add_group_members(GROUP, USERS[:5])
    assert rep.unchanged == {USERS[0]} and rep.done == set(USERS[1:5]) and not rep.failed


def test_removing_absent_members_counts_as_unchanged(emu, client):
    client.add_group_members(GROUP, USERS[:3])
    rep = client.remove_members(GROUPS, GROUP, USERS[:5])
    assert rep.done == set(USERS[:3]) and rep.unchanged == set(USERS[3:5]) and not rep.failed
    assert members(emu) == set()


def test_listing_pages_through_more_than_one_page(emu, client):
    emu.seed({"groups": [{"id": GROUP, "displayName": "G", "mailNickname": "g", "members": USERS}]})
    listed = client.member_ids(GROUPS, GROUP, max_age_s=0)
    assert set(listed) == set(USERS) and set(listed.values()) == {"user"}


def test_concurrent_reads_of_one_group_share_one_listing(emu, client):
    from concurrent.futures import ThreadPoolExecutor

    client.add_group_members(GROUP, USERS[:10])
    client.forget_listing(GROUPS, GROUP)
    emu.clear_requests()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: client.member_ids(GROUPS, GROUP), range(40)))
    assert all(set(r) == set(USERS[:10]) for r in results)
    lists = [r for r in emu.requests() if r.get("kind") == "graph" and r["method"] == "GET"]
    assert len(lists) == 1
