"""What the big-tenant benchmarks (bench/big.py, bench/big_stacks.py) measure of one command: peak
resident memory of the provider process and of `pulumi`, the Graph requests and the share
answered 429, and when the writes ran (from the emulator's request log), against the quota floor.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path


class PeakMemory:
    """Peak resident memory (MB) of this process's descendants, by role, sampled every 0.5 s."""

    def __init__(self):
        self.peak = {"provider": 0.0, "pulumi": 0.0, "program (this process)": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        me = os.getpid()
        while not self._stop.wait(0.5):
            self._note("program (this process)", _rss_mb(me))
            for pid, cmd in _descendants(me):
                role = ("provider" if "pulumi.dynamic" in cmd or "dynamic_provider" in cmd else
                        "pulumi" if cmd.split(" ")[0].endswith("/pulumi") or cmd.startswith("pulumi ") else None)
                if role:
                    self._note(role, _rss_mb(pid))

    def _note(self, role, mb):
        self.peak[role] = max(self.peak[role], mb)


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(root: int) -> list[tuple[int, str]]:
    children: dict[int, list[int]] = {}
    cmds: dict[int, str] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmds[int(d.name)] = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append((child, cmds.get(child, "")))
            todo.append(child)
    return out


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
