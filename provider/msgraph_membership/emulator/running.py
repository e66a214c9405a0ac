"""Which emulator is running on a port, and starting or stopping one in the background.

``serve`` on a fixed port records its ready line in ``~/.cache/msgraph-emulator/running/PORT.json``
(``$XDG_CACHE_HOME`` if set; readable by the user only, since it holds the emulator's test
credentials) and removes it when it stops. ``msgraph-emulator env`` and ``stop`` find the emulator
through that record; ``env`` starts one, detached from the shell, when none answers there.
An emulator started with ``--port 0`` is never recorded: nothing could look it up by port.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from .tls import default_tls_dir

START_TIMEOUT_S = 60.0


def running_dir() -> Path:
    """Where the records live: beside the default TLS directory."""
    path = default_tls_dir().parent / "running"
    path.mkdir(parents=True, exist_ok=True)
    return path


def record_path(port: int) -> Path:
    return running_dir() / f"{port}.json"


def log_path(port: int) -> Path:
    """Where an emulator started by ``env`` writes its log."""
    return running_dir() / f"{port}.log"


def write_record(ready: dict) -> Path:
    """Record a serving emulator (atomically; mode 0600)."""
    path = record_path(ready["port"])
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(ready, fh)
    os.replace(tmp, path)
    return path


def remove_record(port: int, pid: int) -> None:
    """Remove the record of ``port`` if it is still this process's (a newer emulator may own it)."""
    path = record_path(port)
    try:
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(ready: dict) -> bool:
    session = requests.Session()
    session.trust_env = False  # loopback: no proxy, and the emulator's CA, not REQUESTS_CA_BUNDLE
    try:
        r = session.get(f"{ready['base_url']}/_emulator/health", verify=ready["ca_bundle"], timeout=5)
        return r.status_code == 200
    except requests.RequestException:
        return False
    finally:
        session.close()


def find(port: int) -> dict | None:
    """The ready line of the emulator serving ``port``, or None (a stale record is removed)."""
    path = record_path(port)
    try:
        ready = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if _alive(int(ready.get("pid") or 0)) and _answers(ready):
        return ready
    try:
        path.unlink()
    except OSError:
        pass
    return None


def start_detached(serve_args: list[str], port: int, timeout: float = START_TIMEOUT_S) -> dict:
    """Run ``msgraph-emulator serve --port PORT SERVE_ARGS...`` in its own session, outliving the
    caller, and return its ready line once it serves. Its output goes to ``log_path(port)``."""
    log = log_path(port)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "msgraph_membership.emulator", "serve", "--port", str(port), *serve_args],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True, close_fds=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ready = json.loads(record_path(port).read_text())
            if ready.get("pid") == proc.pid:
                return ready
        except (OSError, ValueError):
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the emulator exited with status {proc.returncode}:\n{_tail(log)}")
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"the emulator did not get ready in {timeout:.0f} s:\n{_tail(log)}")


def _serves(pid: int, port: int) -> bool:
    """Whether process ``pid`` is an emulator serving ``port`` (its command line, where /proc has it):
    a recorded emulator that does not answer at its recorded address is still stopped, and never
    another process that took its pid."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    ours = any(a.endswith("msgraph-emulator") or a == "msgraph_membership.emulator" for a in args)
    return ours and "serve" in args and any(a == "--port" and b == str(port) for a, b in zip(args, args[1:]))


def stop(port: int, timeout: float = 10.0) -> int | None:
    """Stop the recorded emulator on ``port``; its pid, or None when none was running."""
    try:
        recorded = json.loads(record_path(port).read_text())
    except (OSError, ValueError):
        recorded = None
    ready = find(port)
    if ready is None and recorded and _alive(int(recorded.get("pid") or 0)) and _serves(int(recorded["pid"]), port):
        ready = recorded
    if ready is None:
        return None
    pid = int(ready["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        try:  # our own child (tests) must be reaped to stop being "alive"
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    remove_record(port, pid)
    return pid


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
