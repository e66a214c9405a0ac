"""One big `GroupMembers` through the real `pulumi` CLI, Graph's quotas on (the emulator's default):
wall time, Graph requests, the share answered 429, when the writes ran, peak memory of the
provider process and of `pulumi`, the state file's size, against the write quota's floor
(graph/pacer.py `floor_s`). Each command starts from full quota buckets.

    .venv/bin/python bench/big.py                        # 100,000: up, a no-change preview,
                                                         # preview --diff of +-100, refresh, up of +-1,000
    .venv/bin/python bench/big.py --destroy-members 5000 # then up and destroy 5,000 (5,000 writes)
    .venv/bin/python bench/big.py --stacks 4 --members 25000   # four stacks at once, one app
    .venv/bin/python bench/big.py --typed                # one `pulumi up` typed in a project directory

Output: big.json and big.md (--name) in --out (default bench/results); the stacks write
big-stacks.json and .md (bench/big_stacks.py). A destroy removes members one write each, so
100,000 members take at least (100,000 - 3,000) / 20 s = 81 min under the quota: a destroy of
the big stack runs only with --destroy; --destroy-members measures a destroy of as many writes
as the 100,000-member up.
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

from bench.big_measure import floor_cell, graph_stats, heading, peak_memory, peaks_mb  # noqa: E402
from bench.cli import GROUP, directory, oid  # noqa: E402
from bench.report import write_results  # noqa: E402
from harness.cli import CliStack, pulumi_bin  # noqa: E402


SPARE = 1_000  # users beyond the members, for the changes of +-100 and +-1,000


def run(members: int, destroy: bool, changes: bool = True, log=print) -> dict:
    """One stack of one GroupMembers of ``members``: up; with ``changes``, a no-change preview,
    `preview --diff` of +-100, refresh and an update of +-1,000; with ``destroy``, destroy.
    Every command starts from full quota buckets (a fresh provider process, the emulator's
    buckets refilled), as the floor assumes."""
    from msgraph_membership import GroupMembers
    from msgraph_membership.emulator.process import start_emulator
    from msgraph_membership.graph.pacer import floor_s
    from msgraph_membership.resources._progress import planned_writes

    pulumi_bin()
    ids = [oid(f"user-{i}") for i in range(members + SPARE)]
    declared = {"ids": ids[:members]}
    swap = lambda n: ids[n:members] + ids[members:members + n]  # noqa: E731 (n out, n in)
    steps = [("up", f"pulumi up: GroupMembers of {members:,}", ids[:members], planned_writes(members, 0, 20), {})]
    if changes:
        steps += [("preview", f"pulumi preview, no change, {members:,}", ids[:members], 0, {"expect_no_changes": True}),
                  ("preview", "pulumi preview --diff of +-100", swap(100), 0, {"diff": True}),
                  ("refresh", f"pulumi refresh, {members:,}", ids[:members], 0, {}),
                  ("up", "pulumi up of +-1,000", swap(1000), planned_writes(1000, 1000, 20), {})]
    if destroy:
        steps.append(("destroy", f"pulumi destroy: GroupMembers of {len(steps[-1][2]):,}", steps[-1][2],
                      len(steps[-1][2]), {}))
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-big-") as tmp, start_emulator(seed=directory(members + SPARE)) as emu:

        def program():
            GroupMembers("big", group_id=GROUP, member_ids=declared["ids"])

        stack = CliStack.inline(emu, "bench-big", program, Path(tmp) / "big")
        for command, key, declared["ids"], writes, kw in steps:
            emu.faults({})  # no faults, every quota bucket full; quotas on (tenant size from the users: L)
            emu.clear_requests()
            shown: list[tuple[float, str]] = []
            with peak_memory() as mem:
                t0, epoch0 = time.monotonic(), time.time()
                getattr(stack, command)(on_output=lambda line: shown.append((time.monotonic() - t0, line)), **kw)
                seconds = time.monotonic() - t0
            # the longest the user saw nothing from the provider (any of its info lines counts)
            progress = [0.0] + [t for t, line in shown if "info: " in line] + [seconds]
            state = sorted(Path(tmp).rglob("*.json"), key=lambda p: p.stat().st_size)
            floor = floor_s(writes)
            results[key] = {
                "seconds": round(seconds, 1), "planned_writes": writes, "quota_floor_s": round(floor, 1),
                "vs_floor": round(seconds / floor, 3) if floor else None, **graph_stats(emu.requests(), epoch0),
                "peak_mb": peaks_mb(mem),
                "progress_lines": sum(1 for _, line in shown if "writes sent" in line),
                "longest_silence_s": round(max(b - a for a, b in zip(progress, progress[1:])), 1),
                "said": [line.strip() for _, line in shown if "msgraph: " in line or "take at least" in line
                         or "adding" in line][:4],
                "diff_lines": sum(1 for _, line in shown if line.strip()[:1] in "+-" and any(i in line for i in ids[members:members + 100] + ids[:100]))
                if kw.get("diff") else None,
                "state_file_mb": round(state[-1].stat().st_size / 2 ** 20, 1) if state else None}
            log(f"{key}: {json.dumps(results[key])}")
        missing = set(declared["ids"]) - set(next(g for g in emu.directory()["groups"] if g["id"] == GROUP)
                                             .get("members", []))
        if missing and not destroy:
            raise SystemExit(f"{len(missing)} declared members are not in the group")
    return results


def typed_up(members: int, log=print) -> dict:
    """`pulumi up --yes --skip-preview` typed in a project directory, as a user runs it: no
    Automation API (whose inline program and event stream share this process) and no event log."""
    import subprocess

    from msgraph_membership.emulator.process import start_emulator
    from msgraph_membership.graph.pacer import floor_s
    from msgraph_membership.resources._progress import planned_writes

    pulumi_bin()
    with tempfile.TemporaryDirectory(prefix="bench-big-typed-") as tmp, start_emulator(seed=directory(members)) as emu:
        proj = Path(tmp) / "project"
        proj.mkdir()
        (proj / "ids.json").write_text(json.dumps([oid(f"user-{i}") for i in range(members)]))
        (proj / "Pulumi.yaml").write_text(f"name: bench-big-typed\nruntime:\n  name: python\n  options:\n"
                                          f"    virtualenv: {Path(sys.executable).parents[1]}\n")
        (proj / "__main__.py").write_text("import json\nfrom msgraph_membership import GroupMembers\n"
                                          f"GroupMembers('big', group_id='{GROUP}', member_ids=json.load(open('ids.json')))\n")
        env = {**os.environ, **CliStack.env_for(emu, Path(tmp))}
        run = lambda *a: subprocess.run(["pulumi", *a, "--non-interactive"], cwd=proj, env=env,  # noqa: E731
                                        capture_output=True, text=True)
        run("stack", "init", "dev")
        emu.faults({})
        emu.clear_requests()
        with peak_memory() as mem:
            t0, epoch0 = time.monotonic(), time.time()
            done = run("up", "--yes", "--skip-preview")
            seconds = time.monotonic() - t0
        if done.returncode:
            raise SystemExit(f"pulumi up failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        floor = floor_s(planned_writes(members, 0, 20))
        state = sorted(Path(tmp).rglob("*.json"), key=lambda p: p.stat().st_size)
        key = f"pulumi up typed in the project: GroupMembers of {members:,}"
        result = {key: {"seconds": round(seconds, 1), "planned_writes": planned_writes(members, 0, 20),
                        "quota_floor_s": round(floor, 1), "vs_floor": round(seconds / floor, 3) if floor else None,
                        **graph_stats(emu.requests(), epoch0), "peak_mb": peaks_mb(mem),
                        "state_file_mb": round(state[-1].stat().st_size / 2 ** 20, 1)}}
        log(json.dumps(result))
    return result


def report(results: dict, meta: dict) -> str:
    lines = [heading("GroupMembers through the Pulumi CLI, quotas on", meta), "",
             "| command | wall time | quota floor | writes from-to | requests | 429s | peak provider | peak pulumi "
             "| state file |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k, v in results.items():
        span = f"{v['first_write_s']}–{v['last_write_s']} s" if v.get("first_write_s") is not None else "–"
        lines.append(f"| {k} | {v['seconds']:.1f} s | {floor_cell(v)} | {span} | {v['graph_requests']:,} | "
                     f"{v['throttled_429']} of {v['calls_and_items']:,} | {v['peak_mb']['provider']} MB | "
                     f"{v['peak_mb']['pulumi']} MB | {v['state_file_mb']} MB |")
    return "\n".join(lines) + "\n"


def meta() -> dict:
    return {"pulumi": next((p for p in Path(pulumi_bin()).parts if p.startswith("pulumi-v")), "pulumi"),
            "machine": f"{os.uname().machine}, {os.cpu_count()} cores", "load": round(os.getloadavg()[0], 1),
            "date": dt.date.today().isoformat()}


def save(out: Path, name: str, results: dict, info: dict, render=report) -> None:
    print(write_results(out, name, {"meta": info, "results": results}, render(results, info)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--no-changes", action="store_true", help="only up (and destroy)")
    ap.add_argument("--destroy", action="store_true")
    ap.add_argument("--destroy-members", type=int, default=0,
                    help="then, on a fresh emulator, up and destroy this many members (one write each)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--name", default="big")
    ap.add_argument("--stacks", type=int, default=0,
                    help="instead: this many stacks of --members each at once, one app (bench/big_stacks.py)")
    ap.add_argument("--typed", action="store_true",
                    help="instead: one `pulumi up` typed in a project directory (no Automation API)")
    args = ap.parse_args(argv)
    if args.typed:
        save(Path(args.out), f"{args.name}-typed", typed_up(args.members), meta())
        return 0
    if args.stacks:
        from bench.big_stacks import main as stacks
        return stacks(["--stacks", str(args.stacks), "--members", str(args.members), "--out", args.out])
    results = run(args.members, args.destroy, changes=not args.no_changes)
    if args.destroy_members:
        results.update(run(args.destroy_members, True, changes=False))
    save(Path(args.out), args.name, results, meta())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
