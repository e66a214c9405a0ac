"""Fault injection for Graph calls, reproducible from a seed.

Settings (``PUT /_emulator/faults``; ``{}`` turns every fault off, the quotas stay on):

| key | meaning |
|---|---|
| ``throttle_rate`` | share of Graph calls answered 429 ``TooManyRequests`` (per item inside ``$batch``) |
| ``retry_after_s`` | the ``Retry-After`` of a 429 (and of a 503); ``null`` sends none (default 1) |
| ``retry_after_http_date`` | send ``Retry-After`` as an HTTP-date instead of delta-seconds |
| ``unavailable_rate`` | share answered 503 |
| ``gateway_timeout_rate`` | share answered 504 |
| ``drop_rate`` | share whose connection is closed without an answer, *before* the call runs |
| ``drop_after_rate`` | share that runs (writes commit) and then has its connection closed unanswered |
| ``cut_body_rate`` | share that runs (writes commit), sends its status line, headers and the first half of its body (its ``Content-Length`` announces all of it), then closes the connection: an answer cut off mid-body |
| ``latency_ms`` | delay added to every Graph HTTP request |
| ``replication_lag_ms`` | docs/graph-behaviour.md §5: new objects 404 and lists lag writes for this long |
| ``token_lifetime_s`` | lifetime of tokens minted from now on (default 3599) |
| ``seed`` | seed of the random draws; the same seed and call sequence give the same faults |
| ``quota`` | Graph's identity quotas (``quota.py``): metered unless ``false``; not a fault, so ``{}`` leaves them on |
| ``tenant_size`` | the quotas' tenant-size class, ``"S"``, ``"M"`` or ``"L"`` (default: from the number of users) |

Exactly one random number is drawn per Graph call (per HTTP request, and per ``$batch`` item), so
a run is reproducible from ``seed`` whatever the rates are. The outer ``$batch`` request can be
dropped, delayed or answered 503/504 but is never throttled: Graph throttles the items (docs/graph-behaviour.md §4.3).
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from dataclasses import dataclass

from . import admin_docs

RATE_KEYS = admin_docs.RATE_KEYS
KNOWN_KEYS = RATE_KEYS + ("retry_after_s", "retry_after_http_date", "latency_ms", "replication_lag_ms",
                          "token_lifetime_s", "seed", "quota", "tenant_size")


@dataclass
class Decision:
    """What to do with one call: ``None`` action means run it normally."""

    action: str | None = None  # "throttle" | "unavailable" | "gateway_timeout" | "drop" | "drop_after" | "cut_body"
    retry_after: str | None = None


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._settings: dict = {}
        self._rng = random.Random(0)

    def configure(self, settings: dict) -> dict:
        """Replace all settings; unknown keys and bad values raise ``ValueError`` and change nothing."""
        admin_docs.check_faults(settings)
        clean: dict = {}
        for key in RATE_KEYS:
            if key in settings and settings[key] is not None:
                rate = float(settings[key])
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"{key} must be between 0 and 1")
                clean[key] = rate
        if sum(clean.get(k, 0.0) for k in RATE_KEYS) > 1.0:
            raise ValueError("the rates add up to more than 1")
        for key in ("latency_ms", "replication_lag_ms"):
            if settings.get(key) is not None:
                clean[key] = max(0.0, float(settings[key]))
        if "retry_after_s" in settings:
            clean["retry_after_s"] = None if settings["retry_after_s"] is None else max(0, int(settings["retry_after_s"]))
        if settings.get("retry_after_http_date"):
            clean["retry_after_http_date"] = True
        if settings.get("token_lifetime_s") is not None:
            clean["token_lifetime_s"] = int(settings["token_lifetime_s"])
        if settings.get("seed") is not None:
            clean["seed"] = settings["seed"]
        for key in ("quota", "tenant_size"):
            if settings.get(key) is not None:
                clean[key] = settings[key]
        with self._lock:
            self._settings = clean
            self._rng = random.Random(clean.get("seed", 0))
        return self.current()

    def current(self) -> dict:
        with self._lock:
            return dict(self._settings)

    def get(self, key: str, default=None):
        return self._settings.get(key, default)

    @property
    def latency_s(self) -> float:
        return self._settings.get("latency_ms", 0.0) / 1000.0

    @property
    def lag_s(self) -> float:
        return self._settings.get("replication_lag_ms", 0.0) / 1000.0

    def token_lifetime(self) -> int | None:
        return self._settings.get("token_lifetime_s")

    def _retry_after(self) -> str | None:
        seconds = self._settings.get("retry_after_s", 1)
        if seconds is None:
            return None
        if self._settings.get("retry_after_http_date"):
            return email.utils.formatdate(time.time() + seconds, usegmt=True)
        return str(seconds)

    def draw(self, *, outer_batch: bool = False, allow_drop: bool = True) -> Decision:
        """Decide the fate of one call (one random draw, always, for reproducibility)."""
        with self._lock:
            s = self._settings
            if not any(s.get(k) for k in RATE_KEYS):
                return Decision()
            r = self._rng.random()
        edge = 0.0
        for key, action in (("throttle_rate", "throttle"), ("unavailable_rate", "unavailable"),
                            ("gateway_timeout_rate", "gateway_timeout"), ("drop_rate", "drop"),
                            ("drop_after_rate", "drop_after"), ("cut_body_rate", "cut_body")):
            edge += s.get(key, 0.0)
            if r < edge:
                if (action == "throttle" and outer_batch) or (action in ("drop", "drop_after", "cut_body")
                                                              and not allow_drop):
                    return Decision()
                retry = self._retry_after() if action in ("throttle", "unavailable") else None
                return Decision(action, retry)
        return Decision()
