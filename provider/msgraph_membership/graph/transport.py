"""HTTPS to Graph: bearer tokens, bounded concurrency, retries that honour Retry-After, paging,
and JSON batching. Knows nothing of memberships or of Pulumi.

Retries (docs/graph-behaviour.md §4), through the one retry helper (retry.py): 429, 503 and 504
are retried after `Retry-After` (delta-seconds or an HTTP-date), else after an exponential
backoff with jitter. A 401 is retried once with a fresh token. Every exception `requests`
raises is sorted by `failure_fate` (session.py): never sent (retried),
maybe applied (retried when the call is safe to repeat, else AmbiguousWrite), or not transient
(a ConfigurationError). Every other answer is classified once (errors.classify). Nothing but a
GraphError leaves this module.
"""
from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from . import pacer as pacing
from .coalesce import Coalescer
from .errors import (TLS_SETTING, AmbiguousWrite, AuthenticationError, ConfigurationError, GraphError, Throttled,
                     Unauthorized, Unavailable, classify, connection_failure, name_not_resolved, tls_failure)
from .retry import retry
from .session import MAYBE_APPLIED, NEVER_SENT, NOT_TRANSIENT, failure_fate, new_session

log = logging.getLogger("msgraph_membership.graph")

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
CALL_FAILED = "x-msgraph-membership-batch-call-failed"  # marks items of a $batch call that failed whole
MIN_RETRY_DELAY_S = 0.2  # even after "Retry-After: 0": usage keeps accruing while throttled
BATCH_LIMIT = 20  # docs/graph-behaviour.md §4.3

T = TypeVar("T")
R = TypeVar("R")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class RetryPolicy:
    max_attempts: int = 10
    base_delay_s: float = 0.5
    max_delay_s: float = 60.0
    # A bound on the total time spent waiting for one call, so an apply never hangs for ever.
    max_total_wait_s: float = 600.0

    def backoff(self, attempt: int) -> float:
        d = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return d * (0.5 + random.random() / 2)


@dataclass
class Response:
    """A Graph answer: HTTP headers are matched whatever their case (RFC 9110 §5.1), so
    `headers["Retry-After"]` finds a `retry-after` too. `error` is set on a `$batch` item that
    got no HTTP answer because its whole call failed: the typed error, kept as it was raised."""

    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON, text, or None
    error: GraphError | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.headers, CaseInsensitiveDict):
            self.headers = CaseInsensitiveDict(self.headers or {})

    def json(self) -> Any:
        return self.body


