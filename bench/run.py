"""Benchmark: Graph requests, wall time and provider memory of the membership resources, at the
provider level, against the local emulator with injected latency. The comparison with the real
terraform-provider-azuread and pulumi-azuread, command to end, is bench/real.py.

    pip install -e '.[bench]'            # matplotlib is in the `bench` extra
    .venv/bin/python bench/run.py        # full run: N = 100, 1000, 5000; median of 3 runs
    .venv/bin/python bench/run.py --quick                 # N = 100, 1 run
    .venv/bin/python bench/run.py --sizes 100,1000 --runs 3 --latency-ms 50 --out bench/results

What is measured (each phase in a fresh provider process, `python -m pulumi.dynamic` driven over
gRPC exactly as the engine drives it, tests/harness/server.py):

- one `GroupMembers` of N members: create (Check + Create, as `pulumi up`), refresh (Read, as
  `pulumi refresh`), update adding 10% and removing 10% (Check + Diff + Update), destroy (Delete);
- 200 `GroupMember` of one group, 4 calls at a time (the engine's 4 gRPC worker threads):
  create, refresh, destroy;
- 200 administrative-unit members: one `AdministrativeUnitMembers`, and 200
  `AdministrativeUnitMember` with 4 calls at a time: create, refresh, destroy.
- owners of 200: one `GroupOwners` of 200 owners (bench/owners.py): create, refresh, destroy.

Per phase: Graph requests (the emulator's request log, kind "graph"; token requests apart),
wall time of the RPCs (provider start-up excluded), peak RSS of the provider process (VmHWM,
read just before it stops). Also: import time of the package and size of the serialized
provider. Output: results.json and results.md (with PASS/MISS per target).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from urllib.parse import unquote
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tests", ROOT / "provider"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench import report  # noqa: E402
from bench.owners import run_group_owners  # noqa: E402
from bench.procmem import status_kb  # noqa: E402

GROUP = "0b0e0c00-0000-4000-8000-000000000001"
UNIT = "0b0e0c00-0000-4000-8000-0000000000a1"
ENGINE_WORKERS = 4  # pulumi/dynamic/__main__.py: grpc.server(ThreadPoolExecutor(max_workers=4))
# The provider and emulator subprocesses import the package from this tree (not from wherever the
# venv's editable install points), so a run measures exactly the code of one checkout.
TREE_ENV = {"PYTHONPATH": os.pathsep.join([str(ROOT / "provider")] + [p for p in [os.environ.get("PYTHONPATH")] if p])}


def user_ids(n: int, tag: str = "u") -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{tag}-{i}")) for i in range(n)]


def seed_doc(users: list[str], group_members=(), unit_members=()) -> dict:
    return {
        "users": [{"id": u, "displayName": f"user {i}", "userPrincipalName": f"u{i}@contoso.test"}
                  for i, u in enumerate(users)],
        "groups": [{"id": GROUP, "displayName": "Bench", "mailNickname": "bench", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": [], "members": list(group_members)}],
        "administrativeUnits": [{"id": UNIT, "displayName": "Bench unit", "members": list(unit_members)}],
    }


def reseed(emu, doc: dict) -> None:
    """A fresh directory, and the app's quotas full again (a PUT of the same fault settings refills
    them), so a run is not paced by the writes of the runs before it."""
    emu.reset()
    emu.seed(doc)
    emu.faults(emu.faults())
    emu.clear_requests()


# -- request log ------------------------------------------------------------------------------------

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def request_kind(entry: dict) -> str:
    """`GET /v1.0/groups/{id}/members` style label: ids folded, query reduced to its option names."""
    path, _, query = entry.get("path", "").partition("?")
    label = f"{entry.get('method')} {_GUID.sub('{id}', path)}"
    keys = {unquote(kv.split("=", 1)[0]) for kv in query.split("&")}  # clients may send %24filter
    opts = sorted({k for k in keys if k.startswith("$")} - {"$select", "$top"})
    if "$skiptoken" in opts:
        label += " (next page)"
    elif opts:
        label += "?" + "&".join(opts)
    if entry.get("batch_items"):
        label += f" [{entry['batch_items']} items]"
    return label


def summarize_log(entries: list[dict]) -> dict:
    graph = [e for e in entries if e.get("kind") == "graph"]
    kinds: dict[str, int] = {}
    for e in graph:
        k = request_kind(e)
        kinds[k] = kinds.get(k, 0) + 1
    return {"requests": len(graph), "token_requests": sum(1 for e in entries if e.get("kind") == "token"),
            "by_kind": dict(sorted(kinds.items(), key=lambda kv: -kv[1]))}


# -- our side: one phase in a fresh provider process ------------------------------------------------

class Bench:
    """One emulator, the provider blobs and helpers to time a phase in a fresh provider."""

    def __init__(self, emu):
        from harness.server import emulator_config

        self.emu = emu
        self.config = emulator_config(emu)
        self._blobs: dict[str, str] = {}

    def blob(self, resource: str) -> str:
        """The real `__provider` blob of a resource class, as a program registers it."""
        if resource not in self._blobs:
            import msgraph_membership as M
            from harness.program import collect

            args = {"GroupMember": dict(group_id=GROUP, member_id=GROUP),
                    "GroupMembers": dict(group_id=GROUP, member_ids=[]),
                    "AdministrativeUnitMember": dict(administrative_unit_id=UNIT, member_id=UNIT),
                    "AdministrativeUnitMembers": dict(administrative_unit_id=UNIT, member_ids=[]),
                    "GroupOwners": dict(group_id=GROUP, owner_ids=[])}[resource]
            cls = getattr(M, resource)
            self._blobs[resource] = collect(lambda: cls("x", **args))[0].inputs["__provider"]
        return self._blobs[resource]

    def phase(self, fn: Callable) -> tuple[dict, object]:
        """Run `fn(server)` in a fresh provider process: requests, wall time, peak memory."""
        from harness.server import ProviderServer

        server = ProviderServer(config=self.config, env=TREE_ENV)
        try:
            self.emu.clear_requests()  # start-up and Configure make no Graph call; be sure
            t0 = time.perf_counter()
            value = fn(server)
            wall = time.perf_counter() - t0
            log = summarize_log(self.emu.requests())
            peak = status_kb(server.pid, "VmHWM")
        finally:
            server.stop()
        return {**log, "wall_s": wall, "peak_rss_mb": peak / 1024 if peak else None}, value


def pooled(fn, items, workers: int = ENGINE_WORKERS) -> list:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def run_group_members(b: Bench, n: int) -> dict[str, dict]:
    """One GroupMembers of n: create, refresh, update (+10% / -10%), destroy."""
    from harness.server import urn_for

    urn = urn_for("GroupMembers", "bench")
    blob = b.blob("GroupMembers")
    k = max(1, n // 10)
    members, extra = user_ids(n), user_ids(k, "extra")
    reseed(b.emu, seed_doc(members + extra))

    def news(ids):
        return {"__provider": blob, "group_id": GROUP, "member_ids": ids, "authoritative": False}

    def create(s):
        inputs, failures = s.check(urn, {}, news(members))
        assert not failures, failures
        return inputs, *s.create(urn, inputs)

    out: dict[str, dict] = {}
    out["create"], (inputs, id_, outs) = b.phase(create)
    assert len(outs["member_ids"]) == n
    out["refresh"], (rid, routs, _) = b.phase(lambda s: s.read(urn, id_, outs))
    assert rid == id_ and len(routs["member_ids"]) == n
    new_ids = members[k:] + extra

    def update(s):
        inputs2, failures = s.check(urn, inputs, news(new_ids))
        assert not failures, failures
        d = s.diff(urn, id_, outs, inputs2)
        assert d.changes == "some" and not d.replaces, d
        return s.update(urn, id_, outs, inputs2)

    out["update"], outs2 = b.phase(update)
    assert outs2["member_ids"] == sorted(new_ids)
    out["destroy"], _ = b.phase(lambda s: s.delete(urn, id_, outs2))
    left = next(g for g in b.emu.directory()["groups"] if g["id"] == GROUP)["members"]
    assert not left, f"{len(left)} members left after destroy"
    return out


def run_single_members(b: Bench, resource: str, n: int) -> dict[str, dict]:
    """n single-membership resources of one container, ENGINE_WORKERS calls at a time."""
    from harness.server import urn_for

    blob = b.blob(resource)
    members = user_ids(n)
    unit = resource.startswith("Administrative")
    reseed(b.emu, seed_doc(members))
    cid = ("administrative_unit_id", UNIT) if unit else ("group_id", GROUP)
    urns = [urn_for(resource, f"m{i}") for i in range(n)]

    def one_create(s, i):
        inputs, failures = s.check(urns[i], {}, {"__provider": blob, cid[0]: cid[1], "member_id": members[i]})
        assert not failures, failures
        return s.create(urns[i], inputs)

    out: dict[str, dict] = {}
    out["create"], created = b.phase(lambda s: pooled(lambda i: one_create(s, i), range(n)))
    out["refresh"], read = b.phase(lambda s: pooled(lambda i: s.read(urns[i], *created[i]), range(n)))
    assert all(r[0] == created[i][0] for i, r in enumerate(read)), "a refresh lost a membership"
    out["destroy"], _ = b.phase(lambda s: pooled(lambda i: s.delete(urns[i], *created[i]), range(n)))
    return out


def run_unit_members(b: Bench, n: int) -> dict[str, dict]:
    """One AdministrativeUnitMembers of n: create, refresh, destroy."""
    from harness.server import urn_for

    urn = urn_for("AdministrativeUnitMembers", "bench")
    blob = b.blob("AdministrativeUnitMembers")
    members = user_ids(n)
    reseed(b.emu, seed_doc(members))

    def create(s):
        inputs, failures = s.check(urn, {}, {"__provider": blob, "administrative_unit_id": UNIT,
                                             "member_ids": members, "authoritative": False})
        assert not failures, failures
        return s.create(urn, inputs)

    out: dict[str, dict] = {}
    out["create"], (id_, outs) = b.phase(create)
    out["refresh"], (rid, routs, _) = b.phase(lambda s: s.read(urn, id_, outs))
    assert rid == id_ and len(routs["member_ids"]) == n
    out["destroy"], _ = b.phase(lambda s: s.delete(urn, id_, outs))
    return out


def median_of(runs: list[dict[str, dict]]) -> dict[str, dict]:
    """Per phase: the median of each figure over the runs, and the raw runs."""
    out = {}
    for phase in runs[0]:
        rs = [r[phase] for r in runs]
        med = {k: statistics.median([r[k] for r in rs if r[k] is not None])
               for k in ("requests", "token_requests", "wall_s", "peak_rss_mb") if any(r[k] is not None for r in rs)}
        # the request breakdown of the run whose count is the median one
        med["by_kind"] = sorted(rs, key=lambda r: r["requests"])[len(rs) // 2]["by_kind"]
        med["runs"] = [{k: r[k] for k in ("requests", "token_requests", "wall_s", "peak_rss_mb")} for r in rs]
        out[phase] = med
    return out


# -- package-level figures ----------------------------------------------------------------------------

def import_cost(runs: int = 7) -> dict:
    """What importing msgraph_membership adds to importing pulumi, in fresh interpreters (median)."""
    code = ("import time; t0 = time.perf_counter(); import pulumi; t1 = time.perf_counter(); "
            "import msgraph_membership; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")
    env = {**os.environ, **TREE_ENV}
    pulumi_s, ours_s = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        a, b = map(float, out.stdout.split())
        pulumi_s.append(a)
        ours_s.append(b)
    return {"pulumi_ms": statistics.median(pulumi_s) * 1000, "added_ms": statistics.median(ours_s) * 1000,
            "runs": runs, "added_ms_runs": [round(x * 1000, 1) for x in ours_s]}


def provider_sizes(b: Bench) -> dict:
    """Length of the `__provider` value stored in state for each resource (base64 of the pickle)."""
    return {r: len(b.blob(r)) for r in ("GroupMember", "GroupMembers", "AdministrativeUnitMember",
                                        "AdministrativeUnitMembers")}


# -- main ---------------------------------------------------------------------------------------------

def run(sizes: list[int], runs: int, latency_ms: float, out_dir: Path, *, singles: int = 200,
        import_runs: int = 7, log: Callable[[str], None] = print) -> dict:
    from msgraph_membership.emulator.process import start_emulator

    started = time.time()
    results: dict = {"meta": {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([".venv/bin/python", *sys.argv]),
        "latency_ms": latency_ms, "runs": runs, "sizes": sizes, "singles": singles,
        "engine_workers": ENGINE_WORKERS, "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "commit": _git_commit(), "tree": str(ROOT)}, "scenarios": []}
    with start_emulator(latency_ms=latency_ms, env=TREE_ENV) as emu:
        b = Bench(emu)

        def add(scenario: str, n: int, ours: dict) -> None:
            for phase, fig in ours.items():
                results["scenarios"].append({"scenario": scenario, "n": n, "phase": phase, "ours": fig})

        for n in sizes:
            log(f"GroupMembers N={n}: {runs} run(s)")
            add("GroupMembers", n, median_of([run_group_members(b, n) for _ in range(runs)]))
        log(f"{singles} GroupMember: {runs} run(s)")
        add("GroupMember", singles, median_of([run_single_members(b, "GroupMember", singles) for _ in range(runs)]))
        log(f"{singles} administrative-unit members: {runs} run(s)")
        add("AdministrativeUnitMembers", singles, median_of([run_unit_members(b, singles) for _ in range(runs)]))
        add("AdministrativeUnitMember", singles,
            median_of([run_single_members(b, "AdministrativeUnitMember", singles) for _ in range(runs)]))
        log(f"owners of {singles}: {runs} run(s)")
        add("GroupOwners", singles, median_of([run_group_owners(b, singles) for _ in range(runs)]))
        results["provider_bytes"] = provider_sizes(b)
    results["import"] = import_cost(import_runs)
    results["meta"]["duration_s"] = round(time.time() - started, 1)
    results["targets"] = report.evaluate_targets(results)
    report.write_all(results, out_dir)
    log(f"wrote {out_dir}/results.json, results.md in {results['meta']['duration_s']} s")
    return results


def _git_commit() -> str | None:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--",
                                "provider"], capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+uncommitted provider changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N = 100 only, 1 run")
    ap.add_argument("--sizes", default="100,1000,5000", help="GroupMembers sizes (comma-separated)")
    ap.add_argument("--runs", type=int, default=3, help="runs per scenario; the median is reported")
    ap.add_argument("--singles", type=int, default=200, help="GroupMember / unit member resources")
    ap.add_argument("--latency-ms", type=float, default=50.0, help="emulator latency per Graph request")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"), help="output directory")
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]
    if a.quick:
        sizes, a.runs = [100], 1
    run(sizes, a.runs, a.latency_ms, Path(a.out), singles=a.singles)
    print(Path(a.out, "results.md").read_text())
    return 0  # a MISS is a finding to report, not a failure of the benchmark


if __name__ == "__main__":
    sys.exit(main())
