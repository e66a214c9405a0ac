"""Sign-in (docs/authentication.md): which credential kinds are tried, in what order, each mapped onto
azure-identity; the token cache; and errors that name the setting to fix.

Chain order: client secret, certificate, federated token, managed identity, Azure CLI. A kind whose inputs
are missing, or that cannot work here (no `az`), is skipped; one the identity platform rejects stops the
chain, and so does a failing managed identity (only tried when its own settings chose it): a run never
silently signs in as somebody else. Tokens stay in this process: never logged, never in a message (`_scrub`).
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import threading
import time
from typing import Callable

import requests
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import (AzureCliCredential, CertificateCredential, ClientAssertionCredential,
                            ClientSecretCredential, CredentialUnavailableError, ManagedIdentityCredential)

from .delegated import token_claims
from .errors import (FEDERATION_AUDIENCE, TLS_SETTING, AuthenticationError, ConfigurationError, connection_failure,
                     docs_link, first_line, identity_platform_error, tls_failure)
from .material import with_files_read
from .settings import GraphSettings, require_https
from .transport import new_session

log = logging.getLogger("msgraph_membership.graph.auth")
# azure-identity warns about each failed credential; the chain reports them all in one error instead, so
# without a handler of the user's they must not reach stderr through logging's last-resort handler.
logging.getLogger("azure.identity").addHandler(logging.NullHandler())
REFRESH_MARGIN_S = 300.0  # refresh this long before expiry (at most half the lifetime)
HTTP_TIMEOUT_S = (10.0, 60.0)  # a stalled login host must not hang an apply for ever
KIND_SECRET, KIND_CERTIFICATE, KIND_FEDERATED = "client secret", "client certificate", "federated token (OIDC)"
KIND_MSI, KIND_CLI = "managed identity", "Azure CLI"
KINDS = (KIND_SECRET, KIND_CERTIFICATE, KIND_FEDERATED, KIND_MSI, KIND_CLI)  # the chain's order
_TURNED_ON_BY = dict(zip(KINDS, ("client_secret", "client_certificate_path", "oidc_token", "use_msi", "use_cli")))


class CredentialUnavailable(Exception):
    """This kind cannot be tried here (inputs missing, no `az`): the chain moves on."""


class CredentialRejected(Exception):
    """This kind was tried and failed for good: the chain stops. `code`: the AADSTS code, if any."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


