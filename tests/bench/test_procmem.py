"""bench/procmem.py: the /proc figures the benchmarks report (bench/run.py, big.py, real.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.procmem import PeakMemory, process_tree, status_kb  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")


def test_status_figures_of_a_process_and_of_none():
    me = os.getpid()
    assert status_kb(me, "VmHWM") >= status_kb(me, "VmRSS") > 1024  # this Python holds over 1 MB
    assert status_kb(2 ** 22 + 1) is None  # above Linux's largest pid


def test_a_process_counts_for_its_first_role_and_the_root_counts_too():
    me = os.getpid()
    child = subprocess.Popen([sys.executable, "-c", "x = bytearray(30_000_000); import time; time.sleep(1.5)"])
    try:
        assert child.pid in process_tree(me) and process_tree(me)[0] == me
        roles = {"root": lambda pid, cmd: pid == me, "any": lambda pid, cmd: True}
        with PeakMemory(roles, root=me, field="VmRSS", interval=0.05) as mem:
            time.sleep(1.0)
    finally:
        child.wait()
    assert mem.peak_kb["root"] > 1024
    assert 28 <= mem.mb("any") < 100  # the child (its 30 MB), not this process counted again
