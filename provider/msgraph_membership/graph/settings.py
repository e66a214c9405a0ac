"""Where the provider's configuration comes from, and what it resolves to.

Order (README.md, "Configuration and sign-in"): stack config `msgraph:<key>`, then the environment, then
`azuread:<key>` (so stacks already configured for pulumi-azuread work unchanged).

Secrets are held as `SecretStr` and live only in the provider process: nothing here is ever put
on a provider object that is pickled into state.
"""
from __future__ import annotations

import hashlib
import os
from typing import Callable, Mapping, Optional

from pydantic import BaseModel, ConfigDict, SecretStr

from .clouds import Cloud, cloud_named
from .errors import ConfigurationError

# (settings field, stack-config key, environment variables in order)
_SOURCES: list[tuple[str, str, tuple[str, ...]]] = [
    ("tenant_id", "tenantId", ("ARM_TENANT_ID", "AZURE_TENANT_ID")),
    ("client_id", "clientId", ("ARM_CLIENT_ID", "AZURE_CLIENT_ID")),
    ("client_id_file_path", "clientIdFilePath", ("ARM_CLIENT_ID_FILE_PATH",)),
    ("client_secret", "clientSecret", ("ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET")),
    ("client_secret_file_path", "clientSecretFilePath", ("ARM_CLIENT_SECRET_FILE_PATH",)),
    ("client_certificate", "clientCertificate", ("ARM_CLIENT_CERTIFICATE",)),
    ("client_certificate_path", "clientCertificatePath",
     ("ARM_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PATH")),
    ("client_certificate_password", "clientCertificatePassword",
     ("ARM_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CLIENT_CERTIFICATE_PASSWORD")),
    ("use_oidc", "useOidc", ("ARM_USE_OIDC",)),
    ("use_aks_workload_identity", "useAksWorkloadIdentity", ("ARM_USE_AKS_WORKLOAD_IDENTITY",)),
    ("oidc_token", "oidcToken", ("ARM_OIDC_TOKEN",)),
    ("oidc_token_file_path", "oidcTokenFilePath", ("ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE")),
    ("oidc_request_url", "oidcRequestUrl", ("ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL")),
    ("oidc_request_token", "oidcRequestToken", ("ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")),
    ("use_msi", "useMsi", ("ARM_USE_MSI",)),
    ("msi_client_id", "msiClientId", ("ARM_MSI_CLIENT_ID",)),
    ("use_cli", "useCli", ("ARM_USE_CLI",)),
    ("environment", "environment", ("ARM_ENVIRONMENT",)),
    ("graph_endpoint", "graphEndpoint", ("MSGRAPH_ENDPOINT",)),
    ("authority_host", "authorityHost", ("AZURE_AUTHORITY_HOST",)),
    ("ca_bundle", "caBundle", ("MSGRAPH_CA_BUNDLE", "REQUESTS_CA_BUNDLE")),
    ("api_version", "apiVersion", ("MSGRAPH_API_VERSION",)),
    ("recheck_missing_seconds", "recheckMissingSeconds", ("MSGRAPH_RECHECK_MISSING_SECONDS",)),
    # Read by pulumi-azuread but not supported here: refused by name (`refuse_unsupported`), never ignored.
    ("metadata_host", "metadataHost", ("ARM_METADATA_HOSTNAME",)),
    ("msi_endpoint", "msiEndpoint", ("ARM_MSI_ENDPOINT",)),
    ("ado_pipeline_service_connection_id", "adoPipelineServiceConnectionId",
     ("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID")),
]
# What to say instead of what each refused setting asks for.
_UNSUPPORTED = {
    "metadata_host": "clouds are chosen by name here: set msgraph:environment (global, usgovernmentl4, "
                     "usgovernmentl5, china), and both graphEndpoint and authorityHost for anything else "
                     "(with both set, the metadata host is left to pulumi-azuread)",
    "msi_endpoint": "a custom managed identity endpoint is not supported; the endpoint the platform sets "
                    "(IDENTITY_ENDPOINT, or the instance metadata service) is used",
    "ado_pipeline_service_connection_id": "Azure DevOps pipeline OIDC is not supported: give the federated token "
                                          "with msgraph:oidcToken or msgraph:oidcTokenFilePath",
}

_KEYS = {field: (key, env) for field, key, env in _SOURCES}

_SECRET_FIELDS = {"client_secret", "client_certificate", "client_certificate_password", "oidc_token",
                  "oidc_request_token"}
