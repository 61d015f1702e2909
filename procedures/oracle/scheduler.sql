-- PL/SQL twin of procedures/postgres/scheduler.sql: the scheduled-job registry
-- (ATLAS_PANDA.PANDADB_SCHEDULED_JOBS, partitions/scheduled_jobs.tsv) and its runs, the Oracle-native way.
-- Same routine names, parameter names, rules and messages as the PL/pgSQL functions.
-- Errors: where PostgreSQL raises a SQLSTATE, the twin raises RAISE_APPLICATION_ERROR with the same message:
--   PD001 -> -20001 (not raised here)
--   PD002 -> -20002 (invalid input)
--   PD003 -> -20003 (unknown job or run)
-- Oracle runs the registry with DBMS_SCHEDULER instead of pg_cron or `pandadb scheduler`:
--   * load_scheduled_jobs stores the registry, then makes DBMS_SCHEDULER match it: one job
--     ATLAS_PANDA.PANDADB_<NAME> per enabled registry row (DBMS_SCHEDULER.CREATE_JOB, job_type
--     PLSQL_BLOCK), dropped for the rows that are gone or disabled. DBMS_SCHEDULER commits: the registry
--     is validated whole first, so an invalid job still leaves everything unchanged;
--   * schedules: a period becomes FREQ=SECONDLY/MINUTELY/HOURLY/DAILY;INTERVAL=n, a cron expression
--     FREQ=MINUTELY with BYMINUTE/BYHOUR/BYMONTHDAY/BYMONTH/BYDAY lists (DBMS_SCHEDULER combines
--     day-of-month and day-of-week with AND where cron uses OR when both are restricted);
--   * commands: the registry holds PostgreSQL commands ('CALL doma_panda.x()', 'SELECT doma_panda.x()');
--     the job action calls ATLAS_PANDA.X in a PL/SQL block instead, between scheduler_run_started and
--     scheduler_run_finished, so that PANDADB_SCHEDULER_RUNS logs the runs as in PostgreSQL
--     (DBMS_SCHEDULER keeps its own log too: USER_SCHEDULER_JOB_RUN_DETAILS);
--   * overlap: DBMS_SCHEDULER never starts a job while its previous run is running and runs it on one
--     instance: every job is exclusive in Oracle (the flag stays in the registry). The run bookkeeping
--     keeps the PostgreSQL semantics for callers other than DBMS_SCHEDULER: advisory locks are DBMS_LOCK
--     user locks named after the PostgreSQL key text, and a run's lock_key is the lock's id.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+ and
-- CREATE JOB, EXECUTE on DBMS_LOCK, SELECT on V$LOCK and SYS.DBMS_LOCK_ALLOCATED.
-- Types: jsonb is CLOB holding JSON text; text[] is SYS.ODCIVARCHAR2LIST; interval is INTERVAL DAY TO
-- SECOND; boolean columns are NUMBER(1) 1/0 (schema/oracle/97_scheduler.sql), boolean parameters PL/SQL
-- BOOLEAN; RETURNS TABLE is a SYS_REFCURSOR; OUT parameters make a procedure.
-- Each PL/SQL unit ends with a line holding only '/'.

-- scheduler_utc_now: the real UTC wall clock (not the rules clock PANDA_NOW(), which tests pin).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SCHEDULER_UTC_NOW
RETURN TIMESTAMP
AS
BEGIN
    RETURN SYS_EXTRACT_UTC(SYSTIMESTAMP);
END SCHEDULER_UTC_NOW;
/

-- schedule_cron_macro: the 5-field form of a cron macro ('@daily' -> '0 0 * * *'), NULL if not a macro.
--   p_schedule  the schedule text (trimmed, lower case)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SCHEDULE_CRON_MACRO(p_schedule IN VARCHAR2)
RETURN VARCHAR2 DETERMINISTIC
AS
BEGIN
    RETURN CASE p_schedule
        WHEN '@hourly' THEN '0 * * * *'
        WHEN '@daily' THEN '0 0 * * *'
        WHEN '@midnight' THEN '0 0 * * *'
        WHEN '@weekly' THEN '0 0 * * 0'
        WHEN '@monthly' THEN '0 0 1 * *'
        WHEN '@yearly' THEN '0 0 1 1 *'
        WHEN '@annually' THEN '0 0 1 1 *'
    END;
END SCHEDULE_CRON_MACRO;
/

-- schedule_is_cron_expression: whether a schedule is a valid 5-field cron expression
-- (minute hour day-of-month month day-of-week; items '*', 'N', 'N-M', each optionally '/step',
-- comma-separated; month and weekday names jan..dec, sun..sat) or a cron macro.
--   p_schedule  the schedule text
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SCHEDULE_IS_CRON_EXPRESSION(p_schedule IN VARCHAR2)
RETURN BOOLEAN
AS
    v_schedule VARCHAR2(4000) := LOWER(TRIM(REGEXP_REPLACE(p_schedule, '\s+', ' ')));
    v_field VARCHAR2(4000);
    v_item VARCHAR2(4000);
    v_range VARCHAR2(4000);
    v_value VARCHAR2(100);
    v_number NUMBER;
    -- bounds per field; weekday 7 is Sunday as in cron
    TYPE bounds IS VARRAY(5) OF PLS_INTEGER;
    c_low CONSTANT bounds := bounds(0, 0, 1, 1, 0);
    c_high CONSTANT bounds := bounds(59, 23, 31, 12, 7);
    c_months CONSTANT VARCHAR2(100) := ',jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec,';
    c_days CONSTANT VARCHAR2(100) := ',sun,mon,tue,wed,thu,fri,sat,';
