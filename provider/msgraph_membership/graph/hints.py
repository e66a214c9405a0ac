"""What to change when the Graph and sign-in hosts point at different worlds.

Pointing a stack at a local emulator takes two host settings, `graphEndpoint` and
`authorityHost`. With one of them forgotten, one half of the conversation goes to the public
cloud and the other to the emulator, and the failure (a DNS error, an unknown tenant, a
refused token) names neither setting. `host_hint` recognises that mix-up from the failing host
and says which setting to set.

"Emulator-looking" means a loopback address, `localhost` (or `*.localhost`), or a host name
with `emulator` in it: where a local emulator serves, directly or from a container.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .clouds import CLOUDS
from .errors import AuthenticationError, ConfigurationError, GraphError, Unauthorized, Unavailable
from .settings import GraphSettings

_PUBLIC_HOSTS = frozenset(urlsplit(url).hostname for c in CLOUDS.values()
                          for url in (c.graph_host, c.authority_host))


def _host(url: str | None) -> str:
    if not url:
        return ""
    return (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()


def looks_like_emulator(url: str | None) -> bool:
    """Whether `url` is where a local emulator would serve.

    >>> looks_like_emulator("https://127.0.0.1:8443"), looks_like_emulator("https://graph.microsoft.com")
    (True, False)
    """
    host = _host(url)
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost") or "emulator" in host:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_public_cloud(url: str | None) -> bool:
    """Whether `url` is one of the national clouds' Graph or login hosts."""
    return _host(url) in _PUBLIC_HOSTS


def host_hint(settings: GraphSettings, failing_url: str | None) -> str | None:
    """The sentence that names the setting to fix, when a call to `failing_url` failed while one
    of the two hosts is an emulator's and the other the public cloud's; else None.

    >>> from msgraph_membership.graph.settings import resolve_settings
    >>> s = resolve_settings(environ={"MSGRAPH_ENDPOINT": "https://127.0.0.1:8443"})
    >>> print(host_hint(s, "https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration"))
    ... # doctest: +NORMALIZE_WHITESPACE
    sign-in goes to the public cloud (login.microsoftonline.com) because msgraph:authorityHost or
    AZURE_AUTHORITY_HOST is not set, while MSGRAPH_ENDPOINT points at an emulator
    (https://127.0.0.1:8443): set msgraph:authorityHost or AZURE_AUTHORITY_HOST to
    https://127.0.0.1:8443 as well (`eval "$(msgraph-emulator env)"` sets both)
    """
    graph, login = settings.graph_base, settings.login_host
    failing = _host(failing_url)
    if failing not in (_host(graph), _host(login)):
        return None
    if looks_like_emulator(graph) and is_public_cloud(login):
        public_field, public_url, what, emulator_field, emulator_url = (
            "authority_host", login, "sign-in goes", "graph_endpoint", graph)
    elif looks_like_emulator(login) and is_public_cloud(graph):
        public_field, public_url, what, emulator_field, emulator_url = (
            "graph_endpoint", graph, "Graph calls go", "authority_host", login)
    else:
        return None
    key = settings.key_for(public_field)
    why = (f"because {key} is not set" if public_field not in settings.sources
           else f"because {key} names it")
    return (f"{what} to the public cloud ({_host(public_url)}) {why}, while "
            f"{settings.key_for(emulator_field)} points at an emulator ({emulator_url}): "
            f"set {key} to {emulator_url} as well (`eval \"$(msgraph-emulator env)\"` sets both)")


def add_host_hint(err: GraphError, settings: GraphSettings) -> GraphError:
    """Append `host_hint` to a failed sign-in (at the login host) or a Graph call that got no
    answer, could not connect (a ConfigurationError with the URL: a name that does not resolve) or
    had its token refused (at the Graph host); once, in place. Returns `err`."""
    if getattr(err, "host_hint", None) is not None:
        return err
    if isinstance(err, (Unavailable, Unauthorized)) or (isinstance(err, ConfigurationError) and err.url):
        failing = err.url or settings.graph_base
    elif isinstance(err, AuthenticationError):
        failing = settings.login_host
    else:
        return err
    hint = host_hint(settings, failing)
    if hint:
        err.host_hint = hint
        err.args = (f"{err.args[0]}\n{hint}" if err.args else hint, *err.args[1:])
    return err
