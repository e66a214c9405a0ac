"""Sign-in: which credential kinds are tried, in what order, mapped onto azure-identity, with a
token cache and errors that name the setting to fix (docs/authentication.md).

Kinds, in chain order: client secret, client certificate (PEM or PKCS#12), federated token
(`oidcToken`, `oidcTokenFilePath` re-read per request, GitHub Actions), managed identity, Azure
CLI. `useOidc`/`useMsi`/`useCli` true select exactly those kinds; false removes that kind. A
kind whose inputs are missing, or whose environment cannot serve it (no `az`, not logged in), is
skipped. A kind the identity platform rejects stops the chain, and so does a managed identity
that fails (it is only ever tried when its own settings chose it): a run never silently signs
in as somebody else. One `AuthenticationError` lists every kind tried and why.

Tokens live in this process only: never logged, never in an exception message (every message
goes through `_scrub`), never on a provider object or an output.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from typing import Callable, Iterable, Protocol

import requests
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import (AzureCliCredential, CertificateCredential, ClientAssertionCredential,
                            ClientSecretCredential, CredentialUnavailableError, ManagedIdentityCredential)

from .errors import TLS_SETTING, AuthenticationError, ConfigurationError, connection_failure, docs_link, tls_failure
from .settings import GraphSettings

log = logging.getLogger("msgraph_membership.graph.auth")

REFRESH_MARGIN_S = 300.0  # refresh this long before expiry (at most half the lifetime)
HTTP_TIMEOUT_S = (10.0, 60.0)  # a stalled login host must not hang an apply for ever
CLI_TIMEOUT_S = 60
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"  # what azuread and azure/login ask GitHub for
KIND_SECRET, KIND_CERTIFICATE, KIND_FEDERATED = "client secret", "client certificate", "federated token (OIDC)"
KIND_MSI, KIND_CLI = "managed identity", "Azure CLI"


class Credential(Protocol):
    """Gives a bearer token for Graph; thread-safe; cached until shortly before expiry."""

    description: str

    def get_token(self, *, force_refresh: bool = False) -> str: ...


class CredentialUnavailable(Exception):
    """This kind cannot even be tried here (inputs missing, no `az`): the chain moves on."""


class CredentialRejected(Exception):
    """This kind was tried and failed for good: the chain stops. `code`: the AADSTS code, if any."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


def _secrets_of(s: GraphSettings) -> list[str]:
    fields = (s.client_secret, s.client_certificate_password, s.oidc_token, s.oidc_request_token)
    return [v.get_secret_value() for v in fields if v is not None and v.get_secret_value()]


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every known secret, and anything shaped like a JWT, masked."""
    for s in secrets:
        text = text.replace(s, "***") if len(s) >= 4 else text
    return re.sub(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*", "<jwt>", text)


def _first_line(text: str | None, limit: int = 300) -> str:
    """The first non-empty line, without Entra's trailing "Trace ID: ... Timestamp: ..."."""
    for line in (text or "").splitlines():
        line = re.split(r"\s+Trace ID:", line, maxsplit=1)[0].strip()
        if line:
            return line if len(line) <= limit else line[:limit] + "..."
    return ""


class _CachedToken:
    """One token, refreshed ahead of expiry, one lock. Subclasses implement `_acquire(force)` ->
    (token, expires_in_s, refresh_in_s | None), raising CredentialRejected/CredentialUnavailable."""

    description = "credential"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = self._refresh_at = 0.0

    def get_token(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            now = time.time()
            if self._token and not force_refresh and now < self._refresh_at:
                return self._token
            try:
                token, expires_in, refresh_in = self._acquire(force_refresh)
            except (CredentialRejected, CredentialUnavailable) as e:
                if self._token and not force_refresh and now < self._expires_at - 5:
                    log.warning("%s: token refresh failed, using the current token until it expires: %s",
                                self.description, e)
                    return self._token
                raise
            lifetime = max(0.0, float(expires_in))
            self._token, self._expires_at = token, now + lifetime
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
    "700024": "the client assertion has expired or is not yet valid: check this machine's clock, or give a "
              "fresh federated token ({oidc})",
    "70021": "no federated credential on the application matches the token's issuer, subject and audience: "
             "add one, or fix {oidc}",
    "700211": "no federated credential on the application has the token's issuer: add one, or fix {oidc}",
    "700213": "no federated credential on the application has the token's subject: add one, or fix {oidc}",
    "700212": f"no federated credential on the application has the token's audience ({FEDERATION_AUDIENCE}): "
              "add one, or fix {oidc}",
    "500011": "Graph is not known in this tenant's cloud: check {environment}",
    "7000112": "the application is disabled: enable it, or use another {client_id}",
}


