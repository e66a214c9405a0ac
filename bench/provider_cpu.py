"""CPU time and modules of the dynamic-provider process over a no-change preview's RPCs (a Check
and a Diff per resource), ours against the floor (bench/real_program/nop_provider.py), so the
per-command and per-resource cost of our provider can be told from the SDK server's own without
the Pulumi CLI and on a shared CPU (CPU seconds of the one process, not wall time).

    .venv/bin/python bench/provider_cpu.py --n 200 --repeats 3

Per side: the provider process's CPU seconds (user + system, /proc/<pid>/stat) after start, after
the first Check + Diff, and after all n. No Graph call is made: the inputs are unchanged (which
modules the provider loads meanwhile is a test: tests/integration/test_provider_cost.py).
"""
from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench" / "real_program")]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def blob(provider) -> str:
    from pulumi.dynamic.dynamic import serialize_provider

    return serialize_provider(provider)


def side(kind: str, n: int) -> dict:
    from harness.server import ProviderServer

    if kind == "ours":
        from msgraph_membership.resources.group_member import GroupMemberProvider as P
    else:
        from nop_provider import NopProvider as P
    prov = blob(P())
    group = str(uuid.uuid5(uuid.NAMESPACE_URL, "bench-cpu-group"))
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT / "bench" / "real_program"), os.environ.get("PYTHONPATH", "")])}
    with ProviderServer(env=env) as srv:
        time.sleep(0.2)
        marks = {"start": cpu_seconds(srv.pid)}
        for i in range(n):
            member = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-cpu-{i}"))
            props = {"group_id": group, "member_id": member, "__provider": prov}
            urn = f"urn:pulumi:dev::proj::pulumi-python:dynamic/msgraph:GroupMember::m{i}"
            inputs, failures = srv.check(urn, props, props)
            assert not failures, failures
            outs = {**props, "member_type": "user", "adopted": False}
            d = srv.diff(urn, f"{group}/member/{member}", outs, inputs)
            assert d.changes == ("none" if kind == "ours" else "unknown"), d
            if i == 0:
                marks["first"] = cpu_seconds(srv.pid)
        marks["all"] = cpu_seconds(srv.pid)
    return {"start_cpu_s": marks["start"], "first_call_cpu_s": marks["first"] - marks["start"],
            "per_resource_cpu_ms": (marks["all"] - marks["first"]) / max(n - 1, 1) * 1000,
            "total_cpu_s": marks["all"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    runs: dict[str, list[dict]] = {"ours": [], "floor": []}
    for _ in range(a.repeats):  # interleaved: both sides in the same minutes
        for k in runs:
            runs[k].append(side(k, a.n))
    print(f"no-change preview RPCs (Check + Diff) x {a.n}, provider process CPU, median of {a.repeats}")
    print("| side | start | first Check+Diff | per resource after | total |")
    print("|---|---:|---:|---:|---:|")
    for k, rs in runs.items():
        med = {f: statistics.median(r[f] for r in rs) for f in rs[0]}
        print(f"| {k} | {med['start_cpu_s']:.2f} s | {med['first_call_cpu_s']*1000:.0f} ms | "
              f"{med['per_resource_cpu_ms']:.2f} ms | {med['total_cpu_s']:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
