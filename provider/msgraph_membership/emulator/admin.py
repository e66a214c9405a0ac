"""The admin API (README.md, "Running it in the foreground"): no token, loopback clients only, never faulted, never logged.

| call | answer |
|---|---|
| ``GET /_emulator/health`` | ``{"status": "ok", "tenant_id", "uptime_s"}`` |
| ``POST /_emulator/reset`` | empties the directory (apps, managed identities, faults stay); no body or ``{}``; ``{"status": "ok"}`` |
| ``POST /_emulator/seed`` | loads a seed (JSON); returns the ids per collection, e.g. ``{"users": [...]}`` |
| ``GET /_emulator/directory`` | the true state (no replication lag), shape below |
| ``GET /_emulator/requests`` | ``[entry, ...]``, oldest first (see ``requestlog.py``) |
| ``DELETE /_emulator/requests`` | clears the log |
| ``GET /_emulator/faults`` | the current fault settings |
| ``PUT /_emulator/faults`` | replaces them (``{}`` turns all faults off; the quotas stay on) and refills the quotas; returns the current settings |
| ``GET /_emulator/ui`` | the read-only page (``page.py``): directory, request log, faults, live |
| ``GET /_emulator/live`` | what the page polls (``live.py``): ``?since=SEQ&directory=ETAG`` |

``GET /_emulator/directory``::

    {"tenant_id": "...", "domain": "contoso.test",
     "users": [{"id", ...properties}], "devices": [...], "servicePrincipals": [...], "orgContacts": [...],
     "groups": [{"id", ...properties, "members": [ids], "owners": [ids]}],
     "administrativeUnits": [{"id", ...properties, "members": [ids]}],
     "apps": [{"client_id", "object_id", "display_name", "roles"}],
     "managed_identities": [{"client_id", "object_id", "system_assigned", "roles"}],
     "roleAssignments": [{"id", "principalId", "roleDefinitionId", "directoryScopeId"}]}

Every list is sorted by id; ``members``/``owners`` are sorted ids. No secret appears in it.
"""

from __future__ import annotations

import ipaddress
import time

from . import admin_docs, live, page, roles, seed
from .wire import Request, Response

_COLLECTION_OF = {"user": "users", "group": "groups", "device": "devices", "servicePrincipal": "servicePrincipals",
                  "orgContact": "orgContacts", "administrativeUnit": "administrativeUnits"}


def _is_loopback(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip.split("%")[0])
    except ValueError:
        return False
    if addr.version == 6 and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_loopback


def _error(status: int, message: str) -> Response:
    return Response.json(status, {"error": message})


def directory(emulator) -> dict:
    store = emulator.store
    out: dict = {"tenant_id": store.get_meta("tenant_id"), "domain": store.get_meta("domain")}
    for collection in _COLLECTION_OF.values():
        out[collection] = []
    links: dict[tuple[str, str], list[str]] = {}
    for container, rel, member in store.all_live_links():
        links.setdefault((container, rel), []).append(member)
    for obj in store.list_objects():
        entry = {"id": obj.id, **obj.props}
        if obj.kind == "group":
            entry["members"] = links.get((obj.id, "members"), [])
            entry["owners"] = links.get((obj.id, "owners"), [])
        elif obj.kind == "administrativeUnit":
            entry["members"] = links.get((obj.id, "members"), [])
        out[_COLLECTION_OF[obj.kind]].append(entry)
    out["apps"] = [{"client_id": a["client_id"], "object_id": a["object_id"], "display_name": a.get("display_name"),
                    "roles": a.get("roles", [])} for a in store.list_principals("app")]
    out["managed_identities"] = [{"client_id": m["client_id"], "object_id": m["object_id"],
                                  "system_assigned": m.get("system_assigned", False), "roles": m.get("roles", [])}
                                 for m in store.list_principals("mi")]
    out["roleAssignments"] = sorted(roles.assignments(store), key=lambda a: a["id"])  # Entra roles (roles.py)
    return out


def handle(emulator, req: Request, segs: list[str]) -> Response:
    """One admin call. A document is checked whole before anything changes (admin_docs.py): a
    refusal answers 400 naming what is wrong and leaves the emulator as it was."""
    if not _is_loopback(req.client_ip):
        return _error(403, "the admin API answers loopback clients only")
    try:
        return _handle(emulator, req, segs)
    except (ValueError, TypeError) as exc:  # bad JSON, bad seed, bad fault values
        return _error(400, str(exc))
    except Exception as exc:  # noqa: BLE001 - an answer, never a closed connection
        return _error(500, f"the emulator failed on this admin call: {type(exc).__name__}: {exc}")


def _handle(emulator, req: Request, segs: list[str]) -> Response:
    name = segs[0] if segs else ""
    method = req.method
    if name == "health" and method == "GET":
        return Response.json(200, {"status": "ok", "tenant_id": emulator.store.get_meta("tenant_id"),
                                   "uptime_s": round(time.time() - emulator.started, 3)})
    if name == "reset" and method == "POST":
        admin_docs.check_reset(admin_docs.parse(req.body))
        emulator.store.reset()
        return Response.json(200, {"status": "ok"})
    if name == "seed" and method == "POST":
        return Response.json(200, seed.apply(emulator.store, admin_docs.parse(req.body)))
    if name == "directory" and method == "GET":
        return Response.json(200, directory(emulator))
    if name == "requests" and method == "GET":
        return Response.json(200, emulator.log.entries())
    if name == "requests" and method == "DELETE":
        emulator.log.clear()
        return Response.json(200, {"status": "ok"})
    if name == "faults" and method == "GET":
        return Response.json(200, emulator.faults.current())
    if name == "ui" and method == "GET":
        return page.serve(segs[1:])
    if name == "live" and method == "GET":
        since = int(req.query.get("since") or 0)
        return Response.json(200, live.snapshot(emulator, since, req.query.get("directory")))
    if name == "faults" and method == "PUT":
        settings = emulator.faults.configure(admin_docs.parse(req.body))
        emulator.quota.configure(settings)  # a PUT also refills the quota's buckets
        return Response.json(200, settings)
    return _error(404, f"no admin call {method} /_emulator/{'/'.join(segs)}")
