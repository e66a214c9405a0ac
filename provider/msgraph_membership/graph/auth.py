"""Sign-in: a credential chain on msal that yields Graph bearer tokens.

Kinds, in chain order (README.md, "Configuration and sign-in"; the kinds azuread supports):

1. client secret            `clientId` + `clientSecret`
2. certificate              `clientId` + `clientCertificatePath` (PEM with key and certificate,
                            or PKCS#12 .pfx/.p12) [+ `clientCertificatePassword`]
3. federated assertion      `clientId` + one of `oidcToken`, `oidcTokenFilePath` (re-read on every
                            token request: Kubernetes rotates it), or GitHub Actions'
                            `ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`
4. managed identity         `useMsi` (system assigned) [+ `msiClientId`: user assigned]
5. Azure CLI                `az account get-access-token`; the fallback when nothing else is set

`useOidc`, `useMsi`, `useCli` set to true select exactly those kinds; set to false they remove
that kind. Otherwise every kind whose settings are present is a candidate, then the CLI.

The chain tries candidates in order on the first token request and keeps the first that works.
A kind whose inputs are missing, or whose environment cannot serve it (no `az`, not logged in),
is skipped, unless its own settings chose it (`msiClientId` or `useMsi` for a managed identity):
then not reaching it stops the chain like a rejection. A kind that the identity platform *rejects* (wrong secret, unregistered certificate)
stops the chain: falling through to the developer's own CLI login would silently deploy as
somebody else. Either way the one `AuthenticationError` lists every kind and why it failed.

Tokens live in this process only: never logged, never put in an exception message (every
message goes through `_scrub`), never on a provider object or an output.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import shutil
import subprocess
import threading
import time
from typing import Any, Callable, Iterable, Protocol

import requests

from .errors import (TLS_SETTING, AuthenticationError, ConfigurationError, connection_failure, docs_link,
                     tls_failure)
from .settings import GraphSettings

log = logging.getLogger("msgraph_membership.graph.auth")

# Refresh this long before expiry (at most half the lifetime, for short-lived tokens) so a token
# never dies in the middle of a call sequence.
REFRESH_MARGIN_S = 300.0
# msal sends no timeout of its own; a stalled login host must not hang an apply for ever.
HTTP_TIMEOUT_S = (10.0, 60.0)
CLI_TIMEOUT_S = 60.0
# The audience Entra expects on federated assertions (the default of every federated
# credential, and what azuread and azure/login request from GitHub).
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"

KIND_SECRET = "client secret"
KIND_CERTIFICATE = "client certificate"
KIND_FEDERATED = "federated token (OIDC)"
KIND_MSI = "managed identity"
KIND_CLI = "Azure CLI"


class Credential(Protocol):
    """Gives a bearer token for Graph; thread-safe; cached until shortly before expiry."""

    description: str

    def get_token(self, *, force_refresh: bool = False) -> str: ...


class CredentialUnavailable(Exception):
    """This kind cannot even be tried here (inputs missing, no `az`): the chain moves on."""


class CredentialRejected(Exception):
    """This kind was tried and failed for good (wrong secret, unreadable certificate): the chain
    stops. `code` is the AADSTS code when the identity platform gave one."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------------
# Plumbing shared by every kind


class _Http:
    """What msal calls for HTTP: the caller's session, with TLS trust and a timeout passed on
    every request, so REQUESTS_CA_BUNDLE can never replace the configured CA bundle
    (docs/guarantees.md, "Secrets, tokens and TLS") and verification is never turned off."""

    def __init__(self, session: requests.Session, verify: str | bool):
        self._session = session
        self._verify = verify if verify is not False else True

    def get(self, url, **kwargs):
        return self._session.get(url, **self._kw(kwargs))

    def post(self, url, **kwargs):
        return self._session.post(url, **self._kw(kwargs))

    def close(self):  # msal may call it; the session belongs to the caller
        pass

    def _kw(self, kwargs: dict) -> dict:
        kwargs["verify"] = self._verify
        kwargs.setdefault("timeout", HTTP_TIMEOUT_S)
        return kwargs


