"""Graph's identity and access quotas (docs/graph-behaviour.md §4.2): who is charged what, and when a call is over.

Microsoft's "Microsoft Graph service-specific throttling limits" page, section "Identity and
access service limits" (https://learn.microsoft.com/en-us/graph/throttling-limits), meters
directory calls with token buckets:

| bucket | key | size per window |
|---|---|---|
| resource units | app + tenant | S 3,500 / M 5,000 / L 8,000 per 10 s (tenant under 50 users / 50-500 / over 500) |
| writes | app + tenant | 3,000 per 2 min 30 s |
| writes | tenant | 18,000 per 5 min |

A bucket holds its window's quota and refills continuously at quota / window. A call costs the
page's base resource units for its method and path (``_BASE_COST``; any other path 1), minus 1
with ``$select``, plus 1 with ``$expand``, minus 1 with ``$top`` under 20, never under 1; writes
(POST, PATCH, PUT, DELETE except the page's read-only POST actions) cost 1 write. A call is
charged only if every bucket it touches has room; otherwise it is answered 429 and charged
nothing ("only the requests exceeding the limits will be throttled"), with ``Retry-After`` the
whole seconds until its buckets have room again.

Settings (fault settings, ``PUT /_emulator/faults``): ``quota`` (default ``true``; ``false``
switches metering off) and ``tenant_size`` (``"S"``, ``"M"``, ``"L"``; default: from the number
of users, as the page defines the classes). A PUT of the fault settings refills every bucket.
The clock is injectable (``clock``) so tests run without waiting. A token bucket is a dozen lines;
the rate-limit libraries on PyPI limit a caller, they do not answer "how long until there is room".
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass

RU_QUOTA = {"S": 3_500, "M": 5_000, "L": 8_000}
RU_WINDOW_S = 10.0
APP_WRITE_QUOTA, APP_WRITE_WINDOW_S = 3_000, 150.0
TENANT_WRITE_QUOTA, TENANT_WRITE_WINDOW_S = 18_000, 300.0
_USERS_FOR = (("S", 50), ("M", 501))  # under 50: S; 50-500: M; above: L
_WRITES = ("POST", "PATCH", "PUT", "DELETE")
_ID = "{id}"
# (method, path with ids as {id}) -> base resource units, from the page's table.
_BASE_COST = {
    ("GET", "applications"): 2, ("GET", "applications/{id}/extensionProperties"): 2, ("GET", "contracts"): 3,
    ("POST", "directoryObjects/getByIds"): 3, ("GET", "domains/{id}/domainNameReferences"): 4,
    ("POST", "getObjectsById"): 3, ("GET", "groups/{id}/members"): 3, ("GET", "groups/{id}/transitiveMembers"): 5,
    ("POST", "isMemberOf"): 4, ("POST", "users/{id}/checkMemberGroups"): 4,
    ("POST", "users/{id}/checkMemberObjects"): 4, ("POST", "users/{id}/getMemberGroups"): 2,
    ("POST", "users/{id}/getMemberObjects"): 2, ("GET", "users/{id}/licenseDetails"): 2,
    ("GET", "users/{id}/memberOf"): 2, ("GET", "users/{id}/ownedObjects"): 2,
    ("GET", "users/{id}/transitiveMemberOf"): 2, ("GET", "oauth2PermissionGrants"): 2,
    ("GET", "oauth2PermissionGrants/{id}"): 2, ("GET", "servicePrincipals/{id}/appRoleAssignments"): 2,
    ("GET", "subscribedSkus"): 3, ("GET", "users"): 2,
}
_READ_ONLY_POSTS = {path for (method, path), _ in _BASE_COST.items() if method == "POST"}
_COLLECTIONS = {"applications", "contracts", "directoryObjects", "domains", "groups", "users", "servicePrincipals",
                "oauth2PermissionGrants", "devices", "contacts", "orgContacts", "administrativeUnits", "directory"}
_TAILS = re.compile(r"^(\$ref|\$count|microsoft\.graph\.[A-Za-z]+)$")


def request_cost(method: str, segments: list[str], query: dict) -> tuple[int, int]:
    """(resource units, writes) of one call; ``segments`` follow the version, ``me`` as ``users/{id}``."""
    segs = ["users", _ID, *segments[1:]] if segments[:1] == ["me"] else list(segments)
    while segs and _TAILS.match(segs[-1]):
        segs.pop()
    shape = [seg if i == 0 or seg in _COLLECTIONS or not _looks_like_id(seg) else _ID for i, seg in enumerate(segs)]
    path = "/".join(shape)
    units = _BASE_COST.get((method, path), 1)
    if "$select" in query:
        units -= 1
    if "$expand" in query:
        units += 1
    top = query.get("$top")
    if top is not None and str(top).isdigit() and int(top) < 20:
        units -= 1
    writes = 1 if method in _WRITES and path not in _READ_ONLY_POSTS else 0
    return max(1, units), writes


def _looks_like_id(seg: str) -> bool:
    """Ids, keys (``('…')``) and user principal names sit where ``{id}`` does; names of relations do not."""
    return bool(re.search(r"[0-9@('-]", seg))


@dataclass
class Refusal:
    """Why a call is over: the 429's ``x-ms-throttle-scope`` parts and ``x-ms-throttle-information``."""

    scope: str  # "Tenant_Application" | "Tenant"
    limit: str  # "ReadWrite" | "Write"
    information: str  # "ResourceUnitLimitExceeded" | "WriteLimitExceeded"
    retry_after_s: int


