"""Pacing writes to Graph's write quota, so a large apply waits its turn instead of collecting 429s.

Graph meters writes per app and tenant: 3,000 per 2 min 30 s ("Identity and access service
limits", https://learn.microsoft.com/en-us/graph/throttling-limits; docs/graph-behaviour.md §4.2).
The pacer is a token bucket of that size less ``HEADROOM`` (full at the start, refilled at 20
writes a second):
a write takes a token, waiting for one when none is left. Reservations are made under a lock and
slept outside it, so concurrent callers are served in turn and their waits add up to the rate.

It learns from the 429s it still gets (another process using the same app, a bucket not full at
the start): a write-quota 429 empties the bucket until its ``Retry-After`` has passed and lowers
the rate it assumes by ``CUT`` (never below a tenth of the documented rate). The 429s of one
moment are one signal: concurrent senders refused together (their writes were already on their
way) cut the rate once, not once each; a cut counts again only once the previous one's
``Retry-After`` has passed. Between 429s the rate climbs back by ``CLIMB`` of the documented rate
per second: processes sharing the app settle around their share of it (additive increase,
multiplicative decrease), and one left alone is back at the documented rate within
1 / ``CLIMB`` seconds. A process that undershoots loses nothing for long: Graph's bucket keeps
the unspent writes, and the climb spends them.

One pacer per provider process (``shared()``), for every transport and resource of the run. A
token bucket is a few lines; the rate-limit libraries on PyPI do not say how long a caller will
wait, which the progress messages (resources/_progress.py) need.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

WRITE_QUOTA = 3_000  # per app and tenant ...
WRITE_WINDOW_S = 150.0  # ... per 2 min 30 s
# Writes the pacer leaves unspent. Graph's bucket is full when our first write arrives and refills
# at the same rate as ours; each write reaches Graph after the pacer counted it, so Graph's bucket
# holds at least what ours does. A few writes cover rounding (Retry-After is whole seconds).
HEADROOM = 5
CUT = 0.75  # a 429 lowers the rate assumed to this share of itself ...
CLIMB = 0.02  # ... and each second without one raises it by this share of the documented rate
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# POSTs that only read (the page's table charges them no write).
_READ_ACTIONS = frozenset({"getByIds", "getObjectsById", "isMemberOf", "checkMemberGroups", "checkMemberObjects",
                           "getMemberGroups", "getMemberObjects"})


def write_cost(method: str, url: str) -> int:
    """1 when Graph counts the call against the write quota, else 0 (``$batch``: count its items)."""
    if method.upper() not in WRITE_METHODS:
        return 0
    last = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return 0 if last in _READ_ACTIONS or last == "$batch" else 1


def call_writes(method: str, url: str, body) -> int:
    """The writes a call spends of the write quota: a ``$batch`` spends its items'."""
    if url.rstrip("/").endswith("/$batch") and isinstance(body, dict):
        return sum(write_cost(it.get("method", ""), it.get("url", "")) for it in body.get("requests", []))
    return write_cost(method, url)


def over_write_quota(status: int, headers) -> bool:
    """A 429 of the write quota, by its ``x-ms-throttle-information`` (docs/graph-behaviour.md §4.2)."""
    info = next((str(v) for k, v in (headers or {}).items() if str(k).lower() == "x-ms-throttle-information"), "")
    return status == 429 and info == "WriteLimitExceeded"


def floor_s(writes: int, quota: int = WRITE_QUOTA, window_s: float = WRITE_WINDOW_S) -> float:
    """The time the write quota alone requires for ``writes`` writes, starting with a full bucket."""
    return max(0, writes - quota) * window_s / quota


class Pacer:
    def __init__(self, quota: int = WRITE_QUOTA, window_s: float = WRITE_WINDOW_S, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.quota, self.window_s = quota, window_s
        self.documented_rate = quota / window_s
        self.rate = self.documented_rate
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self.capacity = float(max(1, quota - HEADROOM)) if quota > 2 * HEADROOM else float(quota)
        self._level = self.capacity
        self._at = clock()
        self._cut_until = float("-inf")  # 429s before this are the same signal as the last cut
        self.stats = {"writes": 0, "waited_s": 0.0, "throttled": 0}
        self.waiting_until = 0.0  # the clock time the latest reservation waits for (progress reports)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._at)
        self._level = min(self.capacity, self._level + elapsed * self.rate)
        if self.rate < self.documented_rate:
            self.rate = min(self.documented_rate, self.rate + CLIMB * self.documented_rate * elapsed)
        self._at = now

    def reserve(self, writes: int) -> float:
        """Take ``writes`` tokens; the seconds the caller must wait before sending (no sleep)."""
        if writes <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._level -= writes
            wait = 0.0 if self._level >= 0 else -self._level / self.rate
            self.stats["writes"] += writes
            self.stats["waited_s"] += wait
            self.waiting_until = max(self.waiting_until, now + wait)
            return wait

    def acquire(self, writes: int) -> float:
        """Wait until ``writes`` writes may be sent; returns the seconds waited."""
        wait = self.reserve(writes)
        if wait > 0:
            self._sleep(wait)
        return wait

    def throttled(self, retry_after_s: float | None) -> None:
        """A write came back 429 for the write quota: someone else is spending it too."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            pause = retry_after_s if retry_after_s is not None else self.window_s / 10
            if now >= self._cut_until:  # a new signal, not one more answer to writes already sent
                self.rate = max(self.documented_rate / 10, self.rate * CUT)
                self._cut_until = now + max(pause, 1.0)
            self._level = min(self._level, -pause * self.rate)
            self.stats["throttled"] += 1
            self.waiting_until = max(self.waiting_until, now + pause)

    def eta_s(self, writes: int) -> float:
        """How long ``writes`` more writes take at the rate assumed now, from the bucket as it is."""
        with self._lock:
            self._refill(self._clock())
            return max(0.0, writes - max(self._level, 0.0)) / self.rate + max(0.0, -self._level) / self.rate


_SHARED: Pacer | None = None
_SHARED_LOCK = threading.Lock()


def reset_shared() -> None:
    """Forget what the process's pacer learnt (tests refill the emulator's quotas per test)."""
    global _SHARED
    with _SHARED_LOCK:
        _SHARED = None


def shared() -> Pacer:
    """The provider process's one pacer."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Pacer()
        return _SHARED
