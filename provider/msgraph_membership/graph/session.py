"""Sessions to Graph, and what a failure of `requests` says about the request that raised it:
never sent (safe to send again), maybe applied (only a repeatable call is sent again), or not
transient (sending again cannot help). Used by the transport (transport.py) and sign-in.
"""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

from .errors import name_not_resolved


class _Session(requests.Session):
    """A session that takes nothing from the environment but its proxies, chosen per URL so
    that NO_PROXY is honoured (`trust_env` off would otherwise drop it)."""

    def request(self, method, url, **kwargs):  # type: ignore[override]
        if kwargs.get("proxies") is None:
            kwargs["proxies"] = requests.utils.get_environ_proxies(url)
        return super().request(method, url, **kwargs)


class CleartextRefused(requests.exceptions.InvalidSchema):
    """A request carrying a bearer token was about to go out over plain HTTP: never sent."""


class _PlainHttpAdapter(HTTPAdapter):
    """Plain HTTP, for what is plain HTTP by design (a managed identity endpoint on the machine itself,
    which takes no bearer token; Azure Arc's sends a local key as `Basic`); a request carrying a
    bearer token is refused before a byte is sent. The settings already refuse any non-https host
    (settings.require_https): this is the last line."""

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        if request.headers.get("Authorization", "").strip().lower().startswith("bearer"):
            raise CleartextRefused(f"refused to send a bearer token over plain HTTP to {request.url.split('?')[0]}",
                                   request=request)
        return super().send(request, *args, **kwargs)


def new_session(verify: str | bool, pool_size: int = 16) -> requests.Session:
    """A session whose TLS trust is exactly `verify`, and that sends no token in cleartext.

    `trust_env` is off so REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE cannot silently replace a
    configured CA bundle; proxies from the environment are still honoured, per URL
    (HTTPS_PROXY, NO_PROXY).
    """
    s = _Session()
    s.trust_env = False
    s.verify = verify
    s.mount("https://", HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0))
    s.mount("http://", _PlainHttpAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0))
    return s


# What a failure of `requests` says about the request that raised it.
NEVER_SENT = "never sent"        # no connection was made: safe to send again, whatever the method
MAYBE_APPLIED = "maybe applied"  # the request may have reached Graph: only a repeatable call is resent
NOT_TRANSIENT = "not transient"  # sending again cannot help (an untrusted certificate, a malformed URL)

# Failures decided before anything is sent. InvalidHeader and InvalidJSONError are ValueErrors
# raised while preparing the request; TooManyRedirects means Graph's answer made no sense.
_NOT_TRANSIENT = (requests.exceptions.SSLError, requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                  requests.exceptions.InvalidSchema, requests.exceptions.URLRequired,
                  requests.exceptions.InvalidHeader, requests.exceptions.InvalidJSONError,
                  requests.exceptions.TooManyRedirects)


def failure_fate(e: requests.RequestException) -> str:
    """NEVER_SENT, MAYBE_APPLIED or NOT_TRANSIENT for any exception `requests` raises.

    Everything not known to be harmless to repeat counts as MAYBE_APPLIED: a read timeout, a
    connection reset after the request was written, an answer cut off mid-body
    (ChunkedEncodingError), a body that cannot be decoded (ContentDecodingError), and any
    `RequestException` added later."""
    if isinstance(e, _NOT_TRANSIENT) or (isinstance(e, requests.ConnectionError) and name_not_resolved(e)):
        return NOT_TRANSIENT  # a host name that does not resolve is a typo far more often than an outage
    if isinstance(e, requests.exceptions.ConnectTimeout) or _never_sent(e):
        return NEVER_SENT
    return MAYBE_APPLIED


def _never_sent(e: Exception) -> bool:
    """Whether a connection error happened before the request could reach the server."""
    if not isinstance(e, requests.ConnectionError) or isinstance(e, requests.exceptions.ChunkedEncodingError):
        return False
    text = str(e)
    return ("NewConnectionError" in text or "Connection refused" in text or "Name or service not known" in text
            or "NameResolutionError" in text or "Failed to resolve" in text)
