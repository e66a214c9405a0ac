"""The terraform-provider-azuread v3 call pattern, reconstructed from its source
(https://github.com/hashicorp/terraform-provider-azuread), as plain
Graph calls: the baseline every benchmark figure is compared with.

This module shares no code with the provider on purpose (its own `requests` session, its own
client-credentials token), so a change in the provider can never make the baseline faster.

What one resource costs (`internal/services/groups/group_member_resource.go`,
`internal/services/administrativeunits/administrative_unit_member_resource.go` in that repository;
azuread holds a per-container mutex around Create and Delete, so writes to one container run one
after another):

- `azuread_group_member` Create: `GET /beta/groups/{g}`; the full paged `GET /beta/groups/{g}/members`
  (no `$select`, default page size 100) to refuse an existing membership; `POST .../members/$ref`;
  then Read (step 5: SetId, then Read), one filtered GET.
- Read (refresh): `GET /beta/groups/{g}/members?$filter=id eq '{m}'`.
- Delete: `DELETE .../members/{m}/$ref`, then `WaitForDeletion`: the filtered GET until it says
  "absent" 5 times in a row, at least 5 s apart (>= 20 s per delete).
- `azuread_administrative_unit_member` (v1.0; beta for delete): Create = `GET` the unit, a
  filtered GET, `POST $ref`, `WaitForUpdate` (5 sightings, >= 20 s), Read; Read = filtered GET;
  Delete = `DELETE` + `WaitForDeletion` (>= 20 s).

The 5 s waits between polls are *not* slept: every poll request is sent and counted, and the
minimum wait (20 s per wait) is added up separately as "modelled waits", so wall times can be
given with and without them.

The emulator may not implement `$filter=id eq '...'` on `/members` (docs/graph-behaviour.md §5 notes
the real Graph accepts it). `probe_filter()` finds out once; without it, each filtered GET is
replaced by its cost-equivalent single-object probe `GET .../members/{m}` (one request, same
answer: present or not). Results record which form was used.
"""
from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

PAGE_SIZE = 100           # Graph's default page size: azuread sends no $top
POLLS = 5                 # ContinuousTargetOccurence
MODELLED_WAIT_S = 20.0    # 4 gaps of >= 5 s (MinTimeout) between the 5 polls