_BOOL_FIELDS = {"use_oidc", "use_aks_workload_identity", "use_msi", "use_cli"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _origin(url: str | None) -> str | None:
    """`url` without a trailing slash; a bare host gets https:// (AZURE_AUTHORITY_HOST is often
    given as `login.microsoftonline.us`)."""
    if not url:
        return None
    url = url.strip().rstrip("/")
    return url if "://" in url else f"https://{url}"


def require_https(url: str, setting: str) -> str:
    """`url` if it is https; else a ConfigurationError naming `setting`, raised before anything
    (a token, a secret, an assertion) can be sent there in cleartext. There is no opt-out."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme != "https":
        raise ConfigurationError(
            f"{setting} is {url!r}, which is not an https:// URL: a token or secret sent there would travel "
            f"{'in cleartext' if scheme == 'http' else 'unprotected'}, so nothing is sent; give its https:// "
            "address (for the emulator, `msgraph-emulator env` prints it)")
    return url


def _parse_bool(field: str, value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ConfigurationError(f"{field}: expected true or false, got {value!r}")


class GraphSettings(BaseModel):
    """Resolved connection settings for one identity. Immutable; repr never shows secrets."""

    model_config = ConfigDict(frozen=True)

    tenant_id: Optional[str] = None
    client_id: Optional[str] = None
    client_id_file_path: Optional[str] = None
    client_secret: Optional[SecretStr] = None
    client_secret_file_path: Optional[str] = None
    client_certificate: Optional[SecretStr] = None  # base64 PKCS#12, as pulumi-azuread's clientCertificate
    client_certificate_path: Optional[str] = None
    client_certificate_password: Optional[SecretStr] = None
    use_oidc: Optional[bool] = None
    use_aks_workload_identity: Optional[bool] = None
    oidc_token: Optional[SecretStr] = None
    oidc_token_file_path: Optional[str] = None
    oidc_request_url: Optional[str] = None
    oidc_request_token: Optional[SecretStr] = None
    use_msi: Optional[bool] = None
    msi_client_id: Optional[str] = None
    use_cli: Optional[bool] = None
    environment: Optional[str] = None
    graph_endpoint: Optional[str] = None
    authority_host: Optional[str] = None
    ca_bundle: Optional[str] = None
    api_version: Optional[str] = None
    recheck_missing_seconds: Optional[str] = None
    metadata_host: Optional[str] = None
    msi_endpoint: Optional[str] = None
    ado_pipeline_service_connection_id: Optional[str] = None
    # Where each value came from (field -> "msgraph:tenantId" / "ARM_TENANT_ID" / ...), for errors.
    sources: dict[str, str] = {}

    @property
    def cloud(self) -> Cloud:
        return cloud_named(self.environment)

    @property
    def graph_base(self) -> str:
        """Graph root without the version, e.g. https://graph.microsoft.com: https only, and only the
        root (a version in `graphEndpoint` would be sent twice, `.../v1.0/v1.0/groups`)."""
        if not self.graph_endpoint:
            return self.cloud.graph_host
        base = require_https(_origin(self.graph_endpoint), self.key_for("graph_endpoint"))
        tail = base.split("://", 1)[1].partition("/")[2]
        if tail.rstrip("/").split("/")[-1].lower() in ("v1.0", "beta"):
            raise ConfigurationError(
                f"{self.key_for('graph_endpoint')} is {self.graph_endpoint!r}, which ends in an API version: give "
                f"the root without it ({base.rsplit('/', 1)[0]}); the version is msgraph:apiVersion "
                "(MSGRAPH_API_VERSION), v1.0 unless set")
        return base

    @property
    def version(self) -> str:
        v = (self.api_version or "v1.0").strip()
        if v not in ("v1.0", "beta"):
            raise ConfigurationError(f"apiVersion must be v1.0 or beta, got {v!r}")
        return v

    @property
    def recheck_missing_s(self) -> float:
        """How long a read looks again for managed memberships Graph does not list (replication
        lag) before it reports them gone: `recheckMissingSeconds`, default 3, 0 turns it off."""
        raw = self.recheck_missing_seconds
        if raw is None:
            return 3.0
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 600:
            raise ConfigurationError(f"{self.key_for('recheck_missing_seconds')} must be a number of seconds "
                                     f"from 0 (do not look again) to 600, got {raw!r}")
        return value

    @property
    def graph_url(self) -> str:
        """Graph root with the version, e.g. https://graph.microsoft.com/v1.0."""
        return f"{self.graph_base}/{self.version}"

    @property
    def login_host(self) -> str:
        """The identity platform's origin, e.g. https://login.microsoftonline.com."""
        if not self.authority_host:
            return self.cloud.authority_host
        return require_https(_origin(self.authority_host), self.key_for("authority_host"))

    @property
    def login_host_setting(self) -> str:
        """The setting that chose the sign-in host, for messages."""
        return self._host_setting("authority_host", "msgraph:authorityHost")

    @property
    def graph_host_setting(self) -> str:
        """The setting that chose the Graph host, for messages."""
        return self._host_setting("graph_endpoint", "msgraph:graphEndpoint")

    def _host_setting(self, field: str, override: str) -> str:
        if getattr(self, field):
            return self.key_for(field)
        return f"{self.key_for('environment')} ({self.cloud.name} cloud; {override} overrides the host)"

    @property
    def authority_overridden(self) -> bool:
        return bool(self.authority_host)

    @property
    def scope(self) -> str:
        """Always the cloud's Graph scope, even when `graphEndpoint` is overridden: tokens of
        one cloud are refused by another, and the emulator follows the same rule."""
        return self.cloud.scope

    def key_for(self, field: str) -> str:
        """Where the user sets `field`, for messages: the source the value actually came from,
        else the stack-config key and its first environment variable."""
        if field in self.sources:
            return self.sources[field]
        key, env = _KEYS[field]
        return f"msgraph:{key}" + (f" or {env[0]}" if env else "")

    @property
    def ca_in_use(self) -> str | None:
        """The extra CA bundle in use and its source, for TLS messages: "REQUESTS_CA_BUNDLE
        (/path/ca.pem)"; None when only the system trust store is used."""
        if not self.ca_bundle:
            return None
        return f"{self.key_for('ca_bundle')} ({self.ca_bundle})"

    @property
    def verify(self) -> str | bool:
        """What TLS verification trusts: the default store plus the configured CA bundle
        (README.md: `caBundle` is extra trust), else the default store."""
        if not self.ca_bundle:
            return True
        if not os.path.isfile(os.path.expanduser(self.ca_bundle)):
            raise ConfigurationError(
                f"{self.key_for('ca_bundle')} names {self.ca_bundle}, which is not a file: give the path "
                "of a PEM file with the CA certificates to trust (the emulator prints its own as ca_bundle)")
        from .trust import trust_bundle

        return trust_bundle(self.ca_bundle)

    def identity_key(self) -> tuple:
        """A process-local key for sharing one client per identity. Secrets enter only as a
        digest, so two stacks with different secrets never share a token."""
        h = hashlib.sha256()
        for name in sorted(_SECRET_FIELDS):
            v = getattr(self, name)
            h.update(b"\0" + (v.get_secret_value().encode() if v else b""))
        return (self.tenant_id, self.client_id, self.client_id_file_path, self.client_secret_file_path,
                self.client_certificate_path, self.use_oidc, self.use_aks_workload_identity,
                self.oidc_token_file_path, self.oidc_request_url, self.use_msi, self.msi_client_id,
                self.use_cli, self.graph_url, self.login_host, self.scope, self.ca_bundle,
                self.recheck_missing_seconds, h.hexdigest())


def resolve_settings(config_get: Callable[[str], Optional[str]] | Mapping[str, str] | None = None,
                     environ: Mapping[str, str] | None = None) -> GraphSettings:
    """Resolve every setting: `msgraph:<key>`, then the environment, then `azuread:<key>`.

    `config_get` is a `pulumi.dynamic.Config.get`-like callable or a plain mapping of
    fully-qualified keys; `None` reads the environment only.
    """
    if config_get is None:
        get: Callable[[str], Optional[str]] = lambda _k: None
    elif isinstance(config_get, Mapping):
        get = config_get.get  # type: ignore[assignment]
    else:
        get = config_get
    env = os.environ if environ is None else environ
    values: dict = {}
    sources: dict[str, str] = {}
    for field, key, env_names in _SOURCES:
        found: tuple[str, str] | None = None
        v = get(f"msgraph:{key}")
        if v not in (None, ""):
            found = (str(v), f"msgraph:{key}")
        if found is None:
            for name in env_names:
                if env.get(name) not in (None, ""):
                    found = (env[name], name)
                    break
        if found is None:
            v = get(f"azuread:{key}")
            if v not in (None, ""):
                found = (str(v), f"azuread:{key}")
        if found is None:
            continue
        raw, src = found
        if field in _BOOL_FIELDS:
            values[field] = _parse_bool(src, raw)
        elif field in _SECRET_FIELDS:
            values[field] = SecretStr(raw)
        else:
            values[field] = raw.strip()
        sources[field] = src
    settings = GraphSettings(**values, sources=sources)
    settings.cloud  # an unknown environment fails here, at configure time, not mid-apply
    return settings
