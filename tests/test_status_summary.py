"""GET /status_summary/ (seed 003) over real HTTP against real PostgreSQL, and doma_panda.status_summary itself.

One module database: queues registered through the registration functions (one written straight into
schedconfig_json with 'gstat' instead of 'atlas_site' and a corecount given as text), jobs inserted into
the four job tables at known modification times around a clock pinned for the whole database
(ALTER DATABASE ... SET pandadb.clock, before the server opens its pool). Every expectation below is
written out by hand from the JOBS table.
"""

from __future__ import annotations

import datetime
import json
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg.types.json import Jsonb

from http_helpers import table_counts

NOW = datetime.datetime(2026, 3, 10, 12, 0, 0)
STATUSES = (
    "pending",
    "defined",
    "waiting",
    "assigned",
    "throttled",
    "activated",
    "sent",
    "starting",
    "running",
    "holding",
    "merging",
    "transferring",
    "finished",
    "failed",
    "cancelled",
)
ROW_KEYS = {"computingsite", "mcp_cloud", "atlas_site", "cloud", "corecount", *STATUSES}
RESPONSE_KEYS = {"GET_parameters", "query", "nrecords", "data", "timestamp", "errors", "warnings"}
LOOKUP_ERROR = {"lookup": "Job for this query has not been found. "}
OPTIONAL = (
    "nhours",
    "starttime",
    "endtime",
    "mcp_cloud",
    "computingsite",
    "jobstatus",
    "corecount",
    "cloud",
    "atlas_site",
    "status",
)

# queue -> (atlas_site, cloud, corecount) as the answer shows them; queues not listed have no schedconfig row
QUEUES = {
    "Q_ALPHA": ("SITE_A", "CA", 8),
    "Q_BETA": ("SITE_B", "DE", 1),
    "ANALY_GAMMA": ("SITE_C", "DE", None),
    "Q_GSTAT": ("GSTAT_SITE", "CA", 4),
    "Q_IDLE": ("SITE_A", "CA", 8),
}

# (table, computingsite, mcp_cloud (the job's cloud), jobstatus, hours before NOW, number of jobs)
JOBS = [
    ("jobsdefined4", "Q_ALPHA", "CA", "defined", 1, 2),
    ("jobsdefined4", "Q_ALPHA", "CA", "assigned", 3, 1),
    ("jobsdefined4", "Q_ALPHA", "CA", "pending", 0.5, 1),
    ("jobswaiting4", "Q_ALPHA", "CA", "waiting", 2, 1),
    ("jobsactive4", "Q_ALPHA", "CA", "running", 1 / 6, 3),
    ("jobsactive4", "Q_ALPHA", "CA", "activated", 5, 1),
    ("jobsactive4", "Q_ALPHA", "CA", "starting", 1, 1),
    ("jobsarchived4", "Q_ALPHA", "CA", "finished", 4, 2),
    ("jobsarchived4", "Q_ALPHA", "CA", "failed", 11, 1),
    ("jobsarchived4", "Q_ALPHA", "CA", "closed", 1, 1),  # no column for closed in seed 003: never counted
    ("jobsarchived4", "Q_ALPHA", "CA", "finished", 20, 5),  # outside the default 12 hours
    ("jobsactive4", "Q_ALPHA", "DE", "running", 1, 1),
    ("jobsactive4", "Q_BETA", "DE", "holding", 2, 1),
    ("jobsactive4", "Q_BETA", "DE", "transferring", 2, 1),
    ("jobsactive4", "Q_BETA", "DE", "merging", 2, 1),
    ("jobsactive4", "Q_BETA", "DE", "sent", 2, 1),
    ("jobsactive4", "Q_BETA", "DE", "throttled", 6, 1),
    ("jobsarchived4", "Q_BETA", "DE", "cancelled", 7, 2),
    ("jobsarchived4", "Q_BETA", "DE", "finished", 12, 1),  # exactly at the window's start: inside
    ("jobswaiting4", "Q_BETA", "DE", "pending", 1, 1),
    ("jobsactive4", "ANALY_GAMMA", None, "running", 1, 2),
    ("jobsarchived4", "ANALY_GAMMA", None, "failed", 13, 1),
    ("jobsdefined4", "Q_GHOST", "CA", "defined", 2, 1),  # a queue without schedconfig
    ("jobsarchived4", "Q_GSTAT", "CA", "finished", 3, 1),
    ("jobsdefined4", None, "CA", "defined", 1, 1),  # not brokered yet: computingsite NULL
    ("jobsarchived4", "Q_IDLE", "CA", "finished", 30, 1),
    ("jobsactive4", "Q_IDLE", "CA", "running", -1, 1),  # after NOW: outside every window ending at NOW
]