class _Bucket:
    def __init__(self, quota: float, window_s: float, now: float):
        self.quota, self.rate, self.level, self.at = quota, quota / window_s, float(quota), now

    def refill(self, now: float) -> None:
        self.level = min(self.quota, self.level + (now - self.at) * self.rate)
        self.at = now

    def wait_for(self, cost: float) -> float:
        """Seconds until ``cost`` fits (0 when it fits now)."""
        return 0.0 if self.level >= cost else (cost - self.level) / self.rate


class Quota:
    """The meter: ``charge`` one call, get ``None`` (charged) or a ``Refusal`` (charged nothing)."""

    def __init__(self, count_users=lambda: 0, clock=time.monotonic):
        self._count_users = count_users
        self.clock = clock
        self._lock = threading.Lock()
        self.enabled = True
        self._size: str | None = None
        self._buckets: dict[tuple, _Bucket] = {}
        self._users_at: tuple[float, str] | None = None

    def configure(self, settings: dict) -> None:
        """Apply the fault settings' ``quota`` and ``tenant_size``, and refill every bucket."""
        with self._lock:
            self.enabled = settings.get("quota", True) is not False
            self._size = settings.get("tenant_size")
            self._buckets.clear()
            self._users_at = None

    def tenant_size(self, now: float) -> str:
        if self._size:
            return self._size
        if self._users_at is None or now - self._users_at[0] >= 5.0:  # counting 100,000 users is not free
            users = self._count_users()
            self._users_at = (now, next((size for size, below in _USERS_FOR if users < below), "L"))
        return self._users_at[1]

    def _bucket(self, key: tuple, quota: float, window_s: float, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.quota != quota:
            bucket = self._buckets[key] = _Bucket(quota, window_s, now)
        bucket.refill(now)
        return bucket

    def charge(self, app: str, units: int, writes: int) -> tuple[Refusal | None, float]:
        """Charge one call of ``app``; returns the refusal (or ``None``) and the share of the
        app's resource-unit quota used (for ``x-ms-throttle-limit-percentage``)."""
        if not self.enabled:
            return None, 0.0
        with self._lock:
            now = self.clock()
            ru = self._bucket(("ru", app), RU_QUOTA[self.tenant_size(now)], RU_WINDOW_S, now)
            checks = [(ru, units, "Tenant_Application", "ReadWrite", "ResourceUnitLimitExceeded")]
            if writes:
                checks += [(self._bucket(("write", app), APP_WRITE_QUOTA, APP_WRITE_WINDOW_S, now), writes,
                            "Tenant_Application", "Write", "WriteLimitExceeded"),
                           (self._bucket(("write",), TENANT_WRITE_QUOTA, TENANT_WRITE_WINDOW_S, now), writes,
                            "Tenant", "Write", "WriteLimitExceeded")]
            over = [(bucket.wait_for(cost), scope, limit, info) for bucket, cost, scope, limit, info in checks
                    if bucket.wait_for(cost) > 0]
            if over:
                wait, scope, limit, info = max(over)
                return Refusal(scope, limit, info, max(1, math.ceil(wait))), 1.0 - ru.level / ru.quota
            for bucket, cost, *_ in checks:
                bucket.level -= cost
            return None, 1.0 - ru.level / ru.quota
