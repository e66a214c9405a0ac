"""Fixtures for the reliability tests (soak, crash, bad input). The session's emulator and the
`emu` fixture (clean directory, no faults, empty request log) come from tests/conftest.py."""
from __future__ import annotations

import time
import uuid

import pytest

from harness.server import ProviderServer, emulator_config


def oid(tag: str) -> str:
    """A fixed, readable-in-logs object id for a test object."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"reliability-{tag}"))


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.01, what: str = "condition"):
    """Poll until `predicate()` is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def start_server(emu):
    """Start provider servers pointed at the emulator (config overridable); all stopped at the end."""
    servers: list[ProviderServer] = []

    def start(config: dict | None = None, env: dict | None = None) -> ProviderServer:
        s = ProviderServer(config=emulator_config(emu) if config is None else config, env=env or {})
        servers.append(s)
        return s

    yield start
    for s in servers:
        if s.proc.poll() is None:
            s.stop()
