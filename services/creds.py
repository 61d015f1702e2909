"""API v1 module `creds` (seed 000): user secrets and the credentials the server hands out.

Rules (who may read what, how secrets are stored) are stored functions (procedures/postgres/creds.sql);
one call per API function. What stays here is what must not reach the database or lives on disk:

  * user secrets are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`) under the key the
    server is configured with (ServiceSettings.secrets_keys: PANDADB_SECRETS_KEY or its key file;
    several keys = rotation, the first encrypts). The database stores and returns ciphertext only. Secret
    values are never logged.
  * key pairs (get_key_pair), x509 proxies (get_proxy) and cached access tokens (get_access_token) are
    files in configured directories (PANDADB_KEY_PAIR_DIR, PANDADB_PROXY_CACHE_DIR,
    PANDADB_TOKEN_CACHE_DIR); token keys (get_token_key) are rows of doma_pandameta.proxykey.

A function whose store is not configured answers success false saying which setting is missing.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from urllib.parse import quote

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from services.database import text_array
from services.file_store import check_file_name, host_of
from services.spec import ARRAY, STRING, Call, Param, Reply, endpoint

NOT_CONFIGURED = "{what} are not configured on this server: set {setting}"


@functools.lru_cache(maxsize=8)
def _cipher(keys: tuple[str, ...]) -> MultiFernet | str:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError):
        return "the configured secrets key is not a valid Fernet key (32 url-safe base64-encoded bytes)"


def secrets_cipher(call: Call) -> MultiFernet | Reply:
    keys = tuple(call.settings.secrets_keys or ())
    if not keys:
        return Reply(
            False,
            NOT_CONFIGURED.format(
                what="user secrets",
                setting=f"PANDADB_SECRETS_KEY or the key file {Path(call.settings.home) / 'secrets' / 'secrets.key'}",
            ),
        )
    cipher = _cipher(keys)
    return Reply(False, cipher) if isinstance(cipher, str) else cipher


@endpoint(
    "creds",
    "POST",
    "Set a key-value pair to store in PanDA (a user secret, encrypted at rest). A null value "
    "deletes the secret, a null key deletes all secrets of the caller.",
    [
        Param("key", STRING, "Key to reference the secret (letters, digits, ._-; at most 64)"),
        Param("value", STRING, "Value of the secret"),
    ],
)
def set_user_secrets(call: Call):
    key, value = call.params["key"], call.params["value"]
    ciphertext = None
    if key is not None and value is not None:
        cipher = secrets_cipher(call)
        if isinstance(cipher, Reply):
            return cipher
        ciphertext = cipher.encrypt(value.encode()).decode()
    message = call.database.call("set_user_secret", p_owner=call.identity.user, p_key=key, p_value=ciphertext)
    return Reply(True, message, message)


@endpoint(
    "creds",
    "GET",
    "Get the secrets of the caller identified by a list of keys (all when no key is given). "
    "data is a JSON string of the key-value pairs.",
    [Param("keys", ARRAY, "List of keys to reference the secrets to retrieve", items=STRING)],
)
def get_user_secrets(call: Call):
    keys = call.params["keys"]
    stored = call.database.call(
        "get_user_secrets", p_owner=call.identity.user, p_keys=text_array(keys) if keys else None
    )
    if not stored:
        return json.dumps({})
    cipher = secrets_cipher(call)
    if isinstance(cipher, Reply):
        return cipher
    secrets = {}
    for name, ciphertext in sorted(stored.items()):
        try:
            secrets[name] = cipher.decrypt(str(ciphertext).encode()).decode()
        except InvalidToken:
            return Reply(
                False,
                f"the secret {name} cannot be decrypted with the configured secrets key (was the key "
                "changed without keeping the old one in PANDADB_SECRETS_KEY?)",
            )
    return json.dumps(secrets)


def _read(directory: Path, name: str) -> str | None:
    path = directory / name
    try:
        return path.read_text() if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def _cache_file_name(*parts: str | None) -> str:
    """A file name for a user, client or role: each part URL-encoded (a DN's slashes too), joined by '.'."""
    return ".".join(quote(part, safe="") for part in parts if part)


@endpoint(
    "creds",
    "GET",
    "Get a key pair (the named public and private key files of the server's key store) for a "
    "caller authorized with 'k' in doma_pandameta.users.gridpref.",
    [
        Param("public_key_name", STRING, "The name of the public key.", required=True),
        Param("private_key_name", STRING, "The name of the private key.", required=True),
    ],
)
def get_key_pair(call: Call):
    public_name = check_file_name(call.params["public_key_name"], "public_key_name")
    private_name = check_file_name(call.params["private_key_name"], "private_key_name")
    directory = call.settings.key_pair_dir
    if not directory:
        return Reply(False, NOT_CONFIGURED.format(what="key pairs", setting="PANDADB_KEY_PAIR_DIR"))
    call.database.call("authorize_key_pair", p_requester=call.identity.user)
    keys = {}
    for field, name in (("public_key", public_name), ("private_key", private_name)):
        content = _read(Path(directory), name)
        if content is None:
            return Reply(
                False, f"Failed for '{call.identity.user}' since {name} is missing on {host_of(call.settings)}"
            )
        keys[field] = content
    return keys


@endpoint(
    "creds",
    "GET",
    "Get the x509 proxy certificate of a user (the caller by default) with a role, from the "
    "server's proxy cache, for a caller authorized with 'p' in doma_pandameta.users.gridpref.",
    [
        Param("role", STRING, "The role of the user. Defaults to None."),
        Param("dn", STRING, "The distinguished name (or user name) of the user. Defaults to the caller."),
    ],
)
def get_proxy(call: Call):
    directory = call.settings.proxy_cache_dir
    if not directory:
        return Reply(False, NOT_CONFIGURED.format(what="x509 proxies", setting="PANDADB_PROXY_CACHE_DIR"))
    call.database.call("authorize_proxy", p_requester=call.identity.user)
    target = call.params["dn"] or call.identity.user
    proxy = _read(Path(directory), _cache_file_name(target, call.params["role"] or None))
    if proxy is None:
        return Reply(False, f"'proxy' not found for {target}")
    return {"user_proxy": proxy}


@endpoint(
    "creds",
    "GET",
    "Get the OAuth access token for the specified client from the server's token cache, for a "
    "caller authorized with 'p' in doma_pandameta.users.gridpref (and the client's token key "
    "when it has any).",
    [
        Param("client_name", STRING, "client_name for the token as named in the token cache", required=True),
        Param("token_key", STRING, "key to get the token from the token cache. Defaults to None."),
    ],
)
def get_access_token(call: Call):
    directory = call.settings.token_cache_dir
    if not directory:
        return Reply(False, NOT_CONFIGURED.format(what="access tokens", setting="PANDADB_TOKEN_CACHE_DIR"))
    client = call.params["client_name"]
    call.database.call(
        "authorize_access_token",
        p_requester=call.identity.user,
        p_client_name=client,
        p_token_key=call.params["token_key"],
    )
    token = _read(Path(directory), _cache_file_name(client))
    if token is None:
        return Reply(False, f"'token' not found for {client}")
    return {"user_proxy": token.strip()}


@endpoint(
    "creds",
    "GET",
    "Get the latest token key of a client (doma_pandameta.proxykey) for a caller authorized with "
    "'t' in doma_pandameta.users.gridpref.",
    [Param("client_name", STRING, "The name of the client requesting the token key", required=True)],
)
def get_token_key(call: Call):
    key = call.database.call("get_token_key", p_requester=call.identity.user, p_client_name=call.params["client_name"])
    return {"tokenKey": key}
