"""The log of Graph and token requests (``GET /_emulator/requests``); admin calls are not logged.

Each entry::

    {"seq": 17, "time": "2024-05-07T15:39:39.123Z", "kind": "graph" | "token" | "metadata", "method": "POST",
     "path": "/v1.0/groups/{id}/members/$ref?...", "status": 204, "duration_ms": 0.42,
     "app": "3a9e0b1c-...", "request_id": "...", "batch_items": 3, "fault": "throttle"}

``seq`` numbers entries from 1 in arrival order (not reset by clearing), so a reader can ask
for what is new (``since``). ``app`` is the calling application's client id when known: the
``appid`` of a Graph call's bearer token, the ``client_id`` of a token request.

``status`` is null for a dropped connection (``fault: "drop"``). ``batch_items`` is present only for
``$batch`` requests (how many inner requests), ``fault`` only when one was injected
(``throttle``, ``unavailable``, ``gateway_timeout``, ``drop``, ``drop_after``; for ``$batch`` also
``batch_faults``: how many items got one). ``fault: "quota"`` marks a 429 of Graph's quotas
(``quota.py``), and ``batch_quota`` counts a ``$batch``'s items answered so. ``path`` keeps the query string; it never holds a secret.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque

MAX_ENTRIES = 200_000


class RequestLog:
    def __init__(self):
        self._entries: deque = deque(maxlen=MAX_ENTRIES)
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, entry: dict) -> None:
        entry.setdefault("time", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)

    def entries(self) -> list[dict]:
        with self._lock:
            return list(self._entries)

    def since(self, seq: int, limit: int) -> list[dict]:
        """Entries after ``seq``, oldest first: at most the newest ``limit`` of them."""
        with self._lock:
            out = []
            for entry in reversed(self._entries):
                if entry["seq"] <= seq or len(out) >= limit:
                    break
                out.append(entry)
        out.reverse()
        return out

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
