"""The emulator as a function from ``Request`` to ``Response``, independent of the HTTP server.

Dispatch by the first path segment:
- ``/v1.0/...``, ``/beta/...``: Graph (faults, then the bearer token, then ``GraphApi``)
- ``/{tenant}/v2.0/...``, ``/{tenant}/oauth2/...``, ``/{tenant}/discovery/...`` and
  ``/_emulator/{oidc,github,msi}/...``: the identity platform (``Identity``)
- ``/_emulator/...``: the admin API (``admin.py``), loopback only
- ``/favicon.ico``: 204, unlogged (browsers ask for it beside the page, ``page.py``)
- ``/metadata/endpoints``: the custom-cloud metadata (``cloudmeta.py``)
- ``/tenants``, ``/subscriptions``: what ``az login`` reads of the resource manager (``arm.py``)

Every Graph response carries ``request-id`` and ``client-request-id`` (docs/graph-behaviour.md §0).
"""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import parse_qsl

import jwt

from . import admin, arm, batch, cloudmeta, errors, page
from .errors import GraphError
from .faults import Faults
from .quota import Quota, request_cost
from .responses import Call
from .routes import GraphApi
from .identity import Identity
from .requestlog import RequestLog
from .store import Store
from .tokens import TokenService
from .wire import Request, Response

_SLASHES = re.compile(r"/{2,}")
VERSIONS = ("v1.0", "beta")


def normalise_path(path: str) -> str:
    """Collapse ``//`` (MSAL builds ``…/tid//v2.0/…`` from an authority with a trailing slash, docs/graph-behaviour.md §7.2)."""
    path = _SLASHES.sub("/", path or "/")
    return path if path.startswith("/") else "/" + path


def _token_request_client(req: Request) -> str | None:
    """The ``client_id`` of a token request (form body, or the query of a managed identity's)."""
    found = req.query.get("client_id")
    if not found and req.body and b"client_id=" in req.body:
        found = dict(parse_qsl(req.body.decode("utf-8", "replace"))).get("client_id")
    return found or None


def _unverified_appid(req: Request) -> str | None:
    """The caller's app id for throttling headers; throttling happens before the token is checked."""
    auth = req.header("authorization") or ""
    try:
        return jwt.decode(auth.partition(" ")[2], options={"verify_signature": False}).get("appid")
    except jwt.PyJWTError:
        return None


