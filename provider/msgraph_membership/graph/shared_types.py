"""Object types shared by the provider processes of one `pulumi` command.

`pulumi up` runs its preview and then its update, each with a provider process of its own, and
both check every new membership: without sharing, each member's type is asked of Graph
(`getByIds`) twice per command. What a `getByIds` found is written here by the process that asked,
and read by the next process of the same command, so each object is looked up once per command.

The program takes part too: a `GroupMember` or `AdministrativeUnitMember` whose member id is a
plain GUID notes it (`note_wanted`, in the program's process, before the resource is registered).
A program run by the CLI finds the `pulumi` above it; an Automation API inline program runs in the
process that starts `pulumi`, so it finds the one `pulumi` it started (two at once: none).
The engine checks resources one at a time, so without it a preview of n new memberships would be
n `getByIds` in a row; with it, the first check looks up every id the program has noted so far in
one request, and the next checks find theirs known.

Only what never changes is shared: an object's type, and for a group whether it is a Microsoft 365
group. An object that was not found is not recorded (it may be created meanwhile), and nothing is
kept beyond the command: the file is named after the `pulumi` process (its pid and start time)
that started this one, found through the launchers between them, so another command, or a
provider not started by `pulumi` (a test harness, a debugger), shares nothing. The file holds
object ids and types, never a token or a setting; it is in a folder only this user can read, and
files of earlier commands are removed after a day.
"""
from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger("msgraph_membership.graph")

# What may stand between `pulumi` and us: the plugins' shell launchers, and a language host that
# runs the program as its child (process names are cut to 15 characters).
LAUNCHERS = frozenset({"sh", "bash", "dash", "ash", "zsh", "busybox", "pulumi-language"})
KEEP_S = 24 * 3600.0  # files of earlier commands older than this are removed
Fact = tuple[str, str, "bool | None"]  # (object id, type, Microsoft 365 group or None)


def _stat(pid: int) -> tuple[str, int, str]:
    """(command name, parent pid, start time) of a process, from /proc (Linux)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    return comm, int(fields[1]), fields[19]


def command_key(pid: int | None = None) -> str | None:
    """'<pid>-<start time>' of the `pulumi` process that started this one, or None."""
    pid = os.getppid() if pid is None else pid
    for _ in range(4):
        try:
            comm, ppid, started = _stat(pid)
        except (OSError, ValueError, IndexError):
            return None
        if comm in LAUNCHERS:
            pid = ppid
            continue
        return f"{pid}-{started}" if comm == "pulumi" else None
    return None


def started_command_key() -> str | None:
    """'<pid>-<start time>' of the one `pulumi` process this process started and still runs, or
    None (none, or several: stacks run side by side from one process share nothing)."""
    kids: set[int] = set()
    try:
        for task in Path("/proc/self/task").iterdir():
            kids.update(int(p) for p in (task / "children").read_text().split())
    except (OSError, ValueError):
        return None
    found = []
    for pid in kids:
        try:
            comm, _, started = _stat(pid)
        except (OSError, ValueError, IndexError):
            continue
        if comm == "pulumi":
            found.append(f"{pid}-{started}")
    return found[0] if len(found) == 1 else None


def _private_dir() -> Path | None:
    """This user's folder for the files, created 0700; None when it is not ours alone."""
    d = Path(tempfile.gettempdir()) / f"msgraph-membership-{os.getuid()}"
    try:
        d.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(d)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return d


_WANTED_LOCK = threading.Lock()
_wanted_path: list[Path | None] = []  # the file of the `pulumi` above this process, once looked for


def _wanted_at(key: str | None, folder: Path | None = None) -> Path | None:
    """The file of the ids the program of command `key` noted (in `folder`, else this user's)."""
    folder = folder if folder is not None or not key else _private_dir()
    return folder / f"{key}.wanted" if key and folder else None


def _wanted_file() -> Path | None:
    with _WANTED_LOCK:
        if not _wanted_path:
            _wanted_path.append(_wanted_at(command_key()))
        if _wanted_path[0] is not None:
            return _wanted_path[0]
    # an inline program: this process outlives its commands, so the one running now is looked up each time
    return _wanted_at(started_command_key())


def note_wanted(object_id: str) -> None:
    """In the program: a member id a resource will be checked for (a lowercase GUID)."""
    path = _wanted_file()
    if path is None:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.write(fd, f"{object_id}\n".encode())
        finally:
            os.close(fd)
    except OSError:
        pass  # an optimisation: never fail a program for it


class SharedTypes:
    """The file of one command and identity: `load()` what earlier processes found, `add()` more."""

    def __init__(self, identity: tuple, key: str | None, folder: Path | None = None):
        folder = folder if folder is not None else (_private_dir() if key else None)
        digest = hashlib.sha256(repr(identity).encode()).hexdigest()[:16]
        self.path = folder / f"{key}-{digest}.types" if key and folder else None
        self.wanted_path = _wanted_at(key, folder) if folder else None
        self._lock = threading.Lock()
        self._swept = False

    @classmethod
    def for_this_command(cls, identity: tuple) -> "SharedTypes":
        return cls(identity, command_key())

    def load(self) -> list[Fact]:
        if self.path is None:
            return []
        try:
            text = self.path.read_text()
        except OSError:
            return []
        out: list[Fact] = []
        for line in text.splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[0] and parts[1]:
                out.append((parts[0], parts[1], {"1": True, "0": False}.get(parts[2])))
        return out

    def wanted(self) -> list[str]:
        """The member ids the program noted so far."""
        try:
            return self.wanted_path.read_text().split() if self.wanted_path else []
        except OSError:
            return []

    def add(self, facts: list[Fact]) -> None:
        if self.path is None or not facts:
            return
        data = "".join(f"{i}\t{t}\t{'-' if u is None else int(u)}\n" for i, t, u in facts).encode()
        with self._lock:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
            except OSError as e:  # sharing is an optimisation: never fail a check for it
                log.debug("could not record object types in %s: %s", self.path, e)
                return
            if not self._swept:
                self._swept = True
                self._sweep()

    def _sweep(self) -> None:
        now = time.time()
        for p in [*self.path.parent.glob("*.types"), *self.path.parent.glob("*.wanted")]:
            try:
                if now - p.stat().st_mtime > KEEP_S:
                    p.unlink()
            except OSError:
                pass