BEGIN
    IF p_schedule IS NULL THEN
        RETURN FALSE;
    END IF;
    IF ATLAS_PANDA.SCHEDULE_CRON_MACRO(v_schedule) IS NOT NULL THEN
        RETURN TRUE;
    END IF;
    IF REGEXP_COUNT(v_schedule, '[^ ]+') <> 5 THEN
        RETURN FALSE;
    END IF;
    FOR i IN 1 .. 5 LOOP
        v_field := REGEXP_SUBSTR(v_schedule, '[^ ]+', 1, i);
        IF v_field LIKE ',%' OR v_field LIKE '%,' OR INSTR(v_field, ',,') > 0 THEN
            RETURN FALSE;
        END IF;
        FOR j IN 1 .. REGEXP_COUNT(v_field, '[^,]+') LOOP
            v_item := REGEXP_SUBSTR(v_field, '[^,]+', 1, j);
            IF NOT REGEXP_LIKE(v_item, '^(\*|[0-9a-z]+(-[0-9a-z]+)?)(/[0-9]+)?$') OR REGEXP_LIKE(v_item, '/0+$') THEN
                RETURN FALSE;
            END IF;
            v_range := REGEXP_SUBSTR(v_item, '^[^/]+');
            CONTINUE WHEN v_range = '*';
            FOR k IN 1 .. REGEXP_COUNT(v_range, '[^-]+') LOOP
                v_value := REGEXP_SUBSTR(v_range, '[^-]+', 1, k);
                IF REGEXP_LIKE(v_value, '^[0-9]+$') THEN
                    v_number := TO_NUMBER(v_value);
                ELSIF i = 4 AND INSTR(c_months, ',' || v_value || ',') > 0 THEN
                    v_number := (INSTR(c_months, ',' || v_value || ',') - 1) / 4 + 1;
                ELSIF i = 5 AND INSTR(c_days, ',' || v_value || ',') > 0 THEN
                    v_number := (INSTR(c_days, ',' || v_value || ',') - 1) / 4;
                ELSE
                    RETURN FALSE;
                END IF;
                IF v_number < c_low(i) OR v_number > c_high(i) THEN
                    RETURN FALSE;
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN TRUE;
END SCHEDULE_IS_CRON_EXPRESSION;
/

-- schedule_period: the period of a schedule given as a duration ('10 seconds', '1 minute', '2 hours',
-- '1 day', '1 day 12:00:00', '1 week'); NULL when the schedule is a cron expression. Raises -20002 when it is
-- neither (PostgreSQL's interval input is read with the units it accepts; months and years have no
-- fixed length and are refused as in PostgreSQL).
--   p_schedule  the schedule text of a registry job
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SCHEDULE_PERIOD(p_schedule IN VARCHAR2)
RETURN INTERVAL DAY TO SECOND
AS
    v_text VARCHAR2(4000) := LOWER(TRIM(REGEXP_REPLACE(p_schedule, '\s+', ' ')));
    v_seconds NUMBER := 0;
    v_months NUMBER := 0;
    v_parsed BOOLEAN := TRUE;
    v_part VARCHAR2(200);
    v_amount NUMBER;
    v_unit VARCHAR2(50);
BEGIN
    IF ATLAS_PANDA.SCHEDULE_IS_CRON_EXPRESSION(p_schedule) THEN
        RETURN NULL;
    END IF;
    IF v_text IS NULL OR NOT REGEXP_LIKE(v_text, '[a-z:]') THEN
        v_parsed := FALSE;  -- a bare number is ambiguous (seconds? minutes?): ask for a unit
    ELSE
        -- '<number> <unit>' pairs, and an optional hh:mm[:ss]
        WHILE v_text IS NOT NULL AND v_parsed LOOP
            v_part := REGEXP_SUBSTR(v_text, '^(-?[0-9]+(\.[0-9]+)? ?[a-z]+|-?[0-9]+:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)');
            IF v_part IS NULL THEN
                v_parsed := FALSE;
            ELSIF INSTR(v_part, ':') > 0 THEN
                v_seconds := v_seconds + TO_NUMBER(REGEXP_SUBSTR(v_part, '[^:]+', 1, 1)) * 3600
                             + TO_NUMBER(REGEXP_SUBSTR(v_part, '[^:]+', 1, 2)) * 60
                             + NVL(PANDADB_SUPPORT.to_number_text(REGEXP_SUBSTR(v_part, '[^:]+', 1, 3)), 0);
            ELSE
                v_amount := PANDADB_SUPPORT.to_number_text(REGEXP_SUBSTR(v_part, '^-?[0-9]+(\.[0-9]+)?'));
                v_unit := REGEXP_SUBSTR(v_part, '[a-z]+$');
                IF v_unit IN ('s', 'sec', 'secs', 'second', 'seconds') THEN
                    v_seconds := v_seconds + v_amount;
                ELSIF v_unit IN ('m', 'min', 'mins', 'minute', 'minutes') THEN
                    v_seconds := v_seconds + v_amount * 60;
                ELSIF v_unit IN ('h', 'hr', 'hrs', 'hour', 'hours') THEN
                    v_seconds := v_seconds + v_amount * 3600;
                ELSIF v_unit IN ('d', 'day', 'days') THEN
                    v_seconds := v_seconds + v_amount * 86400;
                ELSIF v_unit IN ('w', 'week', 'weeks') THEN
                    v_seconds := v_seconds + v_amount * 604800;
                ELSIF v_unit IN ('mon', 'mons', 'month', 'months') THEN
                    v_months := v_months + v_amount;
                ELSIF v_unit IN ('y', 'year', 'years') THEN
                    v_months := v_months + 12 * v_amount;
                ELSE
                    v_parsed := FALSE;
                END IF;
            END IF;
            IF v_parsed THEN
                v_text := TRIM(SUBSTR(v_text, LENGTH(v_part) + 1));
            END IF;
        END LOOP;
    END IF;
    IF NOT v_parsed THEN
        RAISE_APPLICATION_ERROR(-20002, 'schedule ' || PANDADB_SUPPORT.quote_literal(p_schedule)
            || ' is neither a cron expression (5 fields such as ''*/5 * * * *'', or @hourly, @daily) nor a period with a unit (such as ''10 seconds'', ''1 minute'', ''1 day'')');
    END IF;
    IF v_months <> 0 THEN
        RAISE_APPLICATION_ERROR(-20002, 'period ' || PANDADB_SUPPORT.quote_literal(p_schedule)
            || ' has no fixed length: use days (''30 days'') or a cron expression (''0 0 1 * *'')');
    END IF;
    IF v_seconds <= 0 THEN
        RAISE_APPLICATION_ERROR(-20002, 'period ' || PANDADB_SUPPORT.quote_literal(p_schedule) || ' must be longer than zero');
    END IF;
    RETURN NUMTODSINTERVAL(v_seconds, 'SECOND');
