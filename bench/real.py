"""The real competitors side by side, in one run: pulumi-azuread v6 (through `pulumi`),
terraform-provider-azuread v3 (through OpenTofu) and ours (through `pulumi`), against one emulator
with one injected latency.

    bash scripts/azuread-cli.sh           # builds tofu + both azuread providers (AZUREAD_SRC, PULUMI_AZUREAD_SRC)
    .venv/bin/pip install 'pulumi-azuread==6.10.0'
    .venv/bin/python bench/real.py        # writes bench/results/real.json and real.md
    .venv/bin/python bench/real.py --only memberships-200 --latency-ms 50

Per scenario and side, phases up, a no-change preview (`tofu plan`), refresh and destroy: wall time
of the command as a user types it, the Graph requests the emulator logged (by kind), and the
provider process's peak memory (VmHWM, sampled). terraform-provider-azuread and pulumi-azuread
wait 5 polls 5 s apart after every delete (and after every unit-member add), one resource of a
container at a time, so their destroys (and unit-member creates) run on `--waits` resources and
report the time per resource. Behaviour rows record what each side printed. bench/real_report.py
writes the tables.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests", ROOT / "provider"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench import real_report  # noqa: E402
from bench.procmem import PeakMemory, command_holds  # noqa: E402
from bench.real_sides import Side, sides  # noqa: E402
from bench.report import write_results  # noqa: E402
from bench.run import summarize_log  # noqa: E402

VERSIONS = {"terraform-provider-azuread": "v3.9.0", "pulumi-azuread": "v6.10.0", "OpenTofu": "v1.12.6"}
GROUP = "0b0e0c00-0000-4000-8000-000000000001"
UNIT = "0b0e0c00-0000-4000-8000-0000000000a1"
DYNAMIC = "0b0e0c00-0000-4000-8000-0000000000d1"
MISSING = "0b0e0c00-0000-4000-8000-00000000dead"
# program kind per side, for each shape of scenario
KINDS = {
    "memberships": {"pulumi-azuread": "azuread.GroupMember", "terraform azuread": "azuread.GroupMember",
                    "ours": "GroupMember", "ours (one GroupMembers)": "GroupMembers",
                    "floor (a do-nothing dynamic provider)": "Nop"},
    "big-group": {"pulumi-azuread": "azuread.Group", "terraform azuread": "azuread.Group",
                  "ours": "AdministrativeUnitGroup+GroupMembers"},
    "unit-members": {"pulumi-azuread": "azuread.AdministrativeUnitMember",
                     "terraform azuread": "azuread.AdministrativeUnitMember",
                     "ours": "AdministrativeUnitMember", "ours (one AdministrativeUnitMembers)": "AdministrativeUnitMembers"},
}


def user_ids(n: int) -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-real-{i}")) for i in range(n)]


def seed_doc(users: int, app_object_id: str, group_members=()) -> dict:
    return {"users": [{"id": u, "displayName": f"user {i}", "userPrincipalName": f"u{i}@contoso.test"}
                      for i, u in enumerate(user_ids(users))],
            # the signed-in app's service principal: azuread_group makes it the new group's owner
            "servicePrincipals": [{"id": app_object_id, "displayName": "bench app"}],
            "groups": [{"id": GROUP, "displayName": "Bench", "mailNickname": "bench", "securityEnabled": True,
                        "mailEnabled": False, "groupTypes": [], "members": list(group_members)},
                       {"id": DYNAMIC, "displayName": "Dynamic", "mailNickname": "dynamic", "securityEnabled": True,
                        "mailEnabled": False, "groupTypes": ["DynamicMembership"],
                        "membershipRule": 'user.department -eq "Sales"'}],
            "administrativeUnits": [{"id": UNIT, "displayName": "Bench unit"}]}


class Bench:
    """One emulator, the sides, a scratch directory; runs phases and records them."""

    def __init__(self, emu, side_list: list[Side], scratch: Path, latency_ms: float, log=print):
        self.emu, self.sides, self.scratch, self.latency_ms, self.log = emu, side_list, scratch, latency_ms, log
        self.app_oid = next(a["object_id"] for a in emu.directory()["apps"] if a["client_id"] == emu.client_id)
        self.rows: list[dict] = []
        self.repeats = 1
        self.only_sides: set[str] = set()  # empty: every side

    def side(self, name: str) -> Side:
        base = {"floor": "ours"}.get(name.split(" (")[0], name.split(" (")[0])
        return next(s for s in self.sides if s.name == base)

    def reseed(self, users: int, group_members=()) -> None:
        self.emu.reset()
        self.emu.seed(seed_doc(users, self.app_oid, group_members))
        self.emu.faults({"latency_ms": self.latency_ms} if self.latency_ms else {})

    def phase(self, side: Side, work: Path, phase: str, printed: bool = False, label: str = "", **kw) -> dict:
        self.emu.clear_requests()
        with PeakMemory({"provider": command_holds(*side.provider_match)}) as mem:
            run = side.command(work, side.argv(phase), memory=mem, **kw)
        entries = self.emu.requests()
        fig = {**summarize_log(entries), "wall_s": round(run.wall_s, 2), "rc": run.rc, "peak_mb": mem.mb("provider"),
               "throttled": sum(1 for e in entries if e.get("fault") == "throttle" or e.get("status") == 429)}
        if printed or run.rc != 0 or run.killed:
            fig["printed"] = real_report.excerpt(run.out)
        fig["killed"] = run.killed
        self.log(f"  {label or side.name:<40} {phase:<8} {fig['wall_s']:>8.2f} s {fig['requests']:>6} req rc={run.rc}"
                 f" mem={fig['peak_mb']}")
        return fig

    # -- measured scenarios ------------------------------------------------------------------------
    def scenario(self, key: str, shape: str, n: int, phases=("up", "preview", "refresh", "destroy"),
                 unit: bool = False, waits: int | None = None) -> None:
        """Each side runs `phases` on n resources; sides whose deletes (or adds) wait run the waiting
        phases on `waits` resources instead (a separate stack), and say so."""
        self.log(f"{key}: n={n}")
        for side_name, kind in KINDS[shape].items():
            if self.only_sides and side_name not in self.only_sides:
                continue
            side = self.side(side_name)
            azuread = kind.startswith("azuread.")
            plan = [(n, [p for p in phases if not (azuread and waits and p == "destroy")])]
            if azuread and waits and shape == "unit-members":
                plan = [(waits, list(phases))]  # every unit-member add waits: the whole scenario at `waits`
            elif azuread and waits and "destroy" in phases:
                plan.append((waits, ["up", "destroy"]))
            for size, todo in plan:
                if not todo:
                    continue
                self.reseed(max(size, 1))
                spec = {"kind": kind, "group": GROUP, "unit": UNIT if (unit or shape == "unit-members") else None,
                        "members": user_ids(size)}
                work = side.stack(self.scratch / f"{key}-{side_name}-{size}".replace(" ", "_"), spec)
                for phase in todo:
                    # the phases that change nothing may run several times: the median is kept
                    times = self.repeats if phase in ("preview", "refresh") else 1
                    figs = sorted((self.phase(side, work, phase, label=f"{side_name} ×{size}") for _ in range(times)),
                                  key=lambda f: f["wall_s"])
                    fig = {**figs[len(figs) // 2], "runs_s": [f["wall_s"] for f in figs]}
                    self.rows.append({"scenario": key, "side": side_name, "kind": kind, "n": size,
                                      "phase": phase, **fig, "scenario_n": n})

    # -- behaviours --------------------------------------------------------------------------------
    def behaviour(self, key: str, what: str, prepare, n: int = 1, member=None, group: str = GROUP,
                  faults: dict | None = None, kill_after_writes: int | None = None) -> None:
        """One behaviour row per side (GroupMember-shaped, n memberships): the up's exit code and
        what it printed; with kill_after_writes, the up is SIGKILLed after that many Graph writes
        and run again."""
        self.log(f"behaviour {key}")
        for side_name in ("pulumi-azuread", "terraform azuread", "ours"):
            side = self.side(side_name)
            prepare()
            members = [member] if member else user_ids(n)
            spec = {"kind": KINDS["memberships"][side_name], "group": group, "members": members}
            work = side.stack(self.scratch / f"b-{key}-{side_name}".replace(" ", "_"), spec)
            if faults is not None:
                self.emu.faults({**faults, **({"latency_ms": self.latency_ms} if self.latency_ms else {})})
            row = {"behaviour": key, "what": what, "side": side_name, "n": n}
            if kill_after_writes:
                writes = lambda: sum(1 for e in self.emu.requests() if is_write(e))  # noqa: E731
                self.emu.clear_requests()
                cut = side.command(work, side.argv("up"), kill_when=lambda: writes() >= kill_after_writes)
                row["cut"] = {"wall_s": round(cut.wall_s, 2), "killed": cut.killed,
                              "members_after_cut": len(self.members(group))}
            row["up"] = self.phase(side, work, "up", printed=True)
            if kill_after_writes and side.cli == "pulumi" and "currently locked" in row["up"].get("printed", ""):
                # the killed CLI left its lock: the recovery its message names, then the up again
                row["cancel"] = real_report.excerpt(side.command(work, ["pulumi", "cancel", "--yes", "--stack",
                                                                        "bench", "--non-interactive"]).out)
                row["locked_up"] = row["up"]
                row["up"] = self.phase(side, work, "up", printed=True)
            row["members_after"] = len(self.members(group))
            row["outcome"] = real_report.outcome(row)
            self.rows.append(row)

    def members(self, group: str) -> list[str]:
        return next(g for g in self.emu.directory()["groups"] if g["id"] == group)["members"]


def is_write(entry: dict) -> bool:
    """A Graph request that can change the directory (getByIds is a POST that only reads)."""
    path = entry.get("path", "")
    return entry.get("kind") == "graph" and (entry.get("method") in ("PATCH", "DELETE") or (
        entry.get("method") == "POST" and "getByIds" not in path and "checkMember" not in path))


def bin_dirs() -> tuple[Path, str]:
    """scripts/azuread-cli.sh's bin (tofu, the providers) and the Pulumi CLI's (scripts/pulumi-cli.sh)."""
    from harness.cli import pulumi_bin

    res = subprocess.run(["bash", str(ROOT / "scripts" / "azuread-cli.sh")], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"scripts/azuread-cli.sh failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return Path(res.stdout.strip().splitlines()[-1]), pulumi_bin()


def run(args) -> dict:
    from msgraph_membership.emulator.process import start_emulator

    tofu_bin, pulumi_dir = bin_dirs()
    started = time.time()
    only = set(args.only.split(",")) if args.only else None
    want = lambda key: only is None or key in only  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="bench-real-") as tmp, start_emulator(latency_ms=args.latency_ms) as emu:
        b = Bench(emu, sides(emu, tofu_bin, pulumi_dir, sys.executable), Path(tmp), args.latency_ms)
        b.repeats = args.repeats
        b.only_sides = {x.strip() for x in args.sides.split(",") if x.strip()}
        n = args.memberships
        if want("memberships-small"):
            b.scenario("memberships-small", "memberships", args.small, phases=("up", "preview", "refresh"))
        if want("memberships"):
            b.scenario("memberships", "memberships", n, waits=args.waits)
        if only and "memberships-previews" in only:  # only when asked: the memberships without destroy
            b.scenario("memberships-previews", "memberships", n, phases=("up", "preview", "refresh"))
        if want("big-group"):
            b.scenario("big-group", "big-group", args.big, unit=True)
        if want("unit-members"):
            b.scenario("unit-members", "unit-members", args.unit_members, waits=args.waits)
        if want("behaviours"):
            b.behaviour("existing", "the membership already exists", lambda: b.reseed(5, user_ids(1)))
            b.behaviour("dynamic", "a member added to a dynamic group", lambda: b.reseed(5), group=DYNAMIC)
            b.behaviour("missing", "a member that does not exist", lambda: b.reseed(5), member=MISSING)
            b.behaviour("kill-9", "the up is cut by kill -9 after 5 writes, then run again", lambda: b.reseed(20),
                        n=20, kill_after_writes=5)
            b.behaviour("throttled", "429 with Retry-After: 1 on 10% of Graph calls", lambda: b.reseed(20), n=20,
                        faults={"throttle_rate": 0.1, "retry_after_s": 1, "seed": 7})
    return {"meta": {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                     "command": " ".join([".venv/bin/python", *sys.argv]), "versions": VERSIONS,
                     "pulumi": subprocess.run([f"{pulumi_dir}/pulumi", "version"], capture_output=True,
                                              text=True).stdout.strip(),
                     "latency_ms": args.latency_ms, "waits": args.waits, "repeats": args.repeats,
                     "machine": platform.machine(),
                     "cpus": os.cpu_count(), "python": platform.python_version(),
                     "duration_s": round(time.time() - started, 1)},
            "rows": b.rows}


def main_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--memberships", type=int, default=200, help="memberships of one group")
    ap.add_argument("--small", type=int, default=20, help="the small memberships scenario (previews)")
    ap.add_argument("--big", type=int, default=1000, help="members of the one big group")
    ap.add_argument("--unit-members", type=int, default=200)
    ap.add_argument("--sides", default="", help="comma-separated rows to run (e.g. 'pulumi-azuread,ours'); "
                                                "default every one")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each preview and refresh (median kept)")
    ap.add_argument("--waits", type=int, default=5, help="resources for azuread's waiting phases")
    ap.add_argument("--only", default="", help="comma-separated scenario keys (memberships-small, memberships, "
                                               "big-group, unit-members, behaviours; and, only when named, "
                                               "memberships-previews: the memberships without destroy)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    return ap.parse_args(argv)


def main(argv=None) -> int:
    a = main_args(argv)
    results = run(a)
    out = Path(a.out)
    name = "real" if not a.only else "real-" + a.only.replace(",", "-")
    text = write_results(out, name, results, real_report.markdown(results), indent=1)
    real_report.chart(results, out / f"{name}.png")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
