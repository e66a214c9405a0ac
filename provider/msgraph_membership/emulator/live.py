"""What the emulator's page shows, as one JSON document it polls: ``GET /_emulator/live``.

Query: ``since`` (the last request-log ``seq`` the page has; default 0) and ``directory`` (the
``directory_etag`` of the directory the page has; the directory is left out while it matches).

    {"tenant_id": "...", "domain": "contoso.test",
     "directory_etag": "3f2a...",
     "directory": {"groups": [{"id", "displayName", "kind", "members": [{"id", "type", "name"}]}],
                   "administrativeUnits": [{"id", "displayName", "members": [...]}],
                   "counts": {"users": 300, "groups": 1, ...}},   # absent when unchanged
     "requests": [entry, ...],        # the log entries after ``since`` (requestlog.py), oldest first
     "last_seq": 412,                 # the ``since`` of the next poll
     "faults": {...}}                 # the fault settings in force (faults.py)

Read-only, and it reads the true directory (no replication lag), like ``GET /_emulator/directory``.
"""

from __future__ import annotations

import hashlib
import json

MAX_REQUESTS = 1000  # per answer: a page opened late shows the newest entries, not all 200 000

_TYPES = {"user": "user", "group": "group", "device": "device", "servicePrincipal": "servicePrincipal",
          "orgContact": "orgContact", "administrativeUnit": "administrativeUnit"}
_COLLECTIONS = {"user": "users", "group": "groups", "device": "devices", "servicePrincipal": "servicePrincipals",
                "orgContact": "orgContacts", "administrativeUnit": "administrativeUnits"}


def group_kind(props: dict) -> str:
    """A short label for the kind of group, as the Entra admin center names them."""
    if props.get("membershipRule"):
        return "dynamic"
    if "Unified" in (props.get("groupTypes") or []):
        return "Microsoft 365"
    if props.get("mailEnabled"):
        return "mail-enabled security" if props.get("securityEnabled") else "distribution"
    return "security"


def _name(obj) -> str:
    props = obj.props
    return props.get("displayName") or props.get("userPrincipalName") or obj.id


def directory_view(store) -> dict:
    """Groups and administrative units with their members (type, name, id), and object counts."""
    objects = {o.id: o for o in store.list_objects()}
    members: dict[str, list[str]] = {}
    for container, rel, member in store.all_live_links():
        if rel == "members":
            members.setdefault(container, []).append(member)

    def resolved(container_id: str) -> list[dict]:
        out = []
        for mid in members.get(container_id, []):
            obj = objects.get(mid)
            out.append({"id": mid, "type": _TYPES.get(obj.kind, obj.kind) if obj else "unknown",
                        "name": _name(obj) if obj else mid})
        out.sort(key=lambda m: (m["type"], m["name"].lower(), m["id"]))
        return out

    view: dict = {"groups": [], "administrativeUnits": [], "counts": {}}
    for obj in objects.values():
        collection = _COLLECTIONS.get(obj.kind, obj.kind)
        view["counts"][collection] = view["counts"].get(collection, 0) + 1
        if obj.kind == "group":
            view["groups"].append({"id": obj.id, "displayName": _name(obj), "kind": group_kind(obj.props),
                                   "members": resolved(obj.id)})
        elif obj.kind == "administrativeUnit":
            view["administrativeUnits"].append({"id": obj.id, "displayName": _name(obj),
                                                "members": resolved(obj.id)})
    for key in ("groups", "administrativeUnits"):
        view[key].sort(key=lambda c: (c["displayName"].lower(), c["id"]))
    return view


def snapshot(emulator, since: int = 0, directory_etag: str | None = None) -> dict:
    """The page's document (module docstring)."""
    store = emulator.store
    view = directory_view(store)
    etag = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()[:16]
    requests = emulator.log.since(since, MAX_REQUESTS)
    doc = {"tenant_id": store.get_meta("tenant_id"), "domain": store.get_meta("domain"),
           "directory_etag": etag,
           "requests": requests,
           "last_seq": requests[-1]["seq"] if requests else since,
           "faults": emulator.faults.current()}
    if etag != directory_etag:
        doc["directory"] = view
    return doc
