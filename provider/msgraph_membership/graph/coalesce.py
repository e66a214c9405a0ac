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
from concurrent.futures import Future
from typing import Callable, Generic, Hashable, Iterable, Mapping, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

MISSING = object()


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
        self._waiting: dict[K, Future] = {}
        self._leader = False
        self._running = threading.Lock() if one_at_a_time else None

    def _settle(self, batch: dict[K, Future]) -> None:
        try:
            results = self._run(list(batch))
        except BaseException as e:  # noqa: BLE001 - handed to every waiting caller
            for fut in batch.values():
                fut.set_exception(e)
        else:
            for k, fut in batch.items():
                fut.set_result(results.get(k, MISSING))

    def __call__(self, keys: Iterable[K]) -> dict[K, R]:
        """Results for `keys` (a key the call did not answer is left out)."""
        mine: dict[K, Future] = {}
        with self._lock:
            for k in keys:
                fut = self._waiting.get(k)
                if fut is None:
                    fut = self._waiting[k] = Future()
                mine[k] = fut
            lead = not self._leader
            if lead:
                self._leader = True
        if lead:
            time.sleep(self._window_s)  # let the other workers' keys arrive
            if self._running is not None:
                self._running.acquire()  # ... and those that come while the previous call runs
            try:
                with self._lock:
                    batch, self._waiting, self._leader = self._waiting, {}, False
                self._settle(batch)
            finally:
                if self._running is not None:
                    self._running.release()
        out: dict[K, R] = {}
        for k, fut in mine.items():
            r = fut.result()
            if r is not MISSING:
                out[k] = r
        return out


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
