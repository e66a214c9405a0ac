"""What the big-tenant benchmarks (bench/big.py, bench/big_stacks.py) measure of one command: peak
resident memory of the provider process and of `pulumi`, the Graph requests and the share
answered 429, and when the writes ran (from the emulator's request log), against the quota floor.
"""
from __future__ import annotations

import datetime as dt
import os

from bench.procmem import PeakMemory, command_holds


def peak_memory() -> PeakMemory:
    """Peak resident memory of this process and the pulumi and provider processes under it (VmRSS
    sampled every 0.5 s)."""
    return PeakMemory({
        "provider": command_holds("pulumi.dynamic", "dynamic_provider"),
        "pulumi": lambda pid, cmd: cmd.split(" ")[0].endswith("/pulumi") or cmd.startswith("pulumi "),
        "program (this process)": lambda pid, cmd: pid == os.getpid(),
    }, root=os.getpid(), field="VmRSS", interval=0.5)


def peaks_mb(mem: PeakMemory) -> dict:
    return {k: round(kb / 1024) for k, kb in mem.peak_kb.items()}


def _writes(entry: dict) -> bool:
    path = entry.get("path", "").split("?", 1)[0]
    return entry.get("method") in ("PATCH", "DELETE", "PUT") or (
        entry.get("method") == "POST" and not path.endswith(("getByIds", "getObjectsById")))


def _epoch(entry: dict) -> float:
    return dt.datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp()


def graph_stats(entries: list[dict], started_epoch: float) -> dict:
    """Graph requests and `$batch` items, how many were answered 429 by the quotas, and when the
    writes ran (seconds from the command's start)."""
    entries = [e for e in entries if e.get("kind") == "graph"]
    items = sum(e.get("batch_items", 0) for e in entries)
    throttled = sum(1 for e in entries if e.get("status") == 429) + sum(e.get("batch_quota", 0) for e in entries)
    calls = len(entries) - sum(1 for e in entries if e.get("batch_items")) + items
    writes = [_epoch(e) - started_epoch for e in entries if _writes(e)]
    return {"graph_requests": len(entries), "calls_and_items": calls, "throttled_429": throttled,
            "share_429": round(throttled / calls, 5) if calls else 0.0,
            "first_write_s": round(min(writes), 1) if writes else None,
            "last_write_s": round(max(writes), 1) if writes else None,
            "last_request_s": round(max(_epoch(e) for e in entries) - started_epoch, 1) if entries else None}


def heading(what: str, info: dict) -> str:
    """A results table's first line: what ran, the CLI, the machine and its load."""
    return (f"{what} ({info['pulumi']}, no latency, {info['machine']}, load average {info.get('load', '?')}, "
            f"{info['date']})")


def floor_cell(v: dict) -> str:
    return f"{v['quota_floor_s']:.0f} s ({v['vs_floor']:.2f}×)" if v["vs_floor"] else "0 s"
