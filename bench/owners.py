"""Benchmark scenario: one `GroupOwners` of N owners (bench/run.py's "owners of 200"): create,
refresh, destroy, each in a fresh provider process, as bench/run.py measures every scenario.

Owners have no bulk write the provider uses: each is one `$ref` POST (or DELETE), sent through
`$batch` 20 at a time, so N owners cost about N / 20 writes. The group keeps one owner the
resource does not manage, so the destroy removes all N (Graph keeps a group's last owner).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Bench

KEEPER = "0b0e0c00-0000-4000-8000-0000000000b1"  # the owner the resource does not manage


def seed_owners(doc: dict, group: str) -> dict:
    """The bench directory with `group` owned by KEEPER."""
    doc["users"].append({"id": KEEPER, "displayName": "keeper", "userPrincipalName": "keeper@contoso.test"})
    for g in doc["groups"]:
        if g["id"] == group:
            g["owners"] = [KEEPER]
    return doc


def run_group_owners(b: "Bench", n: int) -> dict[str, dict]:
    """One GroupOwners of n: create, refresh, destroy."""
    from bench.run import GROUP, reseed, seed_doc, user_ids
    from harness.server import urn_for

    urn = urn_for("GroupOwners", "bench")
    blob = b.blob("GroupOwners")
    owners = user_ids(n, "owner")
    reseed(b.emu, seed_owners(seed_doc(owners), GROUP))

    def create(s):
        inputs, failures = s.check(urn, {}, {"__provider": blob, "group_id": GROUP, "owner_ids": owners,
                                             "authoritative": False})
        assert not failures, failures
        return s.create(urn, inputs)

    out: dict[str, dict] = {}
    out["create"], (id_, outs) = b.phase(create)
    assert len(outs["owner_ids"]) == n
    out["refresh"], (rid, routs, _) = b.phase(lambda s: s.read(urn, id_, outs))
    assert rid == id_ and len(routs["owner_ids"]) == n
    out["destroy"], _ = b.phase(lambda s: s.delete(urn, id_, outs))
    left = next(g for g in b.emu.directory()["groups"] if g["id"] == GROUP)["owners"]
    assert left == [KEEPER], f"{len(left)} owners left after destroy"
    return out
