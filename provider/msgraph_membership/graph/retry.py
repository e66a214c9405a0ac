"""Trying again: the one loop behind every retry of the Graph code (throttling and outages in
the transport, replication lag and visibility in the client).

A caller says what one try does and how long to wait before the next; `retry` does the
waiting, within a bound on the time spent waiting (and, optionally, on the number of tries).
Time is counted in the waits it sleeps, so a test with an injected `sleep` sees exact waits; with
a `clock`, the time the later tries took counts too (a deadline, for the waits of the client,
whose tries can take long).
"""
from __future__ import annotations

import math
from typing import Callable, TypeVar

T = TypeVar("T")


def retry(attempt: Callable[[int], tuple[T, float | None]], *, total_s: float | Callable[[T], float],
          sleep: Callable[[float], None], tries: float = math.inf,
          say: Callable[[T, float], None] | None = None, clock: Callable[[], float] | None = None) -> T:
    """Call `attempt(n)` for n = 1, 2, … until it returns an outcome with no wait (None: done),
    or its wait is not positive, or waiting it would take the total waited past `total_s` (a
    number, or a function of the outcome: some outcomes are worth a shorter wait), or `tries`
    tries were made. `say(outcome, wait)` is called before each wait. Returns the last outcome.
    With `clock`, the time spent is the greater of the waits and the time since the first try ended."""
    waited = 0.0
    start = None
    n = 1
    while True:
        outcome, wait = attempt(n)
        bound = total_s(outcome) if callable(total_s) else total_s
        spent = max(waited, clock() - start) if clock and start is not None else waited
        if wait is None or wait <= 0 or n >= tries or spent + wait > bound:
            return outcome
        if clock and start is None:
            start = clock()
        if say is not None:
            say(outcome, wait)
        sleep(wait)
        waited += wait
        n += 1


def doubling(first_s: float, max_s: float = math.inf) -> Callable[[int], float]:
    """The wait after try n: `first_s`, doubled after each try, at most `max_s`."""
    return lambda n: min(max_s, first_s * 2 ** (n - 1))
