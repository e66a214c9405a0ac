"""What a long apply tells the user while it runs, and what a preview says of the time its writes take.

While any resource of the provider process is writing (``work``), one reporter thread says every
``EVERY_S`` seconds, once the work has run ``AFTER_S`` seconds, how many of the planned writes are
sent and whether they are waiting on Graph's write quota (graph/pacer.py), with the time left at
the paced rate. Messages go through ``pulumi.log.info``, which a dynamic provider's user sees in
``pulumi up``'s output. The counts are the process's: resources applied at the same time share
one quota, so one line speaks for all of them.

``estimate`` is called from a resource's check (preview and up): when the writes planned take
more than a minute under the write quota, it says how long.
"""
from __future__ import annotations

import contextvars
import math
import threading
import time
from contextlib import contextmanager
from typing import Callable

import pulumi

from ..graph import pacer as pacing

EVERY_S = 10.0  # at least this often while work runs
AFTER_S = 3.0   # ... once it has run this long
ANNOUNCE_OVER_S = 60.0  # a preview mentions the time its writes take beyond this


def planned_writes(adds: int, removes: int, adds_per_write: int = 1) -> int:
    """Writes Graph counts for a change: binds add ``adds_per_write`` members a write, removals one each."""
    return math.ceil(adds / max(1, adds_per_write)) + removes


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def estimate(subject: str, writes: int, say: Callable[[str], None] = pulumi.log.info) -> float:
    """The quota's floor for ``writes`` from a full bucket; said when it is over a minute."""
    floor = pacing.floor_s(writes)
    if floor > ANNOUNCE_OVER_S:
        say(f"{subject}: {writes:,} writes take at least {_duration(floor)} under Graph's write quota "
            f"({pacing.WRITE_QUOTA:,} per app and tenant per {_duration(pacing.WRITE_WINDOW_S)})")
    return floor


class Reporter:
    """The process's progress line: jobs register their planned writes; ``tick`` says where they are."""

    def __init__(self, pacer: Callable[[], pacing.Pacer] = pacing.shared, clock: Callable[[], float] = time.monotonic,
                 say: Callable[[str], None] | None = None, thread: bool = True):
        self._pacer, self._clock, self._say, self._thread = pacer, clock, say, thread
        self._lock = threading.Lock()
        self._active = 0
        self._total = 0
        self._subjects: list[str] = []
        self._start = self._last = 0.0
        self._baseline = 0
        self._wake = threading.Event()

    @contextmanager
    def work(self, subject: str, writes: int):
        if writes <= 0:
            yield
            return
        with self._lock:
            if self._active == 0:
                self._start = self._clock()
                self._last = self._start - EVERY_S  # the first line once AFTER_S has passed
                self._baseline, self._total, self._subjects = self._pacer().stats["writes"], 0, []
                if self._thread:
                    self._wake.clear()
                    # pulumi's settings (the engine its log goes to) are context variables: take them along
                    threading.Thread(target=contextvars.copy_context().run, args=(self._run,),
                                     name="msgraph-progress", daemon=True).start()
            self._active += 1
            self._total += writes
            self._subjects.append(subject)
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0:
                    self._wake.set()

    def _run(self) -> None:
        while not self._wake.wait(1.0):
            self.tick()

    def tick(self) -> str | None:
        """Say where the work is, when it has run long enough and the last line is old enough."""
        with self._lock:
            now = self._clock()
            if self._active == 0 or now - self._start < AFTER_S or now - self._last < EVERY_S - 0.5:
                return None
            self._last = now
            pacer = self._pacer()
            done = min(self._total, pacer.stats["writes"] - self._baseline)
            who = self._subjects[0] if len(self._subjects) == 1 else f"{len(self._subjects)} resources"
            line = f"msgraph: {who}: {done:,}/{self._total:,} writes sent after {_duration(now - self._start)}"
            if pacer.waiting_until > now:
                left = pacer.eta_s(max(0, self._total - done)) if done < self._total else pacer.waiting_until - now
                line += (f"; waiting on Graph's write quota ({pacing.WRITE_QUOTA:,} writes per "
                         f"{_duration(pacing.WRITE_WINDOW_S)}), about {_duration(left)} left")
        (self._say or pulumi.log.info)(line)
        return line


REPORTER = Reporter()
