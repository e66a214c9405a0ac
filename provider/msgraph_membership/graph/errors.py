"""Graph errors as types, classified once from the HTTP answer (docs/graph-behaviour.md §0, §3).

Callers catch by type. The message texts matched here are the only way Graph distinguishes
"already a member" from other 400s, so they are matched exactly once, here.
"""
from __future__ import annotations

import importlib
import re
from typing import Any, Mapping


def plain_name(cls: type) -> type:
    """Print `cls` as just "error" where Python formats an exception for users.

    Pulumi shows a dynamic provider's failure as the provider's traceback, whose last line is
    "<module>.<class>: <message>" (`traceback.format_exception_only`). The class path means
    nothing to a user, so these exceptions present themselves as `error: <message>`, the way
    Pulumi prints its own errors. `__name__` stays, for code and logs; pickling goes through
    `_restore`, since pickle finds a class by the path this hides."""
    where = (cls.__module__, cls.__name__)
    cls.__reduce__ = lambda self: (_restore, (*where, self.args, dict(self.__dict__)))
    cls.__module__ = "builtins"
    cls.__qualname__ = "error"
    return cls


def _restore(module: str, name: str, args: tuple, state: dict) -> Exception:
    """An exception of a class `plain_name` renamed, back from a pickle."""
    cls = getattr(importlib.import_module(module), name)
    e = cls.__new__(cls, *args)
    e.args = args
    e.__dict__.update(state)
    return e


class GraphError(Exception):
    """A Graph call failed. `status`, `code` and `graph_message` come from Graph's error body."""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        plain_name(cls)

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 graph_message: str | None = None, request_id: str | None = None,
                 method: str | None = None, url: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.graph_message = graph_message
        self.request_id = request_id
        self.method = method
        self.url = url


plain_name(GraphError)


class ConfigurationError(GraphError):
    """The provider's configuration is missing or wrong; nothing was sent to Graph."""


class AuthenticationError(GraphError):
    """No token could be obtained (every credential tried failed, or the token was refused)."""


class BadRequest(GraphError):
    pass


class AlreadyExists(BadRequest):
    """'One or more added object references already exist ...': the link is already there."""


class ReferenceMissing(BadRequest):
    """'One or more removed object references do not exist ...': the link is already gone."""


class ReplicationLag(BadRequest):
    """'The source resource object or one of the objects being referenced do not exist.'

    Graph's answer to writes on objects created moments ago; retrying after a short wait works.
    """


class TooManyLinks(BadRequest):
    """More than 20 link changes in one request."""


class InvalidReference(BadRequest):
    """The @odata.id of a reference was malformed or named an unsupported object."""


class UniqueNameTaken(BadRequest):
    """Another object already has this uniqueName (it is unique in the tenant): a create with the
    same unique name was already applied, or somebody else holds the name."""


class NotFound(GraphError):
    pass


class Forbidden(GraphError):
    """403 Authorization_RequestDenied: missing permission, or a group Graph cannot change."""


class Unauthorized(AuthenticationError):
    """401: the token was refused (expired, wrong audience, bad signature)."""


class Throttled(GraphError):
    """429 after every retry was used."""


class Unavailable(GraphError):
    """503/504 or a dropped connection after every retry was used."""


class AmbiguousWrite(Unavailable):
    """A write that is not safe to repeat lost its answer after it was sent: it may or may not
    have been applied. The caller must look before trying again."""


def docs_link(page: str) -> str:
    """" (see <url>)" for one of the project's documentation pages when the installed package
    publishes its repository (`project.urls` in pyproject.toml), else "": a message never points
    at a file a pip user does not have, so each one also says the fix itself."""
    try:
        from importlib.metadata import metadata

        urls = metadata("pulumi-msgraph-membership").get_all("Project-URL") or []
    except Exception:  # noqa: BLE001 - not installed as a distribution: no link
        return ""
    # The repository's root, whatever order the labels come in (Documentation is its docs/ folder).
    by_label = {label.strip().lower(): url.strip().rstrip("/") for label, _, url in (e.partition(",") for e in urls)}
    root = next((by_label[k] for k in ("repository", "source", "homepage") if by_label.get(k)), "")
    return f" (see {root}/blob/main/docs/{page})" if root else ""


