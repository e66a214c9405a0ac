"""One big `GroupMembers` through the real `pulumi` CLI, Graph's quotas on (the emulator's default):
wall time, Graph requests, the share answered 429, peak memory of the provider process and of
`pulumi`, the state file's size, against the write quota's floor (graph/pacer.py `floor_s`).

    .venv/bin/python bench/big.py --members 100000          # up, a no-change preview, a refresh
    .venv/bin/python bench/big.py --members 20000 --destroy  # destroy too (one write per member)

Output: big.json and big.md in --out (default bench/results). A destroy removes members one
write each, so 100,000 members take at least (100,000 - 3,000) / 20 s = 81 min under the quota:
it runs only with --destroy.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from bench.cli import GROUP, directory, oid  # noqa: E402
from bench.procmem import PeakMemory, command_holds  # noqa: E402
from bench.report import write_results  # noqa: E402
from harness.cli import CliStack, pulumi_bin  # noqa: E402


def peak_memory() -> PeakMemory:
    """Peak resident memory of this process and the pulumi and provider processes under it (VmRSS
    sampled every 0.5 s)."""
    return PeakMemory({
        "provider": command_holds("pulumi.dynamic", "dynamic_provider"),
        "pulumi": lambda pid, cmd: cmd.split(" ")[0].endswith("/pulumi") or cmd.startswith("pulumi "),
        "program (this process)": lambda pid, cmd: pid == os.getpid(),
    }, root=os.getpid(), field="VmRSS", interval=0.5)


def graph_stats(emu) -> dict:
    """Graph requests and $batch items, and how many were answered 429 by the quotas."""
    entries = [e for e in emu.requests() if e.get("kind") == "graph"]
    items = sum(e.get("batch_items", 0) for e in entries)
    throttled = sum(1 for e in entries if e.get("status") == 429) + sum(e.get("batch_quota", 0) for e in entries)
    calls = len(entries) - sum(1 for e in entries if e.get("batch_items")) + items
    return {"graph_requests": len(entries), "calls_and_items": calls, "throttled_429": throttled,
            "share_429": round(throttled / calls, 5) if calls else 0.0}


def run(members: int, destroy: bool, log=print) -> dict:
    from msgraph_membership import GroupMembers
    from msgraph_membership.emulator.process import start_emulator
    from msgraph_membership.graph.pacer import floor_s
    from msgraph_membership.resources._progress import planned_writes

    pulumi_bin()
    ids = [oid(f"user-{i}") for i in range(members)]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-big-") as tmp, start_emulator(seed=directory(members)) as emu:
        emu.faults({})  # no faults; the quotas are on (tenant size from the users: L)

        def program():
            GroupMembers("big", group_id=GROUP, member_ids=ids)

        stack = CliStack.inline(emu, "bench-big", program, Path(tmp) / "big")
        commands = [("up", planned_writes(members, 0, 20)), ("preview", 0), ("refresh", 0)]
        commands += [("destroy", members)] if destroy else []
        for command, writes in commands:
            emu.clear_requests()
            shown: list[tuple[float, str]] = []
            with peak_memory() as mem:
                t0 = time.monotonic()
                getattr(stack, command)(on_output=lambda line: shown.append((time.monotonic() - t0, line)))
                seconds = time.monotonic() - t0
            # the longest the user saw nothing from the provider (any of its info lines counts)
            progress = [0.0] + [t for t, line in shown if "info: " in line] + [seconds]
            state = sorted(Path(tmp).rglob("*.json"), key=lambda p: p.stat().st_size)
            floor = floor_s(writes)
            results[f"pulumi {command}: GroupMembers of {members:,}"] = {
                "seconds": round(seconds, 1), "planned_writes": writes, "quota_floor_s": round(floor, 1),
                "vs_floor": round(seconds / floor, 3) if floor else None, **graph_stats(emu),
                "peak_mb": {k: round(kb / 1024) for k, kb in mem.peak_kb.items()},
                "progress_lines": sum(1 for _, line in shown if "writes sent" in line), "longest_silence_s": round(max(b - a for a, b in zip(progress, progress[1:])), 1),
                "said": [line.strip() for _, line in shown if "msgraph: " in line or "take at least" in line or "adding" in line][:4],
                "state_file_mb": round(state[-1].stat().st_size / 2 ** 20, 1) if state else None}
            log(f"{command}: {json.dumps(results[f'pulumi {command}: GroupMembers of {members:,}'])}")
    return results


def report(results: dict, meta: dict) -> str:
    lines = [f"One GroupMembers through the Pulumi CLI, quotas on ({meta['pulumi']}, no latency, {meta['machine']}, "
             f"{meta['date']})", "",
             "| command | wall time | quota floor | requests | 429s | peak provider | peak pulumi | state file |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for k, v in results.items():
        floor = f"{v['quota_floor_s']:.0f} s ({v['vs_floor']:.2f}×)" if v["vs_floor"] else "0"
        lines.append(f"| {k} | {v['seconds']:.1f} s | {floor} | {v['graph_requests']:,} | "
                     f"{v['throttled_429']} of {v['calls_and_items']:,} | {v['peak_mb']['provider']} MB | "
                     f"{v['peak_mb']['pulumi']} MB | {v['state_file_mb']} MB |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--destroy", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args(argv)
    results = run(args.members, args.destroy)
    meta = {"pulumi": next((p for p in Path(pulumi_bin()).parts if p.startswith("pulumi-v")), "pulumi"), "machine": f"{os.uname().machine}, {os.cpu_count()} cores",
            "date": dt.date.today().isoformat()}
    print(write_results(Path(args.out), "big", {"meta": meta, "results": results}, report(results, meta)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
