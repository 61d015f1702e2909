"""Alembic: upgrade -> downgrade base -> upgrade is clean, and the version row is readable."""

from __future__ import annotations

import psycopg
from alembic import command
from alembic.script import ScriptDirectory

from pandadb.migrations.runner import alembic_config, migrate_to_head

PANDA_OBJECTS = """
    SELECT (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'doma\\_%')
         + (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'doma\\_%')
         + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname LIKE 'doma\\_%')
"""


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("postgresql://offline/none")).get_current_head()


def current_revision(url: str) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT version_num FROM public.alembic_version").fetchone()
        return row[0] if row else None


def count_catalog(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def test_upgrade_downgrade_base_upgrade_is_clean(fresh_database_url):
    url = fresh_database_url
    migrate_to_head(url)
    objects_at_head = count_catalog(url, PANDA_OBJECTS)
    assert objects_at_head > 400
    assert current_revision(url) == head_revision()

    command.downgrade(alembic_config(url), "base")
    assert count_catalog(url, PANDA_OBJECTS) == 0
    assert current_revision(url) is None

    migrate_to_head(url)
    assert count_catalog(url, PANDA_OBJECTS) == objects_at_head
    assert current_revision(url) == head_revision()


def test_downgrade_of_stored_logic_keeps_tables_and_data(fresh_database_url):
    url = fresh_database_url
    migrate_to_head(url)
    with psycopg.connect(url) as conn:
        conn.execute("SELECT doma_panda.register_site('KEEP_ME')")
    command.downgrade(alembic_config(url), "0001_schema")
    routines = (
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname LIKE 'doma\\_%'"
    )
    assert count_catalog(url, routines) == 0
    assert count_catalog(url, "SELECT count(*) FROM doma_panda.site WHERE site_name = 'KEEP_ME'") == 1
    migrate_to_head(url)
    assert count_catalog(url, routines) > 0


def test_schema_version_row_is_readable(db):
    component, major, minor, patch = db.execute(
        "SELECT component, major, minor, patch FROM doma_panda.pandadb_version WHERE component = 'PANDADB'"
    ).fetchone()
    assert (component, major, minor, patch) == ("PANDADB", 0, 1, 0)


def test_registration_defaults_are_loaded(db):
    resource_types = {r[0] for r in db.execute("SELECT resource_name FROM doma_panda.resource_types")}
    assert {"SCORE", "MCORE", "SCORE_HIMEM", "MCORE_HIMEM", "Undefined"} <= resource_types
    leaves = db.execute("""SELECT count(*) FROM doma_panda.global_shares g
                           WHERE NOT EXISTS (SELECT 1 FROM doma_panda.global_shares c WHERE c.parent = g.name)""").fetchone()[
        0
    ]
    assert leaves >= 3
    assert db.execute("SELECT doma_panda.get_config_value('watchdog', 'SENT_TIMEOUT_MINUTES')").fetchone()[0] == "30"
    assert (
        db.execute("SELECT queue_name FROM doma_panda.jedi_work_queue WHERE queue_id = 1").fetchone()[0] == "test_queue"
    )


def routine_exists(url: str, name: str) -> bool:
    return (
        count_catalog(
            url,
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            f"WHERE n.nspname = 'doma_panda' AND p.proname = '{name}'",
        )
        > 0
    )


def test_upgrade_makes_the_stored_logic_exactly_the_files(fresh_database_url):
    """The stored logic is a repeatable migration: an upgrade first re-creates it from procedures/postgres,
    so revisions see routines added since the database's last upgrade, and stale routines disappear."""
    url = fresh_database_url
    command.upgrade(alembic_config(url), "0002_procedures")
    with psycopg.connect(url) as conn:  # as a database upgraded by an older checkout would look
        conn.execute("DROP FUNCTION doma_panda.panda_now()")
        conn.execute("CREATE FUNCTION doma_panda.obsolete_routine() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    migrate_to_head(url)  # 0003 calls routines that need panda_now()
    assert current_revision(url) == head_revision()
    assert routine_exists(url, "panda_now") and not routine_exists(url, "obsolete_routine")

    with psycopg.connect(url) as conn:  # at head, with no revision pending, an upgrade still refreshes
        conn.execute("CREATE FUNCTION doma_panda.obsolete_routine() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    migrate_to_head(url)
    assert not routine_exists(url, "obsolete_routine")


def test_downgrade_does_not_refresh_the_stored_logic(fresh_database_url):
    url = fresh_database_url
    migrate_to_head(url)
    with psycopg.connect(url) as conn:
        conn.execute("CREATE FUNCTION doma_panda.kept_by_downgrade() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    command.downgrade(alembic_config(url), "0003_partitioning")
    assert routine_exists(url, "kept_by_downgrade")