_NAME_RESOLUTION = ("NameResolutionError", "Failed to resolve", "Name or service not known",
                    "nodename nor servname", "getaddrinfo failed", "Temporary failure in name resolution")


def name_not_resolved(error: BaseException) -> bool:
    """Whether a connection failed because the host name does not resolve (a typo, most often)."""
    text = str(error)
    return any(marker in text for marker in _NAME_RESOLUTION)


def connection_failure(host: str, setting: str, error: BaseException) -> str:
    """What to say when a host cannot be reached: the full host, why, and the setting that chose it."""
    text = str(error)
    if name_not_resolved(error):
        why = "its name does not resolve"
    elif "Connection refused" in text:
        why = "the connection was refused"
    elif "timed out" in text.lower() or "Timeout" in type(error).__name__:
        why = "the connection timed out"
    else:
        why = f"the connection failed ({type(error).__name__})"
    return f"cannot reach {host}: {why}; the host comes from {setting}: check it"


def first_line(text: str | None) -> str:
    """The first non-empty line, without Entra's trailing "Trace ID: ... Timestamp: ..."."""
    lines = [re.split(r"\s+Trace ID:", ln, maxsplit=1)[0].strip() for ln in (text or "").splitlines()]
    line = next((ln for ln in lines if ln), "")
    return line if len(line) <= 300 else line[:300] + "..."


# The audience Entra expects on federated assertions (what azuread and azure/login ask GitHub for).
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"
_NO_FEDERATED = "no federated credential on the application {}: add one, or fix {{oidc}}"
# Which setting to change, for the AADSTS codes users actually meet (docs/authentication.md).
_AADSTS_HINTS = {
    "7000215": "the client secret is wrong (use the secret's value, not its id): fix {secret}",
    "7000222": "the client secret has expired: create a new one and set {secret}",
    "700016": "no such application in this tenant: check {client_id} and {tenant_id}",
    "90002": "no such tenant in this cloud: check {tenant_id} and {environment}",
    "900023": "the tenant id is malformed: check {tenant_id}",
    "700027": "the certificate is not registered on the application: upload it, or fix {cert}",
    "700024": "the client assertion has expired or is not yet valid: check this machine's clock, or give a "
              "fresh federated token ({oidc})",
    "70021": _NO_FEDERATED.format("matches the token's issuer, subject and audience"),
    "700211": _NO_FEDERATED.format("has the token's issuer"),
    "700213": _NO_FEDERATED.format("has the token's subject"),
    "700212": _NO_FEDERATED.format(f"has the token's audience ({FEDERATION_AUDIENCE})"),
    "500011": "Graph is not known in this tenant's cloud: check {environment}",
    "7000112": "the application is disabled: enable it, or use another {client_id}",
}


def identity_platform_error(answer: Mapping[str, Any], keys: Mapping[str, str],
                            default_hint: str) -> tuple[str, str | None]:
    """The identity platform's error answer as one line, "error: AADSTSnnn: first line -> what to
    change", and its code. `keys` name the settings: secret, cert, oidc, client_id, tenant_id, environment."""
    desc = first_line(answer.get("error_description") or answer.get("message"))
    m = re.search(r"AADSTS(\d+)", desc)
    code = str((answer.get("error_codes") or [""])[0] or (m.group(1) if m else "")) or None
    desc = desc if not code or f"AADSTS{code}" in desc else f"AADSTS{code}: {desc}"
    err = answer.get("error") or f"HTTP {answer.get('statusCode', 'error')}"
    return (f"{err}: {desc} -> {_AADSTS_HINTS.get(code or '', default_hint).format(**keys)}",
            f"AADSTS{code}" if code else err)


# The one place TLS trust is added (docs/authentication.md, "TLS trust"): REQUESTS_CA_BUNDLE is
# only a fallback source of the same setting, so messages name the setting itself.
TLS_SETTING = "msgraph:caBundle or MSGRAPH_CA_BUNDLE"