class Emulator:
    def __init__(self, store: Store, tls_dir=None, ca_bundle: str | None = None):
        self.store = store
        self.tls_dir = tls_dir
        self.ca_bundle = ca_bundle
        self.faults = Faults()
        self.quota = Quota(count_users=lambda: store.count_objects("user"))
        self.log = RequestLog()
        self.tokens = TokenService(store)
        self.identity = Identity(store, self.tokens, self.faults)
        self.graph = GraphApi(store, tenant_domain=lambda: store.get_meta("domain", "contoso.test"),
                              run_batch=self._batch)
        self.started = time.time()

    # --- entry point -----------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        req.path = normalise_path(req.path)
        segs = req.segments
        head = segs[0] if segs else ""
        start = time.perf_counter()
        if head == "_emulator" and len(segs) >= 2 and segs[1] in ("oidc", "github", "msi"):
            kind, resp = "token", self._emulator_identity(req, segs[1:])
        elif head == "_emulator":
            return admin.handle(self, req, segs[1:])
        elif segs == ["favicon.ico"]:
            return page.favicon()  # a browser's, for the page: not a Graph request, not logged
        elif head in VERSIONS:
            kind, resp = "graph", self._graph(req, segs[0], segs[1:])
        elif segs == ["metadata", "endpoints"]:
            kind, resp = "metadata", cloudmeta.metadata_endpoints(req)
        elif head in ("tenants", "subscriptions"):
            kind, resp = "arm", arm.handle(req, segs, self.tokens, self.store)
        elif len(segs) >= 2 and segs[1] in ("v2.0", "oauth2", "discovery"):
            kind, resp = "token", self._identity(req, segs)
        else:
            kind, resp = "graph", self._graph_error(req, GraphError(
                400, "BadRequest", f"Invalid version: {head}" if head else "Invalid version."))
        if kind == "graph" and not resp.drop:
            resp.headers.setdefault("OData-Version", "4.0")  # Graph speaks OData 4.0 on every answer
        entry = {"kind": kind, "method": req.method,
                 "path": req.path + ("?" + req.query_string if req.query_string else ""),
                 "status": None if resp.drop else resp.status,
                 "duration_ms": round((time.perf_counter() - start) * 1000, 3)}
        app = _unverified_appid(req) if kind in ("graph", "arm") else _token_request_client(req)
        if app:
            entry["app"] = app
        if "request-id" in resp.headers:
            entry["request_id"] = resp.headers["request-id"]
        if resp.batch_items is not None:
            entry["batch_items"] = resp.batch_items
        if resp.fault:
            entry["fault"] = resp.fault
        batch_faults = resp.headers.pop("x-emulator-batch-faults", None)
        if batch_faults:
            entry["batch_faults"] = int(batch_faults)
        batch_quota = resp.headers.pop("x-emulator-batch-quota", None)
        if batch_quota:
            entry["batch_quota"] = int(batch_quota)
        self.log.add(entry)
        return resp

    # --- identity --------------------------------------------------------------------------------
    def _identity(self, req: Request, segs: list[str]) -> Response:
        tenant, rest = segs[0], segs[1:]
        if rest == ["v2.0", ".well-known", "openid-configuration"] and req.method == "GET":
            return self.identity.openid_configuration(req, tenant)
        if rest == ["oauth2", "v2.0", "token"]:
            return self.identity.token(req, tenant)
        if rest in (["discovery", "v2.0", "keys"], ["discovery", "keys"]) and req.method == "GET":
            return self.identity.jwks()
        return Response.json(404, {"error": "not_found", "error_description": "Unknown identity endpoint."})

    def _emulator_identity(self, req: Request, segs: list[str]) -> Response:
        area, rest = segs[0], segs[1:]
        if area == "oidc":
            if rest == [".well-known", "openid-configuration"] and req.method == "GET":
                return self.identity.issuer_configuration(req)
            if rest == ["keys"] and req.method == "GET":
                return self.identity.issuer_keys()
            if rest == ["token"] and req.method == "POST":
                return self.identity.issuer_mint(req)
        if area == "github" and rest == ["token"] and req.method == "GET":
            return self.identity.github_token(req)
        if area == "msi" and rest == ["token"] and req.method == "GET":
            return self.identity.msi_token(req)
        return Response.json(404, {"error": "not_found", "error_description": "Unknown identity endpoint."})

    # --- graph -----------------------------------------------------------------------------------
    def _ids(self, req: Request) -> tuple[str, str]:
        rid = str(uuid.uuid4())
        return rid, req.header("client-request-id") or rid

    def _graph_error(self, req: Request, err: GraphError, ids=None) -> Response:
        rid, crid = ids or self._ids(req)
        resp = Response.graph(err.status, errors.envelope(err.code, err.message, rid, crid), err.headers)
        resp.headers["request-id"] = rid
        resp.headers["client-request-id"] = crid
        return resp

    def _fault_response(self, decision, claims_app: str | None) -> tuple[int, str, str, dict]:
        tenant = self.store.get_meta("tenant_id")
        headers = {}
        if decision.retry_after is not None:
            headers["Retry-After"] = decision.retry_after
        if decision.action == "throttle":
            headers["x-ms-throttle-scope"] = f"Tenant_Application/ReadWrite/{claims_app or 'unknown'}/{tenant}"
            headers["x-ms-throttle-information"] = "ResourceUnitLimitExceeded"
            return 429, "TooManyRequests", errors.THROTTLED.format(app=claims_app or "unknown", tenant=tenant), headers
        if decision.action == "unavailable":
            return 503, "serviceNotAvailable", errors.UNAVAILABLE, headers
        return 504, "gatewayTimeout", errors.GATEWAY_TIMEOUT, headers

    def _meter(self, req: Request, segs: list[str], app: str | None) -> tuple[GraphError | None, dict]:
        """Charge one call against Graph's identity quotas (quota.py): the 429 to answer, or the
        headers of a metered answer (docs/graph-behaviour.md §4.2)."""
        units, writes = request_cost(req.method, segs, req.query)
        refusal, used = self.quota.charge(app or "unknown", units, writes)
        if refusal is None:
            if not self.quota.enabled:
                return None, {}
            headers = {"x-ms-resource-unit": str(units)}
            if used > 0.8:
                headers["x-ms-throttle-limit-percentage"] = f"{used:.2f}"
            return None, headers
        tenant = self.store.get_meta("tenant_id")
        return GraphError(429, "TooManyRequests", errors.THROTTLED.format(app=app or "unknown", tenant=tenant), {
            "Retry-After": str(refusal.retry_after_s),
            "x-ms-throttle-scope": f"{refusal.scope}/{refusal.limit}/{app or 'unknown'}/{tenant}",
            "x-ms-throttle-information": refusal.information}), {}

    def _graph(self, req: Request, version: str, segs: list[str]) -> Response:
        ids = self._ids(req)
        is_batch = segs == ["$batch"]
        decision = self.faults.draw(outer_batch=is_batch)
        latency = self.faults.latency_s
        if latency:
            time.sleep(latency)
        if decision.action == "drop":
            return Response(0, drop=True, fault="drop")
        if decision.action in ("throttle", "unavailable", "gateway_timeout"):
            status, code, message, headers = self._fault_response(decision, _unverified_appid(req))
            resp = self._graph_error(req, GraphError(status, code, message, headers), ids)
            resp.fault = decision.action
            return resp
        try:
            claims = self.tokens.verify_graph_token(req.header("authorization"), req.host)
            over, metered = (None, {}) if is_batch else self._meter(req, segs, claims.get("appid"))
            if over:
                raise over
            resp = self.graph.handle(Call(req, version, list(segs), claims, lag_s=self.faults.lag_s))
            resp.headers.update(metered)
        except GraphError as err:
            resp = self._graph_error(req, err, ids)
            if err.status == 429:
                resp.fault = "quota"
        resp.headers["request-id"], resp.headers["client-request-id"] = ids
        if decision.action == "drop_after":
            resp.drop_after = True
            resp.fault = "drop_after"
        elif decision.action == "cut_body":
            resp.cut_body = True
            resp.fault = "cut_body"
        return resp

    def _batch(self, call: Call) -> Response:
        """``POST /$batch``: each item goes through the same route table as a call of its own."""
        req, version, claims = call.request, call.version, call.claims
        doc = req.json()
        faulted = throttled = 0

        def run_item(method: str, url: str, headers: dict, body: bytes):
            nonlocal faulted, throttled
            path, _, query = url.partition("?")
            item_req = Request(method=method, path=normalise_path(f"/{version}/{path.lstrip('/')}"),
                               query_string=query, headers={**headers, "authorization": ""}, body=body,
                               host=req.host, client_ip=req.client_ip)
            decision = self.faults.draw(allow_drop=False)
            if decision.action:
                faulted += 1
                status, code, message, fheaders = self._fault_response(decision, claims.get("appid"))
                rid, crid = self._ids(item_req)
                return status, {"Content-Type": "application/json", **fheaders}, errors.envelope(code, message, rid, crid)
            try:
                over, metered = self._meter(item_req, item_req.segments[1:], claims.get("appid"))
                if over:
                    throttled += 1
                    raise over
                resp = self.graph.handle(Call(item_req, version, item_req.segments[1:], claims,
                                              lag_s=self.faults.lag_s, batch_url=url))
            except GraphError as err:
                resp = self._graph_error(item_req, err)
            out_headers = {k: v for k, v in resp.headers.items()
                           if k in ("Content-Type", "Location", "Retry-After", "WWW-Authenticate")
                           or k.startswith("x-ms-throttle")}
            if not resp.body:
                return resp.status, out_headers, None
            if out_headers.get("Content-Type", "").startswith("text/plain"):
                return resp.status, out_headers, resp.body.decode()
            return resp.status, out_headers, resp.json_body()

        body = batch.run_batch(doc, run_item)
        resp = Response.json(200, body)
        resp.batch_items = len(body["responses"])
        if faulted:
            resp.headers["x-emulator-batch-faults"] = str(faulted)
        if throttled:
            resp.headers["x-emulator-batch-quota"] = str(throttled)
        return resp