def _describe(result: dict, s: GraphSettings, default_hint: str) -> CredentialRejected:
    """An error answer as one line: error, AADSTS code, first line, what to change."""
    desc = _first_line(result.get("error_description") or result.get("message"))
    m = re.search(r"AADSTS(\d+)", desc)
    code = str((result.get("error_codes") or [None])[0] or (m.group(1) if m else "")) or None
    keys = {f: s.key_for(f) for f in ("client_id", "tenant_id", "environment")}
    keys.update(secret=s.key_for("client_secret"), cert=s.key_for("client_certificate_path"), oidc=_oidc_source(s))
    if code and f"AADSTS{code}" not in desc:
        desc = f"AADSTS{code}: {desc}"
    err = result.get("error") or f"HTTP {result.get('statusCode', 'error')}"
    msg = f"{err}: {desc} -> {_AADSTS_HINTS.get(code or '', default_hint).format(**keys)}"
    return CredentialRejected(_scrub(msg, _secrets_of(s)), code=f"AADSTS{code}" if code else err)


def _oidc_source(s: GraphSettings) -> str:
    return next((s.sources[f] for f in ("oidc_token", "oidc_token_file_path", "oidc_request_url")
                 if f in s.sources), s.key_for("oidc_token"))


def _network_cause(e: BaseException | None) -> requests.RequestException | None:
    """The requests error under azure-core's wrappers (inner_exception) or azure-identity's (__cause__)."""
    while e is not None and not isinstance(e, requests.RequestException):
        e = getattr(e, "inner_exception", None) or e.__cause__
    return e


class _Identity(_CachedToken):
    """One kind on azure-identity. Each token request builds a fresh azure-identity credential, so our
    cache alone decides when to refresh: azure-identity has no force-refresh, holds tokens for 30 s
    after a request whatever their lifetime, and its Azure CLI credential caches nothing."""

    def __init__(self, s: GraphSettings, http, kind: str, description: str, build: Callable[..., object],
                 hint: str):
        super().__init__()
        self.kind, self.description, self._s, self._http, self._build, self._hint = (
            kind, description, s, http, build, hint)

    def _acquire(self, force: bool):
        s, answers = self._s, []

        def keep_error_answer(pipeline_response):  # azure-identity keeps only the description
            r = pipeline_response.http_response
            if r.status_code >= 400 and "json" in (r.headers.get("content-type") or ""):
                answers.append(json.loads(r.text()))
        kw = {} if self.kind == KIND_CLI else {"transport": RequestsTransport(  # our session: our TLS trust rule
            session=self._http, session_owner=False, connection_verify=s.verify,
            connection_timeout=HTTP_TIMEOUT_S[0], read_timeout=HTTP_TIMEOUT_S[1])}
        if self.kind not in (KIND_CLI, KIND_MSI):  # (Service Fabric warns that it ignores hooks)
            kw["raw_response_hook"] = keep_error_answer
        try:
            info = self._build(**kw).get_token_info(s.scope)
        except (CredentialRejected, CredentialUnavailable):
            raise
        except Exception as e:  # noqa: BLE001 - azure-identity's and msal's errors, each told as one line
            raise self._explain(e, answers) from None
        now = time.time()
        return info.token, info.expires_on - now, (info.refresh_on - now) if info.refresh_on else None

    def _explain(self, e: Exception, answers: list[dict]) -> Exception:
        s, net, text = self._s, _network_cause(e), _first_line(str(getattr(e, "message", None) or e))
        chosen_by = " and ".join(s.key_for(k) for k in ("use_msi", "msi_client_id") if getattr(s, k))
        if isinstance(net, requests.exceptions.SSLError):
            return CredentialRejected(tls_failure(s.login_host, TLS_SETTING, net, s.ca_in_use))
        if net is not None and self.kind == KIND_MSI:  # chosen by its settings: never fall through
            return CredentialRejected(f"no managed identity endpoint answered ({type(net).__name__}): not running "
                                      f"on Azure, or no identity assigned (chosen by {chosen_by})")
        if net is not None:
            return CredentialRejected(connection_failure(s.login_host, s.login_host_setting, net))
        if self.kind == KIND_CLI:
            if isinstance(e, CredentialUnavailableError):
                return CredentialUnavailable("`az` is not on PATH (install the Azure CLI and run `az login`)"
                                             if "not found" in text else f"not logged in: run `az login` ({text})")
            lines = [ln.strip() for ln in str(getattr(e, "message", e)).splitlines() if ln.strip()]
            text = next((ln for ln in lines if ln.startswith("ERROR:")), text)[:300]
            return CredentialRejected(_scrub(f"`az account get-access-token` failed: {text}", _secrets_of(s)))
        if answers:
            return _describe(answers[-1], s, self._hint)
        if isinstance(e, CredentialUnavailableError) and self.kind != KIND_MSI:
            return CredentialUnavailable(_scrub(text, _secrets_of(s)))
        return CredentialRejected(_scrub(f"{text} -> {self._hint}", _secrets_of(s)))


