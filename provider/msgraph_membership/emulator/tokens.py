"""Access tokens: RS256 JWTs signed by the emulator's key, and their verification by Graph.

Two keys live in the store's metadata (so ``--db`` keeps tokens valid across a restart):
- the *token key* signs access tokens, like Entra's signing key (published at
  ``/{tenant}/discovery/v2.0/keys``);
- the *issuer key* signs assertions minted by the emulator's own OIDC issuer
  (``/_emulator/oidc``) and its GitHub-Actions stand-in, which federated sign-in trusts.

Graph accepts a token whose audience is one of the national clouds' Graph hosts (docs/graph-behaviour.md
§6); anything else is refused with the docs/graph-behaviour.md §3 messages.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import errors

# Graph's resource identifiers per cloud (docs/graph-behaviour.md §6); the app-id form is what v1 tokens sometimes carry.
GRAPH_AUDIENCES = frozenset({
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
    "00000003-0000-0000-c000-000000000000",
})
DEFAULT_LIFETIME_S = 3599


def is_graph_audience(audience, request_host: str | None = None) -> bool:
    """A national cloud's Graph resource, or the emulator's own origin ``https://{host}``: the
    emulator's cloud metadata (``cloudmeta.py``) names itself as the Graph resource of a custom
    cloud, and tokens for a cloud carry that cloud's Graph resource as audience
    (https://learn.microsoft.com/graph/deployments#microsoft-graph-and-graph-explorer-service-root-endpoints)."""
    if audience in GRAPH_AUDIENCES:
        return True
    return bool(request_host) and isinstance(audience, str) and audience.rstrip("/") == f"https://{request_host}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def scope_to_audience(scope: str) -> str:
    """``https://graph.microsoft.com/.default`` -> ``https://graph.microsoft.com`` (the resource)."""
    scope = scope.strip()
    for suffix in ("/.default", ".default"):
        if scope.endswith(suffix):
            return scope[: -len(suffix)].rstrip("/")
    return scope.rstrip("/")


class SigningKey:
    """An RSA key with its ``kid`` and JWK, loaded from or saved to the store."""

    def __init__(self, pem: bytes):
        self.private = serialization.load_pem_private_key(pem, None)
        self.public = self.private.public_key()
        der = self.public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = _b64url(hashlib.sha256(der).digest()[:20])
        self.pem = pem

    @classmethod
    def load_or_create(cls, store, meta_key: str) -> "SigningKey":
        pem = store.get_meta(meta_key)
        if pem is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
            store.set_meta(meta_key, pem)
        return cls(pem.encode())

    def jwk(self) -> dict:
        numbers = self.public.public_numbers()

        def enc(n: int) -> str:
            return _b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))

        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": enc(numbers.n), "e": enc(numbers.e)}

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})


