"""The services in-process: `create_app(settings, database)` on the test's own database, driven through
`falcon.testing.TestClient`. Everything is real (stored logic, token verification, validation, error
mapping) except the socket and the WSGI server, which only the subprocess tests (http_helpers) need.

    def test_something(api):
        answer = api.post("/api/v1/job/submit", {"jobs": [...]}, user="alice", groups=("production",))
        assert answer.status_code == 200 and answer.json["success"]

`api.post` / `api.get` send a token of the local issuer for `user` of `vo` with `groups` (no token with
`anonymous=True`); requests are HTTPS unless `protocol="http"`.

`app_server` (module scope, one database per test module) has the interface of http_helpers'
RunningServer (`client()`, `headers()`, `token()`, `log()`, `database_url`, `home`) for the tests written
against a real server: its `client()` is an httpx client whose transport calls the same WSGI app
in-process, and `log()` is what the app logged (access log, errors with tracebacks) since it started.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import falcon.testing
import httpx
import pytest

from pandadb.tokens import issue_token
from services.database import Database
from services.settings import ServiceSettings, local_issuer

from conftest import drop_database


class CapturedLog(logging.Handler):
    """The records of the services' loggers while attached, formatted as the server writes them."""

    LOGGERS = ("pandadb.access", "pandadb.services")

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self._levels: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))

    def attach(self) -> None:
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self._levels[name] = logger.level
            logger.setLevel(logging.INFO)
            logger.addHandler(self)

    def detach(self) -> None:
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            logger.removeHandler(self)
            logger.setLevel(self._levels.get(name, logging.NOTSET))


@dataclass
class InProcessApi:
    client: falcon.testing.TestClient
    database: Database
    home: Path
    captured: CapturedLog = field(default_factory=CapturedLog)

    @property
    def database_url(self) -> str:
        return self.database.url

    def http_client(self, scheme: str = "https", **kwargs: Any) -> httpx.Client:
        """An httpx client on the same app, in-process (WSGI transport, no socket)."""
        transport = httpx.WSGITransport(app=self.client.app)
        return httpx.Client(transport=transport, base_url=f"{scheme}://testserver", **kwargs)

    def log(self) -> str:
        return "\n".join(self.captured.lines)

    def token(
        self, user: str = "alice", vo: str = "atlas", groups: tuple[str, ...] = ("production",), lifetime: int = 3600
    ) -> str:
        return issue_token(user, vo, list(groups), lifetime, home=self.home)

    def headers(
        self,
        user: str = "alice",
        vo: str = "atlas",
        groups: tuple[str, ...] = ("production",),
        origin: str | None = None,
    ) -> dict[str, str]:
        """Authorization + Origin for a caller; default: a production user of VO atlas."""
        return {"Authorization": f"Bearer {self.token(user, vo, groups)}", "Origin": origin or vo}

    def _headers(self, anonymous: bool, headers: dict[str, str] | None, who: dict[str, Any]) -> dict[str, str]:
        combined = {} if anonymous else self.headers(**who)
        combined.update(headers or {})
        return combined

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        anonymous: bool = False,
        headers: dict[str, str] | None = None,
        protocol: str = "https",
        **who: Any,
    ) -> falcon.testing.Result:
        return self.client.simulate_get(
            path, params=params, headers=self._headers(anonymous, headers, who), protocol=protocol
        )

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        anonymous: bool = False,
        headers: dict[str, str] | None = None,
        protocol: str = "https",
        **who: Any,
    ) -> falcon.testing.Result:
        return self.client.simulate_post(
            path, json=body, headers=self._headers(anonymous, headers, who), protocol=protocol
        )


@pytest.fixture(scope="session")
def api_home() -> Iterator[Path]:
    """PANDADB_HOME of the in-process services: the local issuer's keys (made once per session)."""
    with tempfile.TemporaryDirectory(prefix="pandadb-api-") as home:
        yield Path(home)


def in_process_api(database_url: str, home: Path, **settings: Any) -> InProcessApi:
    """The app with ServiceSettings(**settings) (default: only the local issuer of `home`)."""
    from services.app import create_app  # imported here: the other tests do not depend on the app importing

    settings.setdefault("issuers", (local_issuer(home),))
    service_settings = ServiceSettings(database_url=database_url, home=home, **settings)
    database = Database(database_url, min_size=1, max_size=4)
    return InProcessApi(falcon.testing.TestClient(create_app(service_settings, database)), database, home)


@pytest.fixture
def api(database_url, api_home) -> Iterator[InProcessApi]:
    """The app on this test's own database (HTTPS requests; `protocol="http"` for plain HTTP)."""
    service = in_process_api(database_url, api_home)
    service.captured.attach()
    yield service
    service.captured.detach()
    service.database.close()


@dataclass
class InProcessServer:
    """RunningServer's interface on the in-process app (see the module docstring)."""

    api: InProcessApi
    base_url: str = "https://testserver"

    @property
    def home(self) -> Path:
        return self.api.home

    @property
    def database_url(self) -> str:
        return self.api.database_url

    def token(self, user: str = "alice", vo: str = "atlas", groups: tuple[str, ...] = (), lifetime: int = 3600) -> str:
        return self.api.token(user, vo, groups, lifetime)

    def headers(
        self,
        user: str = "alice",
        vo: str = "atlas",
        groups: tuple[str, ...] = ("production",),
        origin: str | None = None,
    ) -> dict[str, str]:
        return self.api.headers(user, vo, groups, origin)

    def client(self, **kwargs: Any) -> httpx.Client:
        return self.api.http_client(**kwargs)

    def log(self) -> str:
        return self.api.log()


@pytest.fixture(scope="module")
def app_database_url(server_url, database_supply) -> Iterator[str]:
    """A migrated database shared by the tests of one module (in-process app tests)."""
    name, url = database_supply.take()
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def app_server(app_database_url, api_home) -> Iterator[InProcessServer]:
    """The app in-process on the module's database, behind RunningServer's interface."""
    service = in_process_api(app_database_url, api_home)
    service.captured.attach()
    yield InProcessServer(service)
    service.captured.detach()
    service.database.close()
