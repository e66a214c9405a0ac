"""What this process knows about directory objects, shared by every thread of the provider.

The provider server answers several engine calls at once, so the facts learnt from Graph (an
object's type, a group's kind and properties, a unit's properties) are read and written from
many threads. They live in one map under one lock, and each fact is recorded whole: a group is
never seen as "kind known" before it is known to be a Microsoft 365 group.

An object's type and a group's kind (Microsoft 365 or not) never change, so they are kept for
the life of the process; properties are kept with the time they were read.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Iterable

from .rules import GroupInfo


@dataclass
class _Facts:
    type: str | None = None              # member type: user, group, device, servicePrincipal, orgContact
    unified: bool | None = None          # groups: Microsoft 365 or not; None while unknown
    group: GroupInfo | None = None       # groups: the properties that decide what Graph allows
    unit: dict | None = None             # administrative units: their properties
    read_at: float = 0.0                 # when `group` or `unit` was read (monotonic)


class Known:
    """One locked map: object id -> what is known about it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._facts: dict[str, _Facts] = {}

    def _get(self, object_id: str) -> _Facts:
        f = self._facts.get(object_id)
        if f is None:
            f = self._facts[object_id] = _Facts()
        return f

    # -- types and kinds ----------------------------------------------------------------------

    def type_of(self, object_id: str, default: str | None = None) -> str | None:
        with self._lock:
            f = self._facts.get(object_id)
            return f.type if f is not None and f.type else default

    def types_of(self, ids: Iterable[str]) -> dict[str, str]:
        """id -> type for the ids whose type is known."""
        with self._lock:
            return {i: f.type for i in ids if (f := self._facts.get(i)) is not None and f.type}

    def learn_type(self, object_id: str, member_type: str, *, unified: bool | None = None,
                   keep_known: bool = False) -> None:
        """Record an object's type, and for a group its kind when the answer said it, at once.
        `keep_known`: a weaker source (a listing's guess) does not overwrite a known type."""
        with self._lock:
            f = self._get(object_id)
            if not (keep_known and f.type):
                f.type = member_type
            if unified is not None:
                f.unified = unified

    def unified(self, object_id: str) -> bool | None:
        """Whether a group is a Microsoft 365 group; None while this process does not know."""
        with self._lock:
            f = self._facts.get(object_id)
            if f is None:
                return None
            if f.group is not None:
                return f.group.is_unified
            return f.unified

    # -- properties ---------------------------------------------------------------------------

    def _fresh(self, object_id: str, prop: str, max_age_s: float):
        """A group's or unit's properties (`prop`), when read less than `max_age_s` ago."""
        with self._lock:
            f = self._facts.get(object_id)
            value = getattr(f, prop, None)
            return value if value is not None and time.monotonic() - f.read_at < max_age_s else None

    def group(self, group_id: str, max_age_s: float) -> GroupInfo | None:
        return self._fresh(group_id, "group", max_age_s)

    def learn_group(self, group_id: str, info: GroupInfo) -> None:
        with self._lock:
            f = self._get(group_id)
            f.type, f.group, f.unified, f.read_at = "group", info, info.is_unified, time.monotonic()

    def forget_group(self, group_id: str) -> None:
        """Drop a group's properties (changed or deleted); its type and kind stay true."""
        with self._lock:
            f = self._facts.get(group_id)
            if f is not None:
                f.group = None

    def unit(self, unit_id: str, max_age_s: float) -> dict | None:
        return self._fresh(unit_id, "unit", max_age_s)

    def learn_unit(self, unit_id: str, unit: dict) -> None:
        with self._lock:
            f = self._get(unit_id)
            f.unit, f.read_at = unit, time.monotonic()
