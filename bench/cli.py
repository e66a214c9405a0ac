"""End-to-end figures with the real `pulumi` CLI (the project's build, scripts/pulumi-cli.sh):
what a user waits for, from the command to its end, against the local emulator.

    .venv/bin/python bench/cli.py                 # full: the sizes below
    .venv/bin/python bench/cli.py --quick         # 100 members, 20 GroupMember (the CI smoke)
    .venv/bin/python bench/cli.py --latency-ms 50 --out bench/results

Scenarios (each on a freshly seeded emulator, state on a local file backend):

- `pulumi preview` of the quick start (examples/quickstart, a project directory);
- `pulumi up` of examples/batch (one GroupMembers of 300 users, a project directory);
- `pulumi up` and `pulumi destroy` of one GroupMembers of 1,000 members (an inline program);
- `pulumi up` and `pulumi destroy` of 200 GroupMember resources of one group at the engine's
  default parallelism (an inline program).

Per command: wall time (CLI start, program, provider and engine included) and the Graph requests
the emulator logged (token requests apart). Output: cli.json and cli.md in --out.
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from bench.report import write_results  # noqa: E402
from harness.cli import CliStack, ShellStack, copy_example, pulumi_bin  # noqa: E402


def oid(tag: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-cli-{tag}"))


GROUP = oid("group")


def directory(users: int) -> dict:
    return {"users": [{"id": oid(f"user-{i}"), "displayName": f"User {i:05d}"} for i in range(users)],
            "groups": [{"id": GROUP, "displayName": "Bench", "mailNickname": "bench", "securityEnabled": True,
                        "mailEnabled": False, "groupTypes": []}]}


def graph_count(emu) -> int:
    return sum(1 for r in emu.requests() if r.get("kind") == "graph")


def timed(emu, fn) -> dict:
    emu.clear_requests()
    t0 = time.monotonic()
    summary = fn()
    return {"seconds": round(time.monotonic() - t0, 2), "graph_requests": graph_count(emu),
            "resources": len(summary.ops())}


def run(members: int, singles: int, latency_ms: float, log=print) -> dict:
    from msgraph_membership.emulator.process import start_emulator

    pulumi_bin()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        tmp = Path(tmp)
        for example, command in (("quickstart", "preview"), ("batch", "up")):
            with start_emulator(seed=str(ROOT / "examples" / example / "seed.yaml")) as emu:
                emu.faults({"latency_ms": latency_ms} if latency_ms else {})
                stack = ShellStack.for_directory(emu, copy_example(ROOT / "examples" / example, tmp / example),
                                                 tmp / f"{example}-state")
                key = f"pulumi {command} of examples/{example}"
                results[key] = timed(emu, getattr(stack, command))
                log(f"{key}: {results[key]}")

        with start_emulator(seed=directory(max(members, singles))) as emu:
            from msgraph_membership import GroupMember, GroupMembers

            emu.faults({"latency_ms": latency_ms} if latency_ms else {})
            ids = [oid(f"user-{i}") for i in range(max(members, singles))]

            def batch():
                GroupMembers("bench", group_id=GROUP, member_ids=ids[:members])

            stack = CliStack.inline(emu, "bench-batch", batch, tmp / "batch-inline")
            for command in ("up", "destroy"):
                key = f"pulumi {command}: GroupMembers of {members}"
                results[key] = timed(emu, getattr(stack, command))
                log(f"{key}: {results[key]}")

            def single():
                for i in range(singles):
                    GroupMember(f"m{i}", group_id=GROUP, member_id=ids[i])

            stack = CliStack.inline(emu, "bench-singles", single, tmp / "singles-inline")
            for command in ("up", "destroy"):
                key = f"pulumi {command}: {singles} GroupMember"
                results[key] = timed(emu, getattr(stack, command))
                log(f"{key}: {results[key]}")
    return results


def report(results: dict, meta: dict) -> str:
    lines = [f"Pulumi CLI end to end ({meta['pulumi']}, emulator latency {meta['latency_ms']} ms, "
             f"{meta['machine']}, {meta['date']})", "",
             "| command | wall time | Graph requests |", "|---|---:|---:|"]
    for k, v in results.items():
        lines.append(f"| {k} | {v['seconds']:.1f} s | {v['graph_requests']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 members and 20 GroupMember")
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    a = ap.parse_args(argv)
    members, singles = (100, 20) if a.quick else (1000, 200)
    results = run(members, singles, a.latency_ms)
    import subprocess
    version = subprocess.run(["pulumi", "version"], capture_output=True, text=True).stdout.strip()
    meta = {"pulumi": version, "latency_ms": a.latency_ms, "date": dt.date.today().isoformat(),
            "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores"}
    print(write_results(Path(a.out), "cli", {"meta": meta, "results": results}, report(results, meta)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
