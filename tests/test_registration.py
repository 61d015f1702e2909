"""Registration (seed 004, 5.5): the pandadb register commands and the documented plain SQL inserts."""

from __future__ import annotations

import json

import psycopg

from cli_helpers import run_cli

DOCUMENTED_INSERTS = [
    """INSERT INTO DOMA_PANDAMETA.CLOUDCONFIG (NAME,DESCRIPTION,TIER1,TIER1SE,WEIGHT,SERVER,STATUS,
       TRANSTIMELO,TRANSTIMEHI,WAITTIME,SPACE,MODTIME,MCSHARE,NPRESTAGE)
       VALUES('A_GROUP0','some description','NA','NA',0,'NA','online',0,0,0,0,CURRENT_DATE,0,0)""",
    """INSERT INTO DOMA_PANDA.JEDI_WORK_QUEUE (QUEUE_ID,QUEUE_NAME,QUEUE_TYPE,VO,QUEUE_FUNCTION)
       VALUES(2,'test_queue_2','test','wlcg','Resource')""",
    "INSERT INTO DOMA_PANDA.SITE (SITE_NAME) VALUES('TEST_SITE')",
    "INSERT INTO DOMA_PANDA.PANDA_SITE (PANDA_SITE_NAME,SITE_NAME) VALUES('TEST_SITE','TEST_SITE')",
    """INSERT INTO DOMA_PANDA.SCHEDCONFIG_JSON (PANDA_QUEUE,DATA) values('TEST_TEST','{"status": "online", "cloud": "WLCG"}')""",
    "INSERT INTO DOMA_PANDA.RESOURCE_TYPES (RESOURCE_NAME,MINCORE) VALUES('Undefined_2',1)",
    "INSERT INTO DOMA_PANDA.HARVESTER_INSTANCES (HARVESTER_ID,DESCRIPTION) VALUES('your_harvester_id','some description')",
]


def test_documented_plain_sql_inserts_work(db):
    for statement in DOCUMENTED_INSERTS:
        db.execute(statement)
    assert db.execute("SELECT status FROM doma_pandameta.cloudconfig WHERE name = 'A_GROUP0'").fetchone() == ("online",)
    assert db.execute(
        "SELECT data->>'cloud' FROM doma_panda.schedconfig_json WHERE panda_queue = 'TEST_TEST'"
    ).fetchone() == ("WLCG",)


def test_register_commands_create_a_usable_queue(database_url):
    env = {"PANDADB_URL": database_url}
    steps = [
        ("register", "cloud", "WLCG", "--vo", "wlcg", "--description", "test grid"),
        ("register", "site", "TEST_SITE", "--role", "production", "--tier", "2"),
        (
            "register",
            "queue",
            "TEST_QUEUE",
            "--site",
            "TEST_SITE",
            "--cloud",
            "WLCG",
            "--set",
            "maxrss=4000",
            "--set",
            "corecount=8",
        ),
        ("register", "harvester", "harv-1", "--description", "test harvester"),
    ]
    for args in steps:
        result = run_cli("pandadb", *args, env=env)
        assert result.returncode == 0, f"{args}: {result.stderr}"
    # re-running is an update, not an error
    assert (
        run_cli(
            "pandadb", "register", "queue", "TEST_QUEUE", "--site", "TEST_SITE", "--status", "offline", env=env
        ).returncode
        == 0
    )

    with psycopg.connect(database_url) as conn:
        config = conn.execute(
            "SELECT data FROM doma_panda.schedconfig_json WHERE panda_queue = 'TEST_QUEUE'"
        ).fetchone()[0]
        assert (
            config["status"] == "offline"
            and config["cloud"] == "WLCG"
            and config["maxrss"] == 4000
            and config["corecount"] == 8
        )
        assert conn.execute(
            "SELECT site_name FROM doma_panda.panda_site WHERE panda_site_name = 'TEST_QUEUE'"
        ).fetchone() == ("TEST_SITE",)
        assert conn.execute("SELECT tier_level FROM doma_panda.site WHERE site_name = 'TEST_SITE'").fetchone() == (2,)
        assert conn.execute(
            "SELECT count(*) FROM doma_panda.harvester_instances WHERE harvester_id = 'harv-1'"
        ).fetchone() == (1,)

    shown = run_cli("pandadb", "register", "show", env=env)
    lines = shown.stdout.splitlines()
    header = lines[lines.index(next(line for line in lines if line.startswith("queues"))) + 1].split()
    assert header == ["panda_site_name", "site_name", "status", "cloud"]  # every listing has column headers
    assert any(line.split() == ["TEST_QUEUE", "TEST_SITE", "offline", "WLCG"] for line in lines), shown.stdout


