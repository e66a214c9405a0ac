"""The write pacer (graph/pacer.py) against the emulator's own meter (emulator/quota.py), on a fake
clock: provider processes, each with its pacer and 8 concurrent senders, spend one app's write
quota. Nothing waits for real; every figure is a count or a time on the fake clock.

The meter is the judge: writes it refuses are 429s; writes it takes never exceed the quota.
"""
from __future__ import annotations

import heapq
import itertools

from msgraph_membership.emulator.quota import Quota
from msgraph_membership.graph.pacer import CLIMB, CUT, WRITE_QUOTA, WRITE_WINDOW_S, Pacer, floor_s

RATE = WRITE_QUOTA / WRITE_WINDOW_S


class Sim:
    """Processes of ``workers`` senders each; a sender reserves with its process's pacer, sends
    when its wait is over, and on a 429 tells the pacer and sends again after ``Retry-After``
    (as graph/transport.py does)."""

    def __init__(self):
        self.now = 0.0
        self.meter = Quota(count_users=lambda: 1_000, clock=lambda: self.now)
        self.taken: list[float] = []  # when the meter took each write
        self.refused = 0
        self._events: list = []
        self._seq = itertools.count()

    def process(self, writes: int, start: float = 0.0, workers: int = 8) -> dict:
        proc = {"pacer": Pacer(clock=lambda: self.now, sleep=lambda s: None), "left": writes, "done": 0,
                "finished": None, "refused": 0, "lowest_rate": RATE}
        for _ in range(workers):
            self._at(start, proc, "reserve")
        return proc

    def _at(self, t: float, proc: dict, what: str) -> None:
        heapq.heappush(self._events, (t, next(self._seq), id(proc), proc, what))

    def run(self, until: float = 10_000.0) -> None:
        while self._events and self.now < until:
            self.now, _, _, proc, what = heapq.heappop(self._events)
            if what == "reserve":
                if proc["left"] == 0:
                    continue
                proc["left"] -= 1
                self._at(self.now + proc["pacer"].reserve(1), proc, "send")
            elif what == "send":
                refusal, _ = self.meter.charge("app", 1, 1)
                if refusal is None:
                    self.taken.append(self.now)
                    proc["done"] += 1
                    proc["finished"] = self.now
                    self._at(self.now, proc, "reserve")
                else:
                    self.refused += 1
                    proc["refused"] += 1
                    proc["pacer"].throttled(refusal.retry_after_s)
                    proc["lowest_rate"] = min(proc["lowest_rate"], proc["pacer"].rate)
                    proc["left"] += 1
                    self._at(self.now + refusal.retry_after_s, proc, "reserve")

    def most_in_a_window(self, after: float) -> int:
        """The most writes the meter took in any window of the quota's length starting after ``after``."""
        times = [t for t in self.taken if t >= after]
        most, j = 0, 0
        for i, t in enumerate(times):
            while times[j] <= t - WRITE_WINDOW_S:
                j += 1
            most = max(most, i - j + 1)
        return most


def test_one_process_is_never_throttled_and_finishes_at_the_floor():
    sim = Sim()
    proc = sim.process(5_000)
    sim.run()
    assert proc["done"] == 5_000 and sim.refused == 0
    assert proc["finished"] <= floor_s(5_000) + 2  # 100 s from a full bucket, a write or two of slack
    # once the first window's full bucket is spent, no window holds more than the quota
    assert sim.most_in_a_window(after=WRITE_WINDOW_S) <= WRITE_QUOTA


def test_a_429_slows_the_pacer_down_and_a_quiet_spell_brings_it_back():
    sim = Sim()
    other = sim.process(3_000)  # another process of the same app spends the whole bucket first
    sim.run(until=1)
    ours = sim.process(1_500, start=sim.now)
    sim.run()
    assert other["done"] == 3_000 and ours["done"] == 1_500
    pacer = ours["pacer"]
    assert 0 < ours["refused"] <= 16  # it learnt: a burst of 8 senders, then hardly any
    assert pacer.stats["throttled"] == ours["refused"]
    assert ours["lowest_rate"] <= CUT * RATE  # slowed down
    # the other process is done: alone, its rate comes back within 1 / CLIMB seconds
    sim.now = ours["finished"] + 1 / CLIMB
    pacer.reserve(1)
    assert pacer.rate == RATE


def test_the_429s_of_one_moment_are_one_signal():
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0], sleep=lambda s: None)
    for _ in range(8):  # eight concurrent senders are refused at once
        pacer.throttled(1)
    assert pacer.rate == CUT * RATE  # slowed once, not eight times
    now[0] += 1.5  # a second and a half later, a new 429: a new signal
    pacer.throttled(1)
    assert abs(pacer.rate - CUT * (CUT * RATE + CLIMB * RATE * 1.5)) < 1e-9


def test_four_processes_of_one_app_finish_near_the_floor_of_all_their_writes():
    sim = Sim()
    procs = [sim.process(1_250) for _ in range(4)]  # four stacks of 25,000 members: 1,250 binds each
    sim.run()
    total = sum(p["done"] for p in procs)
    assert total == 5_000 and all(p["left"] == 0 for p in procs)
    assert max(p["finished"] for p in procs) <= 1.1 * floor_s(total)
    # each starts with a full bucket of its own, so their first 429s are certain; then few
    assert sim.refused < 0.1 * total


def test_processes_starting_apart_share_the_quota_with_few_429s():
    sim = Sim()
    procs = [sim.process(1_250, start=3.0 * i) for i in range(4)]
    sim.run()
    assert sum(p["done"] for p in procs) == 5_000
    assert max(p["finished"] for p in procs) <= 1.2 * floor_s(5_000)
    assert sim.refused < 0.02 * 5_000
