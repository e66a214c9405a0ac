"""Where a command's time goes with many single memberships, counted on a shared CPU: for ours, the
floor (a dynamic provider that does nothing, bench/real_program/nop_provider.py) and, when its
plugin is installed, pulumi-azuread, each phase's wall time *and* CPU seconds of the whole command
(the `pulumi` process and every process it started and waited for: engine, language host and
program, provider), the Graph requests, and the processes it started (by name, from `strace -f`,
one extra run per phase when `--processes`). The sides run interleaved, phase by phase, so they
share the same minutes of the machine.

    .venv/bin/python bench/cli_cpu.py --n 20,200 --repeats 3 --latency-ms 50
    .venv/bin/python bench/cli_cpu.py --n 200 --sides ours,floor --processes

Writes cli_cpu.json and cli_cpu.md in --out.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests", ROOT / "provider"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench.real import GROUP, seed_doc, user_ids  # noqa: E402
from bench.real_sides import Side, sides  # noqa: E402
from bench.report import write_results  # noqa: E402
from bench.run import summarize_log  # noqa: E402

KIND = {"ours": "GroupMember", "floor": "Nop", "pulumi-azuread": "azuread.GroupMember"}


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(side: Side, work: Path, phase: str) -> dict:
    c0, t0 = children_cpu(), time.monotonic()
    run = side.command(work, side.argv(phase))
    return {"wall_s": round(time.monotonic() - t0, 2), "cpu_s": round(children_cpu() - c0, 2), "rc": run.rc}


def processes(side: Side, work: Path, phase: str) -> dict[str, int]:
    """Processes the command started (execve), by program name, traced once."""
    with tempfile.NamedTemporaryFile(suffix=".strace") as f:
        side.command(work, ["strace", "-f", "-qq", "-s", "300", "-e", "trace=execve", "-e", "signal=none", "-o", f.name,
                            *side.argv(phase)])
        names = collections.Counter()
        for line in Path(f.name).read_text().splitlines():
            if "execve(" in line and "= 0" in line.rsplit(")", 1)[-1]:
                argv = line.split("[", 1)[1].split("]", 1)[0].split(", ")
                names[" ".join(a.strip('"').rsplit("/", 1)[-1] for a in argv[:3])] += 1
    return dict(names)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", default="20,200")
    ap.add_argument("--sides", default="pulumi-azuread,ours,floor")
    ap.add_argument("--repeats", type=int, default=3, help="runs of preview and refresh (median kept)")
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--processes", action="store_true", help="also trace each phase once for its processes")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    a = ap.parse_args(argv)
    from harness.cli import pulumi_bin
    from msgraph_membership.emulator.process import start_emulator

    pdir = pulumi_bin()
    wanted = [s.strip() for s in a.sides.split(",") if s.strip()]
    if "pulumi-azuread" in wanted and subprocess.run([f"{pdir}/pulumi", "plugin", "ls"], capture_output=True,
                                                     text=True).stdout.find("azuread") < 0:
        print("pulumi-azuread: its plugin is not installed (scripts/azuread-cli.sh); left out")
        wanted.remove("pulumi-azuread")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-cli-cpu-") as tmp, start_emulator(latency_ms=a.latency_ms) as emu:
        by_name = {s.name: s for s in sides(emu, Path(tmp), pdir, sys.executable)}
        app = next(x["object_id"] for x in emu.directory()["apps"] if x["client_id"] == emu.client_id)
        for n in [int(x) for x in a.n.split(",")]:
            emu.reset()
            emu.seed(seed_doc(n, app))
            emu.faults({"latency_ms": a.latency_ms} if a.latency_ms else {})
            works = {}
            for name in wanted:
                side = by_name["ours" if name == "floor" else name]
                spec = {"kind": KIND[name], "group": GROUP, "unit": None, "members": user_ids(n)}
                works[name] = (side, side.stack(Path(tmp) / f"{name}-{n}", spec))
            for phase, times in (("up", 1), ("preview", a.repeats), ("refresh", a.repeats)):
                runs = collections.defaultdict(list)
                for _ in range(times):
                    for name, (side, work) in works.items():  # interleaved
                        emu.clear_requests()
                        fig = timed(side, work, phase)
                        log = summarize_log(emu.requests())
                        fig.update(requests=log["requests"], token_requests=log["token_requests"], by_kind=log["by_kind"])
                        runs[name].append(fig)
                for name, figs in runs.items():
                    row = {"n": n, "side": name, "phase": phase, "runs": figs,
                           "wall_s": statistics.median(f["wall_s"] for f in figs),
                           "cpu_s": statistics.median(f["cpu_s"] for f in figs),
                           "requests": statistics.median(f["requests"] for f in figs), "by_kind": figs[0]["by_kind"],
                           "rc": max(f["rc"] for f in figs)}
                    if a.processes and shutil.which("strace"):
                        row["processes"] = processes(*works[name], phase)
                    print(f"n={n:<4} {name:<16} {phase:<8} wall {row['wall_s']:>6.2f} s  cpu {row['cpu_s']:>6.2f} s"
                          f"  {row['requests']:>4} req  rc={row['rc']}", flush=True)
                    rows.append(row)
            # no destroy: pulumi-azuread waits about 20 s after each delete; the next size starts
            # from a fresh directory and fresh stacks
    meta = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "latency_ms": a.latency_ms,
            "repeats": a.repeats, "cpus": os.cpu_count(), "load": os.getloadavg()[0],
            "pulumi": subprocess.run([f"{pdir}/pulumi", "version"], capture_output=True, text=True).stdout.strip()}
    lines = [f"Single memberships through `pulumi` {meta['pulumi']}, {a.latency_ms:g} ms latency, {meta['date']}, "
             f"{meta['cpus']} CPUs shared (load {meta['load']:.1f} at the end); median of {a.repeats} "
             "for preview and refresh, the sides interleaved", "",
             "| n | phase | side | wall | CPU (all processes) | Graph requests |", "|---:|---|---|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: (r["n"], ["up", "preview", "refresh"].index(r["phase"]), r["side"])):
        lines.append(f"| {r['n']} | {r['phase']} | {r['side']} | {r['wall_s']:.2f} s | {r['cpu_s']:.2f} s | "
                     f"{r['requests']:g} |" + ("" if r["rc"] == 0 else f" (exit {r['rc']})"))
    lines += ["", "Graph requests by kind (the first run of each):", ""]
    lines += [f"- {r['side']} ×{r['n']}, {r['phase']}: " + ", ".join(f"{k} ×{v}" for k, v in r["by_kind"].items())
              for r in rows if r["by_kind"]]
    print(write_results(Path(a.out), "cli_cpu", {"meta": meta, "rows": rows}, "\n".join(lines) + "\n", indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