def test_bad_registrations_are_refused_with_a_message_and_no_change(database_url):
    env = {"PANDADB_URL": database_url}
    with psycopg.connect(database_url) as conn:
        before = conn.execute(
            "SELECT (SELECT count(*) FROM doma_panda.panda_site) + (SELECT count(*) FROM doma_panda.site)"
        ).fetchone()[0]
    cases = [
        (("register", "queue", "Q1", "--site", "NO_SUCH_SITE"), "site NO_SUCH_SITE is not registered"),
        (("register", "site", "bad name!"), "invalid site name"),
        (("register", "site", "S1"), None),
        (("register", "queue", "Q1", "--site", "S1", "--cloud", "NOWHERE"), "cloud NOWHERE is not registered"),
        (("register", "queue", "Q1", "--site", "S1", "--set", "novalue"), "is not KEY=VALUE"),
        (
            ("register", "queue", "Q1", "--site", "S1", "--set", "corecount=abc"),
            'corecount must be a number, not "abc"',
        ),
        (
            ("register", "queue", "Q1", "--site", "S1", "--set", "corecoutn=8"),
            "corecoutn is not a known queue attribute",
        ),
        (
            ("register", "queue", "Q1", "--site", "S1", "--set", "direct_access_lan=3"),
            "direct_access_lan must be a boolean",
        ),
    ]
    for args, message in cases:
        result = run_cli("pandadb", *args, env=env)
        if message is None:
            assert result.returncode == 0, result.stderr
            continue
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    with psycopg.connect(database_url) as conn:
        after = conn.execute(
            "SELECT (SELECT count(*) FROM doma_panda.panda_site) + (SELECT count(*) FROM doma_panda.site)"
        ).fetchone()[0]
        assert after == before + 1  # only S1
        assert conn.execute("SELECT count(*) FROM doma_panda.panda_site WHERE panda_site_name = 'Q1'").fetchone() == (
            0,
        )


def test_unknown_queue_attributes_only_with_allow_unknown_and_known_ones_still_typed(db, database_url):
    env = {"PANDADB_URL": database_url}
    assert run_cli("pandadb", "register", "site", "S3", env=env).returncode == 0
    cric = run_cli(
        "pandadb",
        "register",
        "queue",
        "Q3",
        "--site",
        "S3",
        "--allow-unknown",
        "--set",
        "cric_only_thing=1",
        "--set",
        "corecount=8",
        "--set",
        "maxrss=\"4000\"",
        env=env,
    )
    assert cric.returncode == 0, cric.stderr
    config = db.execute("SELECT data::jsonb FROM doma_panda.schedconfig_json WHERE panda_queue = 'Q3'").fetchone()[0]
    assert config["cric_only_thing"] == 1 and config["corecount"] == 8
    still_typed = run_cli(
        "pandadb", "register", "queue", "Q3", "--site", "S3", "--allow-unknown", "--set", "maxtime=long", env=env
    )
    assert still_typed.returncode != 0 and "maxtime must be a number" in still_typed.stderr


def test_queue_configuration_must_be_an_object(db):
    db.execute("SELECT doma_panda.register_site('S2')")
    try:
        db.execute("SELECT doma_panda.register_panda_queue('Q2', 'S2', %s::jsonb)", (json.dumps([1, 2]),))
    except psycopg.Error as error:
        assert error.sqlstate == "PD001"
        assert "must be a JSON object" in str(error)
    else:
        raise AssertionError("a non-object configuration was accepted")
