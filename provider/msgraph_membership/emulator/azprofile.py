"""An Azure CLI profile for an emulator: ``msgraph-emulator az`` writes one, so that the real ``az``
signs in to the emulator and its ``az ad`` commands call the emulator's Graph.

The profile is a configuration directory of its own (``AZURE_CONFIG_DIR``), so the user's own
``~/.azure`` is never touched: ``clouds.config`` registers a cloud whose sign-in, resource manager
and Graph are the emulator (what ``az cloud register`` writes), and ``config`` makes it the active
cloud, with instance discovery off (the emulator is no public authority) and no telemetry. The Azure
CLI's HTTP clients trust ``REQUESTS_CA_BUNDLE``: a bundle of certifi's public roots plus the
emulator's test CA, so other HTTPS from that shell still works.

A person signs in with ``az login -u USER -p PASSWORD --allow-no-subscriptions``. Before the
password grant MSAL asks the authority's host which kind of realm the user is in
(``/common/userrealm/{user}``), at port 443 whatever the authority's port (msal
``Authority.user_realm_discovery`` builds the URL from the host name alone), where no emulator
listens. The profile therefore has a ``sitecustomize.py`` that tells MSAL this host has no realm
discovery, the answer MSAL itself records after a 404: every emulator user is a managed (not
federated) user, so the password grant follows at once. Only ``az`` loads it: the profile's
``bin/az`` runs the next ``az`` on ``PATH`` with that file's folder first on ``PYTHONPATH``, and the
environment puts ``bin/`` first on ``PATH``, so no other Python of the shell sees it.
"""

from __future__ import annotations

import configparser
import os
import shlex
from pathlib import Path
from urllib.parse import urlsplit

CLOUD = "MsgraphEmulator"
# The resource whose tokens ARM takes; the Azure CLI asks for it at `az login`.
ARM_RESOURCE_ID = "https://management.core.windows.net/"


_SITECUSTOMIZE = '''"""Written by msgraph-emulator az: MSAL skips user-realm discovery for the emulator's host
(see msgraph_membership/emulator/azprofile.py)."""
try:
    from msal.authority import Authority

    Authority._domains_without_user_realm_discovery.add("{host}")
except Exception:  # noqa: BLE001 - a Python without MSAL is not signing in
    pass
'''


# The profile's `az`: the next `az` on PATH (the Azure CLI), with sitecustomize.py's folder first on
# PYTHONPATH for that process alone. `-ef` (same file) skips this script however PATH names its folder.
_WRAPPER = """#!/bin/sh
# Written by msgraph-emulator az (msgraph_membership/emulator/azprofile.py): runs the Azure CLI with
# this profile's sitecustomize.py, which makes MSAL skip user-realm discovery for the emulator.
self={self}
IFS=:
set -f
for dir in $PATH; do
  if [ -f "$dir/az" ] && [ -x "$dir/az" ] && ! [ "$dir/az" -ef "$self" ]; then
    PYTHONPATH={site}${{PYTHONPATH:+:$PYTHONPATH}} exec "$dir/az" "$@"
  fi
done
echo "az: no Azure CLI on PATH besides $self" >&2
exit 127
"""


def default_dir(port: int) -> Path:
    return Path.home() / ".cache" / "msgraph-emulator" / "az" / str(port)


def _write_ini(path: Path, sections: dict[str, dict[str, str]]) -> None:
    ini = configparser.ConfigParser()
    if path.exists():
        ini.read(path)
    for name, values in sections.items():
        if not ini.has_section(name):
            ini.add_section(name)
        for key, value in values.items():
            ini.set(name, key, value)
    with path.open("w") as f:
        ini.write(f)


def write_profile(ready: dict, directory: Path, path: str | None = None) -> dict[str, str]:
    """Writes the profile for the emulator that printed ``ready``; returns the environment to use it:
    ``PATH`` is the profile's ``bin/`` followed by ``path`` (default: this process's ``PATH``)."""
    import certifi  # requests' own trust store, installed with the provider

    directory.mkdir(parents=True, exist_ok=True)
    base = ready["base_url"]
    _write_ini(directory / "clouds.config", {CLOUD: {
        "endpoint_active_directory": base,
        "endpoint_active_directory_resource_id": ARM_RESOURCE_ID,
        "endpoint_microsoft_graph_resource_id": f"{base}/",
        "endpoint_resource_manager": f"{base}/",
    }})
    _write_ini(directory / "config", {"cloud": {"name": CLOUD},
                                      "core": {"instance_discovery": "false", "collect_telemetry": "false"}})
    site = directory / "python"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(host=urlsplit(base).hostname))
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "az"
    wrapper.write_text(_WRAPPER.format(self=shlex.quote(str(wrapper)), site=shlex.quote(str(site))))
    wrapper.chmod(0o755)
    bundle = directory / "ca-bundle.pem"
    bundle.write_text(Path(certifi.where()).read_text() + "\n" + Path(ready["ca_bundle"]).read_text())
    rest = os.environ.get("PATH", "") if path is None else path
    # bin/ once, however often the profile is written into the same shell
    rest_dirs = [d for d in (rest.split(os.pathsep) if rest else []) if d != str(bin_dir)]
    return {"AZURE_CONFIG_DIR": str(directory), "REQUESTS_CA_BUNDLE": str(bundle),
            "PATH": os.pathsep.join([str(bin_dir), *rest_dirs])}


def login_command() -> str:
    """The ``az login`` line for the emulator's app, from the variables ``msgraph-emulator env``
    exports (so no secret is printed here)."""
    return ('az login --service-principal --username "$ARM_CLIENT_ID" --password "$ARM_CLIENT_SECRET" '
            '--tenant "$ARM_TENANT_ID" --allow-no-subscriptions')