def _need(s: GraphSettings, *fields: str) -> None:
    missing = [s.key_for(f) for f in fields if not getattr(s, f)]
    if missing:
        raise CredentialUnavailable("not configured: set " + " and ".join(missing))


def _app(s: GraphSettings, http, kind: str, build: Callable[..., object], hint: str) -> _Identity:
    """A confidential-client kind, signing in at the configured authority host."""
    def with_authority(**kw):
        # Instance discovery asks login.microsoftonline.com about the authority; an overridden
        # host (the emulator, a private cloud) cannot be known there.
        return build(authority=s.login_host, disable_instance_discovery=s.authority_overridden, **kw)
    return _Identity(s, http, kind, f"{kind} for application {s.client_id}", with_authority, hint)


def client_secret_credential(s: GraphSettings, http) -> _Identity:
    _need(s, "client_secret", "client_id", "tenant_id")
    return _app(s, http, KIND_SECRET, lambda **kw: ClientSecretCredential(
        s.tenant_id, s.client_id, s.client_secret.get_secret_value(), **kw),
        f"check {s.key_for('client_secret')}, {s.key_for('client_id')} and {s.key_for('tenant_id')}")


def certificate_credential(s: GraphSettings, http) -> _Identity:
    _need(s, "client_certificate_path", "client_id", "tenant_id")
    path = os.path.expanduser(s.client_certificate_path)
    pw = s.client_certificate_password.get_secret_value() if s.client_certificate_password else None
    where = f"{s.key_for('client_certificate_path')}, {s.key_for('client_certificate_password')}"

    def build(**kw):
        try:  # read here, so a missing file and a bad password get messages naming the settings
            with open(path, "rb") as f:
                data = f.read()
            # send_certificate_chain sends x5c, which also allows subject-name/issuer authentication.
            return CertificateCredential(s.tenant_id, s.client_id, certificate_data=data, password=pw,
                                         send_certificate_chain=True, **kw)
        except OSError as e:
            raise CredentialRejected(f"cannot read the certificate file {path}: {e.strerror} ({where})") from None
        except (TypeError, ValueError) as e:
            why = ("it holds no private key: put the key and the certificate in one PEM file"
                   if b"-----BEGIN" in data and b"PRIVATE KEY" not in data else
                   "it holds no certificate: put the key and the certificate in one PEM file"
                   if b"-----BEGIN" in data and b"CERTIFICATE-----" not in data else
                   "its private key is encrypted: set the password" if isinstance(e, TypeError) and not pw else
                   "its private key is not encrypted: remove the password" if isinstance(e, TypeError) else
                   "its key is not RSA (RS256 is used for signing)" if "RSA" in str(e) else
                   "wrong password, or not a PEM or PKCS#12 (.pfx/.p12) file")
            raise CredentialRejected(f"cannot use the certificate file {path}: {why} ({where})") from None
    return _app(s, http, KIND_CERTIFICATE, build, f"check that the certificate in {where} is registered on "
                f"application {s.client_id} ({s.key_for('client_id')})")


