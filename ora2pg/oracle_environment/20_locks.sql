-- Part of the Oracle environment of the converted PL/SQL twin (see 00_base.sql); loaded in file order.

-- ====================================================================================================
-- SYS_CONTEXT and DBMS_LOCK over PostgreSQL's advisory locks, with V$LOCK and DBMS_LOCK_ALLOCATED.
-- A DBMS_LOCK lock numbered L is the advisory lock (1521, L): the two-key form, so it never meets a
-- lock the PostgreSQL routines take with one bigint key; their two-key locks use hashtext() of a
-- text as first key, which is not 1521 for any key text they use. Oracle's lock modes map onto the
-- two modes of an advisory lock: S_MODE and SS_MODE shared, X_MODE, SX_MODE and SSX_MODE exclusive
-- (SS and SX, compatible with each other in Oracle, exclude each other here); NL_MODE holds nothing.
-- ====================================================================================================

-- SYS_CONTEXT(namespace, parameter [, length]): the USERENV parameters the twin reads, with the
-- PostgreSQL session standing for the Oracle session: SID and SESSIONID (the backend's process id,
-- as V$LOCK.SID), SESSION_USER, CURRENT_USER, CURRENT_SCHEMA, DB_NAME (upper case, as Oracle
-- stores them), SERVER_HOST (the database machine's host name), HOST and IP_ADDRESS (the client's),
-- MODULE (application_name), INSTANCE ('1'). Another USERENV parameter raises ORA-02003 (invalid
-- USERENV parameter); another namespace is an application context, none of which is set: NULL.
--   p_namespace  'USERENV' (any case)
--   p_parameter  the parameter (any case)
--   p_length     the longest result (default 256, at most 4000)
CREATE OR REPLACE FUNCTION public.sys_context(p_namespace text, p_parameter text, p_length integer DEFAULT 256)
RETURNS varchar
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_value text;
BEGIN
    IF upper(p_namespace) <> 'USERENV' THEN
        RETURN NULL;
    END IF;
    v_value := CASE upper(p_parameter)
        WHEN 'SID' THEN pg_backend_pid()::text
        WHEN 'SESSIONID' THEN pg_backend_pid()::text
        WHEN 'SESSION_USER' THEN upper(session_user)
        WHEN 'CURRENT_USER' THEN upper(current_user)
        WHEN 'CURRENT_SCHEMA' THEN upper(current_schema())
        WHEN 'DB_NAME' THEN upper(current_database())
        WHEN 'HOST' THEN coalesce(host(inet_client_addr()), 'localhost')
        WHEN 'IP_ADDRESS' THEN host(inet_client_addr())
        WHEN 'MODULE' THEN nullif(current_setting('application_name'), '')
        WHEN 'INSTANCE' THEN '1'
        WHEN 'SERVER_HOST' THEN public.oracle_server_host()
    END;
    IF v_value IS NULL AND upper(p_parameter) NOT IN ('IP_ADDRESS', 'MODULE') THEN
        RAISE EXCEPTION 'ORA-02003: invalid USERENV parameter: p_parameter %', p_parameter
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN left(v_value, least(coalesce(p_length, 256), 4000));
END;
$$;

-- oracle_server_host: the host name of the database machine (SYS_CONTEXT('USERENV', 'SERVER_HOST')):
-- the kernel's host name where the session may read server files, else the server's address, else
-- 'localhost'. Helper of SYS_CONTEXT, not an Oracle object.
CREATE OR REPLACE FUNCTION public.oracle_server_host()
RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN lower(trim(E' \n' FROM pg_read_file('/proc/sys/kernel/hostname')));
EXCEPTION
    WHEN OTHERS THEN  -- no privilege to read server files, or not Linux
        RETURN coalesce(host(inet_server_addr()), 'localhost');
END;
$$;

CREATE SCHEMA IF NOT EXISTS dbms_lock;

