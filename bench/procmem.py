"""Memory of the processes a benchmark runs, from Linux's /proc: one process's figure
(`status_kb`, bench/run.py), the peaks of the processes under one, by role (`PeakMemory`,
bench/big.py and bench/real.py), and the end of a whole tree (`kill_tree`). Elsewhere than Linux
every figure is None or 0."""
from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Callable

Role = Callable[[int, str], bool]  # (pid, command line) -> is the process one of the role's


def status_kb(pid: int, field: str = "VmHWM") -> int | None:
    """A `/proc/PID/status` figure in kB: VmHWM, the process's peak resident set; VmRSS, its size now."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def process_tree(root: int) -> list[int]:
    """`root` and every process under it, as /proc shows them now."""
    parent: dict[int, int] = {}
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if pid.isdigit():
            try:
                parent[int(pid)] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    out, todo = [root], [root]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def kill_tree(root: int) -> list[int]:
    """SIGKILL `root`, its process group and every process under it, as a runner that dies takes
    them all: `pulumi` starts its plugins in process groups of their own, so killing its group alone
    leaves the language host and the provider server running. Returns the pids signalled."""
    tree = process_tree(root)
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(root, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return tree


def command_holds(*needles: str) -> Role:
    """The role of the processes whose command line holds one of `needles`."""
    return lambda pid, cmd: any(n in cmd for n in needles)


class PeakMemory:
    """The largest `field` (VmHWM or VmRSS, /proc) of the processes under `root` (itself included),
    by role: a process counts for the first role it is one of. Sampled every `interval` s while
    running, from when `root` is set (a process that lives less may be missed); other users'
    processes of the same name are not counted."""

    def __init__(self, roles: dict[str, Role], *, root: int | None = None, field: str = "VmHWM",
                 interval: float = 0.05):
        self.roles, self.root, self.field, self.interval = roles, root, field, interval
        self.peak_kb = {role: 0 for role in roles}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.root is not None:
                for pid in process_tree(self.root):
                    self._sample(pid)
            self._stop.wait(self.interval)

    def _sample(self, pid: int) -> None:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            return
        role = next((r for r, is_one in self.roles.items() if is_one(pid, cmd)), None)
        kb = status_kb(pid, self.field) if role else None
        if role and kb:
            self.peak_kb[role] = max(self.peak_kb[role], kb)

    def mb(self, role: str) -> float | None:
        """The role's peak in MB (one decimal), None when no process of it was seen."""
        kb = self.peak_kb[role]
        return round(kb / 1024, 1) if kb else None
