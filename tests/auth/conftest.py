"""Fixtures for the sign-in tests: a fake identity platform standing in for the requests session,
test certificates, a clean environment, and a stub `az`."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat
import sys
import textwrap
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from msgraph_membership.graph.settings import _SOURCES, resolve_settings

TENANT = "7f0c4bd5-0000-4000-8000-000000000001"
CLIENT = "11111111-2222-4333-8444-555555555555"
SECRET = "s3cr3t-Value~with.odd_chars"
BASE = {"msgraph:tenantId": TENANT, "msgraph:clientId": CLIENT}  # an application in a tenant


def settings(**config):
    """Resolved settings for BASE plus `config` (keys without the `msgraph:` prefix), no environment."""
    return resolve_settings({**BASE, **{f"msgraph:{k}": v for k, v in config.items()}}, {})

# Every variable settings.py reads, plus the ones azure-identity's and msal's managed-identity
# clients read.
_ENV_VARS = {name for _f, _k, names in _SOURCES for name in names} | {
    "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT",
    "MSI_ENDPOINT", "MSI_SECRET", "MSAL_FORCE_REGION", "REGION_NAME", "AZURE_POD_IDENTITY_AUTHORITY_HOST",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No test sees the machine's Azure settings (REQUESTS_CA_BUNDLE is set on these machines)."""
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def no_az(monkeypatch, tmp_path):
    """PATH without any `az`."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def write_stub_az(bin_dir, payload: dict | None = None, *, stderr: str = "", rc: int = 0,
                  log_file=None, script_body: str | None = None) -> None:
    """An `az` on PATH that prints `payload` (or runs `script_body`), logging its argv."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    az = bin_dir / "az"
    body = script_body or textwrap.dedent(f"""
        import json, sys
        if {str(log_file) if log_file else ''!r}:
            with open({str(log_file) if log_file else ''!r}, "a") as f:
                f.write(json.dumps(sys.argv[1:]) + "\\n")
        sys.stderr.write({stderr!r})
        if {payload is not None!r}:
            print(json.dumps({payload!r}))
        sys.exit({rc})
    """)
    az.write_text(f"#!{sys.executable}\n{body}")
    az.chmod(az.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


# --------------------------------------------------------------------------------------------
# A fake identity platform in place of the requests session azure-identity sends through


def FakeResponse(status: int, body: Any, headers: dict | None = None):
    """A real `requests.Response`, as azure-core's RequestsTransport reads it."""
    import requests
    from requests.structures import CaseInsensitiveDict

    r = requests.Response()
    r.status_code = status
    r._content = (body if isinstance(body, str) else json.dumps(body)).encode()
    r.headers = CaseInsensitiveDict({"Content-Type": "application/json", **(headers or {})})
    r.encoding, r.reason, r.raw = "utf-8", "", io.BytesIO(r._content)
    return r


@dataclass
class Call:
    method: str
    url: str
    params: dict
    data: dict
    headers: dict
    kwargs: dict


@dataclass
class FakeIdP:
    """Answers OIDC discovery, token requests, an App-Service MSI endpoint and a GitHub OIDC
    request URL, and records every call. `token_replies` are popped one per token request;
    when empty a fresh token is minted."""

    token_replies: list = field(default_factory=list)
    expires_in: int = 3600
    calls: list = field(default_factory=list)
    minted: int = 0
    github_value: str = "gh-assertion"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, url, params=None, headers=None, **kwargs):
        with self.lock:
            self.calls.append(Call("GET", url, dict(params or {}), {}, dict(headers or {}), kwargs))
        u = urlparse(url)
        if u.path.endswith("/v2.0/.well-known/openid-configuration"):
            base = f"{u.scheme}://{u.netloc}{u.path.split('/v2.0/')[0]}"
            return FakeResponse(200, {"issuer": f"{base}/v2.0",
                                      "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                      "token_endpoint": f"{base}/oauth2/v2.0/token"})
        if u.path == "/common/discovery/instance":  # msal's authority-alias lookup
            host = u.netloc
            return FakeResponse(200, {"tenant_discovery_endpoint": "", "api-version": "1.1",
                                      "metadata": [{"preferred_network": host, "preferred_cache": host,
                                                    "aliases": [host]}]})
        if u.path == "/msi/token":
            return FakeResponse(200, {"access_token": self._mint(), "resource": params.get("resource"),
                                      "expires_on": str(int(__import__("time").time()) + self.expires_in),
                                      "token_type": "Bearer"})
        if u.path == "/github/token":
            return FakeResponse(200, {"value": self.github_value})
        if u.path == "/github/not-json":  # a proxy's page in place of GitHub's answer
            return FakeResponse(200, "<html>sign in to the proxy</html>")
        return FakeResponse(404, {"error": "not_found"})

    def post(self, url, data=None, headers=None, **kwargs):
        with self.lock:
            self.calls.append(Call("POST", url, {}, dict(data or {}), dict(headers or {}), kwargs))
            reply = self.token_replies.pop(0) if self.token_replies else None
        if reply is not None:
            return FakeResponse(*reply) if isinstance(reply, tuple) else FakeResponse(200, reply)
        return FakeResponse(200, {"token_type": "Bearer", "expires_in": self.expires_in,
                                  "access_token": self._mint()})

    def request(self, method, url, data=None, headers=None, **kwargs):
        """What azure-core's RequestsTransport calls: the query and a form body as dicts."""
        if isinstance(data, (str, bytes)):
            data = {k: v[0] for k, v in parse_qs(data if isinstance(data, str) else data.decode()).items()}
        if method == "GET":
            return self.get(url, params=parse_query(url), headers=headers, **kwargs)
        return self.post(url, data=data, headers=headers, **kwargs)

    def close(self):
        pass

    def _mint(self) -> str:
        with self.lock:
            self.minted += 1
            return f"token-{self.minted}"

    def token_posts(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST"]


@pytest.fixture
def idp():
    return FakeIdP()


def parse_query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


# --------------------------------------------------------------------------------------------
# Certificates


@dataclass
class CertFiles:
    pem: str            # key + certificate, unencrypted
    pem_encrypted: str  # key encrypted with `password` + certificate
    pfx: str            # PKCS#12 with `password`
    pfx_nopass: str     # PKCS#12 without a password
    cert_only: str      # the certificate alone (the form uploaded to Entra)
    password: str
    sha1: str
    cert_pem: str


def make_certificate(tmp_dir, name: str = "app", password: str = "pfx-P@ss") -> CertFiles:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name}.test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    enc = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(password.encode()))
    files = {}
    for suffix, data in {
        ".pem": plain + cert_pem,
        "-enc.pem": enc + cert_pem,
        ".pfx": pkcs12.serialize_key_and_certificates(b"app", key, cert, None,
                                                      serialization.BestAvailableEncryption(password.encode())),
        "-nopass.p12": pkcs12.serialize_key_and_certificates(b"app", key, cert, None,
                                                             serialization.NoEncryption()),
        "-cert.pem": cert_pem,
    }.items():
        p = os.path.join(str(tmp_dir), name + suffix)
        with open(p, "wb") as f:
            f.write(data)
        files[suffix] = p
    return CertFiles(files[".pem"], files["-enc.pem"], files[".pfx"], files["-nopass.p12"],
                     files["-cert.pem"], password, cert.fingerprint(hashes.SHA1()).hex(),
                     cert_pem.decode())


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("certs"))
