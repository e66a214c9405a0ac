"""Shared fixtures: one local Graph emulator per test session, reset per test that asks."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def emulator():
    from msgraph_membership.emulator.process import start_emulator

    emu = start_emulator()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(emulator):
    """The session's emulator with an empty directory, no faults and an empty request log; the
    quotas refilled, in the emulator and in this process's pacer."""
    from msgraph_membership.graph import pacer

    emulator.faults({})
    pacer.reset_shared()
    emulator.reset()
    emulator.clear_requests()
    return emulator


@pytest.fixture
def outside(emu):
    """Plain Graph calls with the emulator's app: changes made outside Pulumi."""
    from harness.outside import OutsideGraph

    return OutsideGraph(emu)
