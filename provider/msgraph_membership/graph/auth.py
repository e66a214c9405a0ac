"""Sign-in: a credential chain on msal that yields Graph bearer tokens.

First cut: client secret only. The full chain (certificate, OIDC federation, managed identity,
Azure CLI) grows here behind the same `Credential` interface.

Tokens live in this process only: never logged, never put on a provider object or an output.
"""
from __future__ import annotations

import threading
import time
from typing import Protocol

import requests

from .errors import AuthenticationError, ConfigurationError
from .settings import GraphSettings

# Refresh this long before expiry so a token never dies in the middle of a call sequence.
_REFRESH_MARGIN_S = 300


class Credential(Protocol):
    """Gives a bearer token for Graph; thread-safe; cached until shortly before expiry."""

    description: str

    def get_token(self, *, force_refresh: bool = False) -> str: ...


class _MsalConfidentialCredential:
    """A confidential client (secret or certificate) through msal's client-credentials flow."""

    def __init__(self, settings: GraphSettings, http: requests.Session, client_credential, description: str):
        import msal  # imported lazily: keeps `import msgraph_membership` fast on the program side

        self.description = description
        self._scope = settings.scope
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        authority = f"{settings.login_host}/{settings.tenant_id}"
        try:
            self._app = msal.ConfidentialClientApplication(
                settings.client_id,
                client_credential=client_credential,
                authority=authority,
                http_client=http,
                # Instance discovery asks login.microsoftonline.com about the authority; an
                # overridden host (the emulator, a private cloud) cannot be known there.
                instance_discovery=not settings.authority_overridden,
                token_cache=msal.TokenCache(),
            )
        except ValueError as e:
            raise AuthenticationError(f"{description}: cannot use authority {authority}: {e}") from None
        except requests.RequestException as e:
            raise AuthenticationError(f"{description}: cannot reach {authority}: {type(e).__name__}") from None

    def get_token(self, *, force_refresh: bool = False) -> str:
        with self._lock:
            now = time.time()
            if not force_refresh and self._token and now < self._expires_at - _REFRESH_MARGIN_S:
                return self._token
            result = self._app.acquire_token_for_client([self._scope], force_refresh=force_refresh)
            if "access_token" not in result:
                err = result.get("error", "unknown_error")
                desc = (result.get("error_description") or "").splitlines()[0][:300]
                raise AuthenticationError(f"{self.description}: {err}: {desc}")
            self._token = result["access_token"]
            self._expires_at = now + float(result.get("expires_in", 3600))
            return self._token


def credential_for(settings: GraphSettings, http: requests.Session) -> Credential:
    """The first credential the settings select (interface.md, "Configuration")."""
    if not settings.tenant_id:
        raise ConfigurationError("no tenant id: set msgraph:tenantId or ARM_TENANT_ID")
    if settings.client_secret is not None:
        if not settings.client_id:
            raise ConfigurationError("a client secret is set but no client id: set msgraph:clientId or ARM_CLIENT_ID")
        return _MsalConfidentialCredential(
            settings, http, settings.client_secret.get_secret_value(),
            f"client secret for app {settings.client_id} ({settings.sources.get('client_secret')})")
    raise ConfigurationError(
        "no credential configured: set msgraph:clientId and msgraph:clientSecret "
        "(or ARM_CLIENT_ID / ARM_CLIENT_SECRET)")