def tls_failure(host: str, ca_setting: str = TLS_SETTING, error: BaseException | None = None,
                in_use: str | None = None, host_setting: str | None = None) -> str:
    """What to say when a server's certificate is not trusted: never 'turn verification off'.
    `in_use`: the extra CA bundle in use now and where it came from, when there is one.
    A certificate that is trusted but issued for another name or address is said as such first:
    OpenSSL reports that mismatch under CERTIFICATE_VERIFY_FAILED too, and no CA bundle fixes it."""
    detail = ""
    if error is not None:
        text = str(error)
        if "mismatch" in text.lower():  # "Hostname mismatch" / "IP address mismatch"
            where = f" (the host comes from {host_setting})" if host_setting else ""
            return (f"TLS verification of {host} failed (certificate name mismatch): its certificate is not issued "
                    f"for the host name or address used here; connect with a name or address the certificate "
                    f"covers{where} (the emulator's covers localhost, 127.0.0.1 and ::1)")
        detail = next((r for r in ("CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION_NUMBER") if r in text),
                      type(error).__name__)
    extra = f"; the extra CA bundle in use now, {in_use}, does not hold that CA" if in_use else ""
    return (f"TLS verification of {host} failed ({detail or 'certificate not trusted'}): its certificate is not trusted. "
            f"Trust the CA that signed it with {ca_setting} (a PEM file; it adds to the system trust store){extra}")


ALREADY_EXISTS = "One or more added object references already exist"
REFERENCE_MISSING = "One or more removed object references do not exist"
REPLICATION_LAG = "The source resource object or one of the objects being referenced do not exist"
TOO_MANY_LINKS = "cannot contain more than 20 link changes"
UNIQUE_NAME_TAKEN = "Another object with the same value for property uniqueName already exists"


def error_fields(body: Any) -> tuple[str | None, str | None, str | None]:
    """(code, message, request-id) from a Graph error body, tolerant of odd shapes."""
    if not isinstance(body, Mapping):
        return None, None, None
    err = body.get("error")
    if not isinstance(err, Mapping):
        return None, None, None
    code = err.get("code") if isinstance(err.get("code"), str) else None
    msg = err.get("message")
    if isinstance(msg, Mapping):  # hamilton saw {"value": "..."} (docs/graph-behaviour.md §0)
        msg = msg.get("value")
    inner = err.get("innerError") or err.get("innererror") or {}
    rid = inner.get("request-id") if isinstance(inner, Mapping) else None
    return code, (msg if isinstance(msg, str) else None), rid


def classify(status: int, body: Any, *, method: str | None = None, url: str | None = None,
             request_id: str | None = None) -> GraphError:
    """The one place that turns a failed Graph answer into a typed error."""
    code, msg, rid = error_fields(body)
    rid = rid or request_id
    text = msg or ""
    summary = f"{method or ''} {url or ''} -> {status} {code or ''}: {text}".strip()
    kw = dict(status=status, code=code, graph_message=msg, request_id=rid, method=method, url=url)
    if status == 400:
        if ALREADY_EXISTS in text:
            return AlreadyExists(summary, **kw)
        if REFERENCE_MISSING in text:
            return ReferenceMissing(summary, **kw)
        if REPLICATION_LAG in text:
            return ReplicationLag(summary, **kw)
        if TOO_MANY_LINKS in text:
            return TooManyLinks(summary, **kw)
        if UNIQUE_NAME_TAKEN in text:
            return UniqueNameTaken(summary, **kw)
        if code == "Request_UnsupportedQuery" or "Invalid URL format specified in payload" in text:
            return InvalidReference(summary, **kw)
        return BadRequest(summary, **kw)
    if status == 401:
        return Unauthorized(summary, **kw)
    if status == 403:
        return Forbidden(summary, **kw)
    if status == 404:
        return NotFound(summary, **kw)
    if status == 429:
        return Throttled(summary, **kw)
    if status in (502, 503, 504):
        return Unavailable(summary, **kw)
    return GraphError(summary, **kw)
