"""The real panda-client 2.2.0 (PyPI, unchanged) pointed at a server of the tests.

    with panda_client(server, token, config_root) as Client:
        status, output = Client.insertTaskParams(params)

The client reads its configuration from the environment when pandaclient.Client is imported: PANDA_URL,
PANDA_URL_SSL and PANDACACHE_URL (without the last it looks up pandacache.cern.ch), PANDA_BEHIND_REAL_LB=1
(else it replaces 127.0.0.1 by a reverse-DNS name), PANDA_VERIFY_HOST=off (the development certificate),
PANDA_AUTH=oidc with PANDA_AUTH_VO and the ID token (PANDA_AUTH_ID_TOKEN; it sends Authorization: Bearer and
Origin: <vo>). The module is imported again with that environment, and the environment restored afterwards.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

CLIENT_ENVIRONMENT = (
    "PANDA_URL",
    "PANDA_URL_SSL",
    "PANDACACHE_URL",
    "PANDA_BEHIND_REAL_LB",
    "PANDA_AUTH",
    "PANDA_AUTH_VO",
    "PANDA_VERIFY_HOST",
    "PANDA_CONFIG_ROOT",
    "PANDA_AUTH_ID_TOKEN",
    "OIDC_AUTH_TOKEN_FILE",
    "OIDC_AUTH_ID_TOKEN",
)


@contextmanager
def panda_client(base_url: str, token: str | None, config_root: Path, vo: str = "atlas") -> Iterator[ModuleType]:
    """pandaclient.Client for the server at `base_url`, authenticated with `token` (None: the token cached in
    config_root/.token is used, as after the client's own OIDC login) for `vo`."""
    saved = {name: os.environ.get(name) for name in CLIENT_ENVIRONMENT}
    for name in ("PANDA_AUTH_ID_TOKEN", "OIDC_AUTH_TOKEN_FILE", "OIDC_AUTH_ID_TOKEN"):
        os.environ.pop(name, None)
    url = f"{base_url}/server/panda"
    os.environ.update(
        {
            "PANDA_URL": url,
            "PANDA_URL_SSL": url,
            "PANDACACHE_URL": url,
            "PANDA_BEHIND_REAL_LB": "1",
            "PANDA_AUTH": "oidc",
            "PANDA_AUTH_VO": vo,
            "PANDA_VERIFY_HOST": "off",
            "PANDA_CONFIG_ROOT": str(config_root),
        }
    )
    if token is not None:
        os.environ["PANDA_AUTH_ID_TOKEN"] = token
    try:
        if "pandaclient.Client" in sys.modules:
            yield importlib.reload(sys.modules["pandaclient.Client"])
        else:
            yield importlib.import_module("pandaclient.Client")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
