"""The emulator's test CA and server certificate.

MSAL only accepts an ``https://`` authority (docs/graph-behaviour.md §7.2), so the emulator always serves
TLS. A CA is created once in the TLS directory and kept between runs, so a user can trust
``ca.pem`` once; the server certificate (127.0.0.1, localhost, ::1) is re-issued by that CA when it
is missing or close to expiry. Files: ``ca.pem``, ``ca-key.pem``, ``server.pem``, ``server-key.pem``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TlsFiles:
    ca_pem: Path
    cert_pem: Path
    key_pem: Path


def default_tls_dir() -> Path:
    """A per-user directory: ``$XDG_CACHE_HOME``/``~/.cache``/msgraph-emulator/tls, else a temp dir."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "msgraph-emulator" / "tls"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".probe"
        probe.write_text("")
        probe.unlink()
        return path
    except OSError:
        path = Path(tempfile.gettempdir()) / f"msgraph-emulator-{os.getuid() if hasattr(os, 'getuid') else 'user'}" / "tls"
        path.mkdir(parents=True, exist_ok=True)
        return path


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_private(path: Path, data: bytes) -> None:
    # Write then rename so a concurrent start never reads half a key.
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _valid_for(cert_path: Path, days: int) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return False
    return cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc) > dt.timedelta(days=days)


def _self_signed(key, common_name: str, *, days: int) -> x509.CertificateBuilder:
    """A certificate builder whose subject and issuer are `common_name`, valid from yesterday."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _make_ca(directory: Path) -> None:
    key = _new_key()
    cert = (
        _self_signed(key, "msgraph-emulator test CA", days=3650)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / "ca-key.pem", _key_pem(key))
    _write_private(directory / "ca.pem", cert.public_bytes(serialization.Encoding.PEM))


def _make_server(directory: Path) -> None:
    ca_key = serialization.load_pem_private_key((directory / "ca-key.pem").read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
    key = _new_key()
    now = dt.datetime.now(dt.timezone.utc)
    san = x509.SubjectAlternativeName([
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(directory / "server-key.pem", _key_pem(key))
    _write_private(directory / "server.pem", cert.public_bytes(serialization.Encoding.PEM))


def ensure_tls(directory: str | os.PathLike | None = None) -> TlsFiles:
    """Create (or reuse) the CA and the server certificate in ``directory``."""
    d = Path(directory) if directory else default_tls_dir()
    d.mkdir(parents=True, exist_ok=True)
    # Emulators started side by side share the default directory: one creates, the others wait.
    with open(d / ".lock", "a+") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # Windows: no flock; concurrent first starts are then unsupported
            pass
        return _ensure_locked(d)


def _ensure_locked(d: Path) -> TlsFiles:
    if not ((d / "ca-key.pem").exists() and _valid_for(d / "ca.pem", 30)):
        _make_ca(d)
        # A new CA invalidates any server certificate it did not sign.
        for stale in ("server.pem", "server-key.pem"):
            (d / stale).unlink(missing_ok=True)
    if not ((d / "server-key.pem").exists() and _valid_for(d / "server.pem", 7)):
        _make_server(d)
    if not (d / "client.pem").exists():
        # The default app's sign-in certificate (key + certificate), registered by seed.ensure_defaults.
        cert_pem, key_pem = make_client_certificate()
        _write_private(d / "client.pem", key_pem + cert_pem)
    return TlsFiles(ca_pem=d / "ca.pem", cert_pem=d / "server.pem", key_pem=d / "server-key.pem")


def make_client_certificate(common_name: str = "msgraph-emulator client") -> tuple[bytes, bytes]:
    """A self-signed client certificate for certificate sign-in: ``(cert_pem, key_pem)``."""
    key = _new_key()
    cert = _self_signed(key, common_name, days=365).sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)