@dataclass(eq=False)
class BatchRequest:
    """One request inside a `$batch`. `url` is relative to the version root: /groups/{id}/...
    Equal only to itself: concurrent callers' items may share an id, never an identity."""

    id: str
    method: str
    url: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class GraphTransport:
    """One per identity per process; shared by every resource and thread."""

    def __init__(self, graph_url: str, credential, *, session: requests.Session | None = None,
                 verify: str | bool = True, max_concurrency: int = 8,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 tls_setting: str = TLS_SETTING, tls_in_use: str | None = None,
                 endpoint_setting: str = "msgraph:graphEndpoint or MSGRAPH_ENDPOINT (else msgraph:environment)",
                 pacer: pacing.Pacer | None = None):
        self.graph_url = graph_url.rstrip("/")
        self.tls_setting = tls_setting  # where users add trust, named in TLS errors
        self.tls_in_use = tls_in_use  # the extra CA bundle in use and its source, if any
        self.endpoint_setting = endpoint_setting  # what chose the Graph host, named in host errors
        self.credential = credential
        self.session = session or new_session(verify, pool_size=max_concurrency * 2)
        self.verify = verify
        self.retry = retry or RetryPolicy()
        self.max_concurrency = max_concurrency
        self._limiter = threading.BoundedSemaphore(max_concurrency)
        self._sleep = sleep
        self.pacer = pacer or pacing.shared()  # writes wait their turn under Graph's write quota (pacer.py)
        self.stats = {"requests": 0, "retries": 0}
        self._stats_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None  # one per transport, made on first use
        self._pool_lock = threading.Lock()
        # Concurrent callers' `$batch` items share calls: small soak 1.42x faulted/fault-free requests, 1.56x without.
        self._shared = Coalescer(self._send_round)

    # -- single requests ---------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith("https://") or path.startswith("http://") else self.graph_url + path

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                headers: dict | None = None, idempotent: bool = True) -> Response:
        """Send one Graph request with retries; return a 2xx Response or raise a GraphError.

        `idempotent=False` (creating an object): a request that may have reached Graph is never
        sent again; losing its answer raises AmbiguousWrite for the caller to look first."""
        url = self.url(path)
        tries = 0
        refreshed = False

        def attempt(n: int) -> tuple[Response | requests.RequestException, float | None]:
            nonlocal tries, refreshed
            tries = n
            try:
                resp = self._send(method, url, self.credential.get_token(), json=json, params=params, headers=headers)
            except requests.RequestException as e:
                fate = failure_fate(e)
                if fate == NOT_TRANSIENT:
                    raise self._not_transient(e, method, url) from None
                if not idempotent and fate == MAYBE_APPLIED:
                    raise AmbiguousWrite(f"{method} {url}: the exchange failed after the request was sent "
                                         f"({type(e).__name__}); it may have been applied",
                                         method=method, url=url) from None
                return e, self.retry.backoff(n)
            if resp.status == 401 and not refreshed:
                # An expired or revoked token: get a new one once, then let the error surface.
                refreshed = True
                self.credential.get_token(force_refresh=True)
                return attempt(n)
            if resp.status not in RETRYABLE_STATUS:
                return resp, None
            if not idempotent and resp.status in (502, 504):
                # A gateway timeout does not say whether Graph applied the write.
                raise AmbiguousWrite(f"{method} {url}: {resp.status} from a gateway; the write may have "
                                     "been applied", status=resp.status, method=method, url=url)
            wait = parse_retry_after(resp.headers.get("Retry-After"))  # any case: CaseInsensitiveDict
            if pacing.over_write_quota(resp.status, resp.headers):
                self.pacer.throttled(wait)
            # Never straight back (docs/graph-behaviour.md §4.1).
            return resp, max(self.retry.backoff(n) if wait is None else wait, MIN_RETRY_DELAY_S)

        def say(out: Response | requests.RequestException, wait: float) -> None:
            what = f" -> {out.status}" if isinstance(out, Response) else f": connection failed ({type(out).__name__})"
            log.info("%s %s%s; retry %d in %.1fs", method, _short(url), what, tries, wait)
            self._count_retry()

        out = retry(attempt, total_s=self.retry.max_total_wait_s, tries=self.retry.max_attempts,
                    sleep=self._sleep, say=say)
        if isinstance(out, requests.RequestException):
            why = (connection_failure(_origin(url), self.endpoint_setting, out) if failure_fate(out) == NEVER_SENT
                   else f"the exchange failed ({type(out).__name__})")
            raise Unavailable(f"{method} {url}: {why}, {tries} attempts", method=method, url=url)
        if out.status < 300:
            return out
        raise classify(out.status, out.body, method=method, url=url, request_id=out.headers.get("request-id"))

    def _send(self, method: str, url: str, token: str, *, json=None, params=None, headers=None) -> Response:
        h = {"Authorization": f"Bearer {token}", "client-request-id": str(uuid.uuid4()),
             "Accept": "application/json"}
        if headers:
            h.update(headers)
        self.pacer.acquire(pacing.call_writes(method, url, json))
        t0 = time.perf_counter()
        with self._limiter:
            r = self.session.request(method, url, json=json, params=params, headers=h,
                                     verify=self.verify, timeout=(10, 120))
        with self._stats_lock:
            self.stats["requests"] += 1
        log.debug("%s %s -> %d in %.0f ms", method, _short(url), r.status_code, (time.perf_counter() - t0) * 1000)
        body: Any = None
        if r.content:
            ctype = r.headers.get("Content-Type", "")
            if "json" in ctype:
                try:
                    body = r.json()
                except ValueError:
                    body = r.text
            else:
                body = r.text
        return Response(r.status_code, CaseInsensitiveDict(r.headers), body)

    def _count_retry(self) -> None:
        with self._stats_lock:
            self.stats["retries"] += 1

    def _not_transient(self, e: requests.RequestException, method: str, url: str) -> GraphError:
        """The typed error of a failure that retrying cannot heal."""
        if isinstance(e, requests.exceptions.SSLError):
            why = tls_failure(self.graph_url, self.tls_setting, e, self.tls_in_use, self.endpoint_setting)
        elif name_not_resolved(e):
            why = connection_failure(_origin(url), self.endpoint_setting, e)
        else:
            why = (f"{method} {url}: {type(e).__name__}: the request cannot be sent as configured "
                   f"({self.endpoint_setting})")
        return ConfigurationError(why, method=method, url=url)

    # -- collections -------------------------------------------------------------------------

    def pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        """Every item of a collection, following the absolute @odata.nextLink verbatim."""
        resp = self.request("GET", path, params=params)
        while True:
            body = resp.body or {}
            yield from body.get("value", [])
            nxt = body.get("@odata.nextLink")
            if not nxt:
                return
            resp = self.request("GET", nxt)

    # -- JSON batching -----------------------------------------------------------------------

    def batch(self, items: Sequence[BatchRequest]) -> dict[str, Response]:
        """Run requests through `$batch`, 20 per call, several calls at once (bounded).

        Runs in rounds: items answered 429/503/504 (each with its own Retry-After) are sent again
        together after the longest Retry-After among them. Items from concurrent `batch` calls
        (other resources working at the same moment) share `$batch` calls, so retries cost as
        few calls as the failures need. Every other answer is returned as is: batches are not
        atomic, callers classify per item.
        """
        ids = [it.id for it in items]
        if len(set(ids)) != len(ids):
            raise ValueError("batch request ids must be unique")
        if not ids:
            return {}
        done: dict[str, Response] = {}
        pending = list(items)

        def attempt(n: int) -> tuple[list[BatchRequest], float | None]:
            nonlocal pending
            answers = self._shared(pending)
            sent, pending, waits, quota_waits = pending, [], [], []
            for it in sent:
                resp = answers.get(it)
                if resp is None:  # the server never answered this item: retry it
                    pending.append(it)
                    continue
                done[it.id] = resp  # a retryable answer stands if the retries run out
                if resp.status in RETRYABLE_STATUS and CALL_FAILED not in resp.headers:
                    pending.append(it)
                    ra = parse_retry_after(_header(resp.headers, "Retry-After"))
                    if ra is not None:
                        waits.append(ra)
                    if pacing.over_write_quota(resp.status, resp.headers):
                        quota_waits.append(ra or 0.0)
            if quota_waits:  # once per round: the pacer learns how far over this process was
                self.pacer.throttled(max(quota_waits) or None)
            # The longest Retry-After among them, never straight back (docs/graph-behaviour.md §4.1).
            return pending, max(max(waits) if waits else self.retry.backoff(n), MIN_RETRY_DELAY_S) if pending else None

        def say(retrying: list[BatchRequest], wait: float) -> None:
            log.info("$batch: %d of %d items throttled or unavailable; retry in %.1fs", len(retrying), len(items), wait)
            self._count_retry()

        retry(attempt, total_s=self.retry.max_total_wait_s, tries=self.retry.max_attempts, sleep=self._sleep, say=say)
        for it in pending:
            done.setdefault(it.id, Response(503, {}, {"error": {
                "code": "NoResponse", "message": "no answer in the batch response"}}))
        return done

    def _send_round(self, items: list[BatchRequest]) -> dict[BatchRequest, Response]:
        """One round of `$batch` calls for the items of every concurrent caller. Callers number
        their items independently: they are renumbered only when two of them collide."""
        names = [it.id for it in items]
        by_name = dict(zip(names if len(set(names)) == len(names) else map(str, range(len(items))), items))
        named = list(by_name.items())
        out: dict[BatchRequest, Response] = {}
        for part in self.map_bounded(self._batch_call, [named[i:i + BATCH_LIMIT]
                                                        for i in range(0, len(named), BATCH_LIMIT)]):
            out.update((by_name[name], resp) for name, resp in part.items())
        return out

    def _batch_call(self, chunk: list[tuple[str, BatchRequest]]) -> dict[str, Response]:
        """One `$batch` call of (id, item) pairs: the answers by id; unanswered ids are absent. A call that failed as
        a whole answers each of its items with the call's typed error (`Response.error`), so
        `raise_for_item` raises it as it was: a 403 stays a 403, a lost connection stays
        Unavailable. A failure to sign in or to trust Graph's certificate is the
        configuration's, not the items': it is raised, naming the setting."""
        try:
            resp = self.request("POST", "/$batch", json={"requests": [_batch_item(name, it) for name, it in chunk]})
        except (AuthenticationError, ConfigurationError):
            raise
        except GraphError as e:
            status = e.status if e.status and e.status >= 400 else 503
            body = {"error": {"code": e.code or "BatchFailed", "message": e.graph_message or str(e)}}
            # The call already used its own retries: its items are final, not retried again.
            return {name: Response(status, {CALL_FAILED: "1"}, body, error=e) for name, _ in chunk}
        wanted = {name for name, _ in chunk}
        answered: dict[str, Response] = {}
        for r in (resp.body or {}).get("responses", []):
            name = str(r.get("id"))
            if name in wanted and name not in answered:
                headers = {str(k): str(v) for k, v in (r.get("headers") or {}).items()}
                answered[name] = Response(int(r.get("status", 0)), headers, r.get("body"))
        return answered

    # -- bounded parallelism -----------------------------------------------------------------

    def map_bounded(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`fn` over items on this transport's one thread pool, results in input order. The
        caller runs every item no worker has started yet, so a `map_bounded` inside another
        (a `$batch` inside a chunk of adds) never waits for a worker that is itself waiting.
        The first exception is raised after every started call has finished."""
        items = list(items)
        if len(items) <= 1:
            return [fn(i) for i in items]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="graph")
        futures = [self._pool.submit(fn, i) for i in items]
        out: list[R] = []
        first_error: BaseException | None = None
        for item, f in zip(items, futures):
            try:
                out.append(fn(item) if f.cancel() else f.result())
            except BaseException as e:  # noqa: BLE001 - re-raised below
                first_error = first_error or e
        if first_error is not None:
            raise first_error
        return out


def _batch_item(name: str, it: BatchRequest) -> dict:
    d: dict[str, Any] = {"id": name, "method": it.method, "url": it.url}
    if it.body is not None:
        d["body"] = it.body
        d["headers"] = {"Content-Type": "application/json", **it.headers}
    elif it.headers:
        d["headers"] = dict(it.headers)
    return d


def _header(headers: dict[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL: the host a connection failure is about."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def _short(url: str) -> str:
    return url.split("?", 1)[0]


def raise_for_item(resp: Response, method: str, url: str) -> None:
    """Raise the typed error of a failed `$batch` item."""
    if resp.error is not None:
        raise resp.error
    if resp.status >= 300:
        raise classify(resp.status, resp.body, method=method, url=url,
                       request_id=_header(resp.headers, "request-id"))


__all__ = ["GraphTransport", "BatchRequest", "Response", "RetryPolicy", "new_session", "failure_fate",
           "parse_retry_after", "raise_for_item", "GraphError", "Throttled", "Unauthorized"]
