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

from bench.procmem import PeakMemory, kill_tree, process_tree, status_kb  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")


def test_status_figures_of_a_process_and_of_none():
    me = os.getpid()
    rss = status_kb(me, "VmRSS")
    assert status_kb(me, "VmHWM") >= rss > 1024  # the peak, read after, is at least the size; over 1 MB
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


def test_kill_tree_ends_a_child_that_left_the_process_group():
    # a parent in its own session, and a child that starts a session of its own (as pulumi's plugins
    # leave its process group): killing the parent's group alone would leave the child running
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time; "
                               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True); "
                               "time.sleep(60)"], start_new_session=True)
    deadline = time.monotonic() + 10
    while len(process_tree(parent.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    tree = process_tree(parent.pid)
    assert len(tree) == 2, tree
    child = tree[1]
    assert os.getpgid(child) != os.getpgid(parent.pid)
    assert set(kill_tree(parent.pid)) == set(tree)
    parent.wait(5)
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":  # ended; its new parent has not reaped it yet
            break
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists() or \
        Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