def _secrets_of(settings: GraphSettings) -> list[str]:
    out = []
    for name in ("client_secret", "client_certificate_password", "oidc_token", "oidc_request_token"):
        v = getattr(settings, name)
        if v is not None and v.get_secret_value():
            out.append(v.get_secret_value())
    return out


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every known secret, and anything shaped like a JWT, masked."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return re.sub(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*", "<jwt>", text)


def _first_line(text: str | None, limit: int = 300) -> str:
    """The first non-empty line, without Entra's trailing "Trace ID: ... Timestamp: ..." (noise
    on a single line in some answers)."""
    for line in (text or "").splitlines():
        line = re.split(r"\s+Trace ID:", line, maxsplit=1)[0].strip()
        if line:
            return line if len(line) <= limit else line[:limit] + "..."
    return ""


class _CachedToken:
    """A token cache for one credential: one token, refreshed ahead of expiry, one lock.

    Subclasses implement `_acquire(force)` -> (token, expires_in_s, refresh_in_s | None) and
    raise CredentialRejected / CredentialUnavailable on failure.
    """

    description = "credential"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0

    def get_token(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            now = time.time()
            if self._token and not force_refresh and now < self._refresh_at:
                return self._token
            try:
                token, expires_in, refresh_in = self._acquire(force_refresh)
            except (CredentialRejected, CredentialUnavailable) as e:
                # A failed refresh of a still-valid token is not worth failing a call for.
                if self._token and not force_refresh and now < self._expires_at - 5:
                    log.warning("%s: token refresh failed, using the current token until it "
                                "expires: %s", self.description, e)
                    return self._token
                raise
            self._token = token
            lifetime = max(0.0, float(expires_in))
            self._expires_at = now + lifetime
            self._refresh_at = now + lifetime - min(REFRESH_MARGIN_S, lifetime / 2)
            if refresh_in is not None:  # the identity platform's own advice
                self._refresh_at = min(self._refresh_at, now + float(refresh_in))
            return token

    def _acquire(self, force: bool) -> tuple[str, float, float | None]:
        raise NotImplementedError


# Which setting to change for the AADSTS codes users actually meet.
_AADSTS_HINTS = {
    "7000215": "the client secret is wrong (use the secret's value, not its id): fix {secret}",
    "7000222": "the client secret has expired: create a new one and set {secret}",
    "700016": "no such application in this tenant: check {client_id} and {tenant_id}",
    "90002": "no such tenant in this cloud: check {tenant_id} and {environment}",
    "900023": "the tenant id is malformed: check {tenant_id}",
    "700027": "the certificate is not registered on the application: upload it, or fix {cert}",
    "700024": "the client assertion has expired or is not yet valid: check this machine's clock, "
              "or give a fresh federated token ({oidc})",
    "70021": "no federated credential on the application matches the token's issuer, subject "
             "and audience: add one, or fix {oidc}",
    "700211": "no federated credential on the application has the token's issuer: add one, or "
              "fix {oidc}",
    "700213": "no federated credential on the application has the token's subject: add one, or "
              "fix {oidc}",
    "700212": "no federated credential on the application has the token's audience "
              f"({FEDERATION_AUDIENCE}): add one, or fix {{oidc}}",
    "500011": "Graph is not known in this tenant's cloud: check {environment}",
    "7000112": "the application is disabled: enable it, or use another {client_id}",
}


def _describe(result: dict, settings: GraphSettings, default_hint: str) -> CredentialRejected:
    """An msal error dict as one line: error, AADSTS code, first line, what to change."""
    err = str(result.get("error") or "unknown_error")
    desc = _first_line(result.get("error_description"))
    codes = result.get("error_codes") or []
    m = re.search(r"AADSTS(\d+)", desc)
    code = str(codes[0]) if codes else (m.group(1) if m else None)
    keys = {f: settings.key_for(f) for f in ("client_id", "tenant_id", "environment")}
    keys.update(secret=settings.key_for("client_secret"), cert=settings.key_for("client_certificate_path"),
                oidc=_oidc_source(settings))
    hint = _AADSTS_HINTS.get(code or "", default_hint).format(**keys)
    if code and f"AADSTS{code}" not in desc:
        desc = f"AADSTS{code}: {desc}"
    msg = _scrub(f"{err}: {desc} -> {hint}", _secrets_of(settings))
    return CredentialRejected(msg, code=f"AADSTS{code}" if code else err)


def _oidc_source(settings: GraphSettings) -> str:
    for f in ("oidc_token", "oidc_token_file_path", "oidc_request_url"):
        if f in settings.sources:
            return settings.sources[f]
    return settings.key_for("oidc_token")


# --------------------------------------------------------------------------------------------
# Confidential clients: secret, certificate, federated assertion


class MsalClientCredential(_CachedToken):
    """The client-credentials flow of msal's ConfidentialClientApplication. Built on first use,
    because msal fetches the authority's OIDC metadata in its constructor."""

    def __init__(self, settings: GraphSettings, http: requests.Session, kind: str,
                 client_credential: Callable[[], Any], default_hint: str):
        super().__init__()
        self.kind = kind
        self.description = f"{kind} for application {settings.client_id}"
        self._settings = settings
        self._http = _Http(http, settings.verify)
        self._client_credential = client_credential
        self._default_hint = default_hint
        self._app = None
        self._cache = None

    def _build(self):
        import msal  # lazily: keeps `import msgraph_membership` fast on the program side

        s = self._settings
        authority = f"{s.login_host}/{s.tenant_id}"
        self._cache = msal.TokenCache()
        try:
            return msal.ConfidentialClientApplication(
                s.client_id,
                client_credential=self._client_credential(),
                authority=authority,
                http_client=self._http,
                # Instance discovery asks login.microsoftonline.com about the authority; an
                # overridden host (the emulator, a private cloud) cannot be known there.
                instance_discovery=not s.authority_overridden,
                token_cache=self._cache,
            )
        except (CredentialRejected, CredentialUnavailable):
            raise
        except requests.exceptions.SSLError as e:
            raise CredentialRejected(tls_failure(authority, TLS_SETTING, e, s.ca_in_use)) from None
        except requests.RequestException as e:
            raise CredentialRejected(connection_failure(s.login_host, s.login_host_setting, e)) from None
        except ValueError as e:
            raise CredentialRejected(
                f"cannot use the authority {authority}: {_scrub(_first_line(str(e)), _secrets_of(s))} "
                f"-> check {s.key_for('tenant_id')} and {s.key_for('authority_host')}") from None

    def _acquire(self, force: bool):
        import msal

        if self._app is None:
            self._app = self._build()
        if force:
            # msal's acquire_token_for_client refuses force_refresh; emptying our own cache
            # (it holds only this application's tokens) has the same effect.
            for at in list(self._cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                self._cache.remove_at(at)
        try:
            result = self._app.acquire_token_for_client([self._settings.scope])
        except (CredentialRejected, CredentialUnavailable):
            raise  # from our assertion callable
        except requests.exceptions.SSLError as e:
            raise CredentialRejected(tls_failure("the token endpoint", TLS_SETTING, e,
                                                 self._settings.ca_in_use)) from None
        except requests.RequestException as e:
            raise CredentialRejected(connection_failure(self._settings.login_host, self._settings.login_host_setting,
                                                        e)) from None
        except msal.exceptions.MsalServiceError as e:  # 5xx from the token endpoint
            raise CredentialRejected(f"the token endpoint failed: {_first_line(str(e))}") from None
        if not result or "access_token" not in result:
            raise _describe(result or {}, self._settings, self._default_hint)
        return result["access_token"], float(result.get("expires_in", 3600)), _refresh_in(result)


def _refresh_in(result: dict) -> float | None:
    """The identity platform's refresh advice: `refresh_in`, which msal turns into an absolute
    `refresh_on` in what it returns."""
    if result.get("refresh_in"):
        return float(result["refresh_in"])
    if result.get("refresh_on"):
        return max(0.0, float(result["refresh_on"]) - time.time())
    return None


def _need(settings: GraphSettings, *fields: str) -> None:
    missing = [settings.key_for(f) for f in fields if not getattr(settings, f)]
    if missing:
        raise CredentialUnavailable("not configured: set " + " and ".join(missing))


def client_secret_credential(settings: GraphSettings, http: requests.Session) -> MsalClientCredential:
    _need(settings, "client_secret", "client_id", "tenant_id")
    secret = settings.client_secret
    return MsalClientCredential(
        settings, http, KIND_SECRET, lambda: secret.get_secret_value(),
        f"check {settings.key_for('client_secret')}, {settings.key_for('client_id')} and "
        f"{settings.key_for('tenant_id')}")


def load_certificate(path: str, password: str | None) -> dict:
    """msal's certificate credential from a PEM (key and certificate) or PKCS#12 file.

    Loaded here with `cryptography` (so both formats, encrypted or not, give the same clear
    errors), and handed to msal as an unencrypted PKCS#8 key, the SHA-1 thumbprint (`x5t`, what
    every msal version and Entra accept) and the certificate (sent as `x5c`, which also allows
    subject-name/issuer authentication).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CredentialRejected(f"cannot read the certificate file {path}: {e.strerror}") from None
    pw = password.encode() if password else None
    key = cert = None
    if b"-----BEGIN" in data:
        block = _pem_block(data, b"PRIVATE KEY")
        if block is None:
            raise CredentialRejected(f"{path} holds no private key: put the key and the "
                                     "certificate in one PEM file")
        try:
            key = serialization.load_pem_private_key(block, pw)
        except TypeError:  # encrypted without a password, or a password for a plain key
            raise CredentialRejected(f"the private key in {path} is "
                                     + ("encrypted: set the password" if pw is None else "not encrypted: "
                                        "remove the password")) from None
        except ValueError:
            raise CredentialRejected(f"cannot load the private key in {path} (wrong password?)") from None
        certs = x509.load_pem_x509_certificates(data) if b"CERTIFICATE-----" in data else []
        cert = certs[0] if certs else None
    else:
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(data, pw)
        except ValueError:
            raise CredentialRejected(f"cannot open the PKCS#12 file {path}: wrong password, or not a "
                                     ".pfx/.p12 file") from None
    if key is None or cert is None:
        raise CredentialRejected(f"{path} must hold both the private key and its certificate")
    return {
        "private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode(),
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(),
        "public_certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
    }


def _pem_block(data: bytes, label: bytes) -> bytes | None:
    """The first PEM block whose label ends with `label` (PRIVATE KEY, RSA PRIVATE KEY, ...)."""
    m = re.search(rb"-----BEGIN ([A-Z ]*" + label + rb")-----.*?-----END \1-----", data, re.S)
    return m.group(0) if m else None


def certificate_credential(settings: GraphSettings, http: requests.Session) -> MsalClientCredential:
    _need(settings, "client_certificate_path", "client_id", "tenant_id")
    path = os.path.expanduser(settings.client_certificate_path)
    pw = settings.client_certificate_password
    where = settings.key_for("client_certificate_path")

    def credential():
        try:
            return load_certificate(path, pw.get_secret_value() if pw else None)
        except CredentialRejected as e:
            raise CredentialRejected(f"{e} ({where}, {settings.key_for('client_certificate_password')})") from None

    return MsalClientCredential(
        settings, http, KIND_CERTIFICATE, credential,
        f"check that the certificate in {where} is registered on application "
        f"{settings.client_id} ({settings.key_for('client_id')})")


def federated_assertion(settings: GraphSettings, http: requests.Session) -> Callable[[], str]:
    """A callable giving a fresh federated assertion on every token request: the token string,
    the token file (re-read: Kubernetes rotates it), or a token from GitHub Actions."""
    if settings.oidc_token is not None:
        token = settings.oidc_token
        return lambda: token.get_secret_value().strip()
    if settings.oidc_token_file_path:
        path = os.path.expanduser(settings.oidc_token_file_path)
        where = settings.key_for("oidc_token_file_path")

        def from_file() -> str:
            try:
                with open(path, encoding="utf-8") as f:
                    value = f.read().strip()
            except OSError as e:
                raise CredentialRejected(f"cannot read the token file {path} ({where}): {e.strerror}") from None
            if not value:
                raise CredentialRejected(f"the token file {path} ({where}) is empty")
            return value
        return from_file
    if settings.oidc_request_url and settings.oidc_request_token:
        return _github_assertion(settings, _Http(http, settings.verify))
    raise CredentialUnavailable(
        f"not configured: set {settings.key_for('oidc_token')}, {settings.key_for('oidc_token_file_path')}, "
        "or run in GitHub Actions with `permissions: id-token: write`")


def _github_assertion(settings: GraphSettings, http: _Http) -> Callable[[], str]:
    url = settings.oidc_request_url
    # GitHub's URL already carries `?api-version=...`.
    url = f"{url}{'&' if '?' in url else '?'}audience={FEDERATION_AUDIENCE}"
    request_token = settings.oidc_request_token
    where = settings.key_for("oidc_request_url")

    def from_github() -> str:
        try:
            r = http.get(url, headers={"Authorization": f"Bearer {request_token.get_secret_value()}",
                                       "Accept": "application/json"})
        except requests.exceptions.SSLError as e:
            raise CredentialRejected(tls_failure(f"the OIDC token request URL ({where})",
                                                 TLS_SETTING, e, settings.ca_in_use)) from None
        except requests.RequestException as e:
            raise CredentialRejected(f"cannot reach the OIDC token request URL ({where}): "
                                     f"{type(e).__name__}") from None
        if r.status_code != 200:
            raise CredentialRejected(f"the OIDC token request URL ({where}) answered {r.status_code}: "
                                     f"check {settings.key_for('oidc_request_token')}")
        try:
            value = r.json()["value"]
        except (ValueError, KeyError, TypeError):
            raise CredentialRejected(f"the OIDC token request URL ({where}) gave no token") from None
        return value

    return from_github


def federated_credential(settings: GraphSettings, http: requests.Session) -> MsalClientCredential:
    assertion = federated_assertion(settings, http)
    _need(settings, "client_id", "tenant_id")
    return MsalClientCredential(
        settings, http, KIND_FEDERATED, lambda: {"client_assertion": assertion},
        f"check the federated credentials of application {settings.client_id} "
        f"({settings.key_for('client_id')}) and {_oidc_source(settings)}")


# --------------------------------------------------------------------------------------------
# Managed identity


class ManagedIdentityCredential(_CachedToken):
    """msal's ManagedIdentityClient (App Service / Functions, Azure ML, Arc, Service Fabric,
    VM IMDS: msal picks the endpoint from the environment). The resource is the cloud's Graph
    host."""

    def __init__(self, settings: GraphSettings, http: requests.Session):
        super().__init__()
        # azuread takes the user-assigned identity from client_id when use_msi is set.
        self.client_id = settings.msi_client_id or (settings.client_id if settings.use_msi else None)
        which = f"user-assigned {self.client_id}" if self.client_id else "system-assigned"
        self.description = f"{KIND_MSI} ({which})"
        self._settings = settings
        self._session = http
        self._client = None
        self._cache = None

    def _msal_http(self):
        """Our TLS-pinned wrapper, except on Service Fabric: there msal needs the
        `requests.Session` itself, to derive one that pins the endpoint's certificate thumbprint
        (IDENTITY_SERVER_THUMBPRINT) instead of trusting a CA."""
        if os.environ.get("IDENTITY_SERVER_THUMBPRINT") and isinstance(self._session, requests.Session):
            return self._session
        return _Http(self._session, self._settings.verify)

    def _acquire(self, force: bool):
        import msal

        if self._client is None:
            mi = (msal.UserAssignedManagedIdentity(client_id=self.client_id) if self.client_id
                  else msal.SystemAssignedManagedIdentity())
            self._cache = msal.TokenCache()
            self._client = msal.ManagedIdentityClient(mi, http_client=self._msal_http(), token_cache=self._cache)
        if force:
            for at in list(self._cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                self._cache.remove_at(at)
        try:
            result = self._client.acquire_token_for_client(resource=self._settings.cloud.resource)
        except requests.RequestException as e:
            why = (f"no managed identity endpoint answered ({type(e).__name__}): "
                   "not running on Azure, or no identity assigned")
            if self._settings.msi_client_id or self._settings.use_msi:
                # Chosen by its settings: failing to reach it must not hand the run to the next
                # identity in the chain (the developer's own Azure CLI login).
                raise CredentialRejected(f"{why} (chosen by {self._chosen_by()})") from None
            raise CredentialUnavailable(why) from None
        except ValueError as e:  # msal's ManagedIdentityError and JSON decode errors
            raise CredentialRejected(f"the managed identity endpoint failed: {_first_line(str(e))}") from None
        if not result or "access_token" not in result:
            hint = (f"check {self._settings.key_for('msi_client_id')}" if self.client_id
                    else "assign a system identity, or set msgraph:msiClientId")
            raise _describe(result or {}, self._settings, hint)
        return result["access_token"], float(result.get("expires_in", 3600)), _refresh_in(result)


    def _chosen_by(self) -> str:
        s = self._settings
        return " and ".join(s.key_for(k) for k in ("use_msi", "msi_client_id") if getattr(s, k))


def managed_identity_credential(settings: GraphSettings, http: requests.Session) -> ManagedIdentityCredential:
    return ManagedIdentityCredential(settings, http)


# --------------------------------------------------------------------------------------------
# Azure CLI


class AzureCliCredential(_CachedToken):
    """`az account get-access-token --resource <graph host> [--tenant T] --output json`."""

    def __init__(self, settings: GraphSettings):
        super().__init__()
        self.description = KIND_CLI + (f" (tenant {settings.tenant_id})" if settings.tenant_id else "")
        self._settings = settings

    def _acquire(self, force: bool):
        az = shutil.which("az")
        if not az:
            raise CredentialUnavailable("`az` is not on PATH (install the Azure CLI and run `az login`)")
        args = [az, "account", "get-access-token", "--resource", self._settings.cloud.resource,
                "--output", "json"]
        if self._settings.tenant_id:
            args += ["--tenant", self._settings.tenant_id]
        try:
            p = subprocess.run(args, capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise CredentialRejected(f"`az account get-access-token` took longer than {CLI_TIMEOUT_S:.0f} s") from None
        except OSError as e:
            raise CredentialUnavailable(f"cannot run `az`: {e.strerror}") from None
        if p.returncode != 0:
            err = _scrub(_cli_error(p.stderr), _secrets_of(self._settings))
            if "az login" in p.stderr or "az account set" in p.stderr:
                raise CredentialUnavailable(f"not logged in: run `az login` ({err})")
            raise CredentialRejected(f"`az account get-access-token` failed: {err}")
        try:
            out = json.loads(p.stdout)
            token = out["accessToken"]
            expires_at = _cli_expiry(out)
        except (ValueError, KeyError, TypeError):
            raise CredentialRejected("`az account get-access-token` printed no token") from None
        return token, expires_at - time.time(), None


def _cli_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("ERROR:"):
            return ln[:300]
    return (lines[0][:300] if lines else "no error output")


def _cli_expiry(out: dict) -> float:
    """`expires_on` (POSIX seconds, az >= 2.54) or `expiresOn` (local time, older az)."""
    if out.get("expires_on") not in (None, ""):
        return float(out["expires_on"])
    text = str(out["expiresOn"])
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return _dt.datetime.strptime(text, fmt).timestamp()  # naive = local time, like az
        except ValueError:
            continue
    raise ValueError(text)


def azure_cli_credential(settings: GraphSettings, http: requests.Session) -> AzureCliCredential:
    return AzureCliCredential(settings)


# --------------------------------------------------------------------------------------------
# The chain


_FACTORIES: list[tuple[str, Callable[[GraphSettings, requests.Session], Credential]]] = [
    (KIND_SECRET, client_secret_credential),
    (KIND_CERTIFICATE, certificate_credential),
    (KIND_FEDERATED, federated_credential),
    (KIND_MSI, managed_identity_credential),
    (KIND_CLI, azure_cli_credential),
]


def selected_kinds(settings: GraphSettings) -> list[str]:
    """The kinds the chain tries, in order (README.md, "Configuration and sign-in")."""
    flags = {KIND_FEDERATED: settings.use_oidc, KIND_MSI: settings.use_msi, KIND_CLI: settings.use_cli}
    chosen = [k for k, on in flags.items() if on]
    if chosen:
        return [k for k, _ in _FACTORIES if k in chosen]
    present = {
        KIND_SECRET: settings.client_secret is not None,
        KIND_CERTIFICATE: bool(settings.client_certificate_path),
        KIND_FEDERATED: bool(settings.oidc_token is not None or settings.oidc_token_file_path
                             or (settings.oidc_request_url and settings.oidc_request_token)),
        KIND_MSI: bool(settings.msi_client_id),
        KIND_CLI: True,  # the fallback, as in azuread
    }
    return [k for k, _ in _FACTORIES if present[k] and flags.get(k) is not False]


_HOW_TO_ENABLE: dict[str, Callable[[GraphSettings], str]] = {
    KIND_SECRET: lambda s: f"set {s.key_for('client_secret')}",
    KIND_CERTIFICATE: lambda s: f"set {s.key_for('client_certificate_path')}",
    KIND_FEDERATED: lambda s: f"set {s.key_for('oidc_token')} or {s.key_for('oidc_token_file_path')}",
    KIND_MSI: lambda s: f"set {s.key_for('use_msi')}",
    KIND_CLI: lambda s: f"set {s.key_for('use_cli')}",
}


class ChainCredential:
    """Tries the selected kinds in order on the first token request; keeps the first that works
    for the life of the process. Thread-safe."""

    def __init__(self, settings: GraphSettings, http: requests.Session, kinds: list[str]):
        self._settings = settings
        self._http = http
        self.kinds = kinds
        # Kinds left out, so the all-failed error can say how to turn each one on.
        explicit = settings.use_oidc or settings.use_msi or settings.use_cli
        off = {KIND_CLI} if settings.use_cli is False else set()
        self.unconfigured = [] if explicit else [k for k, _ in _FACTORIES if k not in kinds and k not in off]
        self._built: dict[str, Credential] = {}
        self._chosen: Credential | None = None
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return self._chosen.description if self._chosen else "credential chain: " + ", ".join(self.kinds)

    def get_token(self, *, force_refresh: bool = False) -> str:
        chosen = self._chosen
        if chosen is not None:
            return self._one(chosen, force_refresh)
        with self._lock:
            if self._chosen is None:
                self._choose()
        return self._one(self._chosen, force_refresh)

    def _one(self, cred: Credential, force_refresh: bool) -> str:
        try:
            return cred.get_token(force_refresh=force_refresh)
        except (CredentialRejected, CredentialUnavailable) as e:
            raise AuthenticationError(f"{cred.description}: {e}", code=getattr(e, "code", None)) from None

    def _choose(self) -> None:
        factories = dict(_FACTORIES)
        tried: list[tuple[str, str]] = []   # (kind, why), kept on the error as `attempts`
        lines: list[str] = []
        code, rejected = None, False
        for kind in self.kinds:
            cred = self._built.get(kind)
            try:
                if cred is None:
                    cred = self._built[kind] = factories[kind](self._settings, self._http)
                cred.get_token()  # leaves the token in the credential's cache
            except CredentialUnavailable as e:
                why = f"skipped: {e}"
            except CredentialRejected as e:
                why, code, rejected = str(e), e.code, True
            else:
                self._chosen = cred
                for line in lines:
                    log.info("sign-in: %s", line)
                log.info("sign-in: using %s", cred.description)
                return
            tried.append((kind, why))
            lines.append(f"{cred.description if cred else kind}: {why}")
            if rejected:
                break  # never fall through to another identity (the developer's own az login)
        text = "\n".join(f"  - {line}" for line in lines)
        if self.unconfigured and not rejected:
            text += "\n  not configured: " + "; ".join(
                f"{k} ({_HOW_TO_ENABLE[k](self._settings)})" for k in self.unconfigured)
        err = AuthenticationError(
            _scrub(f"could not sign in to Microsoft Graph; tried, in order:\n{text}"
                   + docs_link("authentication.md"), _secrets_of(self._settings)),
            code=code)
        err.attempts = tried
        raise err


def credential_for(settings: GraphSettings, http: requests.Session) -> Credential:
    """The credential the settings select (README.md, "Configuration and sign-in"). Cheap: nothing is
    sent until the first `get_token()`.

    >>> cred = credential_for(resolve_settings(), new_session(True))   # doctest: +SKIP
    >>> headers = {"Authorization": f"Bearer {cred.get_token()}"}      # doctest: +SKIP
    """
    kinds = selected_kinds(settings)
    if not kinds:
        raise ConfigurationError(
            f"no credential left to try: {settings.key_for('use_cli')} is false and no other credential is "
            f"configured; set {settings.key_for('client_id')} with {settings.key_for('client_secret')} (or "
            f"{settings.key_for('client_certificate_path')}, {settings.key_for('oidc_token')}, "
            f"{settings.key_for('use_msi')}), or allow the Azure CLI login" + docs_link("authentication.md"))
    return ChainCredential(settings, http, kinds)
