"""The environment that points the provider (or any Graph client) at an emulator.

``msgraph-emulator env`` prints it, so that ``eval "$(msgraph-emulator env)"`` is all a shell needs
before ``pulumi up``. The names are the provider's (README.md, "Configuration and sign-in"); the values
come from the emulator's ready line. The client secret printed is the emulator's own test
credential, never a real one: nothing here reads the caller's environment.

Formats::

    shell   export ARM_TENANT_ID='7f0c...'        (eval in sh, bash, zsh)
    dotenv  ARM_TENANT_ID=7f0c...                 (docker --env-file, python-dotenv, direnv)
    github  ARM_TENANT_ID=7f0c...                 (append to "$GITHUB_ENV" in a workflow step)
    json    {"ARM_TENANT_ID": "7f0c...", ...}
"""

from __future__ import annotations

import json
import shlex

FORMATS = ("shell", "dotenv", "github", "json")


def variables(ready: dict) -> dict[str, str]:
    """The provider's environment variables for the emulator that printed ``ready``.

    >>> variables({"tenant_id": "t", "client_id": "c", "client_secret": "s",
    ...            "graph_url": "https://127.0.0.1:8443", "authority_host": "https://127.0.0.1:8443",
    ...            "ca_bundle": "/tmp/ca.pem"})["MSGRAPH_ENDPOINT"]
    'https://127.0.0.1:8443'
    """
    return {
        "ARM_TENANT_ID": ready["tenant_id"],
        "ARM_CLIENT_ID": ready["client_id"],
        "ARM_CLIENT_SECRET": ready.get("client_secret") or "",
        "MSGRAPH_ENDPOINT": ready["graph_url"],
        "AZURE_AUTHORITY_HOST": ready["authority_host"],
        "MSGRAPH_CA_BUNDLE": ready["ca_bundle"],
    }


def _dotenv_value(value: str) -> str:
    # Plain when nothing needs quoting: docker's --env-file takes quotes literally.
    if value and all(c.isalnum() or c in "-_./:@+=," for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def render(env: dict[str, str], fmt: str = "shell") -> str:
    """``env`` as text in one of ``FORMATS``, ending with a newline."""
    if fmt == "json":
        return json.dumps(env, indent=2) + "\n"
    if fmt == "shell":
        lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
    elif fmt == "dotenv":
        lines = [f"{k}={_dotenv_value(v)}" for k, v in env.items()]
    elif fmt == "github":
        if any("\n" in v for v in env.values()):
            raise ValueError("a value holds a newline, which $GITHUB_ENV's KEY=value lines cannot carry")
        lines = [f"{k}={v}" for k, v in env.items()]
    else:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return "\n".join(lines) + "\n"
