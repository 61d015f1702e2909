"""update_job's static path for active jobs (procedures/postgres/jobs.sql): every parameter of
update_job_column_map lands in its column, as the general path stores it; bad values are still named."""

from __future__ import annotations

import pytest

from job_helpers import dispatched_job, expect_refusal, job_row, register_queue, snapshot, statuses_logged, update

QUEUE = "TEST_QUEUE"


@pytest.fixture
def queue_db(db):
    register_queue(db, QUEUE)
    return db


def column_map(db) -> dict[str, tuple[str, str, int]]:
    """api name -> (column, type name, varchar length or -1)."""
    return {
        api: (column, type_name, length)
        for api, column, type_name, length in db.execute("""
        SELECT m.api_name, m.column_name, a.atttypid::regtype::text, CASE WHEN a.atttypmod > 4 THEN a.atttypmod - 4 ELSE -1 END
          FROM doma_panda.update_job_column_map() m
          JOIN pg_attribute a ON a.attrelid = 'doma_panda.jobsactive4'::regclass AND a.attname = m.column_name""").fetchall()
    }


def value_for(type_name: str, index: int):
    if type_name in ("smallint", "integer", "bigint"):
        return 100 + index
    if type_name == "numeric" or type_name.startswith("double") or type_name == "real":
        return 100 + index  # integral: some numeric columns have no scale
    if type_name.startswith("timestamp"):
        return f"2026-03-01 10:{index:02d}:00"
    return f"v{index}"


def test_a_heartbeat_stores_every_parameter_in_its_column(queue_db):
    db = queue_db
    pandaid = dispatched_job(db, QUEUE, "running")
    columns = column_map(db)
    assert len(columns) >= 30
    request = {
        api: value_for(type_name, index) for index, (api, (_, type_name, _)) in enumerate(sorted(columns.items()))
    }
    before = job_row(db, pandaid)[1]
    assert update(db, pandaid, "running", **request) == {"StatusCode": 0, "command": "NULL"}
    table, after = job_row(db, pandaid)
    assert table == "jobsactive4"
    for api, (column, type_name, _) in columns.items():
        stored = after[column]
        expected = request[api]
        if type_name.startswith("timestamp"):
            expected = expected.replace(" ", "T")
        assert stored == expected, (api, column, stored, expected)
    # the columns it does not name are left alone; a heartbeat without a status change logs nothing
    assert {k: v for k, v in after.items() if k not in {c for c, _, _ in columns.values()} | {"modificationtime"}} == {
        k: v for k, v in before.items() if k not in {c for c, _, _ in columns.values()} | {"modificationtime"}
    }
    assert statuses_logged(db, pandaid)[-1] == "running"
    logged = len(statuses_logged(db, pandaid))
    update(db, pandaid, None, n_events=5)
    assert len(statuses_logged(db, pandaid)) == logged and job_row(db, pandaid)[1]["nevents"] == 5


def test_a_status_change_on_the_static_path_is_logged_and_cuts_long_strings(queue_db):
    db = queue_db
    pandaid = dispatched_job(db, QUEUE, "sent")
    length = column_map(db)["pilot_error_diag"][2]
    update(db, pandaid, "starting", pilot_error_diag="x" * (length + 50), max_rss=2048.0)
    job = job_row(db, pandaid)[1]
    assert (job["jobstatus"], job["piloterrordiag"], job["maxrss"]) == ("starting", "x" * length, 2048)
    assert statuses_logged(db, pandaid)[-1] == "starting"
    assert job["statechangetime"] == job["modificationtime"]


@pytest.mark.parametrize(
    "request_values, words",
    [
        ({"max_rss": {"a": 1}}, ["maxrss", "single value"]),
        ({"n_events": [1, 2]}, ["nevents", "single value"]),
        ({"max_rss": "lots"}, ["maxrss"]),
        ({"start_time": "yesterday-ish"}, ["starttime"]),
        ({"attempt_nr": "first"}, ["attemptnr"]),
    ],
)
def test_bad_values_are_named_and_change_nothing(queue_db, request_values, words):
    db = queue_db
    pandaid = dispatched_job(db, QUEUE, "running")
    before = snapshot(db)
    message = expect_refusal(
        db, "PD002", "update_job", p_pandaid=pandaid, p_job_status="running", p_request=request_values
    )
    for word in words:
        assert word in message, message
    assert snapshot(db) == before


def test_a_verified_token_is_reused_until_it_expires(tmp_path, monkeypatch):
    """The services verify a pilot's token once and reuse its claims (services/auth.py), never past "exp"."""
    import time as real_time

    from pandadb.tokens import issue_token
    from services import auth
    from services.settings import local_issuer

    token = issue_token("pilot", "atlas", ["atlas/pilot"], 120, home=tmp_path)
    verifier = auth.TokenVerifier((local_issuer(tmp_path),))
    claims = verifier.verify(token)
    assert claims["sub"] and verifier.verify(token) is claims  # the second time from the cache
    later = real_time.time() + 120 + auth.CLOCK_SKEW_SECONDS + 5
    monkeypatch.setattr(auth.time, "time", lambda: later)
    monkeypatch.setattr(auth.jwt.api_jwt, "datetime", _FrozenDatetime(later), raising=False)
    with pytest.raises(auth.AuthError) as refused:
        verifier.verify(token)
    assert refused.value.status == 401 and "expired" in str(refused.value)
    with pytest.raises(auth.AuthError):
        verifier.verify(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))  # a forged signature


class _FrozenDatetime:
    """PyJWT's clock (jwt.api_jwt.datetime) at a given time, for the expiry check of a re-verified token."""

    def __init__(self, when: float):
        import datetime as real_datetime

        self._now = real_datetime.datetime.fromtimestamp(when, tz=real_datetime.UTC)
        self.timezone = real_datetime.timezone

    def now(self, tz=None):
        return self._now