END SCHEDULE_PERIOD;
/

-- schedule_cron_expression: the pg_cron (1.4, minute granularity) schedule of a registry schedule, as
-- in PostgreSQL (the registry is shared; `pandadb cron install` reads it). Cron expressions pass through
-- (macros expanded); periods become the cron expression with the same runs ('1 minute' -> '* * * * *',
-- '5 minutes' -> '*/5 * * * *', '1 hour' -> '0 * * * *', '6 hours' -> '0 */6 * * *', '1 day' ->
-- '0 0 * * *', '7 days' -> '0 0 * * 0'). Raises -20002 for sub-minute periods and periods that no cron
-- expression repeats exactly.
--   p_schedule  the schedule text of a registry job
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SCHEDULE_CRON_EXPRESSION(p_schedule IN VARCHAR2)
RETURN VARCHAR2
AS
    v_period INTERVAL DAY TO SECOND := ATLAS_PANDA.SCHEDULE_PERIOD(p_schedule);
    v_seconds NUMBER;
    v_minutes NUMBER;
BEGIN
    IF v_period IS NULL THEN
        RETURN NVL(ATLAS_PANDA.SCHEDULE_CRON_MACRO(LOWER(TRIM(p_schedule))), TRIM(REGEXP_REPLACE(p_schedule, '\s+', ' ')));
    END IF;
    v_seconds := EXTRACT(DAY FROM v_period) * 86400 + EXTRACT(HOUR FROM v_period) * 3600
                 + EXTRACT(MINUTE FROM v_period) * 60 + EXTRACT(SECOND FROM v_period);
    IF v_seconds < 60 THEN
        RAISE_APPLICATION_ERROR(-20002, 'period ' || PANDADB_SUPPORT.quote_literal(p_schedule)
            || ' is shorter than a minute, which pg_cron 1.4 cannot run: run this job with `pandadb scheduler` (seconds granularity) instead');
    END IF;
    IF MOD(v_seconds, 60) <> 0 THEN
        RAISE_APPLICATION_ERROR(-20002, 'period ' || PANDADB_SUPPORT.quote_literal(p_schedule)
            || ' is not a whole number of minutes, which pg_cron cannot run: use whole minutes, a cron expression, or `pandadb scheduler`');
    END IF;
    v_minutes := v_seconds / 60;
    IF v_minutes = 1 THEN
        RETURN '* * * * *';
    ELSIF v_minutes < 60 AND MOD(60, v_minutes) = 0 THEN
        RETURN '*/' || v_minutes || ' * * * *';
    ELSIF v_minutes = 60 THEN
        RETURN '0 * * * *';
    ELSIF v_minutes < 1440 AND MOD(v_minutes, 60) = 0 AND MOD(24, v_minutes / 60) = 0 THEN
        RETURN '0 */' || (v_minutes / 60) || ' * * *';
    ELSIF v_minutes = 1440 THEN
        RETURN '0 0 * * *';
    ELSIF v_minutes = 10080 THEN
        RETURN '0 0 * * 0';
    END IF;
    -- e.g. '7 minutes': '*/7' would restart at every full hour, so the runs would not be 7 minutes apart
    RAISE_APPLICATION_ERROR(-20002, 'period ' || PANDADB_SUPPORT.quote_literal(p_schedule)
        || ' has no exact cron equivalent (cron repeats divisors of an hour or a day, 1 day or 7 days): write a cron expression instead, or use `pandadb scheduler`');
END SCHEDULE_CRON_EXPRESSION;
/

-- load_scheduled_jobs: replace the registry with the given jobs (jobs not given are deleted unless
-- p_remove_missing is false), then make DBMS_SCHEDULER run the enabled ones (see the file header).
-- Every job is validated before anything is written: an invalid job leaves the registry and the
-- scheduler jobs unchanged. Returns {"inserted": n, "updated": n, "unchanged": n, "deleted": n}.
--   p_jobs            JSON array of objects: name, schedule, command (required), exclusive, enabled
--                     (JSON booleans, default true), description (optional)
--   p_remove_missing  delete registry jobs that p_jobs does not name (default true)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.LOAD_SCHEDULED_JOBS(p_jobs IN CLOB, p_remove_missing IN BOOLEAN DEFAULT TRUE)
RETURN CLOB
AS
    TYPE job_row IS RECORD (name VARCHAR2(64), schedule VARCHAR2(100), command CLOB, is_exclusive NUMBER(1),
                            enabled NUMBER(1), description VARCHAR2(512));
    TYPE job_rows IS TABLE OF job_row;
    v_element JSON_ELEMENT_T;
    v_jobs JSON_ARRAY_T;
    v_job JSON_OBJECT_T;
    v_unknown VARCHAR2(32767);
    v_names SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_flag VARCHAR2(20);
    v_flags CONSTANT SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('exclusive', 'enabled');
    v_new job_rows := job_rows();
    v_old job_row;
    v_period INTERVAL DAY TO SECOND;
    v_inserted NUMBER := 0;
    v_updated NUMBER := 0;
    v_unchanged NUMBER := 0;
    v_deleted NUMBER := 0;
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    e_no_such_job EXCEPTION;
    PRAGMA EXCEPTION_INIT(e_no_such_job, -27475);
    v_name VARCHAR2(64);
    v_count PLS_INTEGER;
    -- the DBMS_SCHEDULER calendar of a registry schedule
    v_seconds NUMBER;
    v_cron VARCHAR2(200);
    v_calendar VARCHAR2(4000);
    v_field VARCHAR2(200);
    v_list VARCHAR2(4000);
    v_item VARCHAR2(100);
    v_from_text VARCHAR2(100);
    v_to_text VARCHAR2(100);
    v_from PLS_INTEGER;
    v_to PLS_INTEGER;
    v_step PLS_INTEGER;
    c_names CONSTANT SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('BYMINUTE', 'BYHOUR', 'BYMONTHDAY', 'BYMONTH', 'BYDAY');
    c_days CONSTANT SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN');
    -- the job action
    v_command VARCHAR2(4000);
    v_routine VARCHAR2(200);
    v_arguments VARCHAR2(4000);
    v_call VARCHAR2(4000);
    v_action VARCHAR2(4000);
