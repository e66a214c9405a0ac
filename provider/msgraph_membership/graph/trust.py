"""TLS trust: `caBundle` adds to the usual trust store instead of replacing it.

requests (and so sign-in, whose azure-identity credentials send through our requests session)
take one CA file in `verify`, which *replaces* the trust store. A configured bundle (the
emulator's test CA, a corporate proxy's CA) is meant as extra trust, so the client verifies
against one file holding both: certifi's store and the configured bundle.
Verification is never turned off.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def trust_bundle(extra_ca: str) -> str:
    """Path of a PEM file with the default trust store plus `extra_ca`'s certificates.

    If `extra_ca` cannot be read, it is returned as is, so requests reports the bad path."""
    try:
        extra = Path(extra_ca).expanduser().read_bytes()
    except OSError:
        return extra_ca
    import certifi  # a requests dependency

    base = Path(certifi.where()).read_bytes()
    if extra.strip() and extra.strip() in base:
        return certifi.where()
    combined = base.rstrip(b"\n") + b"\n" + extra
    digest = hashlib.sha256(combined).hexdigest()[:20]
    out = _private_dir() / f"trust-{digest}.pem"
    # Trust only a file with exactly these contents, in a directory only this user can write.
    try:
        if out.read_bytes() == combined:
            return str(out)
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".trust-")
    with os.fdopen(fd, "wb") as f:
        f.write(combined)
    os.replace(tmp, out)  # atomic: concurrent provider processes never read a torn file
    return str(out)


def _private_dir() -> Path:
    """A directory of this user's, mode 0700 (never a shared, guessable /tmp path)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    d = base / "msgraph-membership"
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(d, 0o700)
        return d
    except OSError:
        return Path(tempfile.mkdtemp(prefix="msgraph-membership-"))  # 0700 by construction
