"""Many stacks, one app: several `pulumi up` at the same time, each of one `GroupMembers` of its own
group, all with the same app's credentials against one emulator (quotas on). They share the app's
write quota without knowing of each other; each provider's pacer learns from the 429s the others
cause (graph/pacer.py). Measured: the time from the first `up`'s start to the last one's end (each process first creates
its stack; that setup is reported apart) against
the quota floor of all their writes, each stack's time, the Graph requests and the share answered
429, peak memory, and that every group holds exactly its declared members afterwards.

    .venv/bin/python bench/big_stacks.py                        # 4 stacks of 25,000 members
    .venv/bin/python bench/big_stacks.py --stacks 2 --members 5000

Output: big-stacks.json and big-stacks.md in --out (default bench/results).
"""
from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from bench.big import meta, save  # noqa: E402
from bench.big_measure import floor_cell, graph_stats, heading, peak_memory, peaks_mb  # noqa: E402
from bench.cli import oid  # noqa: E402
from harness.cli import CliStack, pulumi_bin  # noqa: E402


def group_of(stack: int) -> str:
    return oid(f"stacks-group-{stack}")


def members_of(stack: int, members: int) -> list[str]:
    return [oid(f"user-{i}") for i in range(stack * members, (stack + 1) * members)]


def worker(ready: dict, stack: int, members: int, out: Path) -> None:
    """One stack's `pulumi up`, in a process of its own (one inline program per process)."""
    from msgraph_membership import GroupMembers
    from msgraph_membership.emulator.process import EmulatorProcess

    emu = EmulatorProcess(None, ready, collections.deque())
    ids = members_of(stack, members)

    def program():
        GroupMembers(f"part{stack}", group_id=group_of(stack), member_ids=ids)

    with tempfile.TemporaryDirectory(prefix=f"bench-stacks-{stack}-") as tmp:
        cli = CliStack.inline(emu, f"bench-stacks-{stack}", program, Path(tmp))
        lines: list[str] = []
        started = time.time()
        cli.up(on_output=lines.append)
        out.write_text(json.dumps({"started": started, "ended": time.time(),
                                   "said": [ln.strip() for ln in lines if "429" in ln or "retry" in ln][:5]}))


def run(stacks: int, members: int, log=print) -> dict:
    from msgraph_membership.emulator.process import start_emulator
    from msgraph_membership.graph.pacer import floor_s
    from msgraph_membership.resources._progress import planned_writes

    pulumi_bin()
    seed = {"users": [{"id": oid(f"user-{i}"), "displayName": f"User {i:06d}"} for i in range(stacks * members)],
            "groups": [{"id": group_of(s), "displayName": f"Stack {s}", "mailNickname": f"stack{s}",
                        "securityEnabled": True, "mailEnabled": False, "groupTypes": []} for s in range(stacks)]}
    with tempfile.TemporaryDirectory(prefix="bench-stacks-") as tmp, start_emulator(seed=seed) as emu:
        emu.faults({})  # no faults, full buckets; quotas on
        emu.clear_requests()
        outs = [Path(tmp) / f"stack{s}.json" for s in range(stacks)]
        with peak_memory() as mem:
            t0, epoch0 = time.monotonic(), time.time()
            procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(s), "--members", str(members),
                                       "--ready", json.dumps(emu.ready), "--result", str(outs[s])])
                     for s in range(stacks)]
            codes = [p.wait() for p in procs]
            seconds = time.monotonic() - t0
        per = [json.loads(o.read_text()) if o.exists() else None for o in outs]
        groups = {g["id"]: set(g.get("members", [])) for g in emu.directory()["groups"]}
        exact = [groups.get(group_of(s)) == set(members_of(s, members)) for s in range(stacks)]
        writes = stacks * planned_writes(members, 0, 20)
        floor = floor_s(writes)
        # the ups, from the first start to the last end (each process first creates its stack: setup)
        span = max(p["ended"] for p in per if p) - min(p["started"] for p in per if p) if all(per) else seconds
        result = {
            "stacks": stacks, "members_each": members, "exit_codes": codes, "groups_exact": exact,
            "seconds": round(span, 1), "with_setup_s": round(seconds, 1),
            "each_s": [round(p["ended"] - p["started"], 1) if p else None for p in per],
            "planned_writes": writes, "quota_floor_s": round(floor, 1), "vs_floor": round(span / floor, 3) if floor else None,
            **graph_stats(emu.requests(), epoch0), "peak_mb": peaks_mb(mem)}
        log(json.dumps(result))
    return {f"{stacks} × pulumi up: GroupMembers of {members:,}, one app": result}


def report(results: dict, info: dict) -> str:
    lines = [heading("Stacks at once, one app, one emulator, quotas on", info), "",
             "| run | the ups, first start to last end | quota floor (all writes) | each stack | requests | 429s | all finished "
             "| groups exact | peak provider | peak pulumi |", "|---|---:|---:|---|---:|---:|---|---|---:|---:|"]
    for k, v in results.items():
        lines.append(f"| {k} | {v['seconds']:.1f} s | {floor_cell(v)} | "
                     f"{', '.join(f'{s} s' for s in v['each_s'])} | {v['graph_requests']:,} | "
                     f"{v['throttled_429']} of {v['calls_and_items']:,} ({100 * v['share_429']:.1f}%) | "
                     f"{'yes' if not any(v['exit_codes']) else v['exit_codes']} | "
                     f"{'yes' if all(v['groups_exact']) else v['groups_exact']} | {v['peak_mb']['provider']} MB | "
                     f"{v['peak_mb']['pulumi']} MB |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stacks", type=int, default=4)
    ap.add_argument("--members", type=int, default=25_000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--ready", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        worker(json.loads(args.ready), args.worker, args.members, Path(args.result))
        return 0
    results = run(args.stacks, args.members)
    save(Path(args.out), "big-stacks", results, meta(), render=report)
    return 0 if all(not any(v["exit_codes"]) and all(v["groups_exact"]) for v in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
