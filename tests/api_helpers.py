"""The services in-process: `create_app(settings, database)` on the test's own database, driven through
`falcon.testing.TestClient`. Everything is real (stored logic, token verification, validation, error
mapping) except the socket and the WSGI server, which only the subprocess tests (http_helpers) need.

    def test_something(api):
        answer = api.post("/api/v1/job/submit", {"jobs": [...]}, user="alice", groups=("production",))
        assert answer.status_code == 200 and answer.json["success"]

`api.post` / `api.get` send a token of the local issuer for `user` of `vo` with `groups` (no token with
`anonymous=True`); requests are HTTPS unless `protocol="http"`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import falcon.testing
import pytest

from pandadb.tokens import issue_token
from services.app import create_app
from services.database import Database
from services.settings import ServiceSettings, local_issuer


@dataclass
class InProcessApi:
    client: falcon.testing.TestClient
    database: Database
    home: Path

    def token(self, user: str = "alice", vo: str = "atlas", groups: tuple[str, ...] = ("production",),
              lifetime: int = 3600) -> str:
        return issue_token(user, vo, list(groups), lifetime, home=self.home)

    def headers(self, user: str = "alice", vo: str = "atlas", groups: tuple[str, ...] = ("production",),
                origin: str | None = None) -> dict[str, str]:
        """Authorization + Origin for a caller; default: a production user of VO atlas."""
        return {"Authorization": f"Bearer {self.token(user, vo, groups)}", "Origin": origin or vo}

    def _headers(self, anonymous: bool, headers: dict[str, str] | None, who: dict[str, Any]) -> dict[str, str]:
        combined = {} if anonymous else self.headers(**who)
        combined.update(headers or {})
        return combined

    def get(self, path: str, params: dict[str, Any] | None = None, *, anonymous: bool = False,
            headers: dict[str, str] | None = None, protocol: str = "https", **who: Any) -> falcon.testing.Result:
        return self.client.simulate_get(path, params=params, headers=self._headers(anonymous, headers, who),
                                        protocol=protocol)

    def post(self, path: str, body: Any = None, *, anonymous: bool = False, headers: dict[str, str] | None = None,
             protocol: str = "https", **who: Any) -> falcon.testing.Result:
        return self.client.simulate_post(path, json=body, headers=self._headers(anonymous, headers, who),
                                         protocol=protocol)


@pytest.fixture(scope="session")
def api_home() -> Iterator[Path]:
    """PANDADB_HOME of the in-process services: the local issuer's keys (made once per session)."""
    with tempfile.TemporaryDirectory(prefix="pandadb-api-") as home:
        yield Path(home)


def in_process_api(database_url: str, home: Path, **settings: Any) -> InProcessApi:
    service_settings = ServiceSettings(database_url=database_url, home=home, issuers=(local_issuer(home),),
                                       **settings)
    database = Database(database_url, min_size=1, max_size=4)
    return InProcessApi(falcon.testing.TestClient(create_app(service_settings, database)), database, home)


@pytest.fixture
def api(database_url, api_home) -> Iterator[InProcessApi]:
    """The app on this test's own database (HTTPS requests; `protocol="http"` for plain HTTP)."""
    service = in_process_api(database_url, api_home)
    yield service
    service.database.close()