BEGIN
    IF p_jobs IS NOT NULL THEN
        v_element := JSON_ELEMENT_T.parse(p_jobs);
    END IF;
    IF v_element IS NULL OR NOT v_element.is_array() THEN
        RAISE_APPLICATION_ERROR(-20002, 'the scheduled jobs must be a JSON array of objects');
    END IF;
    -- one loader at a time, so that concurrent loads cannot interleave upserts and deletes
    PANDADB_SUPPORT.xact_lock('pandadb load_scheduled_jobs');
    v_jobs := TREAT(v_element AS JSON_ARRAY_T);
    -- validate every job first: nothing is written before all are valid
    FOR i IN 0 .. v_jobs.get_size() - 1 LOOP
        IF NOT v_jobs.get(i).is_object() THEN
            RAISE_APPLICATION_ERROR(-20002, 'scheduled job ' || v_jobs.get(i).to_string() || ' is not a JSON object');
        END IF;
        v_job := TREAT(v_jobs.get(i) AS JSON_OBJECT_T);
        v_unknown := PANDADB_SUPPORT.unknown_keys(v_job, SYS.ODCIVARCHAR2LIST('name', 'schedule', 'command', 'exclusive',
                                                                               'enabled', 'description'));
        IF v_unknown IS NOT NULL THEN
            RAISE_APPLICATION_ERROR(-20002, 'scheduled job ' || NVL(PANDADB_SUPPORT.member_text(v_job, 'name'), v_job.to_string())
                || ' has unknown keys: ' || v_unknown || ' (known: name, schedule, command, exclusive, enabled, description)');
        END IF;
        v_new.EXTEND;
        v_new(v_new.COUNT).name := SUBSTR(PANDADB_SUPPORT.member_text(v_job, 'name'), 1, 64);
        IF PANDADB_SUPPORT.member_text(v_job, 'name') IS NULL
           OR NOT REGEXP_LIKE(PANDADB_SUPPORT.member_text(v_job, 'name'), '^[a-z0-9_]{1,64}$', 'c') THEN
            RAISE_APPLICATION_ERROR(-20002, 'invalid scheduled job name '
                || PANDADB_SUPPORT.quote_literal(SUBSTR(PANDADB_SUPPORT.member_text(v_job, 'name'), 1, 200))
                || ': use 1-64 lower-case letters, digits and _');
        END IF;
        -- MEMBER OF takes nested tables only, not a VARRAY as SYS.ODCIVARCHAR2LIST: counted in SQL
        v_name := v_new(v_new.COUNT).name;
        SELECT COUNT(*) INTO v_count FROM TABLE(v_names) n WHERE n.COLUMN_VALUE = v_name;
        IF v_count > 0 THEN
            RAISE_APPLICATION_ERROR(-20002, 'scheduled job ' || v_new(v_new.COUNT).name || ' is given twice');
        END IF;
        v_names.EXTEND;
        v_names(v_names.COUNT) := v_new(v_new.COUNT).name;
        FOR k IN 1 .. v_flags.COUNT LOOP
            v_flag := v_flags(k);
            IF v_job.has(v_flag) AND NOT v_job.get(v_flag).is_boolean() THEN
                RAISE_APPLICATION_ERROR(-20002, 'scheduled job ' || v_new(v_new.COUNT).name || ': ' || v_flag
                                                || ' must be true or false, not ' || v_job.get(v_flag).to_string());
            END IF;
        END LOOP;
        v_new(v_new.COUNT).schedule := SUBSTR(TRIM(PANDADB_SUPPORT.member_text(v_job, 'schedule')), 1, 100);
        v_new(v_new.COUNT).command := TRIM(PANDADB_SUPPORT.member_text(v_job, 'command'));
        IF v_new(v_new.COUNT).command IS NULL THEN
            RAISE_APPLICATION_ERROR(-20002, 'scheduled job ' || v_new(v_new.COUNT).name || ' has no command');
        END IF;
        BEGIN
            v_period := ATLAS_PANDA.SCHEDULE_PERIOD(v_new(v_new.COUNT).schedule);
        EXCEPTION
            WHEN OTHERS THEN
                IF SQLCODE = -20002 THEN
                    RAISE_APPLICATION_ERROR(-20002, 'scheduled job ' || v_new(v_new.COUNT).name || ': '
                                                    || REGEXP_REPLACE(SQLERRM, '^ORA-[0-9]{5}: ', ''));
                END IF;
                RAISE;
        END;
        v_new(v_new.COUNT).is_exclusive := CASE WHEN v_job.has('exclusive') AND NOT v_job.get_boolean('exclusive') THEN 0 ELSE 1 END;
        v_new(v_new.COUNT).enabled := CASE WHEN v_job.has('enabled') AND NOT v_job.get_boolean('enabled') THEN 0 ELSE 1 END;
        v_new(v_new.COUNT).description := SUBSTR(PANDADB_SUPPORT.member_text(v_job, 'description'), 1, 512);
    END LOOP;

    FOR i IN 1 .. v_new.COUNT LOOP
        BEGIN
            SELECT NAME, SCHEDULE, COMMAND, "EXCLUSIVE", ENABLED, DESCRIPTION INTO v_old
              FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS WHERE NAME = v_new(i).name FOR UPDATE;
            IF v_old.schedule = v_new(i).schedule AND DBMS_LOB.COMPARE(v_old.command, v_new(i).command) = 0
               AND v_old.is_exclusive = v_new(i).is_exclusive AND v_old.enabled = v_new(i).enabled
               AND ((v_old.description IS NULL AND v_new(i).description IS NULL)
                    OR v_old.description = v_new(i).description) THEN
                v_unchanged := v_unchanged + 1;
            ELSE
                UPDATE ATLAS_PANDA.PANDADB_SCHEDULED_JOBS
                   SET SCHEDULE = v_new(i).schedule, COMMAND = v_new(i).command, "EXCLUSIVE" = v_new(i).is_exclusive,
                       ENABLED = v_new(i).enabled, DESCRIPTION = v_new(i).description
                 WHERE NAME = v_new(i).name;
                v_updated := v_updated + 1;
            END IF;
        EXCEPTION
            WHEN NO_DATA_FOUND THEN
                INSERT INTO ATLAS_PANDA.PANDADB_SCHEDULED_JOBS (NAME, SCHEDULE, COMMAND, "EXCLUSIVE", ENABLED, DESCRIPTION)
                VALUES (v_new(i).name, v_new(i).schedule, v_new(i).command, v_new(i).is_exclusive, v_new(i).enabled,
                        v_new(i).description);
                v_inserted := v_inserted + 1;
        END;
    END LOOP;
    IF NVL(p_remove_missing, TRUE) THEN
        DELETE FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS WHERE NAME NOT IN (SELECT COLUMN_VALUE FROM TABLE(v_names));
        v_deleted := SQL%ROWCOUNT;
    END IF;
    COMMIT;

    -- DBMS_SCHEDULER follows the registry (each call commits)
    FOR j IN (SELECT JOB_NAME FROM USER_SCHEDULER_JOBS WHERE JOB_NAME LIKE 'PANDADB\_%' ESCAPE '\') LOOP
        BEGIN
            DBMS_SCHEDULER.DROP_JOB(job_name => 'ATLAS_PANDA.' || j.JOB_NAME, force => TRUE);
        EXCEPTION
            WHEN e_no_such_job THEN
                NULL;
        END;
    END LOOP;
    FOR r IN (SELECT NAME, SCHEDULE, COMMAND, DESCRIPTION FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS WHERE ENABLED = 1
               ORDER BY NAME) LOOP
        -- the calendar: a period as FREQ=...;INTERVAL=n, a cron schedule as FREQ=MINUTELY with a BY... list per
        -- restricted field (each cron field's items '*', 'N', 'N-M', each optionally '/step'; names of months
        -- and days allowed)
        v_period := ATLAS_PANDA.SCHEDULE_PERIOD(r.SCHEDULE);
        IF v_period IS NOT NULL THEN
            v_seconds := EXTRACT(DAY FROM v_period) * 86400 + EXTRACT(HOUR FROM v_period) * 3600
                         + EXTRACT(MINUTE FROM v_period) * 60 + EXTRACT(SECOND FROM v_period);
            v_calendar := CASE WHEN MOD(v_seconds, 86400) = 0 THEN 'FREQ=DAILY;INTERVAL=' || (v_seconds / 86400)
                               WHEN MOD(v_seconds, 3600) = 0 THEN 'FREQ=HOURLY;INTERVAL=' || (v_seconds / 3600)
                               WHEN MOD(v_seconds, 60) = 0 THEN 'FREQ=MINUTELY;INTERVAL=' || (v_seconds / 60)
                               ELSE 'FREQ=SECONDLY;INTERVAL=' || CEIL(v_seconds) END;
        ELSE
            v_cron := LOWER(NVL(ATLAS_PANDA.SCHEDULE_CRON_MACRO(LOWER(TRIM(r.SCHEDULE))),
                                TRIM(REGEXP_REPLACE(r.SCHEDULE, '\s+', ' '))));
            v_calendar := 'FREQ=MINUTELY';
            FOR i IN 1 .. 5 LOOP  -- minute, hour, day of month, month, day of week
                v_field := REGEXP_SUBSTR(v_cron, '[^ ]+', 1, i);
                v_list := NULL;
                IF v_field <> '*' THEN
                    FOR j IN 1 .. REGEXP_COUNT(v_field, '[^,]+') LOOP
                        v_item := REGEXP_SUBSTR(v_field, '[^,]+', 1, j);
                        v_step := CASE WHEN INSTR(v_item, '/') > 0 THEN TO_NUMBER(SUBSTR(v_item, INSTR(v_item, '/') + 1)) ELSE 1 END;
                        v_item := REGEXP_SUBSTR(v_item, '^[^/]+');
                        IF v_item = '*' THEN
                            v_from := CASE i WHEN 3 THEN 1 WHEN 4 THEN 1 ELSE 0 END;
                            v_to := CASE i WHEN 1 THEN 59 WHEN 2 THEN 23 WHEN 3 THEN 31 WHEN 4 THEN 12 ELSE 6 END;
                        ELSE
                            v_from_text := REGEXP_SUBSTR(v_item, '^[^-]+');
                            v_to_text := CASE WHEN INSTR(v_item, '-') > 0 THEN SUBSTR(v_item, INSTR(v_item, '-') + 1) END;
                            -- a number, or the name of a month (field 4: jan = 1) or of a day (sun = 0)
                            v_from := CASE WHEN REGEXP_LIKE(v_from_text, '^[0-9]+$') THEN TO_NUMBER(v_from_text)
                                           WHEN i = 4 THEN (INSTR(',jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec,',
                                                                  ',' || v_from_text || ',') - 1) / 4 + 1
                                           ELSE (INSTR(',sun,mon,tue,wed,thu,fri,sat,', ',' || v_from_text || ',') - 1) / 4 END;
                            v_to := CASE WHEN v_to_text IS NULL AND v_step > 1
                                             THEN CASE i WHEN 1 THEN 59 WHEN 2 THEN 23 WHEN 3 THEN 31 WHEN 4 THEN 12 ELSE 6 END
                                         WHEN v_to_text IS NULL THEN v_from
                                         WHEN REGEXP_LIKE(v_to_text, '^[0-9]+$') THEN TO_NUMBER(v_to_text)
                                         WHEN i = 4 THEN (INSTR(',jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec,',
                                                                ',' || v_to_text || ',') - 1) / 4 + 1
                                         ELSE (INSTR(',sun,mon,tue,wed,thu,fri,sat,', ',' || v_to_text || ',') - 1) / 4 END;
                        END IF;
                        FOR v IN v_from .. v_to LOOP
                            IF MOD(v - v_from, v_step) = 0 THEN
                                v_list := v_list || CASE WHEN v_list IS NOT NULL THEN ',' END
                                          || CASE WHEN i = 5 THEN c_days(v + 1) ELSE TO_CHAR(v) END;
                            END IF;
                        END LOOP;
                    END LOOP;
                END IF;
                IF v_list IS NOT NULL THEN
                    v_calendar := v_calendar || ';' || c_names(i) || '=' || v_list;
                END IF;
            END LOOP;
        END IF;
        -- the job action: the registry command ('CALL doma_panda.x(...)' or 'SELECT doma_panda.x(...)') as a
        -- call of ATLAS_PANDA.X between scheduler_run_started and scheduler_run_finished
        v_command := TRIM(RTRIM(TRIM(DBMS_LOB.SUBSTR(r.COMMAND, 4000, 1)), ';'));
        v_routine := UPPER(REGEXP_SUBSTR(v_command, '^(CALL|SELECT)\s+doma_panda\.(\w+)', 1, 1, 'i', 2));
        v_arguments := REGEXP_SUBSTR(v_command, '\((.*)\)$', 1, 1, NULL, 1);
        IF v_routine IS NULL THEN  -- not a registry routine call: run it as it is
            v_call := 'EXECUTE IMMEDIATE ''' || REPLACE(v_command, '''', '''''') || ''';';
        ELSIF UPPER(v_command) LIKE 'CALL%' THEN
            v_call := 'ATLAS_PANDA.' || v_routine || CASE WHEN TRIM(v_arguments) IS NOT NULL THEN '(' || v_arguments || ')' END || ';';
        ELSE
            v_call := 'v_result := TO_CLOB(ATLAS_PANDA.' || v_routine
                      || CASE WHEN TRIM(v_arguments) IS NOT NULL THEN '(' || v_arguments || ')' END || ');';
        END IF;
        v_action := 'DECLARE v_run NUMBER; v_outcome VARCHAR2(20); v_retry NUMBER; v_result CLOB; v_error VARCHAR2(4000); '
            || 'BEGIN ATLAS_PANDA.SCHEDULER_RUN_STARTED(''' || r.NAME || ''', SYS_CONTEXT(''USERENV'', ''SERVER_HOST''), '
            || 'NULL, TRUE, v_run, v_outcome, v_retry); COMMIT; '
            || 'IF v_outcome = ''started'' THEN BEGIN ' || v_call || ' COMMIT; '
            || 'ATLAS_PANDA.SCHEDULER_RUN_FINISHED(v_run); COMMIT; '
            || 'EXCEPTION WHEN OTHERS THEN v_error := SQLERRM; ROLLBACK; '
            || 'ATLAS_PANDA.SCHEDULER_RUN_FINISHED(v_run, v_error); COMMIT; RAISE; END; END IF; END;';
        DBMS_SCHEDULER.CREATE_JOB(
            job_name => 'ATLAS_PANDA.PANDADB_' || UPPER(r.NAME),
            job_type => 'PLSQL_BLOCK',
            job_action => v_action,
            repeat_interval => v_calendar,
            enabled => TRUE,
            auto_drop => FALSE,
            comments => r.DESCRIPTION);
    END LOOP;

    v_result.put('inserted', v_inserted);
    v_result.put('updated', v_updated);
    v_result.put('unchanged', v_unchanged);
    v_result.put('deleted', v_deleted);
    RETURN v_result.to_clob();
END LOAD_SCHEDULED_JOBS;
/

-- scheduler_jobs: the enabled registry jobs as a scheduler runs them: a cursor of (name, schedule,
-- period_seconds, cron_expression, command, exclusive 1/0). Raises -20003 for a named job that is not in
-- the registry and -20002 for a named job that is disabled.
--   p_job_names  the jobs to run (NULL: every enabled job)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SCHEDULER_JOBS(p_job_names IN SYS.ODCIVARCHAR2LIST DEFAULT NULL)
RETURN SYS_REFCURSOR
AS
    v_missing VARCHAR2(32767);
    v_all NUMBER(1) := CASE WHEN p_job_names IS NULL THEN 1 ELSE 0 END;
    v_names SYS.ODCIVARCHAR2LIST := NVL(p_job_names, SYS.ODCIVARCHAR2LIST());
    v_jobs SYS_REFCURSOR;
BEGIN
    IF p_job_names IS NOT NULL THEN
        SELECT LISTAGG(w.COLUMN_VALUE, ', ') WITHIN GROUP (ORDER BY w.COLUMN_VALUE) INTO v_missing
          FROM TABLE(v_names) w
         WHERE NOT EXISTS (SELECT 1 FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS j WHERE j.NAME = w.COLUMN_VALUE);
        IF v_missing IS NOT NULL THEN
            RAISE_APPLICATION_ERROR(-20003, 'no scheduled job named ' || v_missing || ': see `pandadb cron list` for the registry');
        END IF;
        SELECT LISTAGG(j.NAME, ', ') WITHIN GROUP (ORDER BY j.NAME) INTO v_missing
          FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS j
         WHERE j.NAME IN (SELECT COLUMN_VALUE FROM TABLE(v_names)) AND j.ENABLED = 0;
        IF v_missing IS NOT NULL THEN
            RAISE_APPLICATION_ERROR(-20002, 'scheduled job ' || v_missing
                || ' is disabled in the registry: enable it in partitions/scheduled_jobs.tsv and load it (pandadb cron load)');
        END IF;
    END IF;
    OPEN v_jobs FOR
        SELECT j.NAME AS name, j.SCHEDULE AS schedule,
               EXTRACT(DAY FROM ATLAS_PANDA.SCHEDULE_PERIOD(j.SCHEDULE)) * 86400
               + EXTRACT(HOUR FROM ATLAS_PANDA.SCHEDULE_PERIOD(j.SCHEDULE)) * 3600
               + EXTRACT(MINUTE FROM ATLAS_PANDA.SCHEDULE_PERIOD(j.SCHEDULE)) * 60
               + EXTRACT(SECOND FROM ATLAS_PANDA.SCHEDULE_PERIOD(j.SCHEDULE)) AS period_seconds,
               CASE WHEN ATLAS_PANDA.SCHEDULE_PERIOD(j.SCHEDULE) IS NULL
                    THEN ATLAS_PANDA.SCHEDULE_CRON_EXPRESSION(j.SCHEDULE) END AS cron_expression,
               j.COMMAND AS command, j."EXCLUSIVE" AS "EXCLUSIVE"
          FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS j
         WHERE j.ENABLED = 1 AND (v_all = 1 OR j.NAME IN (SELECT COLUMN_VALUE FROM TABLE(v_names)))
         ORDER BY j.NAME;
    RETURN v_jobs;
END SCHEDULER_JOBS;
/

-- cron_jobs: the enabled registry jobs with their pg_cron schedules, for `pandadb cron install`: a
-- cursor of (name, cron_schedule, command). Raises -20002 naming every job whose schedule pg_cron cannot
-- run (sub-minute periods). DBMS_SCHEDULER runs them all (load_scheduled_jobs): kept for the shared registry.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.CRON_JOBS
RETURN SYS_REFCURSOR
AS
    v_problems VARCHAR2(32767);
    v_schedule VARCHAR2(100);
    v_jobs SYS_REFCURSOR;
BEGIN
    FOR j IN (SELECT NAME, SCHEDULE FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS WHERE ENABLED = 1 ORDER BY NAME) LOOP
        BEGIN
            v_schedule := ATLAS_PANDA.SCHEDULE_CRON_EXPRESSION(j.SCHEDULE);
        EXCEPTION
            WHEN OTHERS THEN
                IF SQLCODE <> -20002 THEN
                    RAISE;
                END IF;
                v_problems := v_problems || CASE WHEN v_problems IS NOT NULL THEN '; ' END
                              || j.NAME || ': ' || REGEXP_REPLACE(SQLERRM, '^ORA-[0-9]{5}: ', '');
        END;
    END LOOP;
    IF v_problems IS NOT NULL THEN
        RAISE_APPLICATION_ERROR(-20002, SUBSTR('pg_cron cannot run every registry job; nothing was installed. ' || v_problems,
                                               1, 2000));
    END IF;
    OPEN v_jobs FOR
        SELECT j.NAME AS name, ATLAS_PANDA.SCHEDULE_CRON_EXPRESSION(j.SCHEDULE) AS cron_schedule, j.COMMAND AS command
          FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS j
         WHERE j.ENABLED = 1
         ORDER BY j.NAME;
    RETURN v_jobs;
END CRON_JOBS;
/

-- scheduler_lock_key: the lock of a job: per job when it is exclusive (one host at a time), per job and
-- host otherwise. The DBMS_LOCK user lock named like PostgreSQL's key text; returns its id.
--   p_job_name   the registry job
--   p_exclusive  whether the job is exclusive
--   p_host       the scheduler's host id
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SCHEDULER_LOCK_KEY(p_job_name IN VARCHAR2, p_exclusive IN BOOLEAN, p_host IN VARCHAR2)
RETURN NUMBER
AS
BEGIN
    RETURN PANDADB_SUPPORT.lock_id(CASE WHEN p_exclusive THEN 'pandadb scheduler job ' || p_job_name
                                        ELSE 'pandadb scheduler job ' || p_job_name || ' on host ' || p_host END);
END SCHEDULER_LOCK_KEY;
/

-- scheduler_lock_is_held: whether another session of this database holds the lock (V$LOCK, type UL).
--   p_lock_key  the lock's id
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SCHEDULER_LOCK_IS_HELD(p_lock_key IN NUMBER)
RETURN BOOLEAN
AS
BEGIN
    RETURN PANDADB_SUPPORT.lock_is_held_elsewhere(p_lock_key);
END SCHEDULER_LOCK_IS_HELD;
/

-- scheduler_run_started: try to start a run of a registry job in this session. On success the session
-- holds the job's session lock until scheduler_run_finished (or until it disconnects) and a 'running'
-- row is logged (commit it: the lock outlives the transaction on purpose).
-- outcome:  'started'   run_id is the run; execute the command, then call scheduler_run_finished
--           'busy'      another session runs the job now; retry after retry_after_seconds
--           'not_due'   a run in the lock's scope (any host for exclusive jobs) started within the
--                       period / in or after p_cron_slot; next due in retry_after_seconds (NULL: next slot)
--           'disabled'  the job is disabled in the registry
--   p_job_name   the registry job (-20003 if unknown)
--   p_host       the scheduler's host id
--   p_cron_slot  for cron-expression jobs: the UTC time of the slot being run (NULL: no due check)
--   p_force      run even if a run started recently (DBMS_SCHEDULER's job actions pass TRUE)
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.SCHEDULER_RUN_STARTED(
    p_job_name IN VARCHAR2, p_host IN VARCHAR2, p_cron_slot IN DATE DEFAULT NULL, p_force IN BOOLEAN DEFAULT FALSE,
    run_id OUT NUMBER, outcome OUT VARCHAR2, retry_after_seconds OUT NUMBER)
AS
    v_name VARCHAR2(64);
    v_schedule VARCHAR2(100);
    v_exclusive NUMBER(1);
    v_enabled NUMBER(1);
    v_period INTERVAL DAY TO SECOND;
    v_period_seconds NUMBER;
    v_lock_name VARCHAR2(300);
    v_key NUMBER;
    v_now TIMESTAMP;
    v_last_started DATE;
BEGIN
    IF p_host IS NULL OR TRIM(p_host) IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'a scheduler host id is required');
    END IF;
    BEGIN
        SELECT NAME, SCHEDULE, "EXCLUSIVE", ENABLED INTO v_name, v_schedule, v_exclusive, v_enabled
          FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS j WHERE j.NAME = p_job_name;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            RAISE_APPLICATION_ERROR(-20003, 'no scheduled job named ' || p_job_name);
    END;
    IF v_enabled = 0 THEN
        outcome := 'disabled';
        RETURN;
    END IF;
    v_period := ATLAS_PANDA.SCHEDULE_PERIOD(v_schedule);
    v_period_seconds := EXTRACT(DAY FROM v_period) * 86400 + EXTRACT(HOUR FROM v_period) * 3600
                        + EXTRACT(MINUTE FROM v_period) * 60 + EXTRACT(SECOND FROM v_period);
    v_lock_name := CASE WHEN v_exclusive = 1 THEN 'pandadb scheduler job ' || v_name
                        ELSE 'pandadb scheduler job ' || v_name || ' on host ' || p_host END;
    v_key := ATLAS_PANDA.SCHEDULER_LOCK_KEY(v_name, v_exclusive = 1, p_host);
    IF NOT PANDADB_SUPPORT.try_session_lock(v_lock_name) THEN
        outcome := 'busy';
        retry_after_seconds := LEAST(1.0, NVL(v_period_seconds, 1.0));
        RETURN;
    END IF;
    -- from here on we hold the lock: no other run in this job's scope can start or be running
    v_now := ATLAS_PANDA.SCHEDULER_UTC_NOW();
    IF NOT p_force AND (v_period IS NOT NULL OR p_cron_slot IS NOT NULL) THEN
        SELECT MAX(r.STARTED) INTO v_last_started FROM ATLAS_PANDA.PANDADB_SCHEDULER_RUNS r
         WHERE r.JOB_NAME = v_name AND (v_exclusive = 1 OR r.HOST = p_host);
        IF v_last_started >= COALESCE(CAST(v_now - v_period AS DATE), p_cron_slot) THEN
            PANDADB_SUPPORT.session_unlock(v_lock_name);
            outcome := 'not_due';
            retry_after_seconds := (v_last_started - CAST(v_now AS DATE)) * 86400 + v_period_seconds;
            RETURN;
        END IF;
    END IF;
    -- runs left 'running' by a scheduler that went away: their lock is free
    FOR r IN (SELECT RUN_ID, STARTED, LOCK_KEY FROM ATLAS_PANDA.PANDADB_SCHEDULER_RUNS
               WHERE JOB_NAME = v_name AND STATUS = 'running' FOR UPDATE) LOOP
        IF r.LOCK_KEY = v_key OR NOT ATLAS_PANDA.SCHEDULER_LOCK_IS_HELD(r.LOCK_KEY) THEN
            UPDATE ATLAS_PANDA.PANDADB_SCHEDULER_RUNS
               SET STATUS = 'abandoned', FINISHED = CAST(v_now AS DATE), DURATION = v_now - CAST(r.STARTED AS TIMESTAMP),
                   ERROR = 'the scheduler running it went away before the run ended'
             WHERE RUN_ID = r.RUN_ID;
        END IF;
    END LOOP;
    INSERT INTO ATLAS_PANDA.PANDADB_SCHEDULER_RUNS (JOB_NAME, HOST, STARTED, STATUS, LOCK_KEY)
    VALUES (v_name, p_host, CAST(v_now AS DATE), 'running', v_key)
    RETURNING RUN_ID INTO run_id;
    outcome := 'started';
END SCHEDULER_RUN_STARTED;
/

-- scheduler_run_finished: record the end of a run and release its lock.
--   p_run_id        the run (from scheduler_run_started; -20003 if unknown)
--   p_error         the error message when the command failed; NULL: it succeeded
--   p_release_lock  release the run's lock held by this session (FALSE when recording from another
--                   session because the run's session broke)
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.SCHEDULER_RUN_FINISHED(
    p_run_id IN NUMBER, p_error IN VARCHAR2 DEFAULT NULL, p_release_lock IN BOOLEAN DEFAULT TRUE)
AS
    v_now TIMESTAMP := ATLAS_PANDA.SCHEDULER_UTC_NOW();
    v_key NUMBER;
    v_released INTEGER;
BEGIN
    UPDATE ATLAS_PANDA.PANDADB_SCHEDULER_RUNS r
       SET r.FINISHED = CAST(v_now AS DATE), r.DURATION = v_now - CAST(r.STARTED AS TIMESTAMP),
           r.STATUS = CASE WHEN p_error IS NULL THEN 'succeeded' ELSE 'failed' END, r.ERROR = p_error
     WHERE r.RUN_ID = p_run_id
    RETURNING r.LOCK_KEY INTO v_key;
    IF SQL%ROWCOUNT = 0 THEN
        RAISE_APPLICATION_ERROR(-20003, 'no scheduler run ' || p_run_id);
    END IF;
    IF NVL(p_release_lock, TRUE) THEN
        v_released := DBMS_LOCK.RELEASE(id => v_key);
    END IF;
END SCHEDULER_RUN_FINISHED;
/

-- scheduler_job_status: every registry job with its last logged run, for `pandadb cron list`: a cursor
-- of (name, schedule, exclusive, enabled, description, last_host, last_started, last_finished,
-- last_duration, last_status, last_error).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SCHEDULER_JOB_STATUS
RETURN SYS_REFCURSOR
AS
    v_status SYS_REFCURSOR;
BEGIN
    OPEN v_status FOR
        SELECT j.NAME AS name, j.SCHEDULE AS schedule, j."EXCLUSIVE" AS "EXCLUSIVE", j.ENABLED AS enabled,
               j.DESCRIPTION AS description, r.HOST AS last_host, r.STARTED AS last_started, r.FINISHED AS last_finished,
               r.DURATION AS last_duration, r.STATUS AS last_status, r.ERROR AS last_error
          FROM ATLAS_PANDA.PANDADB_SCHEDULED_JOBS j
          OUTER APPLY (
                SELECT * FROM ATLAS_PANDA.PANDADB_SCHEDULER_RUNS r
                 WHERE r.JOB_NAME = j.NAME ORDER BY r.STARTED DESC, r.RUN_ID DESC FETCH FIRST 1 ROWS ONLY) r
         ORDER BY j.NAME;
    RETURN v_status;
END SCHEDULER_JOB_STATUS;
/

-- purge_scheduler_runs: delete ended runs older than gdpconfig scheduler/RUNS_KEEP_DAYS (default 7)
-- by the rules clock PANDA_NOW(). Returns the number of runs deleted.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PURGE_SCHEDULER_RUNS
RETURN NUMBER
AS
    v_keep_days NUMBER := NVL(TO_NUMBER(ATLAS_PANDA.GET_CONFIG_VALUE('scheduler', 'RUNS_KEEP_DAYS')), 7);
BEGIN
    DELETE FROM ATLAS_PANDA.PANDADB_SCHEDULER_RUNS
     WHERE STATUS <> 'running' AND STARTED < ATLAS_PANDA.PANDA_NOW() - v_keep_days;
    RETURN SQL%ROWCOUNT;
END PURGE_SCHEDULER_RUNS;
/
