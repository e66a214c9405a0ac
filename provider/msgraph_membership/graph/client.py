"""Membership operations on Graph: what providers call. Providers speak in memberships; the
client knows chunking by 20, `$batch`, paging, replication lag and error classification.

One `GraphClient` per identity per process (`client_for`), shared by every resource and thread:
one token cache, one connection pool, one thread pool, one limit on concurrent calls, one
short-lived listing per container shared by reads and kept current by writes.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from . import errors as E
from .delegated import add_person_note
from .directory import GET_BY_IDS_LIMIT, Directory
from .hints import add_host_hint
from .known import Known
from .listings import PAGE_SIZE, ConsistencyPolicy, Listings
from .settings import GraphSettings
from .staleness import stale_note
from .transport import GraphTransport, Response, new_session
from .writes import BIND_LIMIT, WriteReport, Writes

log = logging.getLogger("msgraph_membership.graph")

__all__ = ["GraphClient", "ConsistencyPolicy", "WriteReport", "client_for", "BIND_LIMIT", "GET_BY_IDS_LIMIT",
           "PAGE_SIZE"]


class GraphClient(Directory, Listings, Writes):
    """Microsoft Graph as the membership resources need it, in three parts sharing one
    transport (`t`), one record of what is known of objects (`known`) and one
    `ConsistencyPolicy`: directory objects (directory.py), listings and the journal of our
    own writes (listings.py), and membership writes (writes.py)."""

    def __init__(self, settings: GraphSettings, transport: GraphTransport | None = None,
                 consistency: ConsistencyPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_concurrency: int = 8):
        self.settings = settings
        self.consistency = consistency or ConsistencyPolicy(absent_recheck_s=settings.recheck_missing_s)
        # Where one-line notices for the user go (the resources point it at Pulumi's log).
        self.notice: Callable[[str], None] = log.info
        self._sleep = sleep
        if transport is None:
            session = new_session(settings.verify, pool_size=max_concurrency * 2)
            transport = _HintedTransport(settings, settings.graph_url, _LazyCredential(settings, session),
                                         session=session, verify=settings.verify,
                                         max_concurrency=max_concurrency, sleep=sleep,
                                         tls_in_use=settings.ca_in_use, endpoint_setting=settings.graph_host_setting)
        self.t = transport
        self.known = Known()  # types, kinds and properties of objects, under one lock
        self._init_directory()
        self._init_listings()
        self._init_writes()


class _HintedTransport(GraphTransport):
    """The Graph transport; a sign-in or connection failure that a mix of emulator and public
    cloud hosts explains also says which host setting to set (hints.py), and a 403 to a person
    signed in names them (delegated.py)."""

    def __init__(self, settings: GraphSettings, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._settings = settings

    def request(self, *args, **kwargs) -> Response:
        try:
            return super().request(*args, **kwargs)
        except E.GraphError as e:
            add_host_hint(e, self._settings)
            if isinstance(e, E.Forbidden):  # a person signed in: say who, and what Graph judged
                add_person_note(e, self.credential.get_token())
            raise


class _LazyCredential:
    """Builds the credential on first use: auth.py, and azure-identity with it, load only when a token
    is needed."""

    def __init__(self, settings: GraphSettings, session):
        self._settings = settings
        self._session = session
        self._cred = None
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return self._cred.description if self._cred else "credential (not built yet)"

    def get_token(self, *, force_refresh: bool = False) -> str:
        """A token; a failed sign-in says which host setting to set when the hosts are mixed up
        (hints.py), whichever call needed the token first (a Graph call, or reading its claims)."""
        try:
            with self._lock:
                if self._cred is None:
                    from .auth import credential_for

                    self._cred = credential_for(self._settings, self._session)
            return self._cred.get_token(force_refresh=force_refresh)
        except E.GraphError as e:
            add_host_hint(e, self._settings)
            if isinstance(e, E.AuthenticationError) and (note := stale_note(self._settings)):
                e.args = (f"{e.args[0]}\n{note}" if e.args else note, *e.args[1:])
            raise


_CLIENTS: dict[tuple, GraphClient] = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(settings: GraphSettings) -> GraphClient:
    """The process-wide client for this identity."""
    key = settings.identity_key()
    with _CLIENTS_LOCK:
        c = _CLIENTS.get(key)
        if c is None:
            c = _CLIENTS[key] = GraphClient(settings)
        return c