def iso(hours_before_now: float) -> str:
    return (NOW - datetime.timedelta(hours=hours_before_now)).strftime("%Y-%m-%dT%H:%M:%S")


def row(site: str | None, mcp_cloud: str | None, **counts: int) -> dict:
    atlas_site, cloud, corecount = QUEUES.get(site, (None, None, None))
    return {
        "computingsite": site,
        "mcp_cloud": mcp_cloud,
        "atlas_site": atlas_site,
        "cloud": cloud,
        "corecount": corecount,
        **{status: counts.get(status, 0) for status in STATUSES},
    }


# the default window [NOW - 12h, NOW], in the answer's order (computingsite, mcp_cloud; NULLs last)
GAMMA = row("ANALY_GAMMA", None, running=2)
ALPHA_CA = row(
    "Q_ALPHA",
    "CA",
    pending=1,
    defined=2,
    waiting=1,
    assigned=1,
    activated=1,
    starting=1,
    running=3,
    finished=2,
    failed=1,
)
ALPHA_DE = row("Q_ALPHA", "DE", running=1)
BETA = row(
    "Q_BETA", "DE", pending=1, throttled=1, sent=1, holding=1, merging=1, transferring=1, finished=1, cancelled=2
)
GHOST = row("Q_GHOST", "CA", defined=1)
GSTAT = row("Q_GSTAT", "CA", finished=1)
NOSITE = row(None, "CA", defined=1)
DEFAULT_WINDOW = [GAMMA, ALPHA_CA, ALPHA_DE, BETA, GHOST, GSTAT, NOSITE]


@pytest.fixture(scope="module")
def seeded(module_database_url):
    """The module database with queues and jobs, its clock pinned to NOW for every new connection."""
    name = urlsplit(module_database_url).path.lstrip("/")
    with psycopg.connect(module_database_url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE \"{name}\" SET pandadb.clock = '{NOW:%Y-%m-%d %H:%M:%S}'")
        for cloud in ("CA", "DE"):
            conn.execute("SELECT doma_pandameta.register_cloud(%s)", (cloud,))
        for site in ("SITE_A", "SITE_B", "SITE_C"):
            conn.execute("SELECT doma_panda.register_site(%s)", (site,))
        for queue, site, config in [
            ("Q_ALPHA", "SITE_A", {"cloud": "CA", "corecount": 8, "status": "online"}),
            ("Q_BETA", "SITE_B", {"cloud": "DE", "corecount": 1, "status": "brokeroff"}),
            ("ANALY_GAMMA", "SITE_C", {"cloud": "DE", "status": "offline"}),
            ("Q_IDLE", "SITE_A", {"cloud": "CA", "corecount": 8, "status": "online"}),
        ]:
            conn.execute("SELECT doma_panda.register_panda_queue(%s, %s, %s)", (queue, site, Jsonb(config)))
        conn.execute(
            "INSERT INTO doma_panda.schedconfig_json (panda_queue, data, last_update) VALUES ('Q_GSTAT', %s, now())",
            (json.dumps({"gstat": "GSTAT_SITE", "cloud": "CA", "corecount": "4", "status": "test"}),),
        )
        pandaid = 1000
        for table, site, mcp_cloud, status, hours, count in JOBS:
            for _ in range(count):
                pandaid += 1
                conn.execute(
                    f"INSERT INTO doma_panda.{table} (pandaid, modificationtime, jobstatus, computingsite, "
                    "cloud) VALUES (%s, %s, %s, %s, %s)",
                    (pandaid, NOW - datetime.timedelta(hours=hours), status, site, mcp_cloud),
                )
    return module_database_url