class TokenService:
    """Mints access tokens and checks them on every Graph call."""

    def __init__(self, store):
        self.store = store
        self.token_key = SigningKey.load_or_create(store, "token_key")
        self.issuer_key = SigningKey.load_or_create(store, "issuer_key")
        # Verified signatures are cached by token string; expiry and audience are re-checked each call.
        self._verified: dict[str, dict] = {}
        self._lock = threading.Lock()

    def mint(self, *, tenant_id: str, audience: str, appid: str, oid: str, roles: list[str],
             lifetime_s: int | None = None, app_displayname: str | None = None) -> tuple[str, int]:
        """An access token and its lifetime in seconds."""
        now = int(time.time())
        lifetime = DEFAULT_LIFETIME_S if lifetime_s is None else int(lifetime_s)
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "tid": tenant_id,
            "appid": appid,
            "app_displayname": app_displayname or appid,
            "oid": oid,
            "sub": oid,
            "idtyp": "app",
            "roles": sorted(set(roles)),
            "uti": _b64url(uuid.uuid4().bytes),
            "ver": "1.0",
        }
        return self.token_key.sign(claims), lifetime

    def mint_user(self, *, tenant_id: str, audience: str, appid: str, user: dict, scopes: list[str],
                  wids: list[str], lifetime_s: int | None = None) -> tuple[str, int]:
        """A delegated access token, as Entra issues one to a person signed in through a public
        client: ``scp`` (space-separated scopes), ``idtyp`` user, the user's ``oid``, ``upn`` and
        ``wids`` (tenant-wide role template ids)
        (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference)."""
        now = int(time.time())
        lifetime = DEFAULT_LIFETIME_S if lifetime_s is None else int(lifetime_s)
        claims = {"aud": audience, "iss": f"https://sts.windows.net/{tenant_id}/", "iat": now, "nbf": now,
                  "exp": now + lifetime, "tid": tenant_id, "appid": appid, "oid": user["id"], "sub": user["id"],
                  "idtyp": "user", "scp": " ".join(scopes), "wids": sorted(set(wids)),
                  "upn": user.get("userPrincipalName"), "unique_name": user.get("userPrincipalName"),
                  "name": user.get("displayName"), "uti": _b64url(uuid.uuid4().bytes), "ver": "1.0"}
        return self.token_key.sign(claims), lifetime

    def sign_internal(self, claims: dict) -> str:
        """A JWT only the emulator reads back (refresh tokens), signed by its issuer key."""
        return self.issuer_key.sign(claims)

    def read_internal(self, token: str) -> dict | None:
        try:
            return jwt.decode(token, self.issuer_key.public, algorithms=["RS256"], options={"verify_aud": False})
        except jwt.PyJWTError:
            return None

    def verify_graph_token(self, authorization: str | None, request_host: str | None = None) -> dict:
        """The claims of a valid Graph bearer token; raises the docs/graph-behaviour.md §3 401 otherwise."""
        return self.verify_bearer(authorization, lambda aud: is_graph_audience(aud, request_host))

    def verify_bearer(self, authorization: str | None, audience_ok) -> dict:
        """The claims of a valid bearer token of this tenant whose audience ``audience_ok`` accepts;
        raises a 401 ``GraphError`` naming what is wrong otherwise (Graph and the resource manager
        share the checks, not the error bodies)."""
        if not authorization:
            raise errors.unauthorized(errors.TOKEN_EMPTY)
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise errors.unauthorized(errors.TOKEN_EMPTY)
        claims = self._verified.get(token)
        if claims is None:
            try:
                header = jwt.get_unverified_header(token)
            except jwt.PyJWTError:
                raise errors.unauthorized(errors.TOKEN_MALFORMED) from None
            if header.get("kid") != self.token_key.kid:
                raise errors.unauthorized(errors.TOKEN_INVALID)
            try:
                claims = jwt.decode(token, self.token_key.public, algorithms=["RS256"],
                                    options={"verify_exp": False, "verify_nbf": False, "verify_aud": False,
                                             "verify_iat": False})
            except jwt.InvalidSignatureError:
                raise errors.unauthorized(errors.TOKEN_INVALID) from None
            except jwt.DecodeError:
                raise errors.unauthorized(errors.TOKEN_MALFORMED) from None
            except jwt.PyJWTError:
                raise errors.unauthorized(errors.TOKEN_INVALID) from None
            with self._lock:
                if len(self._verified) > 10000:
                    self._verified.clear()
                self._verified[token] = claims
        now = time.time()
        if not (claims.get("nbf", 0) - 300 <= now < claims.get("exp", 0)):
            raise errors.unauthorized(errors.TOKEN_EXPIRED)
        if not audience_ok(claims.get("aud")):
            raise errors.unauthorized(errors.TOKEN_BAD_AUDIENCE)
        if claims.get("tid") != self.store.get_meta("tenant_id"):
            raise errors.unauthorized(errors.TOKEN_INVALID)
        return claims

    # --- the emulator's own OIDC issuer (for federated sign-in tests) ----------------------------
    def mint_assertion(self, *, issuer: str, subject: str, audience: str, lifetime_s: int = 600,
                       extra: dict | None = None) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "sub": subject, "aud": audience, "iat": now, "nbf": now,
                  "exp": now + int(lifetime_s), "jti": str(uuid.uuid4())}
        claims.update(extra or {})
        return self.issuer_key.sign(claims)
