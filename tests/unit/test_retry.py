"""The one retry helper, and the transport's one thread pool."""
from __future__ import annotations

import threading

import pytest

from msgraph_membership.graph.retry import doubling, retry
from msgraph_membership.graph.transport import GraphTransport

from .fakes import FakeCredential, FakeSession


def test_tries_until_the_outcome_asks_for_no_wait():
    sleeps = []
    outcomes = iter([("lag", 1.0), ("lag", 2.0), ("done", None)])
    assert retry(lambda n: next(outcomes), total_s=60, sleep=sleeps.append) == "done"
    assert sleeps == [1.0, 2.0]


def test_stops_before_a_wait_that_would_pass_the_total_and_returns_the_last_outcome():
    sleeps, said = [], []
    out = retry(lambda n: (f"try {n}", doubling(0.5)(n)), total_s=3.5, sleep=sleeps.append,
                say=lambda o, w: said.append((o, w)))
    assert out == "try 4" and sleeps == [0.5, 1.0, 2.0]  # 3.5 waited; a wait of 4 more would pass it
    assert said == [("try 1", 0.5), ("try 2", 1.0), ("try 3", 2.0)]


def test_stops_after_the_given_number_of_tries():
    sleeps = []
    assert retry(lambda n: (n, 1.0), total_s=100, tries=3, sleep=sleeps.append) == 3
    assert sleeps == [1.0, 1.0]


def test_with_a_clock_the_time_the_tries_take_counts_too():
    """A deadline from the end of the first try: tries of 10 s each (on a fake clock) and waits
    of 1 s use up a 25 s bound after three waits."""
    now, sleeps = [0.0], []

    def slow(n):
        now[0] += 10.0
        return n, 1.0

    def sleep(s):
        sleeps.append(s)
        now[0] += s
    assert retry(slow, total_s=25, sleep=sleep, clock=lambda: now[0]) == 4 and sleeps == [1.0] * 3
    sleeps.clear()
    assert retry(lambda n: (n, 1.0), total_s=25, sleep=sleeps.append) == 26  # without: waits alone


def test_a_wait_of_zero_ends_it():
    sleeps = []
    assert retry(lambda n: (n, 0.0), total_s=100, sleep=sleeps.append) == 1 and sleeps == []


def test_the_total_can_depend_on_the_outcome():
    sleeps = []
    outcomes = iter(["long", "long", "short", "short"])
    out = retry(lambda n: (next(outcomes), 1.0), total_s=lambda o: 2.0 if o == "short" else 10.0, sleep=sleeps.append)
    assert out == "short" and sleeps == [1.0, 1.0]  # 2 waited: the short total ends it


def test_doubling_waits_are_capped():
    wait = doubling(0.5, 5.0)
    assert [wait(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def pool_transport(max_concurrency=2):
    return GraphTransport("https://graph.example/v1.0", FakeCredential(), session=FakeSession([]),
                          max_concurrency=max_concurrency)


def test_map_bounded_keeps_one_pool_whatever_the_number_of_calls():
    t = pool_transport(max_concurrency=2)
    me = threading.current_thread()
    workers = set()

    def work(x):
        if threading.current_thread() is not me:
            workers.add(threading.current_thread())
        return x * 2

    for _ in range(50):
        assert t.map_bounded(work, range(5)) == [0, 2, 4, 6, 8]
    assert 1 <= len(workers) <= 2  # the pool's two workers, not new threads for each call


def test_map_bounded_inside_map_bounded_does_not_wait_for_itself():
    t = pool_transport(max_concurrency=2)
    out = t.map_bounded(lambda i: sum(t.map_bounded(lambda j: i * j, range(4))), range(6))
    assert out == [i * 6 for i in range(6)]


def test_map_bounded_raises_the_first_failure_after_running_every_item():
    t = pool_transport()
    ran = []

    def fn(i):
        ran.append(i)
        if i in (1, 3):
            raise ValueError(i)
        return i

    with pytest.raises(ValueError, match="1"):
        t.map_bounded(fn, range(5))
    assert sorted(ran) == [0, 1, 2, 3, 4]