@pytest.fixture(scope="module")
def client(seeded, api_server):
    with api_server.client() as http:  # no token: the monitor API is public
        yield http


def get(client, params: dict | str | None = None, path: str = "/status_summary/", expected: int = 200) -> dict:
    response = client.get(path, params=params)
    assert response.status_code == expected, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == RESPONSE_KEYS
    for entry in body["data"]:
        assert set(entry) == ROW_KEYS
    assert body["nrecords"] == len(body["data"])
    return body


def data(client, params: dict) -> list[dict]:
    return get(client, params)["data"]


# ------------------------------------------------------------------------------------------------
# window


def test_default_is_the_last_12_hours_of_all_four_job_tables(client):
    body = get(client)
    assert body["data"] == DEFAULT_WINDOW
    assert body["nrecords"] == 7
    assert body["GET_parameters"] == {}
    assert body["errors"] == {}
    assert body["query"] == {"JOBS INCLUDE: modificationtime__range": [iso(12), iso(0)]}
    assert body["warnings"] == {
        "missingoptionalparameter": "".join(f"Missing optional GET parameter {name}. " for name in OPTIONAL)
    }
    stamp = datetime.datetime.fromisoformat(body["timestamp"])
    assert abs(stamp - datetime.datetime.now(datetime.UTC).replace(tzinfo=None)) < datetime.timedelta(minutes=5)


def test_both_paths_answer_without_a_token(client):
    assert get(client, path="/status_summary")["data"] == DEFAULT_WINDOW
    assert get(client, {"nhours": "12"}, path="/status_summary")["data"] == DEFAULT_WINDOW


