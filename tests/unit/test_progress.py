"""Progress of long applies and a preview's time estimate (resources/_progress.py), on a fake clock."""
from __future__ import annotations

from msgraph_membership.graph.pacer import Pacer
from msgraph_membership.resources._progress import Reporter, estimate, planned_writes


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def test_planned_writes_count_binds_and_removals():
    assert planned_writes(100_000, 0, 20) == 5_000
    assert planned_writes(21, 3, 20) == 5
    assert planned_writes(7, 0) == 7


def test_a_preview_says_how_long_only_past_a_minute():
    said = []
    assert estimate("group g", 3_000, say=said.append) == 0 and said == []
    assert estimate("group g", 5_000, say=said.append) == 100
    assert said == ["group g: 5,000 writes take at least 1 min 40 s under Graph's write quota "
                    "(3,000 per app and tenant per 2 min 30 s)"]


def test_long_work_is_reported_every_ten_seconds_with_done_total_and_why_it_waits():
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=lambda s: None)
    said = []
    rep = Reporter(pacer=lambda: pacer, clock=clock, say=said.append, thread=False)
    with rep.work("group g", 5_000):
        assert rep.tick() is None  # nothing in the first seconds
        for _ in range(3_100):
            pacer.reserve(1)  # the first 3,000 go at once, then 20 a second
        clock.now = 4.0
        line = rep.tick()
        assert line.startswith("msgraph: group g: 3,100/5,000 writes sent after 4 s; waiting on Graph's write quota")
        assert rep.tick() is None  # not again within 10 s
        lines = 0
        for second in range(5, 65):
            clock.now = float(second)
            pacer.reserve(20)
            lines += rep.tick() is not None
        assert lines == 6  # every 10 s over a minute
    clock.now = 200.0
    assert rep.tick() is None  # the work is over: silence


def test_concurrent_resources_share_one_line():
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=lambda s: None)
    said = []
    rep = Reporter(pacer=lambda: pacer, clock=clock, say=said.append, thread=False)
    with rep.work("group a", 10), rep.work("group b", 30):
        pacer.reserve(15)
        clock.now = 11.0
        assert rep.tick() == "msgraph: 2 resources: 15/40 writes sent after 11 s"


def test_the_reporter_thread_speaks_in_the_callers_context():
    """pulumi's engine settings are context variables: the reporter thread must carry the caller's."""
    import contextvars
    import threading

    var = contextvars.ContextVar("engine", default=None)
    var.set("the engine")
    clock = Clock()
    clock.now = 100.0
    pacer = Pacer(clock=clock, sleep=lambda s: None)
    seen, spoke = [], threading.Event()
    rep = Reporter(pacer=lambda: pacer, clock=clock, say=lambda line: (seen.append(var.get()), spoke.set()))
    with rep.work("group g", 10):
        clock.now = 110.0
        assert spoke.wait(30)
    assert seen[0] == "the engine"
