"""How the services run: the database, the trusted token issuers, transport and limits.

Read from the environment (and overridden by `pandadb serve` options):

PANDADB_URL                  the database (unset: the embedded cluster under PANDADB_HOME)
PANDADB_HOME                 where the local token issuer's keys and the dev TLS certificate live
PANDADB_AUTH_ISSUERS         a JSON file of trusted issuers (default: only the local issuer):
                               [{"issuer": "https://iam.example.org/", "audience": "panda",
                                 "public_key_file": "/etc/panda/iam.pem"}
                                | {..., "jwks_file": "/etc/panda/iam-jwks.json"}, ...]
PANDADB_AUTH_AUDIENCE        audience of local tokens (default pandadb)
PANDADB_MAX_BODY_BYTES       largest accepted request body (default 1 MiB)
PANDADB_TRUST_FORWARDED_PROTO  1: believe X-Forwarded-Proto (only behind a TLS-terminating proxy you run)

File server (services/file_store.py) and credentials (services/creds.py):
PANDADB_FILE_STORE           root directory of the file store (default PANDADB_HOME/filestore)
PANDADB_FILE_STORE_HOST      the name this host's files are recorded under (default: the host's FQDN)
PANDADB_MAX_UPLOAD_BYTES     largest upload: sandboxes (sources.*), HPO checkpoints (default 768 MiB)
PANDADB_MAX_CACHE_FILE_BYTES largest other cache file, JEDI log or log update (default 100 MiB)
PANDADB_SECRETS_KEY          Fernet key(s) that encrypt user secrets, comma-separated: the first encrypts,
                             all decrypt (key rotation); else the file PANDADB_SECRETS_KEY_FILE
                             (default PANDADB_HOME/secrets/secrets.key, read when it exists)
PANDADB_KEY_PAIR_DIR         key-pair files served by creds/get_key_pair (one file per key name)
PANDADB_PROXY_CACHE_DIR      x509 proxies served by creds/get_proxy (<user>, or <user>.<role> per role; URL-encoded)
PANDADB_TOKEN_CACHE_DIR      access tokens served by creds/get_access_token (one file per client name)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from pandadb.settings import load_settings
from pandadb.tokens import DEFAULT_AUDIENCE, LOCAL_ISSUER, local_issuer_keys

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MIB = 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 768 * MIB
DEFAULT_MAX_CACHE_FILE_BYTES = 100 * MIB


@dataclass(frozen=True)
class TrustedIssuer:
    """An OIDC issuer whose tokens are accepted: its `iss`, expected `aud`, and verification keys."""

    issuer: str
    audience: str
    public_key_file: Path | None = None
    jwks_file: Path | None = None


@dataclass(frozen=True)
class ServiceSettings:
    database_url: str | None
    home: Path
    issuers: tuple[TrustedIssuer, ...]
    insecure: bool = False  # serve "secure connection" endpoints over plain HTTP (development only)
    trust_forwarded_proto: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    pool_min_size: int = 1
    pool_max_size: int = 4
    statement_timeout_ms: int = 60_000
    checkout_timeout_s: float = 5.0  # fail fast: wait at most this for a pooled connection, then 503
    connect_timeout_s: int = 5  # and at most this for a new connection to the database
    # file server and credentials (see the module docstring)
    file_store_root: Path | None = None  # None: <home>/filestore
    file_store_host: str | None = None  # None: socket.getfqdn()
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_cache_file_bytes: int = DEFAULT_MAX_CACHE_FILE_BYTES
    secrets_keys: tuple[str, ...] = field(default=(), repr=False)  # never printed
    key_pair_dir: Path | None = None
    proxy_cache_dir: Path | None = None
    token_cache_dir: Path | None = None

    def with_changes(self, **changes) -> ServiceSettings:
        return replace(self, **changes)


def load_issuers(path: str | Path) -> tuple[TrustedIssuer, ...]:
    """Trusted issuers from a JSON file (a list, or {"issuers": [...]}); relative key paths are relative to it."""
    path = Path(path)
    document = json.loads(path.read_text())
    entries = document["issuers"] if isinstance(document, dict) else document
    issuers = []
    for entry in entries:

        def resolve(name: str) -> Path | None:
            value = entry.get(name)
            return None if value is None else (path.parent / value).resolve()

        issuer = TrustedIssuer(
            issuer=entry["issuer"],
            audience=entry.get("audience", DEFAULT_AUDIENCE),
            public_key_file=resolve("public_key_file"),
            jwks_file=resolve("jwks_file"),
        )
        if issuer.public_key_file is None and issuer.jwks_file is None:
            raise ValueError(f"issuer {issuer.issuer} in {path} needs public_key_file or jwks_file")
        issuers.append(issuer)
    return tuple(issuers)


def local_issuer(home: Path, audience: str = DEFAULT_AUDIENCE) -> TrustedIssuer:
    keys = local_issuer_keys(home)
    return TrustedIssuer(issuer=LOCAL_ISSUER, audience=audience, public_key_file=keys.public_key_file)


def _optional_path(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value) if value else None


def load_secrets_keys(home: Path) -> tuple[str, ...]:
    """The Fernet keys of the user secrets: PANDADB_SECRETS_KEY, else the key file (see the module docstring)."""
    text = os.environ.get("PANDADB_SECRETS_KEY", "")
    if not text.strip():
        path = _optional_path("PANDADB_SECRETS_KEY_FILE") or home / "secrets" / "secrets.key"
        if not path.is_file():
            return ()
        text = path.read_text()
    return tuple(key.strip() for key in text.replace("\n", ",").split(",") if key.strip())


def load_service_settings(**overrides) -> ServiceSettings:
    """Settings from the environment; keyword arguments (from CLI options) win."""
    base = load_settings()
    home = Path(overrides.pop("home", None) or base.home)
    issuers_file = overrides.pop("issuers_file", None) or os.environ.get("PANDADB_AUTH_ISSUERS")
    audience = os.environ.get("PANDADB_AUTH_AUDIENCE") or DEFAULT_AUDIENCE
    issuers = load_issuers(issuers_file) if issuers_file else (local_issuer(home, audience),)
    settings = ServiceSettings(
        database_url=base.database_url,
        home=home,
        issuers=issuers,
        trust_forwarded_proto=os.environ.get("PANDADB_TRUST_FORWARDED_PROTO", "") in ("1", "true", "yes"),
        max_body_bytes=int(os.environ.get("PANDADB_MAX_BODY_BYTES") or DEFAULT_MAX_BODY_BYTES),
        file_store_root=_optional_path("PANDADB_FILE_STORE"),
        file_store_host=os.environ.get("PANDADB_FILE_STORE_HOST") or None,
        max_upload_bytes=int(os.environ.get("PANDADB_MAX_UPLOAD_BYTES") or DEFAULT_MAX_UPLOAD_BYTES),
        max_cache_file_bytes=int(os.environ.get("PANDADB_MAX_CACHE_FILE_BYTES") or DEFAULT_MAX_CACHE_FILE_BYTES),
        secrets_keys=load_secrets_keys(home),
        key_pair_dir=_optional_path("PANDADB_KEY_PAIR_DIR"),
        proxy_cache_dir=_optional_path("PANDADB_PROXY_CACHE_DIR"),
        token_cache_dir=_optional_path("PANDADB_TOKEN_CACHE_DIR"),
    )
    return replace(settings, **{key: value for key, value in overrides.items() if value is not None})
