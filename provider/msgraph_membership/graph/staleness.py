"""Stale sign-in settings in `pulumi refresh` and `pulumi destroy`.

The engine keeps the stack's configuration, secrets encrypted, as the inputs of the default provider
in the state, and refresh and destroy (without `--run-program`) configure the provider from that
copy, not from the current stack configuration (docs/guarantees.md, "What the state holds"). After
a secret is rotated, they sign in with the old one. When a sign-in fails in a process where the
program never ran (no `check`: a refresh or a destroy), `stale_note` compares the sign-in settings
in use with what this process can see of the current ones: the environment, and the project's
stack configuration files (`Pulumi.<stack>.yaml` in the working directory, which the engine starts
the provider in). Values are compared by digest and never shown.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:  # settings (and pydantic with it) load only when a sign-in is judged: every
    # `check` calls program_ran(), and a no-change preview signs in nowhere
    from .settings import GraphSettings

# The settings that decide who signs in.
SIGN_IN_FIELDS = ("tenant_id", "client_id", "client_id_file_path", "client_secret", "client_secret_file_path",
                  "client_certificate", "client_certificate_path", "client_certificate_password", "use_oidc",
                  "oidc_token", "oidc_token_file_path", "use_msi", "msi_client_id", "use_cli", "environment",
                  "authority_host")
FIX = ("`pulumi refresh` and `pulumi destroy` sign in with the copy of the stack configuration saved in the state "
       "at the last `pulumi up`, not the current one: run `pulumi up` (which saves the current one), or add "
       "`--run-program` (`pulumi refresh --run-program`, `pulumi destroy --run-program`)")

_program_ran = False


def program_ran() -> None:
    """Called by every `check`: this process runs the program's configuration, which is current."""
    global _program_ran
    _program_ran = True


def _digest(value) -> str:
    """A digest to compare by; ids and flags compare without case, secrets exactly."""
    if hasattr(value, "get_secret_value"):
        raw = value.get_secret_value().strip()
    else:
        raw = str(value).strip().lower()
    return hashlib.sha256(raw.encode()).hexdigest()


def _stack_files(cwd: Path) -> dict[str, dict]:
    """{file name: its `config` mapping} for each stack configuration file of the project whose
    directory `cwd` is (its Pulumi.yaml names the project the engine gave, PULUMI_PROJECT; the
    stack's name is not given to providers, so every stack file counts); {} elsewhere."""
    import yaml  # a dependency of pulumi

    try:
        project = yaml.safe_load(next(p for p in (cwd / "Pulumi.yaml", cwd / "Pulumi.yml") if p.is_file()).read_text())
    except (StopIteration, OSError, yaml.YAMLError):
        return {}
    if not isinstance(project, dict) or project.get("name") != os.environ.get("PULUMI_PROJECT", project.get("name")):
        return {}
    out = {}
    for path in sorted((cwd / str(project.get("stackConfigDir") or ".")).glob("Pulumi.*.yaml")):
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("config", {}), dict):
            out[path.name] = doc.get("config") or {}
    return out


def differences(s: GraphSettings, environ: Mapping[str, str] | None = None, cwd: str | None = None) -> list[str]:
    """How the sign-in settings in use that came from stack configuration differ from the environment
    and the stack configuration files now; each said without a value."""
    from .settings import _KEYS, _SECRET_FIELDS

    env = os.environ if environ is None else environ
    from_config = [f for f in SIGN_IN_FIELDS if s.sources.get(f, "").startswith(("msgraph:", "azuread:"))]
    files = _stack_files(Path(cwd or os.getcwd()))
    out: list[str] = []
    for field in from_config:
        key, value = s.sources[field], getattr(s, field)
        if value is None:
            continue
        other = next((n for n in _KEYS[field][1] if env.get(n) and _digest(env[n]) != _digest(value)), None)
        if other:
            out.append(f"{other} in the environment holds another value than the {key} in use")
        if not files:
            continue
        held = {name: cfg[key] for name, cfg in files.items() if key in cfg}
        if not held:
            out.append(f"{key} is no longer in the stack configuration ({', '.join(files)})")
        elif field not in _SECRET_FIELDS and all(not isinstance(v, dict) and _digest(v) != _digest(value)
                                                 for v in held.values()):
            out.append(f"{key} in {', '.join(held)} holds another value than the one in use")
    return out


def stale_note(s: GraphSettings, environ: Mapping[str, str] | None = None, cwd: str | None = None) -> str | None:
    """What to add to a failed sign-in when the settings in use may be the state's stale copy: None
    when the program ran in this process or no sign-in setting came from stack configuration."""
    if _program_ran or not any(s.sources.get(f, "").startswith(("msgraph:", "azuread:")) for f in SIGN_IN_FIELDS):
        return None
    found = differences(s, environ, cwd)
    if found:
        return "the sign-in settings in use differ from the current ones: " + "; ".join(found) + ". " + FIX
    return "if the credentials changed since the last `pulumi up`: " + FIX