-- DBMS_LOCK's constants (Oracle's values): the lock modes NL_MODE 1, SS_MODE 2, SX_MODE 3, S_MODE 4,
-- SSX_MODE 5, X_MODE 6, and MAXWAIT 32767 (a timeout of MAXWAIT seconds waits for ever).
CREATE OR REPLACE FUNCTION dbms_lock.nl_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE OR REPLACE FUNCTION dbms_lock.ss_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 2';
CREATE OR REPLACE FUNCTION dbms_lock.sx_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 3';
CREATE OR REPLACE FUNCTION dbms_lock.s_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 4';
CREATE OR REPLACE FUNCTION dbms_lock.ssx_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 5';
CREATE OR REPLACE FUNCTION dbms_lock.x_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 6';
CREATE OR REPLACE FUNCTION dbms_lock.maxwait() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 32767';

-- dbms_lock.allocations: the lock names ALLOCATE_UNIQUE gave a number (read through the view
-- DBMS_LOCK_ALLOCATED). No unique key on purpose: an allocation is written in the caller's
-- transaction (PostgreSQL has no autonomous transaction), and a unique key would make a second
-- session allocating the same name wait for the first one's COMMIT, where Oracle does not wait. The
-- number of a name is a hash of the name, so two sessions allocating it write the same row; the view
-- shows it once. Storage of the emulation, not an Oracle object.
CREATE TABLE IF NOT EXISTS dbms_lock.allocations (
    name varchar(128) NOT NULL,
    lockid integer NOT NULL,
    expiration timestamp(0) without time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS allocations_name_idx ON dbms_lock.allocations (name);
CREATE INDEX IF NOT EXISTS allocations_lockid_idx ON dbms_lock.allocations (lockid);

-- DBMS_LOCK_ALLOCATED (SYS.DBMS_LOCK_ALLOCATED; ora2pg drops "SYS."): the allocated lock names.
-- Columns: NAME, LOCKID (1073741824 .. 1999999999, Oracle's range for allocated locks), EXPIRATION.
CREATE OR REPLACE VIEW public.dbms_lock_allocated AS
SELECT name, lockid, max(expiration) AS expiration
  FROM dbms_lock.allocations
 GROUP BY name, lockid;

-- dbms_lock.allocate_unique: DBMS_LOCK.ALLOCATE_UNIQUE(lockname, lockhandle OUT, expiration_secs): the
-- handle of the lock named lockname (the same name gives the same lock in every session). The number
-- is the name's hash in Oracle's range, the next free one if another name has it. Unlike Oracle's,
-- it does not COMMIT the caller's transaction (a function cannot); nothing is lost if the caller
-- rolls back, as the same name gets the same number again.
--   lockname         the lock's name, 1 to 128 characters (names beginning ORA$ are Oracle's)
--   lockhandle       OUT: the handle for REQUEST, CONVERT and RELEASE
--   expiration_secs  how long the allocation is kept at least (default 864000, 10 days)
CREATE OR REPLACE PROCEDURE dbms_lock.allocate_unique(lockname varchar, OUT lockhandle text,
                                                      expiration_secs integer DEFAULT 864000)
LANGUAGE plpgsql AS $$
DECLARE
    c_first_id CONSTANT bigint := 1073741824;
    c_id_count CONSTANT bigint := 926258176;  -- 1073741824 .. 1999999999
    v_lockid bigint;
BEGIN
    IF lockname IS NULL OR length(lockname) NOT BETWEEN 1 AND 128 THEN
        RAISE EXCEPTION 'DBMS_LOCK.ALLOCATE_UNIQUE: lockname must have 1 to 128 characters, got %',
            coalesce(length(lockname)::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    ELSIF upper(lockname) LIKE 'ORA$%' THEN
        RAISE EXCEPTION 'DBMS_LOCK.ALLOCATE_UNIQUE: lockname % begins with ORA$ (reserved by Oracle)', lockname
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT a.lockid INTO v_lockid FROM dbms_lock.allocations a WHERE a.name = lockname LIMIT 1;
    IF v_lockid IS NULL THEN
        v_lockid := c_first_id + ((hashtextextended(lockname, 0) % c_id_count) + c_id_count) % c_id_count;
        WHILE EXISTS (SELECT 1 FROM dbms_lock.allocations a WHERE a.lockid = v_lockid AND a.name <> lockname) LOOP
            v_lockid := c_first_id + (v_lockid - c_first_id + 1) % c_id_count;
        END LOOP;
        INSERT INTO dbms_lock.allocations (name, lockid, expiration)
        VALUES (lockname, v_lockid, localtimestamp(0) + make_interval(secs => coalesce(expiration_secs, 864000)));
    END IF;
    lockhandle := v_lockid::text;
END;
$$;

-- dbms_lock.allocate_unique_autonomous: DBMS_LOCK.ALLOCATE_UNIQUE_AUTONOMOUS(lockname, lockhandle OUT,
-- expiration_secs): ALLOCATE_UNIQUE without committing the caller's transaction (what Oracle's does
-- with an autonomous transaction; here the allocation is written in the caller's transaction, see
-- dbms_lock.allocations). Parameters as ALLOCATE_UNIQUE.
CREATE OR REPLACE PROCEDURE dbms_lock.allocate_unique_autonomous(lockname varchar, OUT lockhandle text,
                                                                 expiration_secs integer DEFAULT 864000)
LANGUAGE plpgsql AS $$
BEGIN
    CALL dbms_lock.allocate_unique(lockname, lockhandle, expiration_secs);
END;
$$;

-- dbms_lock.handle_lockid: the lock number of a handle ALLOCATE_UNIQUE gave, NULL for anything else
-- (REQUEST and RELEASE return 5, illegal lock handle). Helper, not an Oracle member.
--   p_lockhandle  the handle
CREATE OR REPLACE FUNCTION dbms_lock.handle_lockid(p_lockhandle varchar)
RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_lockhandle ~ '^[0-9]{10}$' AND p_lockhandle::bigint BETWEEN 1073741824 AND 1999999999
                THEN p_lockhandle::integer END
$$;

-- dbms_lock.held_mode: the advisory mode in which this session holds lock p_lockid ('ExclusiveLock',
-- 'ShareLock'), NULL when it does not. Helper, not an Oracle member.
--   p_lockid  the lock number
CREATE OR REPLACE FUNCTION dbms_lock.held_mode(p_lockid integer)
RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT l.mode FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid = 1521 AND l.objid = p_lockid AND l.objsubid = 2 AND l.pid = pg_backend_pid() AND l.granted
     LIMIT 1
$$;

-- dbms_lock.request_lock: REQUEST's work once its arguments are checked. Returns Oracle's codes:
-- 0 granted, 1 timeout, 2 deadlock, 4 already held by this session (in any mode). Helper, not an
-- Oracle member.
--   p_lockid             the lock number
--   p_lockmode           1 .. 6 (see the section's header)
--   p_timeout            seconds to wait (0: do not wait; MAXWAIT or more: wait for ever)
--   p_release_on_commit  true: a transaction-level advisory lock (released at COMMIT / ROLLBACK),
--                        false: a session-level one (kept until RELEASE or the session ends)
CREATE OR REPLACE FUNCTION dbms_lock.request_lock(p_lockid integer, p_lockmode integer, p_timeout numeric,
                                                  p_release_on_commit boolean)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_shared boolean := p_lockmode IN (2, 4);
    v_callers_lock_timeout text := current_setting('lock_timeout');
    v_result integer;
BEGIN
    IF p_lockmode = 1 THEN
        RETURN 0;  -- NL_MODE: compatible with every mode, nothing to hold
    ELSIF dbms_lock.held_mode(p_lockid) IS NOT NULL THEN
        RETURN 4;
    ELSIF p_timeout = 0 THEN
        RETURN CASE WHEN CASE WHEN p_release_on_commit AND v_shared THEN pg_try_advisory_xact_lock_shared(1521, p_lockid)
                              WHEN p_release_on_commit THEN pg_try_advisory_xact_lock(1521, p_lockid)
                              WHEN v_shared THEN pg_try_advisory_lock_shared(1521, p_lockid)
                              ELSE pg_try_advisory_lock(1521, p_lockid) END
                    THEN 0 ELSE 1 END;
    END IF;
    -- wait at most p_timeout seconds: lock_timeout bounds the wait, deadlock detection ends a deadlock
    PERFORM set_config('lock_timeout',
                       CASE WHEN p_timeout >= 32767 THEN '0' ELSE greatest(1, round(p_timeout * 1000))::text || 'ms' END,
                       true);
    BEGIN
        IF p_release_on_commit AND v_shared THEN
            PERFORM pg_advisory_xact_lock_shared(1521, p_lockid);
        ELSIF p_release_on_commit THEN
            PERFORM pg_advisory_xact_lock(1521, p_lockid);
        ELSIF v_shared THEN
            PERFORM pg_advisory_lock_shared(1521, p_lockid);
        ELSE
            PERFORM pg_advisory_lock(1521, p_lockid);
        END IF;
        v_result := 0;
    EXCEPTION
        WHEN lock_not_available THEN
            v_result := 1;
        WHEN deadlock_detected THEN
            v_result := 2;
    END;
    PERFORM set_config('lock_timeout', v_callers_lock_timeout, true);
    RETURN v_result;
END;
$$;

-- dbms_lock.request: DBMS_LOCK.REQUEST(id, lockmode, timeout, release_on_commit) RETURN INTEGER: take
-- the lock numbered id. Returns 0 granted, 1 timeout, 2 deadlock, 3 parameter error, 4 already held
-- by this session.
--   id                 the lock number, 0 .. 1999999999 (0 .. 1073741823 are the user's own numbers)
--   lockmode           NL_MODE .. X_MODE (default X_MODE)
--   timeout            seconds to wait (default MAXWAIT: for ever; 0: do not wait)
--   release_on_commit  release at COMMIT / ROLLBACK (default false: at RELEASE or the session's end)
CREATE OR REPLACE FUNCTION dbms_lock.request(id numeric, lockmode integer DEFAULT 6, timeout numeric DEFAULT 32767,
                                             release_on_commit boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF id IS NULL OR id <> trunc(id) OR id NOT BETWEEN 0 AND 1999999999 OR lockmode IS NULL
       OR lockmode NOT BETWEEN 1 AND 6 OR timeout < 0 THEN
        RETURN 3;
    END IF;
    RETURN dbms_lock.request_lock(id::integer, lockmode, coalesce(timeout, 32767), coalesce(release_on_commit, false));
END;
$$;

-- dbms_lock.request: DBMS_LOCK.REQUEST(lockhandle, lockmode, timeout, release_on_commit) RETURN INTEGER:
-- take the lock of a handle ALLOCATE_UNIQUE gave. Returns as REQUEST(id, ...), and 5 for a handle
-- ALLOCATE_UNIQUE did not give.
--   lockhandle         the handle
--   lockmode, timeout, release_on_commit  as REQUEST(id, ...)
CREATE OR REPLACE FUNCTION dbms_lock.request(lockhandle varchar, lockmode integer DEFAULT 6,
                                             timeout numeric DEFAULT 32767, release_on_commit boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF dbms_lock.handle_lockid(lockhandle) IS NULL THEN
        RETURN 5;
    END IF;
    RETURN dbms_lock.request(dbms_lock.handle_lockid(lockhandle)::numeric, lockmode, timeout, release_on_commit);
END;
$$;

-- dbms_lock.release: DBMS_LOCK.RELEASE(id) RETURN INTEGER: release the lock numbered id. Returns 0
-- released, 3 parameter error, 4 not held by this session. A lock taken with release_on_commit =>
-- TRUE cannot be released before COMMIT / ROLLBACK in PostgreSQL (Oracle releases it): an error
-- (0A000) says so rather than returning 0 with the lock still held.
--   id  the lock number
CREATE OR REPLACE FUNCTION dbms_lock.release(id numeric)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_mode text;
    v_released boolean;
    v_callers_messages text;
BEGIN
    IF id IS NULL OR id <> trunc(id) OR id NOT BETWEEN 0 AND 1999999999 THEN
        RETURN 3;
    END IF;
    v_mode := dbms_lock.held_mode(id::integer);
    IF v_mode IS NULL THEN
        RETURN 4;
    END IF;
    -- a transaction-level lock is not a session-level one: PostgreSQL warns and returns false
    v_callers_messages := current_setting('client_min_messages');
    PERFORM set_config('client_min_messages', 'error', true);
    v_released := CASE WHEN v_mode = 'ShareLock' THEN pg_advisory_unlock_shared(1521, id::integer)
                       ELSE pg_advisory_unlock(1521, id::integer) END;
    PERFORM set_config('client_min_messages', v_callers_messages, true);
    IF NOT v_released THEN
        RAISE EXCEPTION 'DBMS_LOCK.RELEASE: lock % was requested with release_on_commit => TRUE: PostgreSQL releases it only at COMMIT or ROLLBACK', id
            USING ERRCODE = 'feature_not_supported';
    END IF;
    RETURN 0;
END;
$$;

-- dbms_lock.release: DBMS_LOCK.RELEASE(lockhandle) RETURN INTEGER: release the lock of a handle.
-- Returns as RELEASE(id), and 5 for a handle ALLOCATE_UNIQUE did not give.
--   lockhandle  the handle
CREATE OR REPLACE FUNCTION dbms_lock.release(lockhandle varchar)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF dbms_lock.handle_lockid(lockhandle) IS NULL THEN
        RETURN 5;
    END IF;
    RETURN dbms_lock.release(dbms_lock.handle_lockid(lockhandle)::numeric);
END;
$$;

-- V$LOCK: the DBMS_LOCK user locks (TYPE 'UL') held or awaited by the sessions of this database
-- (Oracle's other lock types, TM and TX, are PostgreSQL's table and transaction locks: not shown).
-- Columns: SID (the backend's process id, SYS_CONTEXT('USERENV', 'SID')), TYPE ('UL'), ID1 (the lock
-- number), ID2 (0), LMODE (the mode held: 6 exclusive, 4 shared, 0 while waiting), REQUEST (the mode
-- awaited, 0 when held), CTIME (seconds waited so far, 0 when held: PostgreSQL does not record when a
-- lock was granted), BLOCK (1 when a held lock makes another session wait).
CREATE OR REPLACE VIEW public."v$lock" AS
SELECT l.pid::integer AS sid,
       'UL'::varchar(2) AS type,
       l.objid::bigint AS id1,
       0::bigint AS id2,
       (CASE WHEN NOT l.granted THEN 0 WHEN l.mode = 'ExclusiveLock' THEN 6 ELSE 4 END)::integer AS lmode,
       (CASE WHEN l.granted THEN 0 WHEN l.mode = 'ExclusiveLock' THEN 6 ELSE 4 END)::integer AS request,
       (CASE WHEN l.granted THEN 0 ELSE floor(extract(epoch FROM clock_timestamp() - l.waitstart)) END)::integer AS ctime,
       (CASE WHEN l.granted AND EXISTS (SELECT 1 FROM pg_locks w
                                         WHERE w.locktype = 'advisory' AND w.database = l.database
                                           AND w.classid = l.classid AND w.objid = l.objid
                                           AND w.objsubid = l.objsubid AND NOT w.granted)
             THEN 1 ELSE 0 END)::integer AS block
  FROM pg_locks l
 WHERE l.locktype = 'advisory' AND l.classid = 1521 AND l.objsubid = 2
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());

-- ====================================================================================================
