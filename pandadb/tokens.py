"""The local OIDC token issuer: a key pair under PANDADB_HOME that signs bearer tokens.

A real deployment trusts its identity provider (Indigo IAM, seed 004 section 7.6); for
development, tests and small sites `pandadb token issue` signs tokens with a local key pair:

    PANDADB_HOME/auth/issuer_private_key.pem   RSA key (mode 0600), created on first use
    PANDADB_HOME/auth/issuer_public_key.pem    what the services verify tokens with

Tokens carry the OIDC claims PanDA reads: `sub`, `name`, `preferred_username` and `groups`.
Groups are VO-scoped: `atlas` is membership of the VO atlas, `atlas/production` (or
`atlas/pilot`) gives the production role in it.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LOCAL_ISSUER = "pandadb-local"
DEFAULT_AUDIENCE = "pandadb"
SIGNING_ALGORITHM = "RS256"
DEFAULT_LIFETIME_SECONDS = 24 * 3600


@dataclass(frozen=True)
class IssuerKeys:
    private_key_file: Path
    public_key_file: Path

    @property
    def key_id(self) -> str:
        """A stable key id: the hash of the public key (so verifiers can pick the key)."""
        return hashlib.sha256(self.public_key_file.read_bytes()).hexdigest()[:16]


def _home(home: Path | str | None) -> Path:
    if home is not None:
        return Path(home)
    from pandadb.settings import load_settings

    return load_settings().home


def _write_once(path: Path, content: bytes, mode: int) -> None:
    """Write `path` atomically unless it exists: concurrent first users end up with one key."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)


def local_issuer_keys(home: Path | str | None = None) -> IssuerKeys:
    """The local issuer's key pair under PANDADB_HOME/auth, created on first use."""
    auth_dir = _home(home) / "auth"
    keys = IssuerKeys(auth_dir / "issuer_private_key.pem", auth_dir / "issuer_public_key.pem")
    if keys.private_key_file.exists() and keys.public_key_file.exists():
        return keys
    auth_dir.mkdir(parents=True, exist_ok=True)
    if not keys.private_key_file.exists():
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_once(
            keys.private_key_file,
            private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
            0o600,
        )
    # derive the public key from whichever private key won a concurrent creation
    stored_key = serialization.load_pem_private_key(keys.private_key_file.read_bytes(), password=None)
    _write_once(
        keys.public_key_file,
        stored_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        0o644,
    )
    return keys


def vo_groups(vo: str, groups: list[str] | tuple[str, ...]) -> list[str]:
    """The groups claim for a member of `vo`: the VO itself, then each group scoped to it.

    A bare group name `production` becomes `<vo>/production`; a name with a slash is kept.
    """
    claim = [vo]
    for group in groups:
        group = group.strip().strip("/")
        if not group:
            continue
        scoped = group if "/" in group else f"{vo}/{group}"
        if scoped not in claim:
            claim.append(scoped)
    return claim


def issue_token(
    user: str,
    vo: str,
    groups: list[str] | tuple[str, ...] = (),
    lifetime: int = DEFAULT_LIFETIME_SECONDS,
    home: Path | str | None = None,
    audience: str = DEFAULT_AUDIENCE,
) -> str:
    """A signed JWT from the local issuer for `user`, member of `vo` and of `groups`.

    lifetime: seconds until expiry (a negative value makes an already expired token, for tests).
    """
    if not user or not vo:
        raise ValueError("a token needs a user and a VO")
    keys = local_issuer_keys(home)
    now = int(time.time())
    claims = {
        "iss": LOCAL_ISSUER,
        "aud": audience,
        "sub": user,
        "name": user,
        "preferred_username": user,
        "groups": vo_groups(vo, groups),
        "iat": min(now, now + lifetime),
        "nbf": min(now, now + lifetime) - 5,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    private_key = keys.private_key_file.read_bytes()
    return jwt.encode(claims, private_key, algorithm=SIGNING_ALGORITHM, headers={"kid": keys.key_id})
