"""GET /auth/<vo>_auth_config.json: the OIDC configuration panda-client's login reads (seed 004 section 7.6).

panda-client (PANDA_AUTH=oidc, PANDA_AUTH_VO=<vo>) fetches it from the server's host before its device-code
login: {"vo", "audience", "client_id", "client_secret", "oidc_config_url"}. A file
<vo>_auth_config.json in the directory PANDADB_AUTH_CONFIG_DIR (default PANDADB_HOME/auth_config; PanDA's
`auth_config` directory) is served as it is. Otherwise the answer is made from the first trusted token issuer
(PANDADB_AUTH_ISSUERS, or the local issuer): its audience as audience and client_id, no client secret, and
its issuer URL's /.well-known/openid-configuration. Public (no token: it is what gets one), read only.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import falcon

from services.settings import ServiceSettings

PATH = "/auth/{file_name}"
FILE_NAME = re.compile(r"^(?P<vo>[A-Za-z0-9][A-Za-z0-9_.-]{0,63})_auth_config\.json$")


class AuthConfigResource:
    def __init__(self, settings: ServiceSettings):
        self._settings = settings
        self._directory = Path(os.environ.get("PANDADB_AUTH_CONFIG_DIR") or settings.home / "auth_config")

    def on_get(self, req: falcon.Request, resp: falcon.Response, file_name: str) -> None:
        match = FILE_NAME.match(file_name)
        if match is None or ".." in file_name:
            raise falcon.HTTPNotFound(description="auth configurations are /auth/<vo>_auth_config.json")
        vo = match.group("vo")
        configured = self._directory / file_name
        resp.content_type = falcon.MEDIA_JSON
        if configured.is_file():
            resp.text = configured.read_text()
            return
        if not self._settings.issuers:
            raise falcon.HTTPNotFound(description="no token issuer is configured")
        issuer = self._settings.issuers[0]
        resp.text = json.dumps(
            {
                "vo": vo,
                "audience": issuer.audience,
                "client_id": issuer.audience,
                "client_secret": "",
                "oidc_config_url": issuer.issuer.rstrip("/") + "/.well-known/openid-configuration",
            }
        )
