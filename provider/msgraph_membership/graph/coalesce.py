"""Gathering concurrent single-key calls into one Graph call.

The engine calls the provider from several threads at once (pulumi's dynamic-provider server
runs 4 workers), and a `GroupMember` create or delete, or an object lookup, concerns one key. A
`Coalescer` lets the first caller wait a few milliseconds for the others, then runs one call for
every key gathered (a `PATCH` of up to 20 links, a `$batch`, a `getByIds`): each caller gets
its own key's result, or the exception that call raised.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Generic, Hashable, Iterable, Mapping, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class _Round:
    """The keys gathered for one call, and its outcome: one per call, not one per key (a lookup
    of 100,000 ids is one round, not 100,000 futures)."""

    __slots__ = ("keys", "done", "results", "error")

    def __init__(self) -> None:
        self.keys: dict = {}  # ordered, without duplicates
        self.done = threading.Event()
        self.results: Mapping = {}
        self.error: BaseException | None = None


class Coalescer(Generic[K, R]):
    """With `one_at_a_time`, a call does not start while the previous one runs: the keys that
    arrive meanwhile wait for it and go together in the next call (a group commit). Writes to one
    container use it: the engine hands creates to the provider as it checks them, one by one, so
    without it most calls would carry one key."""

    def __init__(self, run: Callable[[list[K]], Mapping[K, R]], window_s: float = 0.01,
                 one_at_a_time: bool = False):
        self._run = run
        self._window_s = window_s
        self._lock = threading.Lock()
        self._round: _Round | None = None  # the round gathering keys; its creator leads it
        self._running = threading.Lock() if one_at_a_time else None

    def __call__(self, keys: Iterable[K]) -> dict[K, R]:
        """Results for `keys` (a key the call did not answer is left out)."""
        keys = list(keys)
        with self._lock:
            rnd, lead = self._round, self._round is None
            if lead:
                rnd = self._round = _Round()
            rnd.keys.update(dict.fromkeys(keys))
        if lead:
            time.sleep(self._window_s)  # let the other workers' keys arrive
            if self._running is not None:
                self._running.acquire()  # ... and those that come while the previous call runs
            try:
                with self._lock:
                    self._round = None  # later callers gather the next round
                try:
                    rnd.results = self._run(list(rnd.keys))
                except BaseException as e:  # noqa: BLE001 - handed to every waiting caller
                    rnd.error = e
                finally:
                    rnd.done.set()
            finally:
                if self._running is not None:
                    self._running.release()
        rnd.done.wait()
        if rnd.error is not None:
            raise rnd.error
        return {k: rnd.results[k] for k in keys if k in rnd.results}


class KeyedCoalescers(Generic[K, R]):
    """One `Coalescer` per container (a group, a unit): keys of different containers never share
    a call."""

    def __init__(self, run: Callable[[Hashable, list[K]], Mapping[K, R]], window_s: float = 0.01,
                 one_at_a_time: bool = False):
        self._run = run
        self._window_s = window_s
        self._one_at_a_time = one_at_a_time
        self._lock = threading.Lock()
        self._by_container: dict[Hashable, Coalescer[K, R]] = {}

    def __call__(self, container: Hashable, keys: Iterable[K]) -> dict[K, R]:
        with self._lock:
            c = self._by_container.get(container)
            if c is None:
                c = self._by_container[container] = Coalescer(lambda ks, _c=container: self._run(_c, ks),
                                                              self._window_s, self._one_at_a_time)
        return c(keys)
