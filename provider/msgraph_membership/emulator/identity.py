"""The Microsoft identity platform, as much as MSAL and azure-identity need (docs/graph-behaviour.md §7).

Endpoints (``{tenant}`` is the tenant id or its domain):
- ``GET /{tenant}/v2.0/.well-known/openid-configuration``, ``GET /{tenant}/discovery/v2.0/keys``
- ``POST /{tenant}/oauth2/v2.0/token``: ``grant_type=client_credentials`` with
  (a) ``client_secret`` (form body, or HTTP Basic);
  (b) a certificate ``client_assertion`` (iss = sub = client_id, aud = the token endpoint, signed by
      a certificate registered in ``apps[].certificates``, matched by ``x5t``/``x5t#S256``);
  (c) a federated ``client_assertion`` matching one of ``apps[].federated_credentials``
      (issuer, subject, audiences), signed by the emulator's issuer key.
- ``grant_type=password`` and ``refresh_token``: a person signing in (usersignin.py).
- The emulator's own OIDC issuer, for federated sign-in tests:
  ``GET /_emulator/oidc/.well-known/openid-configuration``, ``GET /_emulator/oidc/keys``,
  ``POST /_emulator/oidc/token`` ``{"subject", "audience", "lifetime_s"?}`` -> ``{"token", "value"}``.
- A GitHub Actions stand-in: ``GET /_emulator/github/token?audience=...`` with
  ``Authorization: Bearer <request token>`` -> ``{"count": 1, "value": "<jwt>"}``; the JWT's issuer
  is ``https://token.actions.githubusercontent.com`` and its subject the seed's ``github.subject``.
- Managed identity, App Service protocol (msal ``managed_identity._obtain_token_on_app_service``):
  ``GET /_emulator/msi/token?api-version=2019-08-01&resource=...[&client_id|object_id|mi_res_id]``
  with header ``X-IDENTITY-HEADER``; answers ``{"access_token", "expires_on", "resource",
  "token_type", "client_id"}``. Point ``IDENTITY_ENDPOINT`` at it and set ``IDENTITY_HEADER``.

Errors are OAuth2 JSON with AADSTS codes (docs/graph-behaviour.md §7.1). Token endpoints never get injected faults: MSAL
caches failed token responses (docs/graph-behaviour.md §7.1), which would make fault tests confusing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import time
import uuid
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from . import tokens as tokens_mod, usersignin
from .wire import Request, Response

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
CLOCK_SKEW_S = 300


def _aad_error(status: int, error: str, code: int, description: str, req: Request) -> Response:
    trace = str(uuid.uuid4())
    correlation = req.header("client-request-id") or str(uuid.uuid4())
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    # Entra separates the trailer lines with CRLF.
    full = f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}"
    return Response.json(status, {
        "error": error,
        "error_description": full,
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://{req.host}/error?code={code}",
    }, headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})


def _thumbprints(pem: str) -> tuple[str, str]:
    """(x5t, x5t#S256) of a PEM certificate, base64url without padding, as JWT headers carry them."""
    cert = x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    return enc(cert.fingerprint(hashes.SHA1())), enc(cert.fingerprint(hashes.SHA256()))  # noqa: S303


def _canonical_thumbprint(value) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    value = value.strip()
    if len(value) in (40, 64) and all(c in "0123456789abcdefABCDEF" for c in value):
        return base64.urlsafe_b64encode(bytes.fromhex(value)).rstrip(b"=").decode()
    return value.replace("+", "-").replace("/", "_").rstrip("=")


class Identity:
    def __init__(self, store, tokens: tokens_mod.TokenService, faults):
        self.store = store
        self.tokens = tokens
        self.faults = faults

    # --- helpers ---------------------------------------------------------------------------------
    @property
    def tenant_id(self) -> str:
        return self.store.get_meta("tenant_id")

    def tenant_matches(self, tenant: str) -> bool:
        t = tenant.lower()
        return t in (self.tenant_id.lower(), (self.store.get_meta("domain") or "").lower(), "common", "organizations")

    def emulator_issuer(self, req: Request) -> str:
        return f"https://{req.host}/_emulator/oidc"

    def _issue(self, req: Request, principal: dict, audience: str) -> tuple[str, int]:
        roles = (principal.get("roles") or []) if tokens_mod.is_graph_audience(audience, req.host) else []
        return self.tokens.mint(tenant_id=self.tenant_id, audience=audience, appid=principal["client_id"],
                                oid=principal["object_id"], roles=roles, lifetime_s=self.faults.token_lifetime(),
                                app_displayname=principal.get("display_name"))

    # --- discovery -------------------------------------------------------------------------------
    def openid_configuration(self, req: Request, tenant: str) -> Response:
        if not self.tenant_matches(tenant):
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.", req)
        base = f"https://{req.host}/{tenant}"
        return Response.json(200, {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "tenant_region_scope": None,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        })

    def jwks(self) -> Response:
        return Response.json(200, {"keys": [self.tokens.token_key.jwk()]})

    # --- token endpoint --------------------------------------------------------------------------
    def token(self, req: Request, tenant: str) -> Response:
        if req.method != "POST":
            return _aad_error(405, "invalid_request", 900561,
                              "The endpoint only accepts POST, OPTIONS requests. Received a GET request.", req)
        if not self.tenant_matches(tenant):
            return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you "
                              "have the correct tenant ID and are signing into the correct cloud.", req)
        form = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
        basic = req.header("authorization") or ""
        if basic.lower().startswith("basic "):
            try:
                user, _, pwd = base64.b64decode(basic[6:]).decode().partition(":")
                form.setdefault("client_id", user)
                form.setdefault("client_secret", pwd)
            except (ValueError, UnicodeDecodeError):
                pass
        grant = form.get("grant_type")
        if not grant:
            return _aad_error(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'grant_type'.", req)
        if grant in ("password", "refresh_token"):
            return usersignin.UserSignIn(self).token(req, form, _aad_error)
        if grant != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", 70003,
                              "The app requested an unsupported grant type.", req)
        client_id = form.get("client_id", "")
        if not client_id:
            return _aad_error(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'client_id'.", req)
        scope = form.get("scope", "").strip()
        if not scope:
            return _aad_error(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'scope'.", req)
        first = scope.split()[0]
        if not first.endswith("/.default"):
            return _aad_error(400, "invalid_scope", 1002012,
                              f"The provided value for scope {scope} is not valid. Client credential flows must have "
                              "a scope value with /.default suffixed to the resource identifier "
                              "(application ID URI).", req)
        app = self.store.get_principal(client_id, "app")
        if app is None:
            return _aad_error(400, "unauthorized_client", 700016,
                              f"Application with identifier '{client_id}' was not found in the directory "
                              f"'{self.tenant_id}'. This can happen if the application has not been installed by "
                              "the administrator of the tenant or consented to by any user in the tenant. You may "
                              "have sent your authentication request to the wrong tenant.", req)
        if form.get("client_assertion"):
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                return _aad_error(400, "invalid_request", 50027,
                                  "Invalid client_assertion_type; expected " + ASSERTION_TYPE + ".", req)
            failure = self._check_assertion(req, tenant, app, form["client_assertion"])
            if failure:
                return failure
        elif "client_secret" in form:
            secrets = [s for s in [app.get("client_secret")] + list(app.get("client_secrets") or []) if s]
            if not any(hmac.compare_digest(form["client_secret"].encode(), s.encode()) for s in secrets):
                return _aad_error(401, "invalid_client", 7000215,
                                  "Invalid client secret provided. Ensure the secret being sent in the request is the "
                                  "client secret value, not the client secret ID, for a secret added to app "
                                  f"'{client_id}'.", req)
        else:
            return _aad_error(401, "invalid_client", 7000218,
                              "The request body must contain the following parameter: 'client_assertion' or "
                              "'client_secret'.", req)
        access_token, lifetime = self._issue(req, app, tokens_mod.scope_to_audience(first))
        return Response.json(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                                   "access_token": access_token},
                             headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def _check_assertion(self, req: Request, tenant: str, app: dict, assertion: str) -> Response | None:
        """None when the assertion is good; the AADSTS error response otherwise."""
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return _aad_error(400, "invalid_client", 50027, "JWT token is invalid or malformed.", req)
        now = time.time()
        if unverified.get("iss") == app["client_id"] and unverified.get("sub", app["client_id"]) == app["client_id"]:
            return self._check_certificate_assertion(req, tenant, app, assertion, header, unverified, now)
        return self._check_federated_assertion(req, app, assertion, unverified, now)

    def _check_certificate_assertion(self, req, tenant, app, assertion, header, claims, now) -> Response | None:
        # msal sends padded base64url; others send unpadded or hex: compare in one canonical form.
        x5t, x5t256 = _canonical_thumbprint(header.get("x5t")), _canonical_thumbprint(header.get("x5t#S256"))
        cert_pem = None
        for pem in app.get("certificates") or []:
            sha1, sha256 = _thumbprints(pem)
            if (x5t and x5t == sha1) or (x5t256 and x5t256 == sha256):
                cert_pem = pem
                break
        if cert_pem is None:
            return _aad_error(401, "invalid_client", 700027,
                              "Client assertion failed signature validation. [Reason - The key was not found., "
                              f"Thumbprint of key used by client: '{x5t or x5t256}']", req)
        public_key = x509.load_pem_x509_certificate(cert_pem.encode()).public_key()
        try:
            jwt.decode(assertion, public_key, algorithms=["RS256", "PS256"],
                       options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False})
        except jwt.PyJWTError:
            return _aad_error(401, "invalid_client", 700027, "Client assertion failed signature validation.", req)
        aud_path = urlsplit(str(claims.get("aud", ""))).path.rstrip("/")
        if aud_path not in (f"/{tenant}/oauth2/v2.0/token", f"/{tenant}/v2.0", f"/{self.tenant_id}/oauth2/v2.0/token"):
            return _aad_error(401, "invalid_client", 700021,
                              f"Client assertion audience claim does not match Realm issuer. Review the "
                              f"documentation at https://aka.ms/certCredentials . Audience: '{claims.get('aud')}'", req)
        if not (claims.get("nbf", 0) - CLOCK_SKEW_S <= now < claims.get("exp", 0) + CLOCK_SKEW_S):
            return _aad_error(401, "invalid_client", 700024, "Client assertion is not within its valid time range.", req)
        return None

    def _check_federated_assertion(self, req, app, assertion, claims, now) -> Response | None:
        iss, sub, aud = claims.get("iss"), claims.get("sub"), claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        creds = app.get("federated_credentials") or []
        by_issuer = [c for c in creds if self._issuer_matches(req, c.get("issuer"), iss)]
        if not by_issuer:
            return _aad_error(400, "invalid_request", 700211,
                              f"No matching federated identity record found for presented assertion issuer '{iss}'. "
                              "Please check your federated identity credential Subject, Audience and Issuer against "
                              "the presented assertion.", req)
        by_subject = [c for c in by_issuer if c.get("subject") == sub]
        if not by_subject:
            return _aad_error(400, "invalid_request", 700213,
                              f"No matching federated identity record found for presented assertion subject '{sub}'. "
                              "Please check your federated identity credential Subject, Audience and Issuer against "
                              "the presented assertion.", req)
        if not any(set(auds) & set(c.get("audiences") or [EXCHANGE_AUDIENCE]) for c in by_subject):
            return _aad_error(400, "invalid_request", 700212,
                              f"No matching federated identity record found for presented assertion audience "
                              f"'{aud}'. Please check your federated identity credential Subject, Audience and "
                              "Issuer against the presented assertion.", req)
        try:
            jwt.decode(assertion, self.tokens.issuer_key.public, algorithms=["RS256"],
                       options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False})
        except jwt.PyJWTError:
            return _aad_error(400, "invalid_client", 50013,
                              "Assertion failed signature validation.", req)
        if not (claims.get("nbf", claims.get("iat", 0)) - CLOCK_SKEW_S <= now < claims.get("exp", 0)):
            return _aad_error(400, "invalid_client", 700024, "Client assertion is not within its valid time range.", req)
        return None

    def _issuer_matches(self, req: Request, registered, presented) -> bool:
        """Registered issuer ``"emulator"`` (or any ``.../_emulator/oidc`` URL) means the emulator's own."""
        if not registered or not presented:
            return False
        if registered == presented:
            return True
        own = registered == "emulator" or urlsplit(registered).path.rstrip("/") == "/_emulator/oidc"
        return own and urlsplit(presented).path.rstrip("/") == "/_emulator/oidc"

    # --- the emulator's OIDC issuer and GitHub stand-in ------------------------------------------
    def issuer_configuration(self, req: Request) -> Response:
        issuer = self.emulator_issuer(req)
        return Response.json(200, {"issuer": issuer, "jwks_uri": f"{issuer}/keys",
                                   "id_token_signing_alg_values_supported": ["RS256"],
                                   "response_types_supported": ["id_token"], "subject_types_supported": ["public"]})

    def issuer_keys(self) -> Response:
        return Response.json(200, {"keys": [self.tokens.issuer_key.jwk()]})

    def issuer_mint(self, req: Request) -> Response:
        try:
            body = req.json() or {}
        except Exception:  # noqa: BLE001 - any bad body is a 400 here
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("subject"), str):
            return Response.json(400, {"error": "invalid_request", "error_description": "subject is required"})
        token = self.tokens.mint_assertion(issuer=self.emulator_issuer(req), subject=body["subject"],
                                           audience=body.get("audience") or EXCHANGE_AUDIENCE,
                                           lifetime_s=int(body.get("lifetime_s", 600)))
        return Response.json(200, {"token": token, "value": token})

    def github_token(self, req: Request) -> Response:
        github = self.store.get_meta("github") or {}
        expected = github.get("request_token")
        auth = req.header("authorization") or ""
        presented = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not expected or not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
            return Response.json(401, {"message": "Bad credentials"})
        subject = github.get("subject", "repo:contoso/infra:ref:refs/heads/main")
        repo = subject.split(":")[1] if subject.count(":") >= 2 else "contoso/infra"
        audience = req.query.get("audience") or f"https://github.com/{repo.split('/')[0]}"
        token = self.tokens.mint_assertion(issuer=GITHUB_ISSUER, subject=subject, audience=audience,
                                           lifetime_s=300, extra={"repository": repo})
        return Response.json(200, {"count": 1, "value": token})

    # --- managed identity (App Service protocol) -------------------------------------------------
    def msi_token(self, req: Request) -> Response:
        expected = self.store.get_meta("identity_header")
        presented = req.header("x-identity-header") or ""
        if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
            return Response.json(401, {"statusCode": 401, "message": "Unauthorized: X-IDENTITY-HEADER is missing or wrong."})
        q = req.query
        resource = q.get("resource")
        if not resource:
            return Response.json(400, {"statusCode": 400, "message": "Required query parameter 'resource' is missing."})
        identities = self.store.list_principals("mi")
        chosen = None
        for key in ("client_id", "object_id", "mi_res_id"):
            if q.get(key):
                field = "resource_id" if key == "mi_res_id" else key
                chosen = next((m for m in identities if str(m.get(field, "")).lower() == q[key].lower()), None)
                if chosen is None:
                    return Response.json(400, {"statusCode": 400, "message": f"No managed identity found for {key} "
                                                                             f"'{q[key]}'."})
                break
        else:
            chosen = next((m for m in identities if m.get("system_assigned")), None)
            if chosen is None:
                return Response.json(400, {"statusCode": 400,
                                           "message": "No system-assigned managed identity is enabled."})
        audience = tokens_mod.scope_to_audience(resource)
        access_token, lifetime = self._issue(req, chosen, audience)
        return Response.json(200, {"access_token": access_token, "expires_on": str(int(time.time()) + lifetime),
                                   "resource": resource, "token_type": "Bearer", "client_id": chosen["client_id"]})

