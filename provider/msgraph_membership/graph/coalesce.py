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
    def __init__(self, run: Callable[[list[K]], Mapping[K, R]], window_s: float = 0.01):
        self._run = run
        self._window_s = window_s
        self._lock = threading.Lock()
        self._round: _Round | None = None  # the round gathering keys; its creator leads it

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
            with self._lock:
                self._round = None  # later callers gather the next round
            try:
                rnd.results = self._run(list(rnd.keys))
            except BaseException as e:  # noqa: BLE001 - handed to every waiting caller
                rnd.error = e
            finally:
                rnd.done.set()
        rnd.done.wait()
        if rnd.error is not None:
            raise rnd.error
        return {k: rnd.results[k] for k in keys if k in rnd.results}


class KeyedCoalescers(Generic[K, R]):
    """One `Coalescer` per container (a group, a unit): keys of different containers never share
    a call."""

    def __init__(self, run: Callable[[Hashable, list[K]], Mapping[K, R]], window_s: float = 0.01):
        self._run = run
        self._window_s = window_s
        self._lock = threading.Lock()
        self._by_container: dict[Hashable, Coalescer[K, R]] = {}

    def __call__(self, container: Hashable, keys: Iterable[K]) -> dict[K, R]:
        with self._lock:
            c = self._by_container.get(container)
            if c is None:
                c = self._by_container[container] = Coalescer(lambda ks, _c=container: self._run(_c, ks),
                                                              self._window_s)
        return c(keys)
