"""Profile one provider phase in-process (the provider class called directly, no gRPC), to see
where wall time goes when a target is missed.

    .venv/bin/python bench/profile_phase.py --resource GroupMembers --n 1000 --latency-ms 50
    .venv/bin/python bench/profile_phase.py --resource GroupMember --n 200 --workers 4

Prints the Graph requests by kind (emulator log), the wall time of the first call (cold: imports,
sign-in) and of the phase, and the top of a cProfile by cumulative time.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tests", ROOT / "provider"):
    sys.path.insert(0, str(p))

from bench.run import GROUP, UNIT, seed_doc, summarize_log, user_ids  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--resource", default="GroupMembers",
                    choices=["GroupMembers", "GroupMember", "AdministrativeUnitMember"])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--latency-ms", type=float, default=50)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--phase", default="create", choices=["create", "destroy"])
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()

    from pulumi.dynamic import Config, ConfigureRequest

    from harness.server import emulator_config
    from msgraph_membership.emulator.process import start_emulator

    members = user_ids(a.n)
    with start_emulator(latency_ms=a.latency_ms) as emu:
        emu.reset()
        emu.seed(seed_doc(members))
        cfg = emulator_config(emu)
        t_import = time.perf_counter()
        import msgraph_membership.resources.administrative_unit_member as aum
        import msgraph_membership.resources.group_member as gm
        import msgraph_membership.resources.group_members as gms
        t_import = time.perf_counter() - t_import
        prov = {"GroupMembers": gms.GroupMembersProvider, "GroupMember": gm.GroupMemberProvider,
                "AdministrativeUnitMember": aum.AdministrativeUnitMemberProvider}[a.resource]()
        prov.configure(ConfigureRequest(Config({k: v for k, v in cfg.items()}, "proj")))
        emu.clear_requests()
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        if a.resource == "GroupMembers":
            news = {"group_id": GROUP, "member_ids": members, "authoritative": False}
            r = prov.check({}, news)
            assert not r.failures, r.failures
            t_first = time.perf_counter() - t0
            prov.create(r.inputs)
        else:
            key = "administrative_unit_id" if a.resource.startswith("Admin") else "group_id"
            cid = UNIT if a.resource.startswith("Admin") else GROUP

            def one(m):
                r = prov.check({}, {key: cid, "member_id": m})
                assert not r.failures, r.failures
                return prov.create(r.inputs)

            one(members[0])
            t_first = time.perf_counter() - t0
            with ThreadPoolExecutor(a.workers) as pool:
                list(pool.map(one, members[1:]))
        prof.disable()
        wall = time.perf_counter() - t0
        log = summarize_log(emu.requests())
    print(f"import of the resource modules: {t_import * 1000:.0f} ms (in this process)")
    print(f"first call (cold: sign-in, lazy imports): {t_first:.2f} s; whole phase: {wall:.2f} s")
    print(f"Graph requests: {log['requests']} (+{log['token_requests']} token): {log['by_kind']}")
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(a.top)
    print(s.getvalue())


if __name__ == "__main__":
    main()
