"""The migration guide's own material (docs/migrating-from-azuread.md): every fenced block right
after a `<!-- rehearsal: NAME -->` line, by NAME, with its list indentation taken off, and what the
tests need from it (the seed, the environment for pulumi-azuread, the `pulumi state delete` URN).
The tests run these blocks as they are, so the guide cannot drift from what is tested."""
from __future__ import annotations

import os
import re
import shlex
import textwrap
from pathlib import Path
from urllib.parse import urlparse

import yaml

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "migrating-from-azuread.md"
MARKER = re.compile(r"^(\s*)<!-- rehearsal: (\S+) -->\s*$")
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
PROJECT, STACK = "migration", "dev"  # what the guide names them
# the programs, in the order the guide's steps run them
PROGRAMS = ("before.py", "step-1.py", "step-1-done.py", "step-2.py")


def blocks(text: str | None = None) -> dict[str, str]:
    """NAME -> the block's text, dedented; a marker not followed by a fence, or a name used twice,
    is an error."""
    lines = (GUIDE.read_text() if text is None else text).splitlines()
    out: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        i += 1
        if not m:
            continue
        name = m.group(2)
        while i < len(lines) and not lines[i].strip():
            i += 1
        opening = FENCE.match(lines[i]) if i < len(lines) else None
        if opening is None:
            raise ValueError(f"rehearsal marker {name!r} is not followed by a fenced block")
        indent = opening.group(1)
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].rstrip() != indent + "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"rehearsal block {name!r} is not closed")
        if name in out:
            raise ValueError(f"rehearsal block {name!r} appears twice")
        out[name] = textwrap.dedent("\n".join(body)) + "\n"
        i += 1
    return out


def seed(found: dict[str, str]) -> dict:
    return yaml.safe_load(found["directory.yaml"])


def ids_by_name(doc: dict) -> dict[str, str]:
    """The seed's objects by display name: {"Alice": id, "Admins": id, "Paris": id, ...}."""
    return {o["displayName"]: o["id"] for kind in ("users", "groups", "administrativeUnits", "servicePrincipals")
            for o in doc.get(kind, [])}


def exports(found: dict[str, str]) -> dict[str, str]:
    """The variables env.sh's `export` line sets, as written (values unexpanded)."""
    [line] = [ln for ln in found["env.sh"].splitlines() if ln.startswith("export ")]
    return dict(word.split("=", 1) for word in shlex.split(line, posix=False)[1:])


def emulator_exports(found: dict[str, str], emu) -> dict[str, str]:
    """env.sh's exports for a running emulator: the guide's 127.0.0.1:8443 is its address, and
    `$NAME` is what `msgraph-emulator env` sets NAME to."""
    netloc = urlparse(emu.graph_url).netloc
    out = {}
    for key, value in exports(found).items():
        value = value.strip("\"'").replace("127.0.0.1:8443", netloc)
        out[key] = re.sub(r"\$(\w+)", lambda m: emu.env()[m.group(1)], value)
    return out


def state_delete_urn(found: dict[str, str]) -> str:
    """The URN in the guide's `pulumi state delete` command."""
    words = shlex.split(found["state-delete.sh"].strip())
    assert words[:3] == ["pulumi", "state", "delete"] and len(words) == 4, words
    return words[3]


def pip_pins(found: dict[str, str]) -> list[str]:
    [line] = [ln for ln in found["env.sh"].splitlines() if ln.startswith("pip install ")]
    return shlex.split(line)[2:]


def pulumi_home() -> Path:
    return Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
