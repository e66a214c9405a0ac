"""National clouds: which Graph host, login host and token scope belong together.

Tokens of one cloud are not accepted by another (docs/graph-behaviour.md §6), so the scope always
follows the *cloud's* Graph host, even when `graphEndpoint` points the client somewhere else
(the emulator, a proxy).
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigurationError


@dataclass(frozen=True)
class Cloud:
    """One national cloud. `graph_host` and `authority_host` are origins without a slash."""

    name: str
    graph_host: str
    authority_host: str

    @property
    def scope(self) -> str:
        """The client-credentials scope for Graph in this cloud."""
        return f"{self.graph_host}/.default"

    @property
    def resource(self) -> str:
        """The v1-style resource (managed identity, `az --resource`): the Graph host itself."""
        return self.graph_host


CLOUDS: dict[str, Cloud] = {
    "global": Cloud("global", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "usgovernmentl4": Cloud("usgovernmentl4", "https://graph.microsoft.us", "https://login.microsoftonline.us"),
    "usgovernmentl5": Cloud("usgovernmentl5", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    # login.chinacloudapi.cn still answers but Microsoft documents login.partner.microsoftonline.cn
    # as the current host (docs/graph-behaviour.md §6).
    "china": Cloud("china", "https://microsoftgraph.chinacloudapi.cn", "https://login.partner.microsoftonline.cn"),
}

# Names users bring from the azuread provider, the Azure CLI (`az cloud list`) and the Azure SDKs.
_ALIASES = {
    "public": "global",
    "azurecloud": "global",
    "azurepubliccloud": "global",
    "usgovernment": "usgovernmentl4",
    "azureusgovernment": "usgovernmentl4",
    "azureusgovernmentcloud": "usgovernmentl4",
    "gcchigh": "usgovernmentl4",
    "dod": "usgovernmentl5",
    "azurechinacloud": "china",
}


class UnknownCloud(ConfigurationError, ValueError):
    """`environment` names no cloud this provider knows."""


def cloud_named(name: str | None) -> Cloud:
    """The cloud for an `environment` setting; `None` or empty means the global cloud.

    >>> cloud_named("AzureUSGovernment").scope
    'https://graph.microsoft.us/.default'
    """
    key = (name or "global").strip().lower()
    key = _ALIASES.get(key, key)
    try:
        return CLOUDS[key]
    except KeyError:
        raise UnknownCloud(
            f"unknown environment {name!r}: use one of {', '.join(CLOUDS)} "
            "(msgraph:environment or ARM_ENVIRONMENT)"
        ) from None
