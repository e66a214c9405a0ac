"""The soak: many memberships through the real `pulumi` CLI against the emulator, with and without
faults, checked against the emulator's true directory.

    PYTHONPATH=tests:provider python -m reliability.soak [--profile full|small] [--seed 42]

(`bash scripts/soak.sh` runs the full profile.) One run of a profile:

1. seed `users` users, `groups` empty security groups and `units` empty administrative units,
   each container also holding one member that is not ours (a "stranger");
2. `up`: one `GroupMembers` per group and one `AdministrativeUnitMembers` per unit, declaring
   `memberships` memberships in all, and one `AdministrativeUnitGroup` per unit (a new group,
   created in the unit), applied by the real `pulumi up` (--parallel 4);
3. the directory (`emu.directory()`, the truth without replication lag) holds exactly what is
   declared plus the strangers, and exactly one group per `AdministrativeUnitGroup`;
4. a second `up` changes nothing: every Diff says none and Graph sees no write;
5. `destroy` leaves only the strangers, and none of the created groups.

`run_soak` does it twice on one emulator, fault-free then with `FAULTS`, and compares the number
of Graph requests (the faulted run may use at most 1.5 times as many).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field

from .stack import Declared, Stack, graph_requests, graph_writes

# 10% throttled with Retry-After, 5% 503, 2% dropped connections, 2% of answers cut off mid-body
# after the write committed, 2 s replication lag.
FAULTS = {"throttle_rate": 0.10, "retry_after_s": 1, "unavailable_rate": 0.05, "drop_rate": 0.02,
          "cut_body_rate": 0.02, "replication_lag_ms": 2000}
NEW_GROUP = "soak new group"  # display name prefix of the groups the soak creates
MAX_REQUEST_RATIO = 1.5


@dataclass(frozen=True)
class Profile:
    memberships: int
    groups: int
    units: int

    @property
    def users(self) -> int:
        return self.memberships


PROFILES = {
    "small": Profile(memberships=200, groups=3, units=1),
    "full": Profile(memberships=1000, groups=10, units=3),
}


def oid(kind: str, n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"soak-{kind}-{n}"))


@dataclass
class Layout:
    """Who should be where: container id -> declared member ids, and the strangers."""

    users: list[str]
    groups: dict[str, list[str]]
    units: dict[str, list[str]]
    strangers: dict[str, str]

    def seed(self) -> dict:
        stranger_ids = sorted(set(self.strangers.values()))
        return {
            "users": [{"id": u, "displayName": f"soak user {i}"} for i, u in enumerate(self.users + stranger_ids)],
            "groups": [{"id": g, "displayName": f"soak group {i}", "mailNickname": f"soak{i}",
                        "securityEnabled": True, "mailEnabled": False, "groupTypes": [],
                        "members": [self.strangers[g]]} for i, g in enumerate(self.groups)],
            "administrativeUnits": [{"id": a, "displayName": f"soak unit {i}", "members": [self.strangers[a]]}
                                    for i, a in enumerate(self.units)],
        }

    def declared(self) -> list[Declared]:
        out = [Declared("GroupMembers", f"g{i}", {"group_id": g, "member_ids": m, "authoritative": False})
               for i, (g, m) in enumerate(self.groups.items())]
        out += [Declared("AdministrativeUnitMembers", f"u{i}",
                         {"administrative_unit_id": a, "member_ids": m, "authoritative": False})
                for i, (a, m) in enumerate(self.units.items())]
        out += [Declared("AdministrativeUnitGroup", f"n{i}",
                         {"administrative_unit_id": a, "display_name": f"{NEW_GROUP} {i}", "mail_nickname": f"soaknew{i}",
                          "unique_name": f"soak-new-group-{i}"})
                for i, a in enumerate(self.units)]
        return out


def layout(p: Profile) -> Layout:
    """`memberships` users spread round-robin over every container (each user in exactly one)."""
    users = [oid("user", i) for i in range(p.users)]
    groups = [oid("group", i) for i in range(p.groups)]
    units = [oid("unit", i) for i in range(p.units)]
    containers = groups + units
    members = {c: users[i::len(containers)] for i, c in enumerate(containers)}
    # Declared in a shuffled order with a duplicate: order and duplicates must not matter.
    for c, m in members.items():
        members[c] = list(reversed(m)) + m[:1]
    strangers = {c: oid("stranger", i) for i, c in enumerate(containers)}
    return Layout(users, {g: members[g] for g in groups}, {a: members[a] for a in units}, strangers)


@dataclass
class Run:
    """Figures of one run of a profile."""

    faults: dict
    memberships: int
    unit_memberships: int = 0  # of `memberships`, those declared in administrative units
    unit_memberships_after_up: int = 0  # of those, how many the units held after up
    requests_up: int = 0
    requests_second_up: int = 0
    writes_second_up: int = 0
    requests_destroy: int = 0
    faults_injected: dict = field(default_factory=dict)
    seconds_up: float = 0.0
    seconds_destroy: float = 0.0
    # What went wrong, if anything (empty when the run met every guarantee).
    up_mismatch: dict = field(default_factory=dict)       # container -> {"missing", "extra"}
    second_up_changed: list = field(default_factory=list)  # urns a second up did not leave "same"
    left_after_destroy: dict = field(default_factory=dict)  # container -> ids of ours still there
    state_left: int = 0
    new_groups_after_up: dict = field(default_factory=dict)  # display name -> groups, when not exactly 1
    new_groups_after_destroy: int = 0

    def problems(self) -> list[str]:
        out = []
        if self.up_mismatch:
            out.append(f"after up, {len(self.up_mismatch)} container(s) differ from the declaration: "
                       f"{dict(list(self.up_mismatch.items())[:3])}")
        if self.second_up_changed or self.writes_second_up:
            out.append(f"the second up changed {self.second_up_changed} and sent {self.writes_second_up} write(s)")
        if self.left_after_destroy or self.state_left:
            out.append(f"destroy left {self.left_after_destroy} and {self.state_left} resource(s) in state")
        if self.new_groups_after_up:
            out.append(f"after up, groups created per AdministrativeUnitGroup (want 1 each): {self.new_groups_after_up}")
        if self.new_groups_after_destroy:
            out.append(f"destroy left {self.new_groups_after_destroy} created group(s)")
        return out

    @property
    def requests(self) -> int:
        return self.requests_up + self.requests_second_up + self.requests_destroy


def memberships_in(emu) -> dict[str, set[str]]:
    """Container -> member ids, leaving out the groups the soak created (they are their unit's
    members by creation, and counted by `new_groups`)."""
    d = emu.directory()
    made = {g["id"] for g in d["groups"] if str(g.get("displayName", "")).startswith(NEW_GROUP)}
    return {c["id"]: set(c["members"]) - made for c in d["groups"] + d["administrativeUnits"]}


def new_groups(emu) -> dict[str, int]:
    """Display name -> how many groups the directory has with it, for the groups the soak creates."""
    out: dict[str, int] = {}
    for g in emu.directory()["groups"]:
        name = str(g.get("displayName", ""))
        if name.startswith(NEW_GROUP):
            out[name] = out.get(name, 0) + 1
    return out


def _count_faults(entries: list[dict]) -> dict:
    out: dict[str, int] = {}
    for e in entries:
        if e.get("fault"):
            out[e["fault"]] = out.get(e["fault"], 0) + 1
        if e.get("batch_faults"):
            out["batch_items"] = out.get("batch_items", 0) + e["batch_faults"]
    return out


def run_once(emu, p: Profile, faults: dict, *, seed: int = 42, workers: int = 4) -> Run:
    """One up / second up / destroy of the profile, checked against the true directory."""
    lay = layout(p)
    emu.faults({})
    emu.reset()
    emu.seed(lay.seed())
    # Seeded objects are not "just created" through Graph, so lag does not hide them; faults
    # start now, with a fixed seed so a run is reproducible.
    emu.faults({**faults, "seed": seed} if faults else {})
    emu.clear_requests()
    run = Run(faults=faults, memberships=sum(len(set(m)) for m in (*lay.groups.values(), *lay.units.values())),
              unit_memberships=sum(len(set(m)) for m in lay.units.values()))
    stack = Stack(emu, workers=workers)
    declared = lay.declared()
    try:
        t0 = time.monotonic()
        stack.up(declared)
        run.seconds_up = time.monotonic() - t0
        log = graph_requests(emu)
        run.requests_up = len(log)
        faults_seen = _count_faults(log)

        made = new_groups(emu)
        run.new_groups_after_up = {n: k for n, k in made.items() if k != 1}
        for i in range(len(lay.units)):
            if f"{NEW_GROUP} {i}" not in made:
                run.new_groups_after_up[f"{NEW_GROUP} {i}"] = 0
        actual = memberships_in(emu)
        run.unit_memberships_after_up = sum(len(actual[a] & set(m)) for a, m in lay.units.items())
        for c, m in {**lay.groups, **lay.units}.items():
            expected = set(m) | {lay.strangers[c]}
            missing, extra = expected - actual[c], actual[c] - expected
            if missing or extra:
                run.up_mismatch[c] = {"missing": sorted(missing), "extra": sorted(extra)}

        emu.clear_requests()
        second = stack.up(declared)
        run.second_up_changed = sorted(u for u, op in second.ops.items() if op != "same")
        run.requests_second_up = len(graph_requests(emu))
        run.writes_second_up = len(graph_writes(emu))

        emu.clear_requests()
        t0 = time.monotonic()
        stack.destroy()
        run.seconds_destroy = time.monotonic() - t0
        log = graph_requests(emu)
        run.requests_destroy = len(log)
        for k, v in _count_faults(log).items():
            faults_seen[k] = faults_seen.get(k, 0) + v
        run.faults_injected = faults_seen
        after = memberships_in(emu)
        for c in {**lay.groups, **lay.units}:
            ours = after[c] - {lay.strangers[c]}
            if ours or lay.strangers[c] not in after[c]:
                run.left_after_destroy[c] = sorted(ours)
        run.state_left = len(stack.state)
        run.new_groups_after_destroy = sum(new_groups(emu).values())
    finally:
        stack.stop()
        emu.faults({})
    return run


@dataclass
class Soak:
    profile: str
    clean: Run
    faulted: Run

    @property
    def ratio(self) -> float:
        return self.faulted.requests / max(1, self.clean.requests)

    def report(self) -> dict:
        return {"profile": self.profile, "clean": {**asdict(self.clean), "requests": self.clean.requests},
                "faulted": {**asdict(self.faulted), "requests": self.faulted.requests},
                "request_ratio": round(self.ratio, 3), "max_ratio": MAX_REQUEST_RATIO}


def run_soak(emu, profile: str = "small", *, seed: int = 42) -> Soak:
    p = PROFILES[profile]
    clean = run_once(emu, p, {}, seed=seed)
    faulted = run_once(emu, p, FAULTS, seed=seed)
    return Soak(profile, clean, faulted)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=sorted(PROFILES), default="full")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    from msgraph_membership.emulator.process import start_emulator

    with start_emulator() as emu:
        soak = run_soak(emu, args.profile, seed=args.seed)
    rep = soak.report()
    print(json.dumps(rep, indent=2))
    problems = soak.clean.problems() + soak.faulted.problems()
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    if problems:
        return 1
    if soak.ratio > MAX_REQUEST_RATIO:
        print(f"FAIL: {soak.faulted.requests} Graph requests with faults vs {soak.clean.requests} without "
              f"(ratio {soak.ratio:.2f} > {MAX_REQUEST_RATIO})", file=sys.stderr)
        return 1
    print("PASS", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