def federated_assertion(s: GraphSettings, http) -> Callable[[], str]:
    """A callable giving a fresh federated assertion on every token request: the token string,
    the token file (re-read: Kubernetes rotates it), or a token from GitHub Actions."""
    if s.oidc_token is not None:
        return lambda: s.oidc_token.get_secret_value().strip()
    if s.oidc_token_file_path:
        path, where = os.path.expanduser(s.oidc_token_file_path), s.key_for("oidc_token_file_path")

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
    if s.oidc_request_url and s.oidc_request_token:
        return _github_assertion(s, http)
    raise CredentialUnavailable(f"not configured: set {s.key_for('oidc_token')}, {s.key_for('oidc_token_file_path')}, "
                                "or run in GitHub Actions with `permissions: id-token: write`")


def _github_assertion(s: GraphSettings, http) -> Callable[[], str]:
    """azure-identity has no GitHub Actions credential: ask GitHub's OIDC request URL ourselves."""
    url = f"{s.oidc_request_url}{'&' if '?' in s.oidc_request_url else '?'}audience={FEDERATION_AUDIENCE}"
    where = s.key_for("oidc_request_url")

    def from_github() -> str:
        try:
            r = http.get(url, headers={"Authorization": f"Bearer {s.oidc_request_token.get_secret_value()}",
                                       "Accept": "application/json"}, verify=s.verify, timeout=HTTP_TIMEOUT_S)
        except requests.exceptions.SSLError as e:
            raise CredentialRejected(tls_failure(f"the OIDC token request URL ({where})", TLS_SETTING, e,
                                                 s.ca_in_use)) from None
        except requests.RequestException as e:
            raise CredentialRejected(f"cannot reach the OIDC token request URL ({where}): {type(e).__name__}") from None
        if r.status_code != 200:
            raise CredentialRejected(f"the OIDC token request URL ({where}) answered {r.status_code}: "
                                     f"check {s.key_for('oidc_request_token')}")
        try:
            return r.json()["value"]
        except (ValueError, KeyError, TypeError):
            raise CredentialRejected(f"the OIDC token request URL ({where}) gave no token") from None
    return from_github


def federated_credential(s: GraphSettings, http) -> _Identity:
    assertion = federated_assertion(s, http)
    _need(s, "client_id", "tenant_id")
    return _app(s, http, KIND_FEDERATED, lambda **kw: ClientAssertionCredential(
        s.tenant_id, s.client_id, assertion, **kw),
        f"check the federated credentials of application {s.client_id} ({s.key_for('client_id')}) and "
        f"{_oidc_source(s)}")


def managed_identity_credential(s: GraphSettings, http) -> _Identity:
    # azuread takes the user-assigned identity from client_id when use_msi is set.
    client_id = s.msi_client_id or (s.client_id if s.use_msi else None)
    which = f"user-assigned {client_id}" if client_id else "system-assigned"
    hint = f"check {s.key_for('msi_client_id')}" if client_id else "assign a system identity, or set msgraph:msiClientId"
    return _Identity(s, http, KIND_MSI, f"{KIND_MSI} ({which})",
                     lambda **kw: ManagedIdentityCredential(client_id=client_id, **kw), hint)


def azure_cli_credential(s: GraphSettings, http) -> _Identity:
    return _Identity(s, http, KIND_CLI, KIND_CLI + (f" (tenant {s.tenant_id})" if s.tenant_id else ""),
                     lambda: AzureCliCredential(tenant_id=s.tenant_id or "", process_timeout=CLI_TIMEOUT_S), "")


_FACTORIES: dict[str, Callable[[GraphSettings, object], Credential]] = {
    KIND_SECRET: client_secret_credential, KIND_CERTIFICATE: certificate_credential,
    KIND_FEDERATED: federated_credential, KIND_MSI: managed_identity_credential, KIND_CLI: azure_cli_credential}

