"""Start the emulator as a subprocess and talk to its admin API (for tests, benchmarks, quick start).

Example::

    from msgraph_membership.emulator.process import start_emulator

    with start_emulator(seed={"users": [{"id": USER, "displayName": "Alice"}]}) as emu:
        emu.reset()
        emu.seed({"groups": [{"id": GROUP, "displayName": "Devs", "mailNickname": "devs"}]})
        ...  # call Graph at f"{emu.graph_url}/v1.0", authority f"{emu.authority_host}/{emu.tenant_id}"
        assert GROUP in [g["id"] for g in emu.directory()["groups"]]

Admin calls use ``requests`` with ``verify=ca_bundle`` on every call and a session that ignores
the environment (``REQUESTS_CA_BUNDLE`` would otherwise override ``verify``; proxies would
intercept loopback).
"""

from __future__ import annotations

import collections
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import requests

READY_TIMEOUT_S = 60.0


class EmulatorProcess:
    """A running ``msgraph-emulator serve``. Attributes come from its ready line."""

    def __init__(self, proc: subprocess.Popen, ready: dict, stderr_tail: collections.deque,
                 temp_files: list[str] | None = None):
        self.process = proc
        self.ready = ready
        self.graph_url: str = ready["graph_url"]
        self.authority_host: str = ready["authority_host"]
        self.tenant_id: str = ready["tenant_id"]
        self.client_id: str = ready["client_id"]
        self.client_secret: str | None = ready["client_secret"]
        self.ca_bundle: str = ready["ca_bundle"]
        self.base_url: str = ready.get("base_url", ready["graph_url"])
        self.port: int = ready.get("port")
        self._stderr = stderr_tail
        self._temp_files = temp_files or []
        self._session = requests.Session()
        self._session.trust_env = False

    # --- admin API -------------------------------------------------------------------------------
    def _admin(self, method: str, name: str, body=None):
        resp = self._session.request(method, f"{self.base_url}/_emulator/{name}", json=body,
                                     verify=self.ca_bundle, timeout=30)
        if resp.status_code >= 400:
            raise RuntimeError(f"emulator admin {method} {name}: {resp.status_code} {resp.text}")
        return resp.json()

    def health(self) -> dict:
        return self._admin("GET", "health")

    def reset(self) -> None:
        """Empty the directory (apps stay; faults and the request log are not touched)."""
        self._admin("POST", "reset")

    def seed(self, doc: dict) -> dict:
        """Load a seed document; returns the ids per collection, in document order."""
        return self._admin("POST", "seed", doc)

    def directory(self) -> dict:
        return self._admin("GET", "directory")

    def requests(self) -> list[dict]:
        """The request log, oldest first (see ``requestlog.py`` for the entry shape)."""
        log = self._admin("GET", "requests")
        return log["requests"] if isinstance(log, dict) else log

    def clear_requests(self) -> None:
        self._admin("DELETE", "requests")

    def faults(self, settings: dict | None = None) -> dict:
        """Replace the fault settings (``{}`` turns all off) and return them; ``None`` only reads them."""
        if settings is None:
            return self._admin("GET", "faults")
        return self._admin("PUT", "faults", settings)

    # --- conveniences ----------------------------------------------------------------------------
    def env(self) -> dict:
        """Environment variables that point the provider at this emulator (the names in README.md's configuration table)."""
        return {
            "ARM_TENANT_ID": self.tenant_id,
            "ARM_CLIENT_ID": self.client_id,
            "ARM_CLIENT_SECRET": self.client_secret or "",
            "MSGRAPH_ENDPOINT": self.graph_url,
            "AZURE_AUTHORITY_HOST": self.authority_host,
            "MSGRAPH_CA_BUNDLE": self.ca_bundle,
        }

    def stderr_tail(self) -> str:
        return "".join(self._stderr)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._session.close()
        for path in self._temp_files:
            try:
                os.unlink(path)
            except OSError:
                pass
        self._temp_files = []

    def __enter__(self) -> "EmulatorProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _drain(stream, sink, at_end=None) -> None:
    for line in iter(stream.readline, ""):
        sink(line)
    stream.close()
    if at_end is not None:
        at_end()


def start_emulator(seed: dict | str | None = None, db: str | None = None, latency_ms: float = 0,
                   tls_dir: str | None = None, extra_args=(), timeout: float = READY_TIMEOUT_S,
                   env: dict | None = None) -> EmulatorProcess:
    """Run ``python -m msgraph_membership.emulator serve --port 0 ...`` and wait for its ready line.

    ``seed`` is a seed document (written to a temporary JSON file) or a path to one.
    """
    args = [sys.executable, "-m", "msgraph_membership.emulator", "serve", "--port", "0"]
    temp_files: list[str] = []
    if isinstance(seed, dict):
        fd, path = tempfile.mkstemp(prefix="msgraph-emulator-seed-", suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(seed, fh)
        temp_files.append(path)
        args += ["--seed", path]
    elif seed:
        args += ["--seed", str(seed)]
    if db:
        args += ["--db", str(db)]
    if latency_ms:
        args += ["--latency-ms", str(latency_ms)]
    if tls_dir:
        args += ["--tls-dir", str(tls_dir)]
    args += list(extra_args)
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})
    lines: queue.Queue = queue.Queue()
    stderr_tail: collections.deque = collections.deque(maxlen=200)
    threading.Thread(target=_drain, args=(proc.stdout, lines.put, lambda: lines.put(None)), daemon=True).start()
    threading.Thread(target=_drain, args=(proc.stderr, stderr_tail.append), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
        if line is None:
            proc.wait(5)
            raise ValueError("exited")
        ready = json.loads(line)
    except (queue.Empty, ValueError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
        for path in temp_files:
            Path(path).unlink(missing_ok=True)
        raise RuntimeError("msgraph-emulator did not start:\n" + "".join(stderr_tail)) from None
    return EmulatorProcess(proc, ready, stderr_tail, temp_files)
