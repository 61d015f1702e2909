"""The Oracle environment the converted PL/SQL twin runs in (ora2pg/oracle_environment/*.sql, on top of
orafce): the dictionary views, SYS_CONTEXT, DBMS_LOCK, DBMS_SCHEDULER and the other emulated members
behave as Oracle documents them, in a migrated database."""

from __future__ import annotations

import threading

import psycopg
import pytest


@pytest.fixture
def other_session(database_url, oracle_db):
    """A second session (autocommit) on the same database."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


def column(conn, owner, table, name):
    return conn.execute(
        "SELECT DATA_TYPE, DATA_LENGTH, DATA_PRECISION, DATA_SCALE, NULLABLE, COLUMN_ID, CHAR_LENGTH "
        "FROM ALL_TAB_COLUMNS WHERE OWNER = %s AND TABLE_NAME = %s AND COLUMN_NAME = %s",
        [owner, table, name],
    ).fetchone()


def test_all_tab_columns_gives_the_oracle_type_of_each_column(oracle_db):
    # the twin's jobsactive4 columns as schema/oracle declares them
    assert column(oracle_db, "DOMA_PANDA", "JOBSACTIVE4", "PANDAID") == ("NUMBER", 22, 19, 0, "N", 1, 0)
    assert column(oracle_db, "DOMA_PANDA", "JOBSACTIVE4", "SCHEDULERID") == ("VARCHAR2", 128, None, None, "Y", 3, 128)
    assert column(oracle_db, "DOMA_PANDA", "JOBSACTIVE4", "CREATIONTIME")[:2] == ("DATE", 7)
    assert column(oracle_db, "DOMA_PANDA", "JOBSACTIVE4", "JOBPARAMETERS")[0] == "CLOB"
    oracle_db.execute(
        "CREATE TABLE doma_panda.oracle_env_types (a integer, dropped text, b numeric(10,2), c numeric, "
        "d boolean, e smallint NOT NULL, f char(3), g jsonb, h interval)"
    )
    oracle_db.execute("ALTER TABLE doma_panda.oracle_env_types DROP COLUMN dropped")
    rows = oracle_db.execute(
        "SELECT COLUMN_NAME, DATA_TYPE, DATA_PRECISION, DATA_SCALE, NULLABLE, COLUMN_ID FROM ALL_TAB_COLUMNS "
        "WHERE OWNER = 'DOMA_PANDA' AND TABLE_NAME = 'ORACLE_ENV_TYPES' ORDER BY COLUMN_ID"
    ).fetchall()
    # COLUMN_ID has no gap where a column was dropped
    assert rows == [
        ("A", "NUMBER", 10, 0, "Y", 1),
        ("B", "NUMBER", 10, 2, "Y", 2),
        ("C", "NUMBER", None, None, "Y", 3),
        ("D", "NUMBER", 1, 0, "Y", 4),
        ("E", "NUMBER", 5, 0, "N", 5),
        ("F", "CHAR", None, None, "Y", 6),
        ("G", "CLOB", None, None, "Y", 7),
        ("H", "INTERVAL DAY(2) TO SECOND(6)", 2, 6, "Y", 8),
    ]


def test_all_tab_columns_has_oracle_columns_only_and_no_partitions(oracle_db):
    names = {
        r[0]
        for r in oracle_db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'all_tab_columns'"
        ).fetchall()
    }
    assert "virtual_column" not in names and "hidden_column" not in names  # only ALL_TAB_COLS has them
    assert oracle_db.execute(
        "SELECT VIRTUAL_COLUMN, HIDDEN_COLUMN FROM ALL_TAB_COLS "
        "WHERE OWNER = 'DOMA_PANDA' AND TABLE_NAME = 'JOBSACTIVE4' AND COLUMN_NAME = 'PANDAID'"
    ).fetchone() == ("NO", "NO")
    # a PostgreSQL partition is not an Oracle table
    assert oracle_db.execute(
        "SELECT count(*) FROM ALL_TABLES WHERE OWNER = 'DOMA_PANDA' AND TABLE_NAME LIKE 'JOBSARCHIVED4%'"
    ).fetchone() == (1,)
    assert oracle_db.execute(
        "SELECT PARTITIONED FROM ALL_TABLES WHERE OWNER = 'DOMA_PANDA' AND TABLE_NAME = 'JOBSARCHIVED4'"
    ).fetchone() == ("YES",)


def test_partition_views_describe_range_and_list_tables_as_oracle(oracle_db):
    oracle_db.execute("CREATE SCHEMA oracle_env")
    oracle_db.execute("CREATE TABLE oracle_env.by_day (id bigint, t timestamp) PARTITION BY RANGE (t)")
    oracle_db.execute(
        "CREATE TABLE oracle_env.by_day_p2 PARTITION OF oracle_env.by_day "
        "FOR VALUES FROM ('2026-01-02') TO ('2026-01-03')"
    )
    oracle_db.execute(
        "CREATE TABLE oracle_env.by_day_p1 PARTITION OF oracle_env.by_day "
        "FOR VALUES FROM ('2026-01-01') TO ('2026-01-02')"
    )
    oracle_db.execute("CREATE TABLE oracle_env.by_day_default PARTITION OF oracle_env.by_day DEFAULT")
    oracle_db.execute("CREATE TABLE oracle_env.by_id (id bigint) PARTITION BY RANGE (id)")
    for low in (1000, 0, 500):  # created out of order: PARTITION_POSITION follows the bounds
        oracle_db.execute(
            f"CREATE TABLE oracle_env.by_id_p{low} PARTITION OF oracle_env.by_id FOR VALUES FROM ({low}) TO ({low + 500})"
        )
    oracle_db.execute("CREATE TABLE oracle_env.by_flag (flag char(1)) PARTITION BY LIST (flag)")
    oracle_db.execute("CREATE TABLE oracle_env.by_flag_y PARTITION OF oracle_env.by_flag FOR VALUES IN ('Y')")

    assert oracle_db.execute(
        "SELECT PARTITIONING_TYPE, PARTITIONING_KEY_COUNT, PARTITION_COUNT, INTERVAL FROM ALL_PART_TABLES "
        "WHERE OWNER = 'ORACLE_ENV' AND TABLE_NAME = 'BY_DAY'"
    ).fetchone() == ("RANGE", 1, 3, None)
    assert oracle_db.execute(
        "SELECT COLUMN_NAME, COLUMN_POSITION FROM ALL_PART_KEY_COLUMNS "
        "WHERE OWNER = 'ORACLE_ENV' AND NAME = 'BY_DAY' AND OBJECT_TYPE = 'TABLE'"
    ).fetchall() == [("T", 1)]
    day_partitions = oracle_db.execute(
        "SELECT PARTITION_NAME, HIGH_VALUE, PARTITION_POSITION FROM ALL_TAB_PARTITIONS "
        "WHERE TABLE_OWNER = 'ORACLE_ENV' AND TABLE_NAME = 'BY_DAY' ORDER BY PARTITION_POSITION"
    ).fetchall()
    assert day_partitions == [
        ("BY_DAY_P1", "TO_DATE(' 2026-01-02 00:00:00', 'SYYYY-MM-DD HH24:MI:SS', 'NLS_CALENDAR=GREGORIAN')", 1),
        ("BY_DAY_P2", "TO_DATE(' 2026-01-03 00:00:00', 'SYYYY-MM-DD HH24:MI:SS', 'NLS_CALENDAR=GREGORIAN')", 2),
        ("BY_DAY_DEFAULT", "MAXVALUE", 3),
    ]
    # the twin evaluates HIGH_VALUE by dynamic SQL: Oracle's three-argument TO_DATE reads it
    assert oracle_db.execute(f"SELECT TO_CHAR({day_partitions[0][1]}, 'YYYY-MM-DD HH24:MI:SS')").fetchone() == (
        "2026-01-02 00:00:00",
    )
    assert oracle_db.execute(
        "SELECT HIGH_VALUE FROM ALL_TAB_PARTITIONS WHERE TABLE_OWNER = 'ORACLE_ENV' AND TABLE_NAME = 'BY_ID' "
        "ORDER BY PARTITION_POSITION"
    ).fetchall() == [("500",), ("1000",), ("1500",)]
    assert oracle_db.execute(
        "SELECT PARTITIONING_TYPE, HIGH_VALUE FROM ALL_PART_TABLES t JOIN ALL_TAB_PARTITIONS p "
        "ON p.TABLE_OWNER = t.OWNER AND p.TABLE_NAME = t.TABLE_NAME WHERE t.OWNER = 'ORACLE_ENV' AND t.TABLE_NAME = 'BY_FLAG'"
    ).fetchall() == [("LIST", "'Y'")]
    # a table under partition maintenance is Oracle's interval-partitioned table
    registered = oracle_db.execute(
        "SELECT INTERVAL, PARTITION_COUNT FROM ALL_PART_TABLES WHERE OWNER = 'DOMA_PANDA' AND TABLE_NAME = 'JOBSARCHIVED4'"
    ).fetchone()
    assert registered == ("NUMTODSINTERVAL(1,'DAY')", 1048575)


def test_sys_context_userenv_sid_is_the_session_of_v_lock(oracle_db):
    pid = oracle_db.execute("SELECT pg_backend_pid()").fetchone()[0]
    assert oracle_db.execute("SELECT SYS_CONTEXT('USERENV', 'SID')").fetchone() == (str(pid),)
    assert oracle_db.execute("SELECT SYS_CONTEXT('userenv', 'db_name')").fetchone()[0].isupper()
    assert oracle_db.execute("SELECT SYS_CONTEXT('MY_APP', 'X')").fetchone() == (None,)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="ORA-02003"):
        oracle_db.execute("SELECT SYS_CONTEXT('USERENV', 'NO_SUCH_PARAMETER')")


def allocate(conn, name):
    return conn.execute("CALL dbms_lock.allocate_unique_autonomous(%s, NULL)", [name]).fetchone()[0]


def request(conn, lock, mode=6, timeout=0, release_on_commit=False):
    return conn.execute(
        "SELECT dbms_lock.request(%s::varchar, %s::integer, %s::numeric, %s)", [lock, mode, timeout, release_on_commit]
    ).fetchone()[0]


def test_dbms_lock_request_and_release_return_oracles_codes(oracle_db, other_session):
    handle = allocate(oracle_db, "PANDADB test lock")
    assert allocate(other_session, "PANDADB test lock") == handle  # the same name is the same lock
    lock_id = oracle_db.execute("SELECT LOCKID FROM DBMS_LOCK_ALLOCATED WHERE NAME = 'PANDADB test lock'").fetchone()[0]
    assert str(lock_id) == handle and 1073741824 <= lock_id <= 1999999999

    assert request(oracle_db, handle) == 0
    assert request(oracle_db, handle) == 4  # already held by this session
    assert request(other_session, handle) == 1  # timeout 0: busy
    assert request(other_session, handle, timeout=0.2) == 1  # waited, still busy
    assert request(other_session, handle, mode=4) == 1  # shared waits for exclusive too
    pid = oracle_db.execute("SELECT pg_backend_pid()").fetchone()[0]
    # another session sees the holder in V$LOCK, as lock_is_held_elsewhere reads it
    assert other_session.execute(
        "SELECT SID, LMODE, REQUEST FROM V$LOCK WHERE TYPE = 'UL' AND ID1 = %s AND LMODE > 0", [lock_id]
    ).fetchall() == [(pid, 6, 0)]
    assert other_session.execute(
        "SELECT count(*) FROM V$LOCK WHERE TYPE = 'UL' AND ID1 = %s AND LMODE > 0 "
        "AND SID <> SYS_CONTEXT('USERENV', 'SID')::numeric",
        [lock_id],
    ).fetchone() == (1,)

    assert oracle_db.execute("SELECT dbms_lock.release(%s::varchar)", [handle]).fetchone() == (0,)
    assert oracle_db.execute("SELECT dbms_lock.release(id => %s)", [lock_id]).fetchone() == (4,)  # not held
    assert request(other_session, handle) == 0
    assert other_session.execute("SELECT dbms_lock.release(id => %s)", [lock_id]).fetchone() == (0,)

    assert request(oracle_db, "not a handle") == 5
    assert oracle_db.execute("SELECT dbms_lock.release('not a handle'::varchar)").fetchone() == (5,)
    assert request(oracle_db, handle, mode=7) == 3
    assert oracle_db.execute("SELECT dbms_lock.request(-1)").fetchone() == (3,)


def test_dbms_lock_shared_locks_share_and_release_on_commit_ends_with_the_transaction(oracle_db, other_session):
    handle = allocate(oracle_db, "PANDADB shared")
    assert request(oracle_db, handle, mode=4) == 0
    assert request(other_session, handle, mode=4) == 0  # S with S
    assert request(oracle_db, handle, mode=6) == 4
    assert oracle_db.execute("SELECT dbms_lock.release(%s::varchar)", [handle]).fetchone() == (0,)
    assert other_session.execute("SELECT dbms_lock.release(%s::varchar)", [handle]).fetchone() == (0,)

    with oracle_db.transaction():
        assert request(oracle_db, handle, release_on_commit=True) == 0
        assert request(other_session, handle) == 1
        # in a savepoint: the lock survives the failed RELEASE
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="release_on_commit"), oracle_db.transaction():
            oracle_db.execute("SELECT dbms_lock.release(%s::varchar)", [handle])
        assert request(other_session, handle) == 1
    assert request(other_session, handle) == 0  # released at COMMIT
    assert request(oracle_db, handle) == 1


def test_dbms_lock_allocation_does_not_wait_for_another_sessions_transaction(oracle_db, other_session):
    other_session.execute("SET statement_timeout = '10s'")
    with oracle_db.transaction():
        first = allocate(oracle_db, "PANDADB uncommitted")
        assert allocate(other_session, "PANDADB uncommitted") == first
    assert oracle_db.execute(
        "SELECT count(*) FROM DBMS_LOCK_ALLOCATED WHERE NAME = 'PANDADB uncommitted'"
    ).fetchone() == (1,)


def test_dbms_lock_request_returns_2_to_one_session_of_a_deadlock(oracle_db, other_session):
    first, second = allocate(oracle_db, "PANDADB deadlock 1"), allocate(oracle_db, "PANDADB deadlock 2")
    assert request(oracle_db, first) == 0
    assert request(other_session, second) == 0
    results = {}

    def wait_for_second():
        results["first session"] = request(oracle_db, second, timeout=32767)
        if results["first session"] == 2:
            oracle_db.execute("SELECT dbms_lock.release(%s::varchar)", [first])

    waiter = threading.Thread(target=wait_for_second)
    waiter.start()
    # wait until the first session waits for the lock, then close the cycle
    other_session.execute(
        "DO $$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM V$LOCK WHERE REQUEST > 0) LOOP PERFORM pg_sleep(0.01); "
        "END LOOP; END $$"
    )
    results["second session"] = request(other_session, first, timeout=32767)
    if results["second session"] == 2:
        other_session.execute("SELECT dbms_lock.release(%s::varchar)", [second])
    waiter.join(timeout=60)
    assert sorted(results.values()) == [0, 2]


def test_dbms_scheduler_jobs_show_in_user_scheduler_jobs(oracle_db):
    oracle_db.execute(
        "CALL DBMS_SCHEDULER.CREATE_JOB(job_name => 'doma_panda.PANDADB_TEST', job_type => 'PLSQL_BLOCK', "
        "job_action => 'BEGIN NULL; END;', repeat_interval => 'FREQ=MINUTELY;INTERVAL=5', enabled => TRUE, "
        "auto_drop => FALSE, comments => 'a test job')"
    )
    assert oracle_db.execute(
        "SELECT JOB_NAME, JOB_TYPE, REPEAT_INTERVAL, ENABLED, STATE, COMMENTS FROM USER_SCHEDULER_JOBS "
        "WHERE JOB_NAME LIKE 'PANDADB\\_%' ESCAPE '\\'"
    ).fetchall() == [("PANDADB_TEST", "PLSQL_BLOCK", "FREQ=MINUTELY;INTERVAL=5", "TRUE", "SCHEDULED", "a test job")]
    with pytest.raises(psycopg.errors.DuplicateObject, match="ORA-27477"):
        oracle_db.execute(
            "CALL DBMS_SCHEDULER.CREATE_JOB(job_name => 'DOMA_PANDA.pandadb_test', job_type => 'PLSQL_BLOCK', "
            "job_action => 'BEGIN NULL; END;')"
        )
    oracle_db.execute("CALL DBMS_SCHEDULER.DROP_JOB(job_name => 'doma_panda.PANDADB_TEST', force => TRUE)")
    assert oracle_db.execute("SELECT count(*) FROM USER_SCHEDULER_JOBS").fetchone() == (0,)
    with pytest.raises(psycopg.errors.UndefinedObject, match="ORA-27475"):
        oracle_db.execute("CALL DBMS_SCHEDULER.DROP_JOB(job_name => 'doma_panda.PANDADB_TEST', force => TRUE)")


def test_remaining_members_behave_as_oracle(oracle_db):
    assert oracle_db.execute(
        "SELECT DBMS_LOB.COMPARE('abc', 'abc'), DBMS_LOB.COMPARE('abc', 'abd'), DBMS_LOB.COMPARE('b', 'a'), "
        "DBMS_LOB.COMPARE(NULL, 'a')"
    ).fetchone() == (0, -1, 1, None)
    first = oracle_db.execute("SELECT DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER()").fetchone()[0]
    oracle_db.execute("CREATE TABLE doma_panda.oracle_env_scn (a integer)")
    oracle_db.execute("INSERT INTO doma_panda.oracle_env_scn VALUES (1)")
    assert oracle_db.execute("SELECT DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER()").fetchone()[0] > first
    guid = oracle_db.execute("SELECT RAWTOHEX(uuid_generate_v4())").fetchone()[0]
    assert len(guid) == 32 and guid == guid.upper()
    oracle_db.execute("CALL DBMS_UTILITY.COMPILE_SCHEMA(schema => 'doma_panda', compile_all => FALSE)")
    with pytest.raises(psycopg.errors.InvalidSchemaName, match="ORA-20000"):
        oracle_db.execute("CALL DBMS_UTILITY.COMPILE_SCHEMA(schema => 'no_such_schema')")
    # DBMS_SQL with Oracle's language flag and OUT size (the twin's bind_value)
    oracle_db.execute("CREATE TABLE doma_panda.oracle_env_sql (a integer, b text)")
    oracle_db.execute(
        "DO $$ DECLARE c integer := DBMS_SQL.OPEN_CURSOR(); n integer; BEGIN "
        "CALL DBMS_SQL.PARSE(c, 'INSERT INTO doma_panda.oracle_env_sql VALUES (:a, :b)', DBMS_SQL.NATIVE()); "
        "CALL DBMS_SQL.BIND_VARIABLE(c, ':a', 7); CALL DBMS_SQL.BIND_VARIABLE(c, ':b', 'x'::varchar, 32767); "
        "n := DBMS_SQL.EXECUTE(c); CALL DBMS_SQL.CLOSE_CURSOR(c); END $$"
    )
    assert oracle_db.execute("SELECT a, b FROM doma_panda.oracle_env_sql").fetchall() == [(7, "x")]


def test_oracle_values_and_partition_sql_as_the_converted_routines_see_them(oracle_db):
    """On the converted routines' search_path: NUMBER(1) flags against boolean columns, a NUMBER written
    into text as Oracle writes it, DATE - DATE used as days, NVL of a NUMBER(5), BINARY collation; and
    Oracle's partition syntax in dynamic SQL, run on a partitioned table."""
    oracle_db.execute("SET search_path = doma_panda, pg_catalog, oracle, public")
    assert oracle_db.execute(
        "SELECT true = 1, false = 0, 'x' || (300 / 60::numeric) || '|' || (-0.25)::numeric || '|' || 7, "
        "(timestamp '2026-01-02' - timestamp '2026-01-01') * 86400 + 5, 7 / nvl(NULL::smallint, 2), "
        "(SELECT string_agg(c, '' ORDER BY c COLLATE \"BINARY\") FROM unnest(ARRAY['b', 'B', 'a']) c)"
    ).fetchone() == (True, True, "x5|-.25|7", 86405, 3.5, "Bab")
    oracle_db.execute("CREATE TABLE doma_panda.flags (id integer, enabled boolean)")
    oracle_db.execute(
        "DO $$ DECLARE v smallint := 1; w smallint; BEGIN INSERT INTO doma_panda.flags VALUES (1, v); "
        "SELECT enabled INTO w FROM doma_panda.flags; IF w <> 1 THEN RAISE 'read %', w; END IF; END $$"
    )
    oracle_db.execute(
        "CREATE TABLE doma_panda.parted (id integer, t timestamp) PARTITION BY RANGE (t);"
        "CREATE TABLE doma_panda.parted_p1 PARTITION OF doma_panda.parted FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');"
        "CREATE TABLE doma_panda.parted_p2 PARTITION OF doma_panda.parted FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');"
        "INSERT INTO doma_panda.parted SELECT g, '2026-01-10' FROM generate_series(1, 5) g;"
        "INSERT INTO doma_panda.parted SELECT g, '2026-02-10' FROM generate_series(6, 8) g"
    )

    def run(sql, *binds):  # as EXECUTE ... USING binds runs it
        translated = oracle_db.execute("SELECT doma_panda.oracle_dynamic_sql(%s)", [sql]).fetchone()[0]
        if binds:
            oracle_db.execute(f"PREPARE dynamic AS {translated}")
            oracle_db.execute(f"EXECUTE dynamic ({', '.join(str(b) for b in binds)})")
            oracle_db.execute("DEALLOCATE dynamic")
        else:
            oracle_db.execute(translated)

    run("DELETE FROM DOMA_PANDA.PARTED PARTITION (PARTED_P1) e WHERE (e.\"ID\" > :low) AND ROWNUM <= :n", 1, 3)
    assert oracle_db.execute("SELECT count(*) FROM doma_panda.parted_p1").fetchone()[0] == 2  # 3 of 4 went
    run("DELETE FROM DOMA_PANDA.PARTED e WHERE (e.ID > :low) AND ROWNUM <= :n", 0, 2)
    assert oracle_db.execute("SELECT count(*) FROM doma_panda.parted").fetchone()[0] == 3
    run('ALTER TABLE DOMA_PANDA.PARTED DROP PARTITION "PARTED_P2" UPDATE INDEXES')
    assert oracle_db.execute("SELECT to_regclass('doma_panda.parted_p2')").fetchone()[0] is None
    run("ALTER SESSION SET DDL_LOCK_TIMEOUT = 2")
    assert oracle_db.execute("SHOW lock_timeout").fetchone()[0] == "2s"
    run("ALTER SESSION SET DDL_LOCK_TIMEOUT = 0")
    assert oracle_db.execute("SHOW lock_timeout").fetchone()[0] == "0"