_HOW_TO_ENABLE = {KIND_SECRET: "client_secret", KIND_CERTIFICATE: "client_certificate_path",
                  KIND_FEDERATED: "oidc_token", KIND_MSI: "use_msi", KIND_CLI: "use_cli"}


def selected_kinds(s: GraphSettings) -> list[str]:
    """The kinds the chain tries, in order (docs/authentication.md, "Which credential is used")."""
    flags = {KIND_FEDERATED: s.use_oidc, KIND_MSI: s.use_msi, KIND_CLI: s.use_cli}
    if any(flags.values()):
        return [k for k in _FACTORIES if flags.get(k)]
    present = {KIND_SECRET: s.client_secret is not None, KIND_CERTIFICATE: bool(s.client_certificate_path),
               KIND_FEDERATED: bool(s.oidc_token is not None or s.oidc_token_file_path
                                    or (s.oidc_request_url and s.oidc_request_token)),
               KIND_MSI: bool(s.msi_client_id), KIND_CLI: True}  # the CLI is the fallback, as in azuread
    return [k for k in _FACTORIES if present[k] and flags.get(k) is not False]


class ChainCredential:
    """Tries the selected kinds in order on the first token request; keeps the first that works.
    Our own loop, not azure-identity's ChainedTokenCredential: that one moves on after a rejection,
    which would fall through to the developer's own `az login`."""

    def __init__(self, s: GraphSettings, http, kinds: list[str]):
        self._s, self._http, self.kinds = s, http, kinds
        explicit = s.use_oidc or s.use_msi or s.use_cli
        self.unconfigured = [] if explicit else [k for k in _FACTORIES if k not in kinds
                                                 and not (k == KIND_CLI and s.use_cli is False)]
        self._chosen: Credential | None = None
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return self._chosen.description if self._chosen else "credential chain: " + ", ".join(self.kinds)

    def get_token(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            if self._chosen is None:
                self._choose()
        try:
            return self._chosen.get_token(force_refresh=force_refresh)
        except (CredentialRejected, CredentialUnavailable) as e:
            raise AuthenticationError(f"{self._chosen.description}: {e}", code=getattr(e, "code", None)) from None

    def _choose(self) -> None:
        tried, lines, code, rejected = [], [], None, False
        for kind in self.kinds:
            cred = None
            try:
                cred = _FACTORIES[kind](self._s, self._http)
                cred.get_token()  # leaves the token in the credential's cache
            except CredentialUnavailable as e:
                why = f"skipped: {e}"
            except CredentialRejected as e:
                why, code, rejected = str(e), e.code, True
            else:
                for line in lines:
                    log.info("sign-in: %s", line)
                log.info("sign-in: using %s", cred.description)
                self._chosen = cred
                return
            tried.append((kind, why))
            lines.append(f"{cred.description if cred else kind}: {why}")
            if rejected:
                break  # never fall through to another identity (the developer's own az login)
        text = "\n".join(f"  - {line}" for line in lines)
        if self.unconfigured and not rejected:
            text += "\n  not configured: " + "; ".join(
                f"{k} (set {self._s.key_for(_HOW_TO_ENABLE[k])})" for k in self.unconfigured)
        err = AuthenticationError(_scrub(f"could not sign in to Microsoft Graph; tried, in order:\n{text}"
                                         + docs_link("authentication.md"), _secrets_of(self._s)), code=code)
        err.attempts = tried
        raise err


def credential_for(s: GraphSettings, http) -> Credential:
    """The credential the settings select. Cheap: nothing is sent until the first `get_token()`.

    >>> cred = credential_for(resolve_settings(), new_session(True))   # doctest: +SKIP
    >>> headers = {"Authorization": f"Bearer {cred.get_token()}"}      # doctest: +SKIP
    """
    if not (kinds := selected_kinds(s)):
        raise ConfigurationError(
            f"no credential left to try: {s.key_for('use_cli')} is false and no other credential is configured; set "
            f"{s.key_for('client_id')} with {s.key_for('client_secret')} (or {s.key_for('client_certificate_path')}, "
            f"{s.key_for('oidc_token')}, {s.key_for('use_msi')}), or allow the Azure CLI login"
            + docs_link("authentication.md"))
    return ChainCredential(s, http, kinds)
