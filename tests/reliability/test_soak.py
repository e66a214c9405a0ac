"""The soak (issue 8, item 1): memberships through the provider server against the emulator with
10% throttling (Retry-After 1 s), 5% 503, 2% dropped connections and 2 s replication lag.

The small profile (200 memberships, 3 groups, 1 administrative unit) runs in CI; the full one
(1000 memberships, 10 groups, 3 units) runs with SOAK_FULL=1 or `bash scripts/soak.sh`.
Each profile runs once fault-free and once with faults on the same emulator (module fixture),
and each test below checks one guarantee of those two runs.
"""
from __future__ import annotations

import os

import pytest

from reliability.soak import FAULTS, MAX_REQUEST_RATIO, run_soak, unit_members_supported

PROFILES = [
    pytest.param("small", id="small"),
    pytest.param("full", id="full", marks=[
        pytest.mark.slow,
        pytest.mark.timeout(3600),
        pytest.mark.skipif(os.environ.get("SOAK_FULL") != "1", reason="full soak: set SOAK_FULL=1 or run scripts/soak.sh"),
    ]),
]


@pytest.fixture(scope="module", params=PROFILES)
def soak(request, emulator):
    result = run_soak(emulator, request.param)
    print(result.report())  # the figures, visible with -s or in the failure output
    return result


def test_administrative_units_are_in_the_soak():
    """AdministrativeUnitMembers is public, so units are part of the soak, not left out."""
    assert unit_members_supported()


def test_faults_were_injected_in_the_faulted_run(soak):
    """The faulted run really met throttling, 503s and dropped connections (not a quiet run)."""
    seen = soak.faulted.faults_injected
    assert seen.get("throttle", 0) + seen.get("batch_items", 0) > 0
    assert seen.get("unavailable", 0) + seen.get("batch_items", 0) > 0
    assert seen.get("drop", 0) > 0
    assert soak.faulted.faults == FAULTS


def test_up_converges_to_exactly_the_declared_memberships(soak):
    """After up, every container holds exactly what is declared plus the member that was there
    before (not ours), with and without faults."""
    assert soak.clean.up_mismatch == {}
    assert soak.faulted.up_mismatch == {}


def test_second_up_changes_nothing_and_sends_no_graph_write(soak):
    """A second up: every Diff says none, and Graph sees no write (and, here, no request)."""
    for run in (soak.clean, soak.faulted):
        assert run.second_up_changed == []
        assert run.writes_second_up == 0


def test_destroy_leaves_nothing_of_ours(soak):
    """Destroy removes every membership we declared and leaves the pre-existing one alone."""
    for run in (soak.clean, soak.faulted):
        assert run.left_after_destroy == {}
        assert run.state_left == 0


@pytest.mark.xfail(strict=True, reason=(
    "client (lead): faulted run needs ~2.0x the Graph requests of the fault-free run: $batch items "
    "throttled/503'd are retried per chunk (one extra $batch per chunk of 20, so batches about "
    "double), and confirm() polls the member listing 4-5 times per container during 2 s of "
    "replication lag"))
def test_faults_cost_at_most_one_and_a_half_times_the_requests(soak):
    """Total Graph requests (up, second up, destroy) with faults <= 1.5x the fault-free run."""
    assert soak.faulted.requests <= MAX_REQUEST_RATIO * soak.clean.requests, soak.report()