def _scrub(text: str, s: GraphSettings) -> str:
    """`text` with every secret of `s`, and anything shaped like a JWT, masked."""
    for v in (s.client_secret, s.client_certificate, s.client_certificate_password, s.oidc_token,
              s.oidc_request_token):
        text = text.replace(v.get_secret_value(), "***") if v and len(v.get_secret_value()) >= 4 else text
    return re.sub(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*", "<jwt>", text)


def _oidc_source(s: GraphSettings) -> str:
    fields = ("oidc_token", "oidc_token_file_path", "oidc_request_url")
    return next((s.sources[f] for f in fields if f in s.sources), s.key_for("oidc_token"))


class _Identity:
    """One kind on azure-identity, and its token: one token, refreshed ahead of expiry, one lock.
    Each token request builds a fresh azure-identity credential, so this cache alone decides when to
    refresh: azure-identity has no force-refresh, keeps a token for 30 s after a request whatever its
    lifetime, and its Azure CLI credential caches nothing."""

    def __init__(self, s: GraphSettings, http, kind: str, description: str, build: Callable, hint: str = ""):
        self.kind, self.description, self._s, self._http, self._build, self._hint = (
            kind, description, s, http, build, hint)
        self._lock, self._token, self._expires_at, self._refresh_at = threading.Lock(), None, 0.0, 0.0

    def get_token(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            now = time.time()
            if self._token and not force_refresh and now < self._refresh_at:
                return self._token
            try:
                token, expires_in, refresh_in = self._acquire()
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

    def _acquire(self) -> tuple[str, float, float | None]:
        """(token, expires_in_s, refresh_in_s | None), or CredentialRejected/CredentialUnavailable."""
        answers: list[dict] = []  # azure-identity keeps only an error's description; its code names the fix

        def keep(pipeline_response):
            r = pipeline_response.http_response
            try:
                answers.extend([json.loads(r.text())] if r.status_code >= 400 else [])
            except ValueError:
                pass
        kw = {} if self.kind == KIND_CLI else {"transport": RequestsTransport(  # our session: our TLS trust rule
            session=self._http or new_session(self._s.verify), session_owner=False, connection_verify=self._s.verify,
            connection_timeout=HTTP_TIMEOUT_S[0], read_timeout=HTTP_TIMEOUT_S[1])}
        if self.kind not in (KIND_CLI, KIND_MSI):  # (Service Fabric warns that it ignores hooks)
            kw["raw_response_hook"] = keep
        try:
            info = self._build(**kw).get_token_info(self._s.scope)
        except (CredentialRejected, CredentialUnavailable):
            raise
        except Exception as e:  # noqa: BLE001 - azure-identity's and msal's errors, each told in one line
            raise self._explain(e, answers) from None
        now = time.time()
        return info.token, info.expires_on - now, (info.refresh_on - now) if info.refresh_on else None

    def _explain(self, e: Exception, answers: list[dict]) -> Exception:
        s, net, text = self._s, e, first_line(str(getattr(e, "message", None) or e))
        while net is not None and not isinstance(net, requests.RequestException):  # under azure-core's wrappers
            net = getattr(net, "inner_exception", None) or net.__cause__
        if net is not None and self.kind == KIND_MSI:  # chosen by its settings: never fall through
            chosen_by = " and ".join(s.key_for(k) for k in ("use_msi", "msi_client_id") if getattr(s, k))
            return CredentialRejected(f"no managed identity endpoint answered ({type(net).__name__}): not running "
                                      f"on Azure, or no identity assigned (chosen by {chosen_by})")
        if isinstance(net, requests.exceptions.SSLError):
            return CredentialRejected(tls_failure(s.login_host, TLS_SETTING, net, s.ca_in_use,
                                                  s.login_host_setting))
        if net is not None:
            return CredentialRejected(connection_failure(s.login_host, s.login_host_setting, net))
        if self.kind == KIND_CLI and isinstance(e.__cause__, subprocess.TimeoutExpired):  # its text says "failed"
            return CredentialRejected("`az account get-access-token` took longer than 60 s")
        if self.kind == KIND_CLI and isinstance(e, CredentialUnavailableError):  # its text names no fix
            if "not found" in text:
                return CredentialUnavailable("`az` is not on PATH (install the Azure CLI and run `az login`)")
            return CredentialUnavailable("not logged in: run `az login`" if "az login" in text else text)
        if self.kind == KIND_CLI:  # az's own error line, not its warnings
            lines = [ln.strip() for ln in str(getattr(e, "message", e)).splitlines()]
            error = next((ln for ln in lines if ln.startswith("ERROR:")), text)
            return CredentialRejected(_scrub("`az account get-access-token` failed: " + error[:300], s))
        if answers:
            keys = {f: s.key_for(f) for f in ("client_id", "tenant_id", "environment")}
            keys.update(secret=s.key_for("client_secret"), cert=s.key_for("client_certificate_path"),
                        oidc=_oidc_source(s))
            message, code = identity_platform_error(answers[-1], keys, self._hint)
            return CredentialRejected(_scrub(message, s), code=code)
        return CredentialRejected(_scrub(f"{text} -> {self._hint}" if self._hint else text, s))


def _credential(kind: str, s: GraphSettings, http) -> _Identity:
    """One kind mapped onto azure-identity; CredentialUnavailable when its inputs are missing."""
    if kind == KIND_MSI:
        client_id = s.msi_client_id or (s.client_id if s.use_msi else None)  # with use_msi, as azuread does
        if s.msi_client_id:
            who, hint = f"user-assigned {client_id}", f"check {s.key_for('msi_client_id')}"
        elif client_id:  # the client id named the identity: say so, it may be an application's id
            who, hint = f"user-assigned {client_id}", (
                f"with {s.key_for('use_msi')}, {s.key_for('client_id')} names the managed identity (as in "
                f"pulumi-azuread): check that {client_id} is a managed identity's client id, not an application's, "
                f"or set {s.key_for('msi_client_id')} to the identity's")
        else:
            who, hint = "system-assigned", "assign a system identity, or set msgraph:msiClientId"
        return _Identity(s, http, kind, f"{kind} ({who})",
                         lambda **kw: ManagedIdentityCredential(client_id=client_id, **kw), hint)
    if kind == KIND_CLI:
        _check_tenant(s)
        return _Identity(s, http, kind, kind + (f" (tenant {s.tenant_id})" if s.tenant_id else ""),
                         lambda: AzureCliCredential(tenant_id=s.tenant_id or "", process_timeout=60))
    assertion = federated_assertion(s, http) if kind == KIND_FEDERATED else None
    if missing := [s.key_for(f) for f in ("client_id", "tenant_id") if not getattr(s, f)]:
        raise CredentialUnavailable("not configured: set " + " and ".join(missing))
    _check_tenant(s)
    # Instance discovery asks login.microsoftonline.com about the authority: an overridden host is unknown there.
    # One read retry (azure-core's default is three): a login host that never answers fails within two reads.
    app = dict(authority=s.login_host, disable_instance_discovery=s.authority_overridden, retry_read=1)
    app_id, secret = f"application {s.client_id} ({s.key_for('client_id')})", s.client_secret
    build, hint = {
        KIND_SECRET: (lambda **kw: ClientSecretCredential(s.tenant_id, s.client_id, secret.get_secret_value(),
                                                          **app, **kw),
                      f"check {s.key_for('client_secret')}, {s.key_for('client_id')} and {s.key_for('tenant_id')}"),
        KIND_CERTIFICATE: (lambda **kw: _certificate(s, **app, **kw), f"check that the certificate in "
                           f"{s.key_for('client_certificate_path')} is registered on {app_id}"),
        KIND_FEDERATED: (lambda **kw: ClientAssertionCredential(s.tenant_id, s.client_id, assertion, **app, **kw),
                         f"check the federated credentials of {app_id} and {_oidc_source(s)}")}[kind]
    return _Identity(s, http, kind, f"{kind} for application {s.client_id}", build, hint)


def _check_tenant(s: GraphSettings) -> None:
    """azure-identity's rule for a tenant id, said with the setting's name before any kind uses it."""
    if s.tenant_id and not re.fullmatch(r"[A-Za-z0-9.-]+", s.tenant_id):
        raise CredentialRejected(f"{s.key_for('tenant_id')} ({s.tenant_id!r}) is not a tenant id: give the "
                                 "directory's id (a GUID) or one of its domain names")


def _certificate(s: GraphSettings, **kw) -> CertificateCredential:
    """From the file, or from the base64 `clientCertificate`, read here so that a missing file, bad
    base64 or a bad password names the settings."""
    field = "client_certificate" if s.client_certificate is not None else "client_certificate_path"
    path = os.path.expanduser(s.client_certificate_path or "")
    what = f"the certificate file {path}" if field == "client_certificate_path" else f"the certificate in {s.key_for(field)}"
    pw = s.client_certificate_password.get_secret_value() if s.client_certificate_password else None
    where = f"{s.key_for(field)}, {s.key_for('client_certificate_password')}"
    data = b""
    try:
        if field == "client_certificate":
            try:
                data = base64.b64decode("".join(s.client_certificate.get_secret_value().split()), validate=True)
            except ValueError:
                raise CredentialRejected(f"{s.key_for(field)} is not base64: give the PKCS#12 (.pfx) file's "
                                         "contents in base64 (`base64 -w0 cert.pfx`)") from None
        else:
            with open(path, "rb") as f:
                data = f.read()
        # send_certificate_chain sends x5c, which also allows subject-name/issuer authentication.
        return CertificateCredential(s.tenant_id, s.client_id, certificate_data=data, password=pw,
                                     send_certificate_chain=True, **kw)
    except OSError as e:
        raise CredentialRejected(f"cannot read the certificate file {path}: {e.strerror} ({where})") from None
    except (TypeError, ValueError) as e:  # cryptography: TypeError for a missing or needless password
        if b"-----BEGIN" in data and b"PRIVATE KEY" not in data:
            why = "holds no private key: put the key and the certificate in one PEM file"
        elif isinstance(e, TypeError):
            why = "holds a key that is " + ("not encrypted: remove the password" if pw else "encrypted: set the password")
        else:
            why = ("cannot be opened: wrong password, or not a PEM or PKCS#12 (.pfx/.p12) file holding an RSA key "
                   "and its certificate")
        raise CredentialRejected(f"{what} {why} ({where})") from None


def federated_assertion(s: GraphSettings, http) -> Callable[[], str]:
    """A fresh federated assertion on every token request: the token, the token file (re-read:
    Kubernetes rotates it), or, as azure-identity has no GitHub Actions credential, one from GitHub."""
    if s.oidc_token is not None:
        return lambda: s.oidc_token.get_secret_value().strip()
    if s.oidc_token_file_path:
        return lambda: _token_file(os.path.expanduser(s.oidc_token_file_path), s.key_for("oidc_token_file_path"))
    if s.oidc_request_url and s.oidc_request_token:
        require_https(s.oidc_request_url, s.key_for("oidc_request_url"))  # the request token is a bearer token
        return lambda: _github_token(s, http, s.key_for("oidc_request_url"))
    raise CredentialUnavailable(f"not configured: set {s.key_for('oidc_token')}, {s.key_for('oidc_token_file_path')}, "
                                "or run in GitHub Actions with `permissions: id-token: write`")


def _token_file(path: str, where: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            if value := f.read().strip():
                return value
    except OSError as e:
        raise CredentialRejected(f"cannot read the token file {path} ({where}): {e.strerror}") from None
    raise CredentialRejected(f"the token file {path} ({where}) is empty")


def _github_token(s: GraphSettings, http, where: str) -> str:
    url = f"{s.oidc_request_url}{'&' if '?' in s.oidc_request_url else '?'}audience={FEDERATION_AUDIENCE}"
    try:
        r = http.get(url, headers={"Authorization": f"Bearer {s.oidc_request_token.get_secret_value()}",
                                   "Accept": "application/json"}, verify=s.verify, timeout=HTTP_TIMEOUT_S)
    except requests.exceptions.SSLError as e:
        raise CredentialRejected(tls_failure(f"the OIDC token request URL ({where})", TLS_SETTING, e,
                                             s.ca_in_use, where)) from None
    except requests.RequestException as e:
        raise CredentialRejected(f"cannot reach the OIDC token request URL ({where}): {type(e).__name__}") from None
    try:
        value = r.json().get("value") if r.status_code == 200 else None
    except (ValueError, AttributeError):
        value = None
    if not value:
        raise CredentialRejected(f"the OIDC token request URL ({where}) " + (
            f"answered {r.status_code}: check {s.key_for('oidc_request_token')}" if r.status_code != 200
            else "gave no token"))
    return value


def selected_kinds(s: GraphSettings) -> list[str]:
    """The kinds the chain tries, in order (docs/authentication.md, "Which credential is used")."""
    flags = {KIND_FEDERATED: s.use_oidc, KIND_MSI: s.use_msi, KIND_CLI: s.use_cli}
    if any(flags.values()):
        return [k for k in KINDS if flags.get(k)]
    present = {KIND_SECRET: s.client_secret is not None,
               KIND_CERTIFICATE: bool(s.client_certificate_path or s.client_certificate is not None),
               KIND_FEDERATED: bool(s.oidc_token is not None or s.oidc_token_file_path
                                    or (s.oidc_request_url and s.oidc_request_token)),
               # The CLI is the fallback, as in azuread, but never for a configured service principal:
               # `az` would sign in as somebody else.
               KIND_MSI: bool(s.msi_client_id), KIND_CLI: not service_principal(s)}
    return [k for k in KINDS if present[k] and flags.get(k) is not False]


def service_principal(s: GraphSettings) -> bool:
    """Whether the settings name an application to sign in as (a client id and a tenant)."""
    return bool(s.client_id and s.tenant_id)


def _who(token: str) -> str:
    """Who a token names, from its unverified claims (not secret): a user's name or an app's id."""
    claims = token_claims(token)
    user = claims.get("upn") or claims.get("unique_name") or claims.get("preferred_username")
    return f" as {user}" if user else (f" as application {claims['appid']}" if claims.get("appid") else "")


class ChainCredential:
    """Tries the selected kinds in order on the first token request and keeps the first that works.
    Our own loop: azure-identity's ChainedTokenCredential would move on after a rejection too."""

    def __init__(self, s: GraphSettings, http, kinds: list[str]):
        self._s, self._http, self.kinds, self._chosen, self._lock = s, http, kinds, None, threading.Lock()

    @property
    def description(self) -> str:
        return self._chosen.description if self._chosen else "credential chain: " + ", ".join(self.kinds)

    def get_token(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            chosen = self._chosen or self._choose()
        try:
            return chosen.get_token(force_refresh=force_refresh)
        except (CredentialRejected, CredentialUnavailable) as e:
            raise AuthenticationError(f"{chosen.description}: {e}", code=getattr(e, "code", None)) from None

    def _choose(self) -> _Identity:
        s, tried, lines, code, rejected = self._s, [], [], None, False
        for kind in self.kinds:
            cred = None
            try:
                cred = _credential(kind, s, self._http)
                cred.get_token()  # leaves the token in the credential's cache
            except CredentialUnavailable as e:
                why = f"skipped: {e}"
            except CredentialRejected as e:
                why, code, rejected = str(e), e.code, True
            else:
                # A fallback (an earlier kind skipped, or the CLI nobody asked for) is said at WARNING.
                fallback = bool(lines) or (kind == KIND_CLI and not s.use_cli)
                for line in lines + [f"using {cred.description}{_who(cred.get_token())}"
                                     + (" (a fallback: no earlier credential was configured)" if fallback else "")]:
                    log.log(logging.WARNING if fallback else logging.INFO, "sign-in: %s", line)
                self._chosen = cred
                return cred
            tried.append((kind, why))
            lines.append(f"{cred.description if cred else kind}: {why}")
            if rejected:
                break  # never fall through to another identity (the developer's own az login)
        text = "".join(f"\n  - {line}" for line in lines)
        off = [k for k in KINDS[:-1] if k not in self.kinds]  # the CLI is left out only by useCli=false
        if off and not (rejected or s.use_oidc or s.use_msi or s.use_cli):  # say how to turn the others on
            text += "\n  not configured: " + "; ".join(f"{k} (set {s.key_for(_TURNED_ON_BY[k])})" for k in off)
        err = AuthenticationError(_scrub("could not sign in to Microsoft Graph; tried, in order:" + text
                                         + docs_link("authentication.md"), s), code=code)
        err.attempts = tried
        raise err


def credential_for(s: GraphSettings, http) -> ChainCredential:
    """The credential the settings select; nothing is sent until the first `get_token()`, and nothing
    at all to a host that is not https (settings.require_https)."""
    s = with_files_read(s)
    s.graph_base, s.login_host  # noqa: B018 - each refuses a non-https host, naming its setting
    kinds = selected_kinds(s)
    if not kinds and service_principal(s) and s.use_cli is None:
        raise ConfigurationError(
            f"{s.key_for('client_id')} and {s.key_for('tenant_id')} name application {s.client_id}, but no credential "
            f"for it is configured: set {s.key_for('client_secret')}, {s.key_for('client_secret_file_path')}, "
            f"{s.key_for('client_certificate_path')}, {s.key_for('client_certificate')} or {s.key_for('oidc_token')} "
            f"(or {s.key_for('use_msi')}). The Azure CLI is not tried for a configured application: it would sign in "
            f"as whoever ran `az login`; set {s.key_for('use_cli')}=true to use it on purpose"
            + docs_link("authentication.md"))
    if not kinds:
        raise ConfigurationError(
            f"no credential left to try: {s.key_for('use_cli')} is false and no other credential is configured; set "
            f"{s.key_for('client_id')} with {s.key_for('client_secret')} (or {s.key_for('client_certificate_path')}, "
            f"{s.key_for('oidc_token')}, {s.key_for('use_msi')}), or allow the Azure CLI login"
            + docs_link("authentication.md"))
    return ChainCredential(s, http, kinds)
