"""One emulator for a test module and a fresh directory for each test, for the tests that drive the
real `pulumi` against it (tests/cli, tests/lifecycle):

    emu, fresh = emulator_fixtures(seed)      # in a test module: the `emu` and `fresh` fixtures
    fresh_directory(emu, seed_doc)            # the reset behind `fresh` (tests/lifecycle/conftest.py)
    members_of(emu, container_id)             # a group's or unit's direct members, as the emulator holds them
"""
from __future__ import annotations

from typing import Callable

import pytest


def fresh_directory(emu, seed: dict):
    """Reset `emu` to `seed` alone, with no faults and an empty request log; returns `emu`."""
    emu.reset()
    emu.seed(seed)
    emu.faults({})
    emu.clear_requests()
    return emu


def emulator_fixtures(seed: Callable[[], dict]):
    """The fixtures `emu` (one emulator for the module, seeded with `seed()`) and `fresh` (that
    emulator reset to `seed()` before the test); assign both names in the test module."""

    @pytest.fixture(scope="module")
    def emu():
        from msgraph_membership.emulator.process import start_emulator

        with start_emulator(seed=seed()) as e:
            yield e

    @pytest.fixture
    def fresh(emu):
        return fresh_directory(emu, seed())

    return emu, fresh


def members_of(emu, container: str) -> set[str]:
    """The direct members of the group or administrative unit `container` in the emulator's directory."""
    d = emu.directory()
    for c in d.get("groups", []) + d.get("administrativeUnits", []):
        if c["id"] == container:
            return set(c.get("members", []))
    raise AssertionError(f"{container} is not in the directory")
