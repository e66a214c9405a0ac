"""The directory model on SQLite: objects, links (memberships and ownerships), apps, metadata.

One connection guarded by one re-entrant lock. Every Graph request runs its checks and its writes
inside ``store.tx()``, which holds the lock for the whole check-then-write, so concurrent writers
can neither lose nor double an update. Handlers take well under a millisecond, so the lock is not
a bottleneck. ``:memory:`` is the default; a file path persists across restarts (WAL journal).

Tables
- ``objects(id, kind, props, created_at, via_graph)``: kind is one of ``user``, ``group``,
  ``device``, ``servicePrincipal``, ``orgContact``, ``administrativeUnit``; ``props`` is the JSON of
  the Graph properties (without ``id``); ``via_graph`` marks objects created through Graph, which
  replication lag hides for a while (docs/graph-behaviour.md §5).
- ``links(container, rel, member, added_at, removed_at)``: ``rel`` is ``members`` or ``owners``;
  the container is a group or an administrative unit. Removal stamps ``removed_at`` instead of
  deleting while replication lag is on, so a list can show the state "as of now minus the lag".
  A partial unique index allows one live row per (container, rel, member).
- ``principals(client_id, kind, doc)``: apps (``kind='app'``) and managed identities (``'mi'``).
  They survive ``reset()``.
- ``meta(key, value)``: tenant id, domain, signing keys, GitHub settings.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

KINDS = ("user", "group", "device", "servicePrincipal", "orgContact", "administrativeUnit")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    props TEXT NOT NULL,
    created_at REAL NOT NULL,
    via_graph INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS objects_kind ON objects(kind, id);
CREATE TABLE IF NOT EXISTS links (
    container TEXT NOT NULL,
    rel TEXT NOT NULL,
    member TEXT NOT NULL,
    added_at REAL NOT NULL,
    removed_at REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS links_live ON links(container, rel, member) WHERE removed_at IS NULL;
CREATE INDEX IF NOT EXISTS links_container ON links(container, rel, member);
CREATE INDEX IF NOT EXISTS links_member ON links(member, rel, container);
CREATE TABLE IF NOT EXISTS principals (
    client_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    doc TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(slots=True, eq=False)
class Obj:
    """A directory object. ``props`` is parsed from JSON on first use: a ``$select=id`` page of
    999 members then never pays for parsing properties it does not return."""

    id: str
    kind: str
    _raw: str
    created_at: float
    via_graph: bool
    _props: dict | None = None

    @property
    def props(self) -> dict:
        if self._props is None:
            self._props = json.loads(self._raw)
        return self._props


def _row_obj(row) -> Obj:
    return Obj(row[0], row[1], row[2], row[3], bool(row[4]))


def _visible_at(alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return f"{p}added_at <= :at AND ({p}removed_at IS NULL OR {p}removed_at > :at)"


class Store:
    """The directory. All public methods are thread-safe; group them with ``tx()`` for atomicity."""

    def __init__(self, path: str = ":memory:"):
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    # --- transactions ---------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator["Store"]:
        """Hold the lock and one SQLite transaction; roll back on any exception."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if outer:
                    self._db.execute("COMMIT")

    def _q(self, sql: str, params=()) -> list:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _x(self, sql: str, params=()) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- metadata -------------------------------------------------------------------------------
    def get_meta(self, key: str, default=None):
        rows = self._q("SELECT value FROM meta WHERE key=?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_meta(self, key: str, value) -> None:
        self._x("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, json.dumps(value)))

    # --- principals (apps, managed identities) --------------------------------------------------
    def put_principal(self, kind: str, doc: dict) -> None:
        with self.tx():
            seq = self._q("SELECT COALESCE(MAX(seq), 0) + 1 FROM principals")[0][0]
            existing = self._q("SELECT seq FROM principals WHERE client_id=?", (doc["client_id"].lower(),))
            if existing:
                seq = existing[0][0]
            self._x("INSERT OR REPLACE INTO principals(client_id, kind, doc, seq) VALUES(?, ?, ?, ?)",
                    (doc["client_id"].lower(), kind, json.dumps(doc), seq))

    def get_principal(self, client_id: str, kind: str | None = None) -> dict | None:
        rows = self._q("SELECT kind, doc FROM principals WHERE client_id=?", ((client_id or "").lower(),))
        if not rows or (kind and rows[0][0] != kind):
            return None
        return json.loads(rows[0][1])

    def list_principals(self, kind: str) -> list[dict]:
        return [json.loads(r[0]) for r in self._q("SELECT doc FROM principals WHERE kind=? ORDER BY seq", (kind,))]

    def delete_principal(self, client_id: str) -> None:
        self._x("DELETE FROM principals WHERE client_id=?", (client_id.lower(),))

    def clear_principals(self) -> None:
        self._x("DELETE FROM principals")

    # --- objects --------------------------------------------------------------------------------
    def put_object(self, kind: str, props: dict, obj_id: str | None = None, *, via_graph: bool = False,
                   created_at: float | None = None) -> str:
        obj_id = (obj_id or str(uuid.uuid4())).lower()
        props = {k: v for k, v in props.items() if k != "id"}
        self._x("INSERT OR REPLACE INTO objects(id, kind, props, created_at, via_graph) VALUES(?, ?, ?, ?, ?)",
                (obj_id, kind, json.dumps(props), created_at or time.time(), int(via_graph)))
        return obj_id

    def get_object(self, obj_id: str) -> Obj | None:
        rows = self._q("SELECT id, kind, props, created_at, via_graph FROM objects WHERE id=?", (obj_id.lower(),))
        return _row_obj(rows[0]) if rows else None

    def get_objects(self, ids: Iterable[str]) -> dict[str, Obj]:
        ids = [i.lower() for i in ids]
        out: dict[str, Obj] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._q(f"SELECT id, kind, props, created_at, via_graph FROM objects WHERE id IN ({marks})", chunk):
                out[row[0]] = _row_obj(row)
        return out

    def update_props(self, obj_id: str, props: dict) -> None:
        self._x("UPDATE objects SET props=? WHERE id=?", (json.dumps(props), obj_id.lower()))

    def delete_object(self, obj_id: str) -> bool:
        with self.tx():
            self._x("DELETE FROM links WHERE container=? OR member=?", (obj_id, obj_id))
            return self._x("DELETE FROM objects WHERE id=?", (obj_id,)) > 0

    def list_objects(self, kind: str | None = None) -> list[Obj]:
        if kind:
            rows = self._q("SELECT id, kind, props, created_at, via_graph FROM objects WHERE kind=? ORDER BY id", (kind,))
        else:
            rows = self._q("SELECT id, kind, props, created_at, via_graph FROM objects ORDER BY id")
        return [_row_obj(r) for r in rows]

    def count_objects(self, kind: str) -> int:
        return self._q("SELECT COUNT(*) FROM objects WHERE kind=?", (kind,))[0][0]

    # --- links ----------------------------------------------------------------------------------
    def is_linked(self, container: str, rel: str, member: str) -> bool:
        return bool(self._q("SELECT 1 FROM links WHERE container=? AND rel=? AND member=? AND removed_at IS NULL",
                            (container, rel, member)))

    def add_link(self, container: str, rel: str, member: str, now: float | None = None) -> bool:
        """Add a live link; False when it already exists (never doubled: unique partial index)."""
        try:
            self._x("INSERT INTO links(container, rel, member, added_at) VALUES(?, ?, ?, ?)",
                    (container, rel, member, now or time.time()))
            return True
        except sqlite3.IntegrityError:
            return False

    def remove_link(self, container: str, rel: str, member: str, now: float | None = None,
                    keep_history: bool = False) -> bool:
        """Remove a live link; False when there is none. ``keep_history`` keeps a removed row for lag."""
        if keep_history:
            n = self._x("UPDATE links SET removed_at=? WHERE container=? AND rel=? AND member=? AND removed_at IS NULL",
                        (now or time.time(), container, rel, member))
        else:
            n = self._x("DELETE FROM links WHERE container=? AND rel=? AND member=? AND removed_at IS NULL",
                        (container, rel, member))
        return n > 0

    def removed_since(self, container: str, rel: str, member: str, since: float) -> bool:
        """Whether the link was removed after ``since`` (the lag window)."""
        return bool(self._q("SELECT 1 FROM links WHERE container=? AND rel=? AND member=? AND removed_at > ?",
                            (container, rel, member, since)))

    def purge_history(self, before: float) -> None:
        self._x("DELETE FROM links WHERE removed_at IS NOT NULL AND removed_at < ?", (before,))

    def live_link_count(self, container: str, rel: str) -> int:
        return self._q("SELECT COUNT(*) FROM links WHERE container=? AND rel=? AND removed_at IS NULL",
                       (container, rel))[0][0]

    def _ids(self, by: str, wanted: str, value: str, rel: str, at: float | None) -> list[str]:
        """The ``wanted`` column of the live links (as of ``at``, default now) whose ``by`` is ``value``."""
        live = "removed_at IS NULL" if at is None else _visible_at()
        return [r[0] for r in self._q(f"SELECT {wanted} FROM links WHERE {by}=:v AND rel=:r AND {live} ORDER BY {wanted}",
                                      {"v": value, "r": rel, "at": at})]

    def linked_ids(self, container: str, rel: str, at: float | None = None) -> list[str]:
        """Member ids of a container (as of ``at``, default now), sorted."""
        return self._ids("container", "member", container, rel, at)

    def container_ids(self, member: str, rel: str, at: float | None = None) -> list[str]:
        """Containers (groups and AUs) that hold ``member`` (as of ``at``), sorted."""
        return self._ids("member", "container", member, rel, at)

    def page_links(self, container: str, rel: str, at: float, after: str, limit: int,
                   kinds: tuple[str, ...] | None = None) -> list[Obj]:
        """One page of a container's members as objects, keyset-paged by id (stable under writes)."""
        sql = (f"SELECT o.id, o.kind, o.props, o.created_at, o.via_graph FROM links l JOIN objects o ON o.id = l.member "
               f"WHERE l.container=:c AND l.rel=:r AND {_visible_at('l')} AND l.member > :after")
        params = {"c": container, "r": rel, "at": at, "after": after, "limit": limit}
        if kinds:
            sql += " AND o.kind IN (" + ",".join(f":k{i}" for i in range(len(kinds))) + ")"
            params.update({f"k{i}": k for i, k in enumerate(kinds)})
        sql += " ORDER BY l.member LIMIT :limit"
        return [_row_obj(r) for r in self._q(sql, params)]

    def count_links(self, container: str, rel: str, at: float, kinds: tuple[str, ...] | None = None) -> int:
        sql = (f"SELECT COUNT(*) FROM links l JOIN objects o ON o.id = l.member "
               f"WHERE l.container=:c AND l.rel=:r AND {_visible_at('l')}")
        params = {"c": container, "r": rel, "at": at}
        if kinds:
            sql += " AND o.kind IN (" + ",".join(f":k{i}" for i in range(len(kinds))) + ")"
            params.update({f"k{i}": k for i, k in enumerate(kinds)})
        return self._q(sql, params)[0][0]

    # --- whole-directory operations -------------------------------------------------------------
    def reset(self) -> None:
        """Empty the directory; apps, managed identities and metadata stay."""
        with self.tx():
            self._x("DELETE FROM links")
            self._x("DELETE FROM objects")
            # Users' passwords and role assignments belong to the directory's objects (usersignin.py, roles.py).
            self._x("DELETE FROM meta WHERE key IN ('passwords', 'role_assignments')")

    def all_live_links(self) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in self._q(
            "SELECT container, rel, member FROM links WHERE removed_at IS NULL ORDER BY container, rel, member")]