@dataclass
class Tally:
    """Requests and client-side durations by kind, plus modelled (not slept) waits."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    modelled_wait_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, dt: float) -> None:
        with self.lock:
            self.counts[kind] += 1
            self.seconds[kind] += dt

    def wait(self, s: float) -> None:
        with self.lock:
            self.modelled_wait_s += s

    @property
    def requests(self) -> int:
        return sum(self.counts.values())

    def mean(self, kind: str) -> float:
        return self.seconds[kind] / self.counts[kind] if self.counts.get(kind) else 0.0


class AzureadPattern:
    """One signed-in app driving Graph the way azuread v3 does. Thread-safe for reads."""

    def __init__(self, *, base_url: str, tenant_id: str, client_id: str, client_secret: str, ca_bundle: str):
        self.base = base_url.rstrip("/")
        self.verify = ca_bundle
        self.s = requests.Session()
        self.s.trust_env = False
        self.s.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=16))
        r = self.s.post(f"{self.base}/{tenant_id}/oauth2/v2.0/token", verify=ca_bundle, timeout=30,
                        data={"grant_type": "client_credentials", "client_id": client_id,
                              "client_secret": client_secret, "scope": "https://graph.microsoft.com/.default"})
        r.raise_for_status()
        self.s.headers["Authorization"] = "Bearer " + r.json()["access_token"]
        self.tally = Tally()
        self.filter_supported = True

    @classmethod
    def for_emulator(cls, emu) -> "AzureadPattern":
        return cls(base_url=emu.base_url, tenant_id=emu.tenant_id, client_id=emu.client_id,
                   client_secret=emu.client_secret, ca_bundle=emu.ca_bundle)

    # -- HTTP -------------------------------------------------------------------------------------

    def _call(self, kind: str, method: str, url: str, json=None, expect=(200, 204)) -> requests.Response:
        url = url if url.startswith("https://") else self.base + url
        t0 = time.perf_counter()
        r = self.s.request(method, url, json=json, verify=self.verify, timeout=60)
        self.tally.add(kind, time.perf_counter() - t0)
        if r.status_code not in expect:
            raise RuntimeError(f"baseline {method} {url}: {r.status_code} {r.text[:300]}")
        return r

    def probe_filter(self, members_path: str, member_id: str) -> bool:
        """Whether the server answers azuread's filtered member GET (not counted in any tally)."""
        r = self.s.get(f"{self.base}{members_path}?$filter=id eq '{member_id}'", verify=self.verify, timeout=60)
        self.filter_supported = r.status_code == 200
        return self.filter_supported

    def _is_member(self, kind: str, members_path: str, member_id: str) -> bool:
        """azuread's one-request membership test (`groupGetMember` / `administrativeUnitGetMember`)."""
        if self.filter_supported:
            r = self._call(kind, "GET", f"{members_path}?$filter=id eq '{member_id}'")
            return bool(r.json().get("value"))
        r = self._call(kind, "GET", f"{members_path}/{member_id}", expect=(200, 404))
        return r.status_code == 200

    def _list_all(self, members_path: str) -> set[str]:
        """The full paged listing, full objects, default page size, every nextLink followed."""
        ids: set[str] = set()
        url = members_path
        while url:
            body = self._call("list_page", "GET", url).json()
            ids.update(o["id"] for o in body.get("value", []))
            url = body.get("@odata.nextLink")
        return ids

    def _wait(self, members_path: str, member_id: str, present: bool) -> None:
        """`consistency.WaitForUpdate` / `WaitForDeletion`: 5 consecutive confirmations; the
        >= 5 s gaps are modelled, not slept."""
        seen = polls = 0
        while seen < POLLS:
            polls += 1
            if polls > 20 * POLLS:  # azuread would time out after 5 min; here something is wrong
                raise RuntimeError(f"baseline: {member_id} never settled in {members_path}")
            seen = seen + 1 if self._is_member("poll", members_path, member_id) == present else 0
        self.tally.wait(MODELLED_WAIT_S)

    # -- azuread_group_member -------------------------------------------------------------------

    def group_member_create(self, group_id: str, member_id: str) -> None:
        members = f"/beta/groups/{group_id}/members"
        self._call("get_container", "GET", f"/beta/groups/{group_id}")
        if member_id in self._list_all(members):
            raise RuntimeError(f"{member_id} already in {group_id}: azuread would ask for an import")
        self._call("write", "POST", f"{members}/$ref",
                   json={"@odata.id": f"{self.base}/beta/directoryObjects/{member_id}"})
        self._is_member("read", members, member_id)  # Create ends with Read

    def group_member_read(self, group_id: str, member_id: str) -> bool:
        return self._is_member("read", f"/beta/groups/{group_id}/members", member_id)

    def group_member_delete(self, group_id: str, member_id: str) -> None:
        members = f"/beta/groups/{group_id}/members"
        self._call("write", "DELETE", f"{members}/{member_id}/$ref")
        self._wait(members, member_id, present=False)

    # -- azuread_administrative_unit_member -----------------------------------------------------

    def unit_member_create(self, unit_id: str, member_id: str) -> None:
        members = f"/v1.0/directory/administrativeUnits/{unit_id}/members"
        self._call("get_container", "GET", f"/v1.0/directory/administrativeUnits/{unit_id}")
        if self._is_member("read", members, member_id):
            raise RuntimeError(f"{member_id} already in unit {unit_id}: azuread would ask for an import")
        self._call("write", "POST", f"{members}/$ref",
                   json={"@odata.id": f"{self.base}/v1.0/directoryObjects/{member_id}"})
        self._wait(members, member_id, present=True)
        self._is_member("read", members, member_id)

    def unit_member_read(self, unit_id: str, member_id: str) -> bool:
        return self._is_member("read", f"/v1.0/directory/administrativeUnits/{unit_id}/members", member_id)

    def unit_member_delete(self, unit_id: str, member_id: str) -> None:
        self._call("write", "DELETE", f"/beta/directory/administrativeUnits/{unit_id}/members/{member_id}/$ref")
        self._wait(f"/v1.0/directory/administrativeUnits/{unit_id}/members", member_id, present=False)


def run_pattern(fn, items, concurrency: int = 1) -> float:
    """Apply `fn` to every item: one after another (the per-container mutex) or, for reads,
    `concurrency` at a time. Returns the wall time in seconds."""
    t0 = time.perf_counter()
    if concurrency <= 1:
        for it in items:
            fn(it)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(fn, items))
    return time.perf_counter() - t0


# -- exact request counts of the pattern (used to extrapolate what is not measured) ---------------

def list_pages(n_members: int) -> int:
    return max(1, math.ceil(n_members / PAGE_SIZE))


def group_create_counts(start: int, n: int) -> dict[str, int]:
    """Adding `n` members one by one to a group that has `start` members."""
    return {"get_container": n, "list_page": sum(list_pages(start + i) for i in range(n)),
            "write": n, "read": n}


def reads_counts(n: int) -> dict[str, int]:
    return {"read": n}


def group_delete_counts(n: int) -> dict[str, int]:
    return {"write": n, "poll": POLLS * n}


def unit_create_counts(n: int) -> dict[str, int]:
    return {"get_container": n, "read": 2 * n, "write": n, "poll": POLLS * n}


def modelled_waits(deletes_or_waits: int) -> float:
    return MODELLED_WAIT_S * deletes_or_waits
