"""Credential material as pulumi-azuread reads it: the client id and secret from their values or their
files (`clientIdFilePath`, `clientSecretFilePath`), AKS workload identity as OIDC, and the
pulumi-azuread settings this provider does not support, refused by name instead of ignored.

Files are read when the credential is built, not when settings are resolved, so a missing file
fails the first sign-in naming its setting (docs/authentication.md, "Settings read from files").
"""
from __future__ import annotations

import os

from pydantic import SecretStr

from .errors import ConfigurationError
from .settings import _UNSUPPORTED, GraphSettings

# (the value's field, the field of the file that may hold it instead, whether it is a secret)
_FROM_FILES = (("client_id", "client_id_file_path", False), ("client_secret", "client_secret_file_path", True))


def refuse_unsupported(s: GraphSettings) -> None:
    """A ConfigurationError naming every pulumi-azuread setting given that this provider cannot honour."""
    given = [f for f in _UNSUPPORTED if getattr(s, f)
             and (f != "msi_endpoint" or s.use_msi or s.msi_client_id)  # an endpoint counts only for MSI
             # a metadata host only when it would choose a host: with both given, it is pulumi-azuread's
             and (f != "metadata_host" or not (s.graph_endpoint and s.authority_host))]
    if given:
        raise ConfigurationError("; ".join(f"{s.key_for(f)} is set but not supported: {_UNSUPPORTED[f]}"
                                           for f in given) + "; remove it to go on")


def _read(path: str, setting: str) -> str:
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as f:
            text = f.read().strip()
    except OSError as e:
        raise ConfigurationError(f"cannot read {path} ({setting}): {e.strerror}") from None
    if not text:
        raise ConfigurationError(f"{path} ({setting}) is empty")
    return text


def with_files_read(s: GraphSettings) -> GraphSettings:
    """`s` with the client id and secret read from their files (as pulumi-azuread: a value and a
    file that disagree are refused) and `useAksWorkloadIdentity` turned into `useOidc`."""
    refuse_unsupported(s)
    update: dict = {}
    sources = dict(s.sources)
    for field, file_field, secret in _FROM_FILES:
        path = getattr(s, file_field)
        if not path:
            continue
        text = _read(path, s.key_for(file_field))
        given = getattr(s, field)
        given = given.get_secret_value() if secret and given is not None else given
        if given and given.strip() != text:  # never say either value
            raise ConfigurationError(f"{s.key_for(field)} and the file {path} ({s.key_for(file_field)}) hold "
                                     "different values: remove one, or make them match")
        update[field] = SecretStr(text) if secret else text
        sources[field] = f"{s.key_for(file_field)} ({path})"
    if s.use_aks_workload_identity and not s.use_oidc:  # azuread: use_oidc || use_aks_workload_identity
        update["use_oidc"] = True
        sources["use_oidc"] = s.key_for("use_aks_workload_identity")
    if s.client_certificate is not None and s.client_certificate_path:
        raise ConfigurationError(f"both {s.key_for('client_certificate')} and {s.key_for('client_certificate_path')} "
                                 "are set: give the certificate once")
    return s.model_copy(update={**update, "sources": sources}) if update else s
