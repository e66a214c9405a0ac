"""Concurrent single-key calls are gathered into one call; each caller gets its own result."""
import threading

import pytest

from msgraph_membership.graph.coalesce import Coalescer, KeyedCoalescers


def test_concurrent_callers_share_one_call_and_each_gets_its_own_result():
    calls = []

    def run(keys):
        calls.append(sorted(keys))
        return {k: k * 10 for k in keys}

    c = Coalescer(run, window_s=0.05)
    results = {}
    barrier = threading.Barrier(4)

    def worker(k):
        barrier.wait()
        results[k] = c([k])

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: {k: k * 10} for k in range(4)}
    assert calls == [[0, 1, 2, 3]]


def test_a_failed_call_raises_in_every_waiting_caller():
    def run(keys):
        raise RuntimeError("boom")

    c = Coalescer(run, window_s=0.0)
    with pytest.raises(RuntimeError, match="boom"):
        c(["a"])


def test_keys_the_call_does_not_answer_are_left_out():
    c = Coalescer(lambda keys: {"a": 1}, window_s=0.0)
    assert c(["a", "b"]) == {"a": 1}


def test_keys_of_different_containers_never_share_a_call():
    seen = []
    k = KeyedCoalescers(lambda container, keys: seen.append((container, sorted(keys))) or {x: container for x in keys},
                        window_s=0.0)
    assert k("g1", ["m"]) == {"m": "g1"}
    assert k("g2", ["m"]) == {"m": "g2"}
    assert seen == [("g1", ["m"]), ("g2", ["m"])]


def test_one_at_a_time_keys_arriving_during_a_call_go_together_in_the_next():
    """A group commit: while one call runs, the keys that arrive wait for it and share the next."""
    calls, started, release = [], threading.Event(), threading.Event()

    def run(keys):
        calls.append(sorted(keys))
        if len(calls) == 1:
            started.set()
            release.wait(5)
        return {k: k for k in keys}

    c = Coalescer(run, window_s=0.0, one_at_a_time=True)
    first = threading.Thread(target=c, args=([0],))
    first.start()
    assert started.wait(5)
    later = [threading.Thread(target=c, args=([k],)) for k in range(1, 6)]
    for t in later:
        t.start()
    import time

    time.sleep(0.2)  # every later key is waiting behind the first call
    release.set()
    for t in [first, *later]:
        t.join(5)
    assert calls == [[0], [1, 2, 3, 4, 5]]