def test_openapi_documents_the_public_endpoint(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/status_summary/"]["get"]
    assert operation["security"] == []
    assert [p["name"] for p in operation["parameters"]] == list(OPTIONAL)
    assert set(operation["responses"]) == {"200", "404", "400"}


def test_nhours(client):
    body = get(client, {"nhours": "2"})
    assert body["GET_parameters"] == {"nhours": "2"}
    assert body["query"] == {"JOBS INCLUDE: modificationtime__range": [iso(2), iso(0)]}
    # the seed's example: starttime, endtime, ... listed; nhours, given, is not
    assert body["warnings"] == {
        "missingoptionalparameter": "".join(f"Missing optional GET parameter {name}. " for name in OPTIONAL[1:])
    }
    assert body["data"] == [
        GAMMA,
        row("Q_ALPHA", "CA", pending=1, defined=2, waiting=1, starting=1, running=3),
        ALPHA_DE,
        row("Q_BETA", "DE", pending=1, sent=1, holding=1, merging=1, transferring=1),
        GHOST,
        NOSITE,
    ]
    assert data(client, {"nhours": "1"}) == [
        GAMMA,
        row("Q_ALPHA", "CA", pending=1, defined=2, starting=1, running=3),
        ALPHA_DE,
        row("Q_BETA", "DE", pending=1),
        NOSITE,
    ]
    assert data(client, {"nhours": "24"}) == [
        row("ANALY_GAMMA", None, running=2, failed=1),
        {**ALPHA_CA, "finished": 7},
        ALPHA_DE,
        BETA,
        GHOST,
        GSTAT,
        NOSITE,
    ]
    assert data(client, {"nhours": "48"}) == [
        row("ANALY_GAMMA", None, running=2, failed=1),
        {**ALPHA_CA, "finished": 7},
        ALPHA_DE,
        BETA,
        GHOST,
        GSTAT,
        row("Q_IDLE", "CA", finished=1),
        NOSITE,
    ]


def test_starttime_and_endtime(client):
    body = get(client, {"starttime": iso(21), "endtime": iso(19)})
    assert body["data"] == [row("Q_ALPHA", "CA", finished=5)]
    assert body["query"] == {"JOBS INCLUDE: modificationtime__range": [iso(21), iso(19)]}
    assert "nhours" in body["warnings"]["missingoptionalparameter"]
    assert "starttime" not in body["warnings"]["missingoptionalparameter"]
    # both ends are inclusive: [NOW-13h, NOW-12h] holds the jobs at exactly NOW-13h and NOW-12h
    assert data(client, {"starttime": iso(13), "endtime": iso(12)}) == [
        row("ANALY_GAMMA", None, failed=1),
        row("Q_BETA", "DE", finished=1),
    ]
    # starttime alone: up to NOW
    assert data(client, {"starttime": iso(1)}) == data(client, {"nhours": "1"})
    # endtime alone: the 12 hours before it, [NOW-18h, NOW-6h]
    body = get(client, {"endtime": iso(6)})
    assert body["query"] == {"JOBS INCLUDE: modificationtime__range": [iso(18), iso(6)]}
    assert body["data"] == [
        row("ANALY_GAMMA", None, failed=1),
        row("Q_ALPHA", "CA", failed=1),
        row("Q_BETA", "DE", throttled=1, finished=1, cancelled=2),
    ]


def test_nhours_has_priority_over_starttime_and_endtime(client):
    body = get(client, {"nhours": "1", "starttime": iso(21), "endtime": iso(19)})
    assert body["query"] == {"JOBS INCLUDE: modificationtime__range": [iso(1), iso(0)]}
    assert body["data"] == data(client, {"nhours": "1"})
    assert body["warnings"]["ignoredparameter"] == (
        "GET parameter starttime is ignored: nhours has priority. "
        "GET parameter endtime is ignored: nhours has priority. "
    )
    # not taken into account means not checked either
    assert get(client, {"nhours": "1", "starttime": "yesterday"})["data"] == body["data"]


# ------------------------------------------------------------------------------------------------
# job properties: mcp_cloud, computingsite, jobstatus


def test_mcp_cloud(client):
    body = get(client, {"mcp_cloud": "DE"})
    assert body["data"] == [ALPHA_DE, BETA]
    assert body["query"]["JOBS INCLUDE: cloud__in"] == ["DE"]
    assert data(client, {"mcp_cloud": "CA,DE"}) == [ALPHA_CA, ALPHA_DE, BETA, GHOST, GSTAT, NOSITE]
    assert data(client, {"mcp_cloud": "NULL"}) == [GAMMA]
    assert data(client, {"mcp_cloud": "-NULL"}) == [ALPHA_CA, ALPHA_DE, BETA, GHOST, GSTAT, NOSITE]
    # '-value' keeps the rows where the field is NULL (Django's exclude)
    body = get(client, {"mcp_cloud": "-CA"})
    assert body["data"] == [GAMMA, ALPHA_DE, BETA]
    assert body["query"]["JOBS EXCLUDE: cloud__in"] == ["CA"]
    assert data(client, {"mcp_cloud": "D*"}) == [ALPHA_DE, BETA]


def test_computingsite(client):
    assert data(client, {"computingsite": "Q_ALPHA"}) == [ALPHA_CA, ALPHA_DE]
    assert data(client, {"computingsite": "Q_ALPHA,ANALY_GAMMA"}) == [GAMMA, ALPHA_CA, ALPHA_DE]
    body = get(client, {"computingsite": "Q_*"})
    assert body["data"] == [ALPHA_CA, ALPHA_DE, BETA, GHOST, GSTAT]
    assert body["query"]["JOBS INCLUDE: computingsite__wildcard"] == ["Q_*"]
    assert data(client, {"computingsite": "*_G*"}) == [GAMMA, GHOST, GSTAT]
    assert data(client, {"computingsite": "*HOST"}) == [GHOST]
    assert data(client, {"computingsite": "-Q_*"}) == [GAMMA, NOSITE]
    assert data(client, {"computingsite": "Q_*,-Q_ALPHA"}) == [BETA, GHOST, GSTAT]
    body = get(client, {"computingsite": "NULL"})
    assert body["data"] == [NOSITE]
    assert body["query"]["JOBS INCLUDE: computingsite__isnull"] is True
    body = get(client, {"computingsite": "-NULL"})
    assert body["data"] == DEFAULT_WINDOW[:-1]
    assert body["query"]["JOBS EXCLUDE: computingsite__isnull"] is True
    assert data(client, {"computingsite": "NULL,ANALY_*"}) == [GAMMA, NOSITE]


def test_wildcards_take_sql_like_characters_literally(client):
    # '_' and '%' are plain characters: only '*' is a wildcard
    for value in ("Q%", "Q_ALPH_*", "Q_ALPH_", "%"):
        body = get(client, {"computingsite": value}, expected=404)
        assert body["errors"] == LOOKUP_ERROR
    assert data(client, {"computingsite": "Q_ALPH*"}) == [ALPHA_CA, ALPHA_DE]


def test_jobstatus(client):
    only_running = [row("ANALY_GAMMA", None, running=2), row("Q_ALPHA", "CA", running=3), ALPHA_DE]
    assert data(client, {"jobstatus": "running"}) == only_running
    assert data(client, {"jobstatus": "defined,activated"}) == [
        row("Q_ALPHA", "CA", defined=2, activated=1),
        GHOST,
        NOSITE,
    ]
    assert data(client, {"jobstatus": "*ing"}) == [  # pending, waiting, starting, running, holding, ...
        GAMMA,
        row("Q_ALPHA", "CA", pending=1, waiting=1, starting=1, running=3),
        ALPHA_DE,
        row("Q_BETA", "DE", pending=1, holding=1, merging=1, transferring=1),
    ]
    assert data(client, {"jobstatus": "-running,-finished,-defined"}) == [
        row("Q_ALPHA", "CA", pending=1, waiting=1, assigned=1, activated=1, starting=1, failed=1),
        row("Q_BETA", "DE", pending=1, throttled=1, sent=1, holding=1, merging=1, transferring=1, cancelled=2),
    ]
    # closed has no column in seed 003: closed jobs are not counted, so none is found
    assert get(client, {"jobstatus": "closed"}, expected=404)["errors"] == LOOKUP_ERROR


# ------------------------------------------------------------------------------------------------
# queue properties: corecount, cloud, atlas_site, status (schedconfig)


def test_corecount(client):
    body = get(client, {"corecount": "8"})
    assert body["data"] == [ALPHA_CA, ALPHA_DE]
    assert body["query"]["SCHEDCONFIG INCLUDE: corecount__in"] == [8]
    assert data(client, {"corecount": "1,4"}) == [BETA, GSTAT]  # Q_GSTAT's corecount is the text "4"
    assert data(client, {"corecount": "-8"}) == [GAMMA, BETA, GHOST, GSTAT, NOSITE]
    body = get(client, {"corecount": "NULL"})
    assert body["data"] == [GAMMA, GHOST, NOSITE]
    assert all(entry["corecount"] is None for entry in body["data"])  # the JSON API shows NULL as null
    assert data(client, {"corecount": "-NULL"}) == [ALPHA_CA, ALPHA_DE, BETA, GSTAT]
    assert get(client, {"corecount": "16"}, expected=404)["errors"] == LOOKUP_ERROR


def test_cloud(client):
    body = get(client, {"cloud": "DE"})
    assert body["data"] == [GAMMA, BETA]
    assert body["query"]["SCHEDCONFIG INCLUDE: cloud__in"] == ["DE"]
    assert data(client, {"cloud": "D*"}) == [GAMMA, BETA]
    assert data(client, {"cloud": "CA,DE"}) == [GAMMA, ALPHA_CA, ALPHA_DE, BETA, GSTAT]
    assert data(client, {"cloud": "-DE"}) == [ALPHA_CA, ALPHA_DE, GHOST, GSTAT, NOSITE]
    assert data(client, {"cloud": "NULL"}) == [GHOST, NOSITE]
    assert data(client, {"cloud": "-NULL,-CA"}) == [GAMMA, BETA]


def test_atlas_site(client):
    assert data(client, {"atlas_site": "SITE_A"}) == [ALPHA_CA, ALPHA_DE]
    assert data(client, {"atlas_site": "GSTAT_SITE"}) == [GSTAT]  # from 'gstat' when there is no 'atlas_site'
    assert data(client, {"atlas_site": "SITE_*"}) == [GAMMA, ALPHA_CA, ALPHA_DE, BETA]
    assert data(client, {"atlas_site": "SITE_B,SITE_C"}) == [GAMMA, BETA]
    assert data(client, {"atlas_site": "-SITE_*"}) == [GHOST, GSTAT, NOSITE]
    assert data(client, {"atlas_site": "NULL"}) == [GHOST, NOSITE]


def test_status(client):
    body = get(client, {"status": "online"})
    assert body["data"] == [ALPHA_CA, ALPHA_DE]
    assert body["query"]["SCHEDCONFIG INCLUDE: status__in"] == ["online"]
    assert data(client, {"status": "online,brokeroff"}) == [ALPHA_CA, ALPHA_DE, BETA]
    body = get(client, {"status": "-online"})
    assert body["data"] == [GAMMA, BETA, GHOST, GSTAT, NOSITE]
    assert body["query"]["SCHEDCONFIG EXCLUDE: status__in"] == ["online"]
    assert data(client, {"status": "NULL"}) == [GHOST, NOSITE]
    assert data(client, {"status": "-NULL"}) == [GAMMA, ALPHA_CA, ALPHA_DE, BETA, GSTAT]
    assert data(client, {"status": "*line"}) == [GAMMA, ALPHA_CA, ALPHA_DE]
    # the row keys are those of seed 003's example: no 'status' member
    assert "status" not in data(client, {"status": "online"})[0]


# ------------------------------------------------------------------------------------------------
# combinations, 404, 400


def test_filters_combine(client):
    body = get(client, {"nhours": "24", "computingsite": "Q_*", "jobstatus": "running,finished", "cloud": "-DE"})
    assert body["data"] == [row("Q_ALPHA", "CA", running=3, finished=7), ALPHA_DE, GSTAT]
    assert body["query"] == {
        "JOBS INCLUDE: modificationtime__range": [iso(24), iso(0)],
        "JOBS INCLUDE: computingsite__wildcard": ["Q_*"],
        "JOBS INCLUDE: jobstatus__in": ["running", "finished"],
        "SCHEDCONFIG EXCLUDE: cloud__in": ["DE"],
    }
    assert body["GET_parameters"] == {
        "nhours": "24",
        "computingsite": "Q_*",
        "jobstatus": "running,finished",
        "cloud": "-DE",
    }
    assert body["warnings"] == {
        "missingoptionalparameter": (
            "Missing optional GET parameter starttime. Missing optional GET parameter endtime. "
            "Missing optional GET parameter mcp_cloud. Missing optional GET parameter corecount. "
            "Missing optional GET parameter atlas_site. Missing optional GET parameter status. "
        )
    }
    assert data(
        client,
        {"mcp_cloud": "CA", "corecount": "8,NULL", "status": "-offline", "starttime": iso(12), "endtime": iso(0)},
    ) == [ALPHA_CA, GHOST, NOSITE]
    assert data(client, {"atlas_site": "SITE_*", "mcp_cloud": "-NULL", "jobstatus": "*ed"}) == [
        row("Q_ALPHA", "CA", defined=2, assigned=1, activated=1, finished=2, failed=1),
        row("Q_BETA", "DE", throttled=1, finished=1, cancelled=2),
    ]


def test_repeated_parameters_are_joined_and_every_parameter_given_leaves_no_warning(client):
    everything = {
        "nhours": "12",
        "starttime": iso(5),
        "endtime": iso(1),
        "mcp_cloud": "CA",
        "computingsite": "Q_ALPHA",
        "jobstatus": "running",
        "corecount": "8",
        "cloud": "CA",
        "atlas_site": "SITE_A",
        "status": "online",
    }
    body = get(client, everything)
    assert body["data"] == [row("Q_ALPHA", "CA", running=3)]
    assert "missingoptionalparameter" not in body["warnings"]
    body = get(client, "jobstatus=running&jobstatus=failed&computingsite=Q_ALPHA")
    assert body["GET_parameters"] == {"jobstatus": "running,failed", "computingsite": "Q_ALPHA"}
    assert body["data"] == [row("Q_ALPHA", "CA", running=3, failed=1), ALPHA_DE]


def test_unknown_parameters_are_ignored_with_a_warning(client):
    body = get(client, {"json": "1", "computingsite": "Q_GHOST"})
    assert body["data"] == [GHOST]
    assert body["GET_parameters"] == {"json": "1", "computingsite": "Q_GHOST"}
    assert body["warnings"]["unknownparameter"] == "Unknown GET parameter json is ignored. "


def test_nothing_found_is_404_with_the_lookup_error(client):
    for params in (
        {"mcp_cloud": "blah"},
        {"computingsite": "Q_IDLE"},
        {"cloud": "DE", "mcp_cloud": "CA"},
        {"starttime": "2020-01-01T00:00:00", "endtime": "2020-01-02T00:00:00"},
    ):
        body = get(client, params, expected=404)
        assert body["errors"] == LOOKUP_ERROR
        assert body["nrecords"] == 0 and body["data"] == []
        assert body["GET_parameters"] == params
        assert body["query"]["JOBS INCLUDE: modificationtime__range"]
        assert "missingoptionalparameter" in body["warnings"]


BAD = [
    ({"nhours": "abc"}, "nhours", "nhours: must be a whole number of hours (1 or more), got 'abc'"),
    ({"nhours": "0"}, "nhours", "got '0'"),
    ({"nhours": "1.5"}, "nhours", "got '1.5'"),
    ({"nhours": "-3"}, "nhours", "got '-3'"),
    (
        {"starttime": "2026-03-10 10:00:00"},
        "starttime",
        "starttime: must be a date and time written YYYY-MM-DDTHH:MM:SS (UTC), got '2026-03-10 10:00:00'",
    ),
    ({"starttime": "2026-02-30T00:00:00"}, "starttime", "got '2026-02-30T00:00:00'"),
    ({"endtime": "2026-03-10T25:00:00"}, "endtime", "got '2026-03-10T25:00:00'"),
    ({"endtime": "10/03/2026"}, "endtime", "YYYY-MM-DDTHH:MM:SS"),
    (
        {"starttime": "2026-03-10T10:00:00", "endtime": "2026-03-10T09:00:00"},
        "endtime",
        "endtime: 2026-03-10T09:00:00 is before starttime 2026-03-10T10:00:00",
    ),
    ({"corecount": "abc"}, "corecount", "corecount: 'abc' is not a whole number"),
    ({"corecount": "8*"}, "corecount", "'8*' is not a whole number"),
    ({"corecount": "4,x"}, "corecount", "'x' is not a whole number"),
    ({"cloud": "CA,-"}, "cloud", "cloud: a '-' must be followed by the value to leave out, got 'CA,-'"),
]


@pytest.mark.parametrize("params, key, message", BAD, ids=[str(b[0]) for b in BAD])
def test_bad_parameters_are_400_naming_the_parameter(client, params, key, message):
    body = get(client, params, expected=400)
    assert list(body["errors"]) == [key]
    assert message in body["errors"][key]
    assert body["GET_parameters"] == params
    assert body["nrecords"] == 0 and body["data"] == [] and body["query"] == {} and body["warnings"] == {}
    assert body["timestamp"]


def test_a_value_postgresql_cannot_hold_is_400_too(client):
    body = get(client, {"computingsite": "Q\x00"}, expected=400)  # NUL: jsonb refuses it (SQLSTATE 22P05)
    assert list(body["errors"]) == ["badrequest"]
    assert body["GET_parameters"] == {"computingsite": "Q\x00"}


def test_the_api_writes_nothing(client, seeded):
    before = table_counts(seeded)
    get(client, {"nhours": "48"})
    get(client, {"nhours": "x"}, expected=400)
    get(client, {"mcp_cloud": "blah"}, expected=404)
    assert table_counts(seeded) == before


# ------------------------------------------------------------------------------------------------
# the stored function itself (what the service passes through)


def call(conn, filters) -> dict:
    return conn.execute("SELECT doma_panda.status_summary(%s)", (Jsonb(filters),)).fetchone()[0]


def test_function_takes_numbers_and_arrays_and_pins_to_panda_now(seeded):
    with psycopg.connect(seeded, autocommit=True) as conn:
        result = call(conn, {"nhours": 24, "jobstatus": ["running", "finished"], "computingsite": "Q_ALPHA"})
        assert set(result) == {"query", "nrecords", "data", "warnings", "errors"}
        assert result["data"] == [row("Q_ALPHA", "CA", running=3, finished=7), ALPHA_DE]
        assert result["query"]["JOBS INCLUDE: modificationtime__range"] == [iso(24), iso(0)]
        # another clock, same data: the window moves with panda_now()
        conn.execute("SET pandadb.clock = '2026-03-11 08:00:00'")  # NOW + 20h: nothing in the last 12 hours
        result = call(conn, {})
        assert (result["nrecords"], result["data"], result["errors"]) == (0, [], LOOKUP_ERROR)
        assert call(conn, {"nhours": 21})["data"] == [  # [NOW - 1h, NOW + 20h]: Q_IDLE's future job is in
            GAMMA,
            row("Q_ALPHA", "CA", pending=1, defined=2, starting=1, running=3),
            ALPHA_DE,
            row("Q_BETA", "DE", pending=1),
            row("Q_IDLE", "CA", running=1),
            NOSITE,
        ]
        conn.execute("RESET pandadb.clock")  # back to the database's pinned NOW
        result = conn.execute("SELECT doma_panda.status_summary(NULL)").fetchone()[0]
        assert result["data"] == DEFAULT_WINDOW  # SQL NULL: no parameter at all


@pytest.mark.parametrize(
    "filters, fragment",
    [
        (["nhours", 2], "got a JSON array"),
        ({"cloud": {"a": 1}}, "cloud: give a text value"),
        ({"jobstatus": ["running", True]}, "jobstatus: give a text value"),
        ({"nhours": "two"}, "nhours: must be a whole number"),
    ],
)
def test_function_refuses_with_pd002(seeded, filters, fragment):
    with psycopg.connect(seeded, autocommit=True) as conn, pytest.raises(psycopg.Error) as caught:
        call(conn, filters)
    assert caught.value.sqlstate == "PD002"
    assert fragment in caught.value.diag.message_primary


def test_the_window_prunes_jobsarchived4_partitions(seeded):
    # auto_explain shows the plan of the statement the function runs: only the partitions the window
    # touches are scanned (the template database has daily partitions around the real date, plus DEFAULT)
    with psycopg.connect(seeded, autocommit=True) as conn:
        partitions = {
            name
            for (name,) in conn.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'doma_panda.jobsarchived4'::regclass"
            )
        }
        daily = sorted(name for name in partitions if name != "jobsarchived4_default")
        assert len(daily) >= 2
        plans: list[str] = []
        conn.add_notice_handler(lambda diagnostic: plans.append(diagnostic.message_primary or ""))
        conn.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice"):
            conn.execute(f"SET auto_explain.{setting}")

        def scanned(filters: dict) -> set[str]:
            plans.clear()
            call(conn, filters)
            plan = next(text for text in plans if "jobsarchived4" in text)
            return {name for name in partitions if f" {name} " in plan}

        # the pinned window [NOW - 12h, NOW] covers two days: their daily partitions if they exist, else DEFAULT
        days = [f"jobsarchived4_p{NOW - datetime.timedelta(hours=12):%Y_%m_%d}", f"jobsarchived4_p{NOW:%Y_%m_%d}"]
        expected = {day for day in days if day in partitions}
        assert scanned({}) == expected | ({"jobsarchived4_default"} if len(expected) < 2 else set())
        first_day = datetime.datetime.strptime(daily[0][-10:], "%Y_%m_%d")
        window = {"starttime": f"{first_day:%Y-%m-%d}T06:00:00", "endtime": f"{first_day:%Y-%m-%d}T18:00:00"}
        assert scanned(window) == {daily[0]}
