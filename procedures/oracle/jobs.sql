-- PL/SQL twin of procedures/postgres/jobs.sql: the job lifecycle as stored logic (submit, activate,
-- update, kill, reassign, pilot commands, debug mode, status and description). Same routine names,
-- parameter names, rules and messages as the PL/pgSQL functions, in schema ATLAS_PANDA.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Errors: where PostgreSQL raises a SQLSTATE, the twin raises RAISE_APPLICATION_ERROR with the same message:
--   PD001 -> -20001 (not raised here)
--   PD002 -> -20002 (invalid input)
--   PD003 -> -20003 (unknown job)
--   PD004 -> -20004 (illegal state transition)
--   PD005 -> -20005 (not allowed: only in the per-job results of kill_jobs, raised by job_per_id_results)
-- A per-job result's "sqlstate" keeps the PostgreSQL code ('PD003', ...); job_per_id_results raises
-- -2000n for 'PD00n'. update_jobs_bulk reports an Oracle error as "sqlstate" 'PD00n' for -2000n and
-- 'ORA-nnnnn' otherwise, its message without the 'ORA-nnnnn: ' prefix (PostgreSQL's SQLERRM).
-- Types: jsonb parameters and results are CLOB holding JSON text (JSON_OBJECT_T / JSON_ARRAY_T inside);
-- bigint[] is SYS.ODCINUMBERLIST, text[] SYS.ODCIVARCHAR2LIST; boolean parameters and results are PL/SQL
-- BOOLEAN (python-oracledb binds Python bools to them; not callable from SQL before Oracle 23);
-- RETURNS TABLE is a SYS_REFCURSOR; timestamps are DATE (UTC), written in JSON as 'YYYY-MM-DD"T"HH24:MI:SS'.
-- A job row as JSON is what to_jsonb gives in PostgreSQL: lower-case column names
-- (PANDADB_SUPPORT.row_json_sql); rows are inserted and updated from JSON with DBMS_SQL and typed binds
-- (the twin of jsonb_populate_record). job_check_values judges a value by the column type of
-- ALL_TAB_COLUMNS: its message names the Oracle type (NUMBER(10), VARCHAR2(64)), not PostgreSQL's.
-- Oracle has no empty string ('' is NULL): coalesce(x, '') = '' tests are x IS NULL here; a missing
-- workinggroup or processingtype matches no global-share pattern (PostgreSQL matches '' against it).
-- Subtransactions (update_jobs_bulk) are savepoints. Each PL/SQL unit ends with a line holding only '/'.

-- job_precise_now: the pinned PANDADB_SUPPORT.CLOCK, else the current UTC time with fractions of a second.
-- jobs_statuslog.modiftime_extended is a DATE in Oracle: the fraction only orders within a statement.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_PRECISE_NOW
RETURN TIMESTAMP
AS
BEGIN
    RETURN NVL(CAST(PANDADB_SUPPORT.clock AS TIMESTAMP), SYS_EXTRACT_UTC(SYSTIMESTAMP));
END JOB_PRECISE_NOW;
/

-- job_table_for_status: the job table that holds jobs of a status; NULL for a word that is no job status.
--   p_job_status  a job status (seed 004 section 2.5)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_TABLE_FOR_STATUS(p_job_status IN VARCHAR2)
RETURN VARCHAR2 DETERMINISTIC
AS
BEGIN
    RETURN CASE
        WHEN p_job_status IN ('defined', 'assigned') THEN 'jobsdefined4'
        WHEN p_job_status IN ('waiting', 'pending') THEN 'jobswaiting4'
        WHEN p_job_status IN ('activated', 'throttled', 'sent', 'starting', 'running', 'holding', 'merging',
                              'transferring') THEN 'jobsactive4'
        WHEN p_job_status IN ('finished', 'failed', 'cancelled', 'closed') THEN 'jobsarchived4'
    END;
END JOB_TABLE_FOR_STATUS;
/

-- job_table_columns: the column names of an ATLAS_PANDA table, lower case, in table order.
--   p_table  the table name without schema (e.g. 'jobsactive4', 'filestable4')
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_TABLE_COLUMNS(p_table IN VARCHAR2)
RETURN SYS.ODCIVARCHAR2LIST
AS
BEGIN
    RETURN PANDADB_SUPPORT.column_names('ATLAS_PANDA', p_table);
END JOB_TABLE_COLUMNS;
/

-- job_check_values: refuse (-20002) values that do not fit the columns of an ATLAS_PANDA table, naming
-- the key: numbers for NUMBER columns (integers for NUMBER(p), within p digits), dates for DATE, at most
-- n characters for VARCHAR2(n); JSON objects and arrays are refused for every column. Keys that are
-- no column are ignored (as jsonb_populate_record ignores them).
--   p_table   the table whose column types judge the values
--   p_values  {column: value} (JSON text)
--   p_what    what the values are, for the message (e.g. 'job spec 2')
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOB_CHECK_VALUES(p_table IN VARCHAR2, p_values IN CLOB, p_what IN VARCHAR2)
AS
    v_values JSON_OBJECT_T := JSON_OBJECT_T.parse(p_values);
    v_keys SYS.ODCIVARCHAR2LIST := PANDADB_SUPPORT.sorted_keys(v_values);
    v_type VARCHAR2(100);
BEGIN
    FOR i IN 1 .. v_keys.COUNT LOOP
        IF PANDADB_SUPPORT.member_type(v_values, v_keys(i)) IN ('object', 'array') THEN
            RAISE_APPLICATION_ERROR(-20002, p_what || ': ' || v_keys(i) || ' must be a single value, not a JSON '
                                            || PANDADB_SUPPORT.member_type(v_values, v_keys(i)));
        END IF;
    END LOOP;
    FOR i IN 1 .. v_keys.COUNT LOOP
        v_type := PANDADB_SUPPORT.column_type('ATLAS_PANDA', p_table, v_keys(i));
        IF v_type IS NOT NULL AND NOT PANDADB_SUPPORT.value_fits(v_type, v_values.get(v_keys(i))) THEN
            RAISE_APPLICATION_ERROR(-20002, p_what || ': ' || v_keys(i) || ' = ' || v_values.get(v_keys(i)).to_string()
                                            || ' does not fit its type ' || v_type);
        END IF;
    END LOOP;
END JOB_CHECK_VALUES;
/

-- job_integral_numbers: JSON numbers with an integral value (1000.0, as JSON encoders of floats write
-- them) made integers for the integer columns (NUMBER(p)) of an ATLAS_PANDA table; other values as given.
--   p_table   the table whose column types apply
--   p_values  {column: value}
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_INTEGRAL_NUMBERS(p_table IN VARCHAR2, p_values IN CLOB)
RETURN CLOB
AS
    v_values JSON_OBJECT_T := JSON_OBJECT_T.parse(NVL(p_values, TO_CLOB('{}')));
    v_keys SYS.ODCIVARCHAR2LIST := PANDADB_SUPPORT.sorted_keys(v_values);
    v_number NUMBER;
BEGIN
    FOR i IN 1 .. v_keys.COUNT LOOP
        IF PANDADB_SUPPORT.member_type(v_values, v_keys(i)) = 'number'
           AND REGEXP_LIKE(PANDADB_SUPPORT.column_type('ATLAS_PANDA', p_table, v_keys(i)), '^NUMBER\([0-9]+\)$') THEN
            v_number := v_values.get_number(v_keys(i));
            IF v_number = TRUNC(v_number) THEN
                v_values.put(v_keys(i), TRUNC(v_number));
            END IF;
        END IF;
    END LOOP;
    RETURN v_values.to_clob();
END JOB_INTEGRAL_NUMBERS;
/

-- job_lock: find a job and lock its row (FOR UPDATE). Returns its table and the row as JSON, both
-- NULL when no job has that PandaID. Final (archived) rows never change and are read without a lock.
-- A procedure with two OUT parameters: PostgreSQL's function with OUT job_table, OUT job.
--   p_pandaid  the PandaID
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOB_LOCK(p_pandaid IN NUMBER, job_table OUT VARCHAR2, job OUT CLOB)
AS
    TYPE table_list IS VARRAY(4) OF VARCHAR2(30);
    -- the live tables in the direction jobs move, then the archive
    c_tables CONSTANT table_list := table_list('jobswaiting4', 'jobsdefined4', 'jobsactive4', 'jobsarchived4');
    v_row CLOB;
BEGIN
    -- twice: a job moved by a transaction that commits between two of the statements is found on the second pass
    FOR pass IN 1 .. 2 LOOP
        FOR t IN 1 .. c_tables.COUNT LOOP
            BEGIN
                EXECUTE IMMEDIATE 'SELECT ' || PANDADB_SUPPORT.row_json_sql('ATLAS_PANDA', c_tables(t), 'j')
                    || ' FROM ATLAS_PANDA.' || UPPER(c_tables(t)) || ' j WHERE j.PANDAID = :1'
                    || CASE WHEN c_tables(t) = 'jobsarchived4'
                            THEN ' ORDER BY j.MODIFICATIONTIME DESC FETCH FIRST 1 ROWS ONLY'
                            ELSE ' FOR UPDATE' END
                    INTO v_row USING p_pandaid;
                job_table := c_tables(t);
                job := v_row;
                RETURN;
            EXCEPTION
                WHEN NO_DATA_FOUND THEN
                    NULL;
            END;
        END LOOP;
    END LOOP;
    job_table := NULL;
    job := NULL;
END JOB_LOCK;
/

-- job_log_status: one jobs_statuslog row for a job row in its (new) status.
--   p_job  the job row as JSON (pandaid, modificationtime, jobstatus, prodsourcelabel, cloud, computingsite, modificationhost)
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOB_LOG_STATUS(p_job IN CLOB)
AS
    -- JSON_OBJECT_T is a PL/SQL type: its values are read into variables before the SQL statement
    v_job JSON_OBJECT_T := JSON_OBJECT_T.parse(p_job);
    v_pandaid NUMBER := PANDADB_SUPPORT.member_number(v_job, 'pandaid');
    v_modified DATE := PANDADB_SUPPORT.to_date_value(PANDADB_SUPPORT.member_text(v_job, 'modificationtime'));
    v_status VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    v_label VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'prodsourcelabel');
    v_cloud VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'cloud');
    v_site VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'computingsite');
    v_host VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'modificationhost');
BEGIN
    INSERT INTO ATLAS_PANDA.JOBS_STATUSLOG (PANDAID, MODIFICATIONTIME, JOBSTATUS, PRODSOURCELABEL, CLOUD, COMPUTINGSITE,
                                           MODIFICATIONHOST, MODIFTIME_EXTENDED)
    VALUES (v_pandaid, v_modified, v_status, v_label, v_cloud, v_site, v_host, ATLAS_PANDA.JOB_PRECISE_NOW());
END JOB_LOG_STATUS;
/

-- job_insert_row: insert a row given as JSON into an ATLAS_PANDA table; keys that are no column of the
-- table are ignored, absent columns take their defaults.
--   p_table  the table name without schema
--   p_row    {column: value}
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOB_INSERT_ROW(p_table IN VARCHAR2, p_row IN CLOB)
AS
    v_row JSON_OBJECT_T := JSON_OBJECT_T.parse(p_row);
    v_columns SYS.ODCIVARCHAR2LIST := ATLAS_PANDA.JOB_TABLE_COLUMNS(p_table);
    v_names VARCHAR2(32767);
    v_binds VARCHAR2(32767);
    v_cursor INTEGER;
    v_done INTEGER;
BEGIN
    FOR i IN 1 .. v_columns.COUNT LOOP
        IF v_row.has(v_columns(i)) THEN
            v_names := v_names || CASE WHEN v_names IS NOT NULL THEN ', ' END || '"' || UPPER(v_columns(i)) || '"';
            v_binds := v_binds || CASE WHEN v_binds IS NOT NULL THEN ', ' END || ':b' || i;
        END IF;
    END LOOP;
    v_cursor := DBMS_SQL.OPEN_CURSOR;
    BEGIN
        DBMS_SQL.PARSE(v_cursor, 'INSERT INTO ATLAS_PANDA.' || DBMS_ASSERT.SIMPLE_SQL_NAME(UPPER(p_table))
                                 || ' (' || v_names || ') VALUES (' || v_binds || ')', DBMS_SQL.NATIVE);
        FOR i IN 1 .. v_columns.COUNT LOOP
            IF v_row.has(v_columns(i)) THEN
                PANDADB_SUPPORT.bind_value(v_cursor, ':b' || i,
                    PANDADB_SUPPORT.column_type('ATLAS_PANDA', p_table, v_columns(i)), v_row.get(v_columns(i)));
            END IF;
        END LOOP;
        v_done := DBMS_SQL.EXECUTE(v_cursor);
        DBMS_SQL.CLOSE_CURSOR(v_cursor);
    EXCEPTION
        WHEN OTHERS THEN
            IF DBMS_SQL.IS_OPEN(v_cursor) THEN
                DBMS_SQL.CLOSE_CURSOR(v_cursor);
            END IF;
            RAISE;
    END;
END JOB_INSERT_ROW;
/

-- job_update_row: set columns of one job row; logs the status when p_changes holds 'jobstatus'
-- (callers include it only when the status changes). Returns the updated row.
--   p_table    the job table holding the (locked) row
--   p_pandaid  the PandaID
--   p_changes  {column: new value}; a JSON null sets the column to NULL
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_UPDATE_ROW(p_table IN VARCHAR2, p_pandaid IN NUMBER, p_changes IN CLOB)
RETURN CLOB
AS
    v_changes JSON_OBJECT_T := JSON_OBJECT_T.parse(p_changes);
    v_columns SYS.ODCIVARCHAR2LIST := ATLAS_PANDA.JOB_TABLE_COLUMNS(p_table);
    v_assignments VARCHAR2(32767);
    v_cursor INTEGER;
    v_updated INTEGER := 0;
    v_row CLOB;
BEGIN
    FOR i IN 1 .. v_columns.COUNT LOOP
        IF v_changes.has(v_columns(i)) AND v_columns(i) <> 'pandaid' THEN
            v_assignments := v_assignments || CASE WHEN v_assignments IS NOT NULL THEN ', ' END
                             || '"' || UPPER(v_columns(i)) || '" = :b' || i;
        END IF;
    END LOOP;
    IF v_assignments IS NOT NULL THEN
        v_cursor := DBMS_SQL.OPEN_CURSOR;
        BEGIN
            DBMS_SQL.PARSE(v_cursor, 'UPDATE ATLAS_PANDA.' || DBMS_ASSERT.SIMPLE_SQL_NAME(UPPER(p_table))
                                     || ' j SET ' || v_assignments || ' WHERE j.PANDAID = :pandaid', DBMS_SQL.NATIVE);
            FOR i IN 1 .. v_columns.COUNT LOOP
                IF v_changes.has(v_columns(i)) AND v_columns(i) <> 'pandaid' THEN
                    PANDADB_SUPPORT.bind_value(v_cursor, ':b' || i,
                        PANDADB_SUPPORT.column_type('ATLAS_PANDA', p_table, v_columns(i)), v_changes.get(v_columns(i)));
                END IF;
            END LOOP;
            DBMS_SQL.BIND_VARIABLE(v_cursor, ':pandaid', p_pandaid);
            v_updated := DBMS_SQL.EXECUTE(v_cursor);
            DBMS_SQL.CLOSE_CURSOR(v_cursor);
        EXCEPTION
            WHEN OTHERS THEN
                IF DBMS_SQL.IS_OPEN(v_cursor) THEN
                    DBMS_SQL.CLOSE_CURSOR(v_cursor);
                END IF;
                RAISE;
        END;
    END IF;
    BEGIN
        EXECUTE IMMEDIATE 'SELECT ' || PANDADB_SUPPORT.row_json_sql('ATLAS_PANDA', p_table, 'j')
            || ' FROM ATLAS_PANDA.' || DBMS_ASSERT.SIMPLE_SQL_NAME(UPPER(p_table)) || ' j WHERE j.PANDAID = :1'
            INTO v_row USING p_pandaid;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_row := NULL;
    END;
    IF v_row IS NULL OR (v_assignments IS NOT NULL AND v_updated = 0) THEN
        RAISE_APPLICATION_ERROR(-20003, 'job ' || p_pandaid || ' is not in ' || p_table);
    END IF;
    IF v_changes.has('jobstatus') THEN
        ATLAS_PANDA.JOB_LOG_STATUS(v_row);
    END IF;
    RETURN v_row;
END JOB_UPDATE_ROW;
/

-- job_move_row: move one job row to another job table (read, DELETE, INSERT), applying p_changes on
-- the way, and log its status. Returns the row as inserted.
--   p_from, p_to  the job tables
--   p_pandaid     the PandaID (its row should be locked by the caller)
--   p_changes     {column: new value}, normally with the new 'jobstatus'
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_MOVE_ROW(p_from IN VARCHAR2, p_to IN VARCHAR2, p_pandaid IN NUMBER,
                                                   p_changes IN CLOB)
RETURN CLOB
AS
    v_text CLOB;
    v_row JSON_OBJECT_T;
BEGIN
    BEGIN
        EXECUTE IMMEDIATE 'SELECT ' || PANDADB_SUPPORT.row_json_sql('ATLAS_PANDA', p_from, 'j')
            || ' FROM ATLAS_PANDA.' || DBMS_ASSERT.SIMPLE_SQL_NAME(UPPER(p_from)) || ' j WHERE j.PANDAID = :1 FOR UPDATE'
            INTO v_text USING p_pandaid;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_text := NULL;
    END;
    IF v_text IS NULL THEN
        RAISE_APPLICATION_ERROR(-20003, 'job ' || p_pandaid || ' is not in ' || p_from);
    END IF;
    EXECUTE IMMEDIATE 'DELETE FROM ATLAS_PANDA.' || DBMS_ASSERT.SIMPLE_SQL_NAME(UPPER(p_from)) || ' j WHERE j.PANDAID = :1'
        USING p_pandaid;
    v_row := JSON_OBJECT_T.parse(v_text);
    PANDADB_SUPPORT.merge_members(v_row, JSON_OBJECT_T.parse(p_changes));
    ATLAS_PANDA.JOB_INSERT_ROW(p_to, v_row.to_clob());
    ATLAS_PANDA.JOB_LOG_STATUS(v_row.to_clob());
    RETURN v_row.to_clob();
END JOB_MOVE_ROW;
/

-- job_is_epoch: true when a job timestamp is unset (NULL or the tables' default 1970-01-01).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_IS_EPOCH(p_value IN VARCHAR2)
RETURN BOOLEAN
AS
BEGIN
    RETURN p_value IS NULL OR PANDADB_SUPPORT.to_date_value(p_value) <= DATE '1970-01-01';
END JOB_IS_EPOCH;
/

-- job_has_flag: true when a job's specialhandling (comma-separated items) holds an item.
--   p_special_handling  the specialhandling column
--   p_items             the item spellings that mean the flag (e.g. SYS.ODCIVARCHAR2LIST('dm', 'debug'))
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_HAS_FLAG(p_special_handling IN VARCHAR2, p_items IN SYS.ODCIVARCHAR2LIST)
RETURN BOOLEAN
AS
BEGIN
    IF p_special_handling IS NULL OR p_items IS NULL THEN
        RETURN FALSE;
    END IF;
    FOR i IN 1 .. p_items.COUNT LOOP
        IF INSTR(',' || p_special_handling || ',', ',' || p_items(i) || ',') > 0 THEN
            RETURN TRUE;
        END IF;
    END LOOP;
    RETURN FALSE;
END JOB_HAS_FLAG;
/

-- job_finalize: move a job to jobsarchived4 in a final status (finished, failed, cancelled, closed),
-- as PanDA's archiveJob does: the row with p_changes applied (modification/state-change time now, end
-- time now unless known), its output and log files 'ready' (finished) or 'failed', the modification time
-- of its parameters and metadata rows set to the job's (they are archived with its partition; filestable4
-- rows stay where they are), the task's file counters. A failed job is judged by the retry rules
-- (retry.sql) and may get a new attempt. Returns the archived row with "retry" (the decision) added.
--   p_from           the job table the (locked) row is in
--   p_job            the row as JSON
--   p_changes        {column: value}, with the final 'jobstatus'
--   p_new_pandaid    the new attempt already made for this job (reassign), if any
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_FINALIZE(p_from IN VARCHAR2, p_job IN CLOB, p_changes IN CLOB,
                                                   p_new_pandaid IN NUMBER DEFAULT NULL)
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_job JSON_OBJECT_T := JSON_OBJECT_T.parse(p_job);
    v_final_changes JSON_OBJECT_T := JSON_OBJECT_T.parse(p_changes);
    v_pandaid NUMBER := PANDADB_SUPPORT.member_number(v_job, 'pandaid');
    v_status VARCHAR2(64) := PANDADB_SUPPORT.member_text(v_final_changes, 'jobstatus');
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_row JSON_OBJECT_T;
    v_retry JSON_OBJECT_T;
    v_modified DATE;
BEGIN
    IF NVL(ATLAS_PANDA.JOB_TABLE_FOR_STATUS(v_status), '-') <> 'jobsarchived4' THEN
        RAISE_APPLICATION_ERROR(-20004, 'job_finalize: ' || v_status || ' is not a final status');
    END IF;
    v_changes.put('modificationtime', PANDADB_SUPPORT.date_text(v_now));
    v_changes.put('statechangetime', PANDADB_SUPPORT.date_text(v_now));
    IF ATLAS_PANDA.JOB_IS_EPOCH(PANDADB_SUPPORT.member_text(v_job, 'endtime')) THEN
        v_changes.put('endtime', PANDADB_SUPPORT.date_text(v_now));
    END IF;
    PANDADB_SUPPORT.merge_members(v_changes, v_final_changes);
    v_row := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_MOVE_ROW(p_from, 'jobsarchived4', v_pandaid, v_changes.to_clob()));
    UPDATE ATLAS_PANDA.FILESTABLE4
       SET STATUS = CASE WHEN v_status = 'finished' THEN 'ready' ELSE 'failed' END
     WHERE PANDAID = v_pandaid AND "TYPE" IN ('output', 'log');
    v_modified := PANDADB_SUPPORT.to_date_value(PANDADB_SUPPORT.member_text(v_row, 'modificationtime'));
    UPDATE ATLAS_PANDA.JOBPARAMSTABLE SET MODIFICATIONTIME = v_modified WHERE PANDAID = v_pandaid;
    UPDATE ATLAS_PANDA.METATABLE SET MODIFICATIONTIME = v_modified WHERE PANDAID = v_pandaid;
    IF v_status = 'failed' AND p_new_pandaid IS NULL THEN
        v_retry := JSON_OBJECT_T.parse(ATLAS_PANDA.APPLY_RETRY_RULES(v_row.to_clob()));
    END IF;
    ATLAS_PANDA.JOB_UPDATE_TASK_COUNTERS(v_row.to_clob(),
        NVL(p_new_pandaid, CASE WHEN v_retry IS NOT NULL THEN PANDADB_SUPPORT.member_number(v_retry, 'new_pandaid') END));
    IF v_retry IS NULL THEN
        v_row.put_null('retry');
    ELSE
        v_row.put('retry', v_retry);
    END IF;
    RETURN v_row.to_clob();
END JOB_FINALIZE;
/

-- job_update_task_counters: the JEDI bookkeeping of a job that reached a final status. When the job has
-- a jeditaskid, its files' jedi_dataset_contents rows become 'finished' (finished job) or 'failed' (input
-- files of a job that ended otherwise) and jedi_datasets.nfilesfinished / nfilesfailed count them; when a
-- new attempt takes over the work, its input files are handed to the new PandaID instead (attemptnr + 1).
--   p_job          the archived job row as JSON
--   p_new_pandaid  the new attempt's PandaID, or NULL
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOB_UPDATE_TASK_COUNTERS(p_job IN CLOB, p_new_pandaid IN NUMBER)
AS
    TYPE count_by_key IS TABLE OF PLS_INTEGER INDEX BY VARCHAR2(60);
    v_job JSON_OBJECT_T := JSON_OBJECT_T.parse(p_job);
    v_task_id NUMBER := PANDADB_SUPPORT.member_number(v_job, 'jeditaskid');
    v_pandaid NUMBER := PANDADB_SUPPORT.member_number(v_job, 'pandaid');
    v_status VARCHAR2(64) := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    v_finished NUMBER(1) := CASE WHEN v_status = 'finished' THEN 1 ELSE 0 END;
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_tasks SYS.ODCINUMBERLIST;
    v_datasets SYS.ODCINUMBERLIST;
    v_counts count_by_key;
    v_key VARCHAR2(60);
BEGIN
    IF v_task_id IS NULL THEN
        RETURN;
    END IF;
    IF p_new_pandaid IS NOT NULL THEN
        UPDATE ATLAS_PANDA.JEDI_DATASET_CONTENTS c
           SET c.PANDAID = p_new_pandaid, c.ATTEMPTNR = NVL(c.ATTEMPTNR, 0) + 1,
               c.FAILEDATTEMPT = NVL(c.FAILEDATTEMPT, 0) + CASE WHEN v_status = 'failed' THEN 1 ELSE 0 END
         WHERE EXISTS (SELECT 1 FROM ATLAS_PANDA.FILESTABLE4 f
                        WHERE f.PANDAID = v_pandaid AND f."TYPE" IN ('input', 'pseudo_input')
                          AND c.JEDITASKID = f.JEDITASKID AND c.DATASETID = f.DATASETID AND c.FILEID = f.FILEID);
        RETURN;
    END IF;
    -- lock the datasets in one order: concurrent jobs of a task update the same counters
    FOR d IN (SELECT d.DATASETID FROM ATLAS_PANDA.JEDI_DATASETS d
               WHERE d.JEDITASKID = v_task_id
                 AND d.DATASETID IN (SELECT f.DATASETID FROM ATLAS_PANDA.FILESTABLE4 f WHERE f.PANDAID = v_pandaid)
               ORDER BY d.DATASETID
                 FOR UPDATE) LOOP
        NULL;
    END LOOP;
    UPDATE ATLAS_PANDA.JEDI_DATASET_CONTENTS c
       SET c.STATUS = CASE WHEN v_finished = 1 THEN 'finished' ELSE 'failed' END,
           c.FAILEDATTEMPT = NVL(c.FAILEDATTEMPT, 0) + CASE WHEN v_finished = 1 THEN 0 ELSE 1 END
     WHERE EXISTS (SELECT 1 FROM ATLAS_PANDA.FILESTABLE4 f
                    WHERE f.PANDAID = v_pandaid AND (v_finished = 1 OR f."TYPE" IN ('input', 'pseudo_input'))
                      AND c.JEDITASKID = f.JEDITASKID AND c.DATASETID = f.DATASETID AND c.FILEID = f.FILEID)
       AND c.STATUS NOT IN ('finished', 'failed')
    RETURNING c.JEDITASKID, c.DATASETID BULK COLLECT INTO v_tasks, v_datasets;
    FOR i IN 1 .. v_tasks.COUNT LOOP
        v_key := v_tasks(i) || ':' || v_datasets(i);
        v_counts(v_key) := CASE WHEN v_counts.EXISTS(v_key) THEN v_counts(v_key) ELSE 0 END + 1;
    END LOOP;
    v_key := v_counts.FIRST;
    WHILE v_key IS NOT NULL LOOP
        UPDATE ATLAS_PANDA.JEDI_DATASETS d
           SET d.NFILESFINISHED = NVL(d.NFILESFINISHED, 0) + CASE WHEN v_finished = 1 THEN v_counts(v_key) ELSE 0 END,
               d.NFILESFAILED = NVL(d.NFILESFAILED, 0) + CASE WHEN v_finished = 1 THEN 0 ELSE v_counts(v_key) END,
               d.MODIFICATIONTIME = v_now
         WHERE d.JEDITASKID = TO_NUMBER(SUBSTR(v_key, 1, INSTR(v_key, ':') - 1))
           AND d.DATASETID = TO_NUMBER(SUBSTR(v_key, INSTR(v_key, ':') + 1));
        v_key := v_counts.NEXT(v_key);
    END LOOP;
END JOB_UPDATE_TASK_COUNTERS;
/

-- job_global_share: the leaf global share a new job is tagged with (seed 004 section 14.2): the most
-- specific leaf of ATLAS_PANDA.GLOBAL_SHARES whose regular expressions (prodsourcelabel, workinggroup,
-- processingtype) match the job's attributes in full and whose vo, when set, is the job's; NULL when none.
--   p_job  the job spec as JSON (lower-case column names)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_GLOBAL_SHARE(p_job IN CLOB)
RETURN VARCHAR2
AS
    v_job JSON_OBJECT_T := JSON_OBJECT_T.parse(p_job);
    v_label VARCHAR2(4000) := NVL(PANDADB_SUPPORT.member_text(v_job, 'prodsourcelabel'), 'managed');
    v_group VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'workinggroup');
    v_type VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'processingtype');
    v_vo VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'vo');
    v_share VARCHAR2(32);
BEGIN
    SELECT s.NAME INTO v_share
      FROM ATLAS_PANDA.GLOBAL_SHARES s
     WHERE NOT EXISTS (SELECT 1 FROM ATLAS_PANDA.GLOBAL_SHARES c WHERE c.PARENT = s.NAME)
       AND (s.PRODSOURCELABEL IS NULL OR REGEXP_LIKE(v_label, '^(' || s.PRODSOURCELABEL || ')$'))
       AND (s.WORKINGGROUP IS NULL OR REGEXP_LIKE(v_group, '^(' || s.WORKINGGROUP || ')$'))
       AND (s.PROCESSINGTYPE IS NULL OR REGEXP_LIKE(v_type, '^(' || s.PROCESSINGTYPE || ')$'))
       AND (s.VO IS NULL OR v_vo IS NULL OR s.VO = v_vo)
     ORDER BY NVL2(s.PRODSOURCELABEL, 1, 0) + NVL2(s.WORKINGGROUP, 1, 0) + NVL2(s.PROCESSINGTYPE, 1, 0) DESC, s.NAME
     FETCH FIRST 1 ROWS ONLY;
    RETURN v_share;
EXCEPTION
    WHEN NO_DATA_FOUND THEN
        RETURN NULL;
END JOB_GLOBAL_SHARE;
/

-- job_resource_type: the resource type (ATLAS_PANDA.RESOURCE_TYPES) of a job's cores and memory:
-- the first type whose core and memory-per-core bounds hold, 'Undefined' (the catch-all) otherwise.
--   p_core_count   the job's corecount (NULL = 1)
--   p_min_ram      the job's minramcount in MB (NULL = 0)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_RESOURCE_TYPE(p_core_count IN NUMBER, p_min_ram IN NUMBER)
RETURN VARCHAR2
AS
    v_cores NUMBER := GREATEST(NVL(p_core_count, 1), 1);
    v_ram NUMBER := NVL(p_min_ram, 0);
    v_name VARCHAR2(56);
BEGIN
    -- integer division, as PostgreSQL divides bigints
    SELECT r.RESOURCE_NAME INTO v_name
      FROM ATLAS_PANDA.RESOURCE_TYPES r
     WHERE r.RESOURCE_NAME <> 'Undefined'
       AND NVL(r.MINCORE, 1) <= v_cores AND (r.MAXCORE IS NULL OR v_cores <= r.MAXCORE)
       AND (r.MINRAMPERCORE IS NULL OR TRUNC(v_ram / v_cores) >= r.MINRAMPERCORE)
       AND (r.MAXRAMPERCORE IS NULL OR TRUNC(v_ram / v_cores) <= r.MAXRAMPERCORE)
     ORDER BY r.RESOURCE_NAME
     FETCH FIRST 1 ROWS ONLY;
    RETURN v_name;
EXCEPTION
    WHEN NO_DATA_FOUND THEN
        RETURN 'Undefined';
END JOB_RESOURCE_TYPE;
/

-- job_insert_files: the files of a new job (filestable4), in the given order (row_id follows it).
-- Keys are filestable4 column names, case-insensitive (FileSpec spellings: lfn, GUID, type, dataset,
-- scope, fsize, checksum, status, prodDBlock, dispatchDBlock, destinationDBlock, destinationSE, ...);
-- lfn and type are required. Input files default to status 'ready' (their data is in place: this
-- system moves no data), output and log files to 'unknown'.
--   p_pandaid  the new job's PandaID
--   p_files    a JSON array of file objects (or NULL)
--   p_job      the job row as JSON (its jeditaskid is the files' default)
--   p_now      the creation time
--   p_what     the job spec, for messages
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_INSERT_FILES(p_pandaid IN NUMBER, p_files IN CLOB, p_job IN CLOB,
                                                       p_now IN DATE, p_what IN VARCHAR2)
RETURN NUMBER
AS
    v_element JSON_ELEMENT_T;
    v_files JSON_ARRAY_T;
    v_job JSON_OBJECT_T := JSON_OBJECT_T.parse(p_job);
    v_file JSON_OBJECT_T;
    v_row JSON_OBJECT_T;
    v_what VARCHAR2(4000);
    v_unknown VARCHAR2(32767);
    v_allowed SYS.ODCIVARCHAR2LIST;
    v_count NUMBER := 0;
BEGIN
    IF p_files IS NULL THEN
        RETURN 0;
    END IF;
    v_element := JSON_ELEMENT_T.parse(p_files);
    IF v_element.is_null() THEN
        RETURN 0;
    END IF;
    IF NOT v_element.is_array() THEN
        RAISE_APPLICATION_ERROR(-20002, p_what || ': files must be a JSON array of file objects');
    END IF;
    SELECT COLUMN_VALUE BULK COLLECT INTO v_allowed FROM TABLE(ATLAS_PANDA.JOB_TABLE_COLUMNS('filestable4'))
     WHERE COLUMN_VALUE NOT IN ('row_id', 'pandaid', 'modificationtime');
    v_files := TREAT(v_element AS JSON_ARRAY_T);
    FOR i IN 0 .. v_files.get_size() - 1 LOOP
        v_what := p_what || ' file ' || (i + 1);
        IF NOT v_files.get(i).is_object() THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': must be a JSON object');
        END IF;
        v_file := PANDADB_SUPPORT.lower_keys(TREAT(v_files.get(i) AS JSON_OBJECT_T));
        v_unknown := PANDADB_SUPPORT.unknown_keys(v_file, v_allowed);
        IF v_unknown IS NOT NULL THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': unknown keys ' || v_unknown
                                            || ' (file keys are filestable4 column names)');
        END IF;
        IF PANDADB_SUPPORT.member_text(v_file, 'lfn') IS NULL THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': lfn is required');
        END IF;
        IF NVL(PANDADB_SUPPORT.member_text(v_file, 'type'), '-') NOT IN ('input', 'output', 'log', 'pseudo_input', 'lib',
                                                                         'zipinput', 'zipoutput', 'trn_log', 'trn_output') THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': type ' || NVL(PANDADB_SUPPORT.member_text(v_file, 'type'), 'NULL')
                || ' is not one of input, output, log, pseudo_input, lib, zipinput, zipoutput, trn_log, trn_output');
        END IF;
        v_row := JSON_OBJECT_T();
        v_row.put('status', CASE WHEN PANDADB_SUPPORT.member_text(v_file, 'type') = 'input' THEN 'ready' ELSE 'unknown' END);
        IF PANDADB_SUPPORT.member_type(v_job, 'jeditaskid') NOT IN ('null') THEN
            v_row.put('jeditaskid', v_job.get('jeditaskid'));
        END IF;
        PANDADB_SUPPORT.merge_members(v_row, v_file);
        v_row.put('row_id', ATLAS_PANDA.FILESTABLE4_ROW_ID_SEQ.NEXTVAL);
        v_row.put('pandaid', p_pandaid);
        v_row.put('modificationtime', PANDADB_SUPPORT.date_text(p_now));
        v_row := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_INTEGRAL_NUMBERS('filestable4', v_row.to_clob()));
        ATLAS_PANDA.JOB_CHECK_VALUES('filestable4', v_row.to_clob(), v_what);
        ATLAS_PANDA.JOB_INSERT_ROW('filestable4', v_row.to_clob());
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END JOB_INSERT_FILES;
/

-- submit_jobs: insert new jobs (REST job/submit). Each spec's keys are job table column names,
-- case-insensitive (JobSpec spellings computingSite, prodSourceLabel, ... work), plus "jobParameters"
-- (stored in jobparamstable), "metadata" (metatable) and "files" (a list of filestable4 objects).
-- The status (default 'defined') picks the table: defined/assigned -> jobsdefined4, waiting/pending ->
-- jobswaiting4, activated/throttled -> jobsactive4. The server sets PandaID (JOBSDEFINED4_PANDAID_SEQ),
-- creation/modification/state-change times; defaults: produsername/produserid = p_submitter,
-- currentpriority = assignedpriority, gshare = the matching leaf share (job_global_share), resource_type
-- from corecount and minramcount. Unknown keys or values of the wrong type: -20002 naming them, nothing
-- written. Returns [{"PandaID", "jobName", "jobStatus"}, ...] in input order.
--   p_job_specs  a JSON array of job objects
--   p_submitter  the authenticated submitter (user name), or NULL
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SUBMIT_JOBS(p_job_specs IN CLOB, p_submitter IN VARCHAR2 DEFAULT NULL)
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_job_columns SYS.ODCIVARCHAR2LIST := ATLAS_PANDA.JOB_TABLE_COLUMNS('jobsdefined4');
    v_element JSON_ELEMENT_T;
    v_specs JSON_ARRAY_T;
    v_what VARCHAR2(100);
    v_job JSON_OBJECT_T;
    v_defaults JSON_OBJECT_T;
    v_unknown VARCHAR2(32767);
    v_status VARCHAR2(64);
    v_table VARCHAR2(30);
    v_pandaid NUMBER;
    v_parameters JSON_ELEMENT_T;
    v_metadata JSON_ELEMENT_T;
    v_files JSON_ELEMENT_T;
    v_count PLS_INTEGER;
    v_text CLOB;
    v_answer JSON_OBJECT_T;
    v_result JSON_ARRAY_T := JSON_ARRAY_T();
BEGIN
    IF p_job_specs IS NOT NULL THEN
        v_element := JSON_ELEMENT_T.parse(p_job_specs);
    END IF;
    IF v_element IS NULL OR NOT v_element.is_array() OR TREAT(v_element AS JSON_ARRAY_T).get_size() = 0 THEN
        RAISE_APPLICATION_ERROR(-20002, 'jobs must be a non-empty JSON array of job objects');
    END IF;
    v_specs := TREAT(v_element AS JSON_ARRAY_T);
    FOR i IN 0 .. v_specs.get_size() - 1 LOOP
        v_what := 'job spec ' || (i + 1);
        IF NOT v_specs.get(i).is_object() THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': must be a JSON object');
        END IF;
        -- keys are case-insensitive; a JSON null means "not given"
        v_job := PANDADB_SUPPORT.lower_keys(TREAT(v_specs.get(i) AS JSON_OBJECT_T));
        v_parameters := v_job.get('jobparameters');
        v_metadata := v_job.get('metadata');
        v_files := v_job.get('files');
        v_job := PANDADB_SUPPORT.without_keys(v_job, SYS.ODCIVARCHAR2LIST('jobparameters', 'metadata', 'files'));
        v_unknown := PANDADB_SUPPORT.unknown_keys(v_job, v_job_columns);
        IF v_unknown IS NOT NULL THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': unknown keys ' || v_unknown
                                            || ' (keys are job table column names, jobParameters, metadata and files)');
        END IF;
        IF v_job.has('pandaid') THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': PandaID is assigned by the server; leave it out');
        END IF;
        IF (v_parameters IS NOT NULL AND NOT v_parameters.is_string())
           OR (v_metadata IS NOT NULL AND NOT v_metadata.is_string()) THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': jobParameters and metadata must be strings');
        END IF;
        v_status := NVL(PANDADB_SUPPORT.member_text(v_job, 'jobstatus'), 'defined');
        IF v_status NOT IN ('defined', 'assigned', 'waiting', 'pending', 'activated', 'throttled') THEN
            RAISE_APPLICATION_ERROR(-20002,
                v_what || ': a new job''s status must be defined, assigned, waiting, pending, activated or throttled, not '
                || v_status);
        END IF;
        v_table := ATLAS_PANDA.JOB_TABLE_FOR_STATUS(v_status);
        IF v_job.has('gshare') THEN
            SELECT COUNT(*) INTO v_count FROM ATLAS_PANDA.GLOBAL_SHARES s
             WHERE s.NAME = PANDADB_SUPPORT.member_text(v_job, 'gshare');
            IF v_count = 0 THEN
                RAISE_APPLICATION_ERROR(-20002, v_what || ': global share ' || PANDADB_SUPPORT.member_text(v_job, 'gshare')
                                                || ' does not exist (ATLAS_PANDA.GLOBAL_SHARES)');
            END IF;
        END IF;
        -- types first, so that the defaults below read valid values
        v_job := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_INTEGRAL_NUMBERS(v_table, v_job.to_clob()));
        ATLAS_PANDA.JOB_CHECK_VALUES(v_table, v_job.to_clob(), v_what);
        v_pandaid := ATLAS_PANDA.JOBSDEFINED4_PANDAID_SEQ.NEXTVAL;
        v_defaults := JSON_OBJECT_T();
        IF p_submitter IS NOT NULL THEN
            v_defaults.put('produsername', p_submitter);
            v_defaults.put('produserid', p_submitter);
        END IF;
        IF v_job.has('assignedpriority') THEN
            v_defaults.put('currentpriority', v_job.get('assignedpriority'));
        END IF;
        IF ATLAS_PANDA.JOB_GLOBAL_SHARE(v_job.to_clob()) IS NOT NULL THEN
            v_defaults.put('gshare', ATLAS_PANDA.JOB_GLOBAL_SHARE(v_job.to_clob()));
        END IF;
        v_defaults.put('resource_type', ATLAS_PANDA.JOB_RESOURCE_TYPE(PANDADB_SUPPORT.member_number(v_job, 'corecount'),
                                                                      PANDADB_SUPPORT.member_number(v_job, 'minramcount')));
        PANDADB_SUPPORT.merge_members(v_defaults, v_job);
        v_job := v_defaults;
        v_job.put('pandaid', v_pandaid);
        v_job.put('jobstatus', v_status);
        v_job.put('creationtime', PANDADB_SUPPORT.date_text(v_now));
        v_job.put('modificationtime', PANDADB_SUPPORT.date_text(v_now));
        v_job.put('statechangetime', PANDADB_SUPPORT.date_text(v_now));
        ATLAS_PANDA.JOB_CHECK_VALUES(v_table, v_job.to_clob(), v_what);
        ATLAS_PANDA.JOB_INSERT_ROW(v_table, v_job.to_clob());
        IF v_parameters IS NOT NULL THEN
            v_text := ATLAS_PANDA.JOB_TEXT_VALUE(v_parameters.to_clob());
            INSERT INTO ATLAS_PANDA.JOBPARAMSTABLE (PANDAID, MODIFICATIONTIME, JOBPARAMETERS) VALUES (v_pandaid, v_now, v_text);
        END IF;
        IF v_metadata IS NOT NULL THEN
            v_text := ATLAS_PANDA.JOB_TEXT_VALUE(v_metadata.to_clob());
            INSERT INTO ATLAS_PANDA.METATABLE (PANDAID, MODIFICATIONTIME, METADATA) VALUES (v_pandaid, v_now, v_text);
        END IF;
        v_count := ATLAS_PANDA.JOB_INSERT_FILES(v_pandaid, CASE WHEN v_files IS NOT NULL THEN v_files.to_clob() END,
                                                v_job.to_clob(), v_now, v_what);
        ATLAS_PANDA.JOB_LOG_STATUS(v_job.to_clob());
        v_answer := JSON_OBJECT_T();
        v_answer.put('PandaID', v_pandaid);
        IF v_job.has('jobname') THEN
            v_answer.put('jobName', v_job.get('jobname'));
        ELSE
            v_answer.put_null('jobName');
        END IF;
        v_answer.put('jobStatus', v_status);
        v_result.append(v_answer);
    END LOOP;
    RETURN v_result.to_clob();
END SUBMIT_JOBS;
/

-- job_per_id_results: the per-id results of activate/kill/reassign, keyed by input position, as an array
-- in input order. With a single id a refusal is raised instead (the API answers that job's error):
-- 'PD00n' is raised as -2000n; with several, each refusal is reported in its result ("sqlstate" is
-- dropped from the answer).
--   p_results  {"<position>": {... "sqlstate" when refused}, ...}
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_PER_ID_RESULTS(p_results IN CLOB)
RETURN CLOB
AS
    v_results JSON_OBJECT_T := JSON_OBJECT_T.parse(p_results);
    v_keys JSON_KEY_LIST := v_results.get_keys();
    v_ordered JSON_ARRAY_T := JSON_ARRAY_T();
    v_first JSON_OBJECT_T;
    v_code PLS_INTEGER;
    v_entry JSON_OBJECT_T;
    v_answer JSON_ARRAY_T := JSON_ARRAY_T();
BEGIN
    FOR position IN 1 .. v_keys.COUNT LOOP
        v_entry := v_results.get_object(TO_CHAR(position));
        v_ordered.append(v_entry);
    END LOOP;
    IF v_ordered.get_size() = 1 THEN
        v_first := TREAT(v_ordered.get(0) AS JSON_OBJECT_T);
        IF PANDADB_SUPPORT.member_text(v_first, 'sqlstate') IS NOT NULL THEN
            v_code := -20000 - TO_NUMBER(SUBSTR(PANDADB_SUPPORT.member_text(v_first, 'sqlstate'), 3));
            RAISE_APPLICATION_ERROR(v_code, PANDADB_SUPPORT.member_text(v_first, 'message'));
        END IF;
    END IF;
    FOR i IN 0 .. v_ordered.get_size() - 1 LOOP
        v_entry := TREAT(v_ordered.get(i) AS JSON_OBJECT_T).clone();
        v_entry.remove('sqlstate');
        v_answer.append(v_entry);
    END LOOP;
    RETURN v_answer.to_clob();
END JOB_PER_ID_RESULTS;
/

-- job_check_ids: refuse (-20002) a missing or empty list of PandaIDs.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids IN SYS.ODCINUMBERLIST)
AS
    v_nulls PLS_INTEGER := 0;
BEGIN
    IF p_pandaids IS NOT NULL THEN
        FOR i IN 1 .. p_pandaids.COUNT LOOP
            v_nulls := v_nulls + CASE WHEN p_pandaids(i) IS NULL THEN 1 ELSE 0 END;
        END LOOP;
    END IF;
    IF p_pandaids IS NULL OR p_pandaids.COUNT = 0 OR v_nulls > 0 THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_ids must be a non-empty list of PandaIDs');
    END IF;
END JOB_CHECK_IDS;
/

-- activate_job: activate one job (see activate_jobs). Returns {"job_id", "activated", "job_status",
-- "message"} and, when refused, "sqlstate".
--   p_pandaid  the PandaID
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ACTIVATE_JOB(p_pandaid IN NUMBER)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_status VARCHAR2(64);
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_missing NUMBER;
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    v_result.put('job_id', p_pandaid);
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        v_result.put('activated', FALSE);
        v_result.put_null('job_status');
        v_result.put('message', 'job ' || p_pandaid || ' not found');
        v_result.put('sqlstate', 'PD003');
        RETURN v_result.to_clob();
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    v_status := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    IF v_status NOT IN ('defined', 'assigned', 'waiting') THEN
        v_result.put('activated', FALSE);
        v_result.put('job_status', v_status);
        v_result.put('message', 'job ' || p_pandaid || ' is ' || v_status
                                || ': only defined, assigned or waiting jobs are activated');
        v_result.put('sqlstate', 'PD004');
        RETURN v_result.to_clob();
    END IF;
    SELECT COUNT(*) INTO v_missing FROM ATLAS_PANDA.FILESTABLE4 f
     WHERE f.PANDAID = p_pandaid AND f."TYPE" = 'input' AND (f.STATUS IS NULL OR f.STATUS <> 'ready');
    IF v_missing > 0 THEN
        v_result.put('activated', FALSE);
        v_result.put('job_status', v_status);
        v_result.put('message', 'job ' || p_pandaid || ' waits for ' || v_missing || ' input files to be ready');
        RETURN v_result.to_clob();
    END IF;
    v_changes.put('jobstatus', 'activated');
    v_changes.put('modificationtime', PANDADB_SUPPORT.date_text(v_now));
    v_changes.put('statechangetime', PANDADB_SUPPORT.date_text(v_now));
    v_text := ATLAS_PANDA.JOB_MOVE_ROW(v_table, 'jobsactive4', p_pandaid, v_changes.to_clob());
    v_result.put('activated', TRUE);
    v_result.put('job_status', 'activated');
    v_result.put('message', 'activated');
    RETURN v_result.to_clob();
END ACTIVATE_JOB;
/

-- activate_jobs: defined, assigned or waiting jobs -> activated (moved to jobsactive4) when their input
-- data is available: every input file has status 'ready' (or the job has no input file). A job whose
-- inputs are not ready stays as it is (activated false, not an error). Returns
-- [{"job_id", "activated", "job_status", "message"}, ...] in input order; with a single id an unknown job
-- raises -20003 and a job in another status -20004; with several ids these are reported per job.
--   p_pandaids  the PandaIDs
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ACTIVATE_JOBS(p_pandaids IN SYS.ODCINUMBERLIST)
RETURN CLOB
AS
    v_results JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids);
    -- in PandaID order: concurrent callers with overlapping lists lock jobs in the same order
    FOR x IN (SELECT id, o FROM (SELECT COLUMN_VALUE AS id, ROWNUM AS o FROM TABLE(p_pandaids)) ORDER BY id, o) LOOP
        v_results.put(TO_CHAR(x.o), JSON_OBJECT_T.parse(ATLAS_PANDA.ACTIVATE_JOB(x.id)));
    END LOOP;
    RETURN ATLAS_PANDA.JOB_PER_ID_RESULTS(v_results.to_clob());
END ACTIVATE_JOBS;
/

-- job_transition_allowed: the moves a pilot may report (seed 004 section 2.5): forward through
-- sent -> starting -> running -> holding -> merging -> transferring, to a final status (finished,
-- failed, cancelled) from any of them, and the same status again (heartbeat) except 'sent'.
--   p_from  the job's status
--   p_to    the reported status
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_TRANSITION_ALLOWED(p_from IN VARCHAR2, p_to IN VARCHAR2)
RETURN BOOLEAN
AS
    FUNCTION position_of(p_status IN VARCHAR2) RETURN PLS_INTEGER IS
    BEGIN
        RETURN CASE p_status WHEN 'sent' THEN 1 WHEN 'starting' THEN 2 WHEN 'running' THEN 3 WHEN 'holding' THEN 4
                             WHEN 'merging' THEN 5 WHEN 'transferring' THEN 6 END;
    END position_of;
BEGIN
    IF position_of(p_from) IS NULL THEN
        RETURN FALSE;
    ELSIF p_to IN ('finished', 'failed', 'cancelled') THEN
        RETURN TRUE;
    ELSIF position_of(p_to) IS NULL THEN
        RETURN FALSE;
    END IF;
    RETURN position_of(p_to) > position_of(p_from) OR (p_to = p_from AND p_from <> 'sent');
END JOB_TRANSITION_ALLOWED;
/

-- update_job_column_map: update_job's API parameters (seed 000) and the job columns they are stored in,
-- as a cursor of (api_name, column_name).
-- core_count is the core count the job used: actualcorecount, as PanDA's dispatcher stores it.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.UPDATE_JOB_COLUMN_MAP
RETURN SYS_REFCURSOR
AS
    v_map SYS_REFCURSOR;
BEGIN
    OPEN v_map FOR
        SELECT SUBSTR(COLUMN_VALUE, 1, INSTR(COLUMN_VALUE, '=') - 1) AS api_name,
               SUBSTR(COLUMN_VALUE, INSTR(COLUMN_VALUE, '=') + 1) AS column_name
          FROM TABLE(SYS.ODCIVARCHAR2LIST(
               'job_sub_status=jobsubstatus', 'start_time=starttime', 'end_time=endtime',
               'pilot_timing=pilottiming', 'node=modificationhost', 'scheduler_id=schedulerid',
               'pilot_id=pilotid', 'batch_id=batchid', 'trans_exit_code=transexitcode',
               'pilot_error_code=piloterrorcode', 'pilot_error_diag=piloterrordiag',
               'exe_error_code=exeerrorcode', 'exe_error_diag=exeerrordiag', 'n_events=nevents',
               'n_input_files=ninputfiles', 'cpu_consumption_time=cpuconsumptiontime',
               'cpu_consumption_unit=cpuconsumptionunit', 'cpu_conversion_factor=cpuconversion',
               'core_count=actualcorecount', 'mean_core_count=meancorecount',
               'max_rss=maxrss', 'max_vmem=maxvmem', 'max_swap=maxswap', 'max_pss=maxpss',
               'avg_rss=avgrss', 'avg_vmem=avgvmem', 'avg_swap=avgswap', 'avg_pss=avgpss',
               'tot_rchar=totrchar', 'tot_wchar=totwchar', 'tot_rbytes=totrbytes', 'tot_wbytes=totwbytes',
               'rate_rchar=raterchar', 'rate_wchar=ratewchar', 'rate_rbytes=raterbytes',
               'rate_wbytes=ratewbytes', 'cpu_architecture_level=cpu_architecture_level',
               'job_metrics=jobmetrics'));
    RETURN v_map;
END UPDATE_JOB_COLUMN_MAP;
/

-- job_text_value: a request value as text (strings as they are, other JSON as its text).
--   p_value  one JSON value (JSON text)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_TEXT_VALUE(p_value IN CLOB)
RETURN CLOB
AS
    v_element JSON_ELEMENT_T;
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    v_element := JSON_ELEMENT_T.parse(p_value);
    IF v_element.is_string() THEN
        RETURN JSON_OBJECT_T('{"v":' || p_value || '}').get_clob('v');
    END IF;
    RETURN v_element.to_clob();
END JOB_TEXT_VALUE;
/

-- update_job: a pilot's heartbeat and status report (REST pilot/update_job). Stores every metric of the
-- request in its job column (update_job_column_map; strings longer than their column are cut as PanDA's
-- JobSpec does), meta_data in metatable, job_metrics also in job_metrics, job_output_report in
-- job_output_report, pilot_log in pandalog (type 'pilotLog'), stdout in jobsdebug; refreshes the
-- heartbeat (modificationtime) on every call. Status moves: only forward (job_transition_allowed) and
-- only for dispatched jobs (sent ... transferring); a final status never changes; anything else is -20004
-- naming from and to, with the database unchanged. The first 'running' sets starttime (unless given).
-- A final status archives the job (job_finalize); a job told 'tobekilled' that reports 'failed' is
-- recorded 'cancelled' (it was aborted on request). A failed job is judged by the retry rules.
-- Returns {"StatusCode": 0, "command": commandtopilot, 'debug' for a job in debug mode, or "NULL"}.
--   p_pandaid     the PandaID
--   p_job_status  the reported status, NULL for a pure heartbeat
--   p_request     the other update_job API parameters by their API names (job_sub_status, start_time, ...)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.UPDATE_JOB(p_pandaid IN NUMBER, p_job_status IN VARCHAR2, p_request IN CLOB)
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_what VARCHAR2(100) := 'update_job of job ' || p_pandaid;
    v_element JSON_ELEMENT_T;
    v_request JSON_OBJECT_T := JSON_OBJECT_T();
    v_allowed SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('job_id', 'job_status', 'attempt_nr', 'site_name',
        'corrupted_files', 'job_output_report', 'pilot_log', 'meta_data', 'stdout', 'timeout');
    v_map SYS_REFCURSOR;
    v_api_name VARCHAR2(100);
    v_column VARCHAR2(100);
    v_type VARCHAR2(100);
    v_unknown VARCHAR2(32767);
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_check JSON_OBJECT_T;
    v_table VARCHAR2(30);
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_from VARCHAR2(64);
    v_to VARCHAR2(64) := p_job_status;
    v_row JSON_OBJECT_T;
    v_final BOOLEAN;
    v_command VARCHAR2(4000);
    v_text_value CLOB;
    v_attemptnr NUMBER;
    v_row_status VARCHAR2(64);
    v_row_label VARCHAR2(64);
    v_row_task NUMBER;
    v_answer JSON_OBJECT_T := JSON_OBJECT_T();

    FUNCTION refused RETURN VARCHAR2 IS
    BEGIN
        RETURN CASE WHEN p_job_status IS NULL THEN NULL ELSE ', refused ' || v_from || ' -> ' || p_job_status END;
    END refused;

    -- the request value as text, for the text tables (PostgreSQL's job_text_value(v_request -> p_key))
    FUNCTION request_text(p_key IN VARCHAR2) RETURN CLOB IS
    BEGIN
        RETURN ATLAS_PANDA.JOB_TEXT_VALUE(v_request.get(p_key).to_clob());
    END request_text;
BEGIN
    IF p_pandaid IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_id is required');
    END IF;
    IF p_request IS NOT NULL THEN
        v_element := JSON_ELEMENT_T.parse(p_request);
        IF NOT v_element.is_object() THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': the request must be a JSON object');
        END IF;
        v_request := PANDADB_SUPPORT.without_nulls(TREAT(v_element AS JSON_OBJECT_T));
    END IF;
    v_map := ATLAS_PANDA.UPDATE_JOB_COLUMN_MAP();
    LOOP
        FETCH v_map INTO v_api_name, v_column;
        EXIT WHEN v_map%NOTFOUND;
        v_allowed.EXTEND;
        v_allowed(v_allowed.COUNT) := v_api_name;
        -- the request in column names; strings cut to their column's length
        IF v_request.has(v_api_name) THEN
            v_type := PANDADB_SUPPORT.column_type('ATLAS_PANDA', 'jobsactive4', v_column);
            IF REGEXP_LIKE(v_type, '^VARCHAR2\([0-9]+\)$') AND PANDADB_SUPPORT.member_type(v_request, v_api_name) <> 'null' THEN
                v_changes.put(v_column, SUBSTR(DBMS_LOB.SUBSTR(request_text(v_api_name), 32767, 1), 1,
                                               TO_NUMBER(REGEXP_SUBSTR(v_type, '[0-9]+'))));
            ELSE
                v_changes.put(v_column, v_request.get(v_api_name));
            END IF;
        END IF;
    END LOOP;
    CLOSE v_map;
    v_unknown := PANDADB_SUPPORT.unknown_keys(v_request, v_allowed);
    IF v_unknown IS NOT NULL THEN
        RAISE_APPLICATION_ERROR(-20002, v_what || ': unknown parameters ' || v_unknown);
    END IF;
    IF p_job_status IS NOT NULL AND ATLAS_PANDA.JOB_TABLE_FOR_STATUS(p_job_status) IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, v_what || ': job_status ' || p_job_status
            || ' is no job status (report starting, running, holding, merging, transferring, finished or failed)');
    END IF;
    v_changes := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_INTEGRAL_NUMBERS('jobsactive4', v_changes.to_clob()));
    ATLAS_PANDA.JOB_CHECK_VALUES('jobsactive4', v_changes.to_clob(), v_what);
    IF v_request.has('attempt_nr') THEN
        v_check := JSON_OBJECT_T();
        v_check.put('attemptnr', v_request.get('attempt_nr'));
        ATLAS_PANDA.JOB_CHECK_VALUES('jobsactive4', v_check.to_clob(), v_what);
    END IF;

    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        RAISE_APPLICATION_ERROR(-20003, 'job ' || p_pandaid || ' not found');
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    v_from := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    IF v_table = 'jobsarchived4' THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ' is already ' || v_from
                                        || ' (final): its status never changes' || refused());
    END IF;
    IF v_from NOT IN ('sent', 'starting', 'running', 'holding', 'merging', 'transferring') THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ' is ' || v_from
                                        || ': update_job applies to jobs dispatched to a pilot (sent to transferring)'
                                        || refused());
    END IF;
    IF v_request.has('attempt_nr')
       AND PANDADB_SUPPORT.member_number(v_request, 'attempt_nr') <> PANDADB_SUPPORT.member_number(v_job, 'attemptnr') THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ': attempt_nr ' || PANDADB_SUPPORT.member_text(v_request, 'attempt_nr')
                                        || ' is not the job''s attempt ' || PANDADB_SUPPORT.member_text(v_job, 'attemptnr'));
    END IF;
    IF p_job_status IS NOT NULL AND NOT ATLAS_PANDA.JOB_TRANSITION_ALLOWED(v_from, p_job_status) THEN
        RAISE_APPLICATION_ERROR(-20004, 'illegal transition of job ' || p_pandaid || ': ' || v_from || ' -> ' || p_job_status
            || ' (jobs move forward: sent, starting, running, holding, merging, transferring, then finished, failed or cancelled)');
    END IF;

    IF v_to = 'failed' AND PANDADB_SUPPORT.member_text(v_job, 'commandtopilot') = 'tobekilled' THEN
        v_to := 'cancelled';
    END IF;
    v_final := NVL(v_to IN ('finished', 'failed', 'cancelled'), FALSE);
    v_changes.put('modificationtime', PANDADB_SUPPORT.date_text(v_now));
    IF v_to IS NOT NULL AND v_to <> v_from THEN
        v_changes.put('jobstatus', v_to);
        v_changes.put('statechangetime', PANDADB_SUPPORT.date_text(v_now));
        IF v_to = 'running' AND NOT v_changes.has('starttime')
           AND ATLAS_PANDA.JOB_IS_EPOCH(PANDADB_SUPPORT.member_text(v_job, 'starttime')) THEN
            v_changes.put('starttime', PANDADB_SUPPORT.date_text(v_now));
        END IF;
    END IF;
    IF v_final THEN
        v_row := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_FINALIZE(v_table, v_text, v_changes.to_clob()));
    ELSE
        v_row := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_UPDATE_ROW(v_table, p_pandaid, v_changes.to_clob()));
    END IF;

    -- JSON_OBJECT_T values and local functions cannot appear in SQL: read into variables first
    v_attemptnr := PANDADB_SUPPORT.member_number(v_row, 'attemptnr');
    v_row_status := PANDADB_SUPPORT.member_text(v_row, 'jobstatus');
    v_row_label := PANDADB_SUPPORT.member_text(v_row, 'prodsourcelabel');
    v_row_task := PANDADB_SUPPORT.member_number(v_row, 'jeditaskid');
    IF v_request.has('meta_data') THEN
        v_text_value := request_text('meta_data');
        UPDATE ATLAS_PANDA.METATABLE SET METADATA = v_text_value, MODIFICATIONTIME = v_now WHERE PANDAID = p_pandaid;
        IF SQL%ROWCOUNT = 0 THEN
            INSERT INTO ATLAS_PANDA.METATABLE (PANDAID, MODIFICATIONTIME, METADATA) VALUES (p_pandaid, v_now, v_text_value);
        END IF;
    END IF;
    IF v_request.has('job_metrics') THEN
        v_text_value := request_text('job_metrics');
        UPDATE ATLAS_PANDA.JOB_METRICS SET DATA = v_text_value, MODIFICATIONTIME = v_now WHERE PANDAID = p_pandaid;
        IF SQL%ROWCOUNT = 0 THEN
            INSERT INTO ATLAS_PANDA.JOB_METRICS (PANDAID, JEDITASKID, CREATIONTIME, MODIFICATIONTIME, DATA)
            VALUES (p_pandaid, v_row_task, v_now, v_now, v_text_value);
        END IF;
    END IF;
    IF v_request.has('job_output_report') THEN
        v_text_value := request_text('job_output_report');
        MERGE INTO ATLAS_PANDA.JOB_OUTPUT_REPORT r
        USING (SELECT p_pandaid AS PANDAID, v_attemptnr AS ATTEMPTNR FROM DUAL) s
           ON (r.PANDAID = s.PANDAID AND r.ATTEMPTNR = s.ATTEMPTNR)
         WHEN MATCHED THEN
            UPDATE SET r.DATA = v_text_value, r.JOBSTATUS = v_row_status, r."TIMESTAMP" = v_now
         WHEN NOT MATCHED THEN
            INSERT (PANDAID, PRODSOURCELABEL, JOBSTATUS, ATTEMPTNR, DATA, "TIMESTAMP")
            VALUES (s.PANDAID, v_row_label, v_row_status, s.ATTEMPTNR, v_text_value, v_now);
    END IF;
    IF v_request.has('pilot_log') THEN
        v_text_value := SUBSTR('PandaID=' || p_pandaid || ' ' || DBMS_LOB.SUBSTR(request_text('pilot_log'), 4000, 1), 1, 4000);
        INSERT INTO ATLAS_PANDA.PANDALOG (BINTIME, NAME, MODULE, "TYPE", PID, LOGLEVEL, LEVELNAME, "TIME", FILENAME, LINE, MESSAGE)
        VALUES (v_now, 'panda.mon.prod', 'update_job', 'pilotLog', p_pandaid, 20, 'INFO',
                TO_CHAR(v_now, 'YYYY-MM-DD HH24:MI:SS'), 'pilot', 0, v_text_value);
    END IF;
    IF v_request.has('stdout') THEN
        v_text_value := DBMS_LOB.SUBSTR(request_text('stdout'), 2048, 1);
        MERGE INTO ATLAS_PANDA.JOBSDEBUG d
        USING (SELECT p_pandaid AS PANDAID FROM DUAL) s
           ON (d.PANDAID = s.PANDAID)
         WHEN MATCHED THEN UPDATE SET d.STDOUT = v_text_value
         WHEN NOT MATCHED THEN INSERT (PANDAID, STDOUT) VALUES (s.PANDAID, v_text_value);
    END IF;

    IF NOT v_final THEN
        v_command := NVL(PANDADB_SUPPORT.member_text(v_row, 'commandtopilot'),
                         CASE WHEN ATLAS_PANDA.JOB_HAS_FLAG(PANDADB_SUPPORT.member_text(v_row, 'specialhandling'),
                                                            SYS.ODCIVARCHAR2LIST('dm', 'debug')) THEN 'debug' END);
    END IF;
    v_answer.put('StatusCode', 0);
    v_answer.put('command', NVL(v_command, 'NULL'));
    RETURN v_answer.to_clob();
END UPDATE_JOB;
/

-- update_jobs_bulk: update_job for each element of a list (REST pilot/update_jobs_bulk), each applied
-- independently (a savepoint per element: PostgreSQL's subtransaction); jobs are locked in PandaID order
-- (fewer deadlocks between concurrent bulk calls). Returns, in input order, [{"success", "message",
-- "data"}, ...] where data is update_job's answer, or {"job_id", "sqlstate"} of the refusal.
--   p_job_list  [{"job_id": n, "job_status": s, <update_job parameters>}, ...]
CREATE OR REPLACE FUNCTION ATLAS_PANDA.UPDATE_JOBS_BULK(p_job_list IN CLOB)
RETURN CLOB
AS
    v_element JSON_ELEMENT_T;
    v_list JSON_ARRAY_T;
    v_item JSON_ELEMENT_T;
    v_object JSON_OBJECT_T;
    v_answers JSON_OBJECT_T := JSON_OBJECT_T();
    v_answer JSON_OBJECT_T;
    v_data JSON_OBJECT_T;
    v_result JSON_ARRAY_T := JSON_ARRAY_T();
    v_order SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_ids SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_index PLS_INTEGER;
    v_state VARCHAR2(20);
BEGIN
    IF p_job_list IS NOT NULL THEN
        v_element := JSON_ELEMENT_T.parse(p_job_list);
    END IF;
    IF v_element IS NULL OR NOT v_element.is_array() THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_list must be a JSON array of job objects');
    END IF;
    v_list := TREAT(v_element AS JSON_ARRAY_T);
    FOR i IN 0 .. v_list.get_size() - 1 LOOP
        v_ids.EXTEND;
        IF v_list.get(i).is_object() THEN
            v_ids(v_ids.COUNT) := PANDADB_SUPPORT.member_text(TREAT(v_list.get(i) AS JSON_OBJECT_T), 'job_id');
        END IF;
    END LOOP;
    SELECT o BULK COLLECT INTO v_order
      FROM (SELECT COLUMN_VALUE AS id, ROWNUM AS o FROM TABLE(v_ids))
     ORDER BY CASE WHEN REGEXP_LIKE(id, '^[0-9]{1,18}$') THEN TO_NUMBER(id) END NULLS LAST, o;
    FOR k IN 1 .. v_order.COUNT LOOP
        v_index := v_order(k);
        v_item := v_list.get(v_index - 1);
        v_answer := JSON_OBJECT_T();
        SAVEPOINT update_jobs_bulk_item;
        BEGIN
            IF NOT v_item.is_object() OR NOT TREAT(v_item AS JSON_OBJECT_T).has('job_id') THEN
                RAISE_APPLICATION_ERROR(-20002, 'element ' || v_index || ': must be a JSON object with job_id');
            END IF;
            v_object := TREAT(v_item AS JSON_OBJECT_T);
            IF NOT REGEXP_LIKE(PANDADB_SUPPORT.member_text(v_object, 'job_id'), '^[0-9]{1,18}$') THEN
                RAISE_APPLICATION_ERROR(-20002, 'element ' || v_index || ': job_id ' || v_object.get('job_id').to_string()
                                                || ' is not a PandaID');
            END IF;
            v_answer.put('success', TRUE);
            v_answer.put('message', '');
            v_answer.put('data', JSON_OBJECT_T.parse(ATLAS_PANDA.UPDATE_JOB(
                TO_NUMBER(PANDADB_SUPPORT.member_text(v_object, 'job_id')), PANDADB_SUPPORT.member_text(v_object, 'job_status'),
                PANDADB_SUPPORT.without_keys(v_object, SYS.ODCIVARCHAR2LIST('job_id', 'job_status')).to_clob())));
        EXCEPTION
            WHEN OTHERS THEN
                ROLLBACK TO SAVEPOINT update_jobs_bulk_item;
                v_state := CASE WHEN SQLCODE BETWEEN -20005 AND -20001 THEN 'PD00' || TO_CHAR(-20000 - SQLCODE)
                                ELSE 'ORA-' || LPAD(TO_CHAR(-SQLCODE), 5, '0') END;
                v_data := JSON_OBJECT_T();
                IF v_item.is_object() AND TREAT(v_item AS JSON_OBJECT_T).has('job_id') THEN
                    v_data.put('job_id', TREAT(v_item AS JSON_OBJECT_T).get('job_id'));
                ELSE
                    v_data.put_null('job_id');
                END IF;
                v_data.put('sqlstate', v_state);
                v_answer := JSON_OBJECT_T();
                v_answer.put('success', FALSE);
                v_answer.put('message', REGEXP_REPLACE(SQLERRM, '^ORA-[0-9]{5}: ', ''));
                v_answer.put('data', v_data);
        END;
        v_answers.put(TO_CHAR(v_index), v_answer);
    END LOOP;
    FOR i IN 1 .. v_list.get_size() LOOP
        v_result.append(v_answers.get(TO_CHAR(i)));
    END LOOP;
    RETURN v_result.to_clob();
END UPDATE_JOBS_BULK;
/

-- get_job_status: status and pending pilot command of jobs (REST job/get_status, pilot/get_job_status).
-- Returns [{"job_id", "status" (NULL for an unknown job), "command" (commandtopilot or "NULL")}, ...].
--   p_pandaids  the PandaIDs
CREATE OR REPLACE FUNCTION ATLAS_PANDA.GET_JOB_STATUS(p_pandaids IN SYS.ODCINUMBERLIST)
RETURN CLOB
AS
    v_result CLOB;
BEGIN
    ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids);
    SELECT JSON_ARRAYAGG(JSON_OBJECT('job_id' VALUE ids.id, 'status' VALUE s.JOBSTATUS,
                                     'command' VALUE NVL(s.COMMANDTOPILOT, 'NULL') NULL ON NULL)
                         ORDER BY ids.o RETURNING CLOB)
      INTO v_result
      FROM (SELECT COLUMN_VALUE AS id, ROWNUM AS o FROM TABLE(p_pandaids)) ids
      OUTER APPLY (
          SELECT x.JOBSTATUS, x.COMMANDTOPILOT FROM (
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, 1 AS pref, j.MODIFICATIONTIME FROM ATLAS_PANDA.JOBSACTIVE4 j WHERE j.PANDAID = ids.id
              UNION ALL
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, 2, j.MODIFICATIONTIME FROM ATLAS_PANDA.JOBSDEFINED4 j WHERE j.PANDAID = ids.id
              UNION ALL
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, 3, j.MODIFICATIONTIME FROM ATLAS_PANDA.JOBSWAITING4 j WHERE j.PANDAID = ids.id
              UNION ALL
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, 4, j.MODIFICATIONTIME FROM ATLAS_PANDA.JOBSARCHIVED4 j WHERE j.PANDAID = ids.id
              UNION ALL
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, 5, j.MODIFICATIONTIME FROM ATLAS_PANDAARCH.JOBSARCHIVED j WHERE j.PANDAID = ids.id
          ) x
          ORDER BY x.pref, x.MODIFICATIONTIME DESC
          FETCH FIRST 1 ROWS ONLY) s;
    RETURN v_result;
END GET_JOB_STATUS;
/

-- job_description: one job with its parameters, metadata and files, or NULL when unknown: the job
-- columns (lower-case names), "jobParameters" (jobparamstable), "metadata" (metatable) and "files"
-- (its filestable4 rows in order). With p_include_archive, ATLAS_PANDAARCH (jobsarchived,
-- jobparamstable_arch, metatable_arch, filestable_arch) is searched after the live tables.
--   p_pandaid          the PandaID
--   p_include_archive  also search the archive schema
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_DESCRIPTION(p_pandaid IN NUMBER, p_include_archive IN BOOLEAN)
RETURN CLOB
AS
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_archived BOOLEAN := FALSE;
    v_parameters CLOB;
    v_metadata CLOB;
    v_files CLOB;
    v_schema VARCHAR2(30);

    FUNCTION row_of(p_owner IN VARCHAR2, p_table IN VARCHAR2) RETURN CLOB IS
        v_row CLOB;
    BEGIN
        EXECUTE IMMEDIATE 'SELECT ' || PANDADB_SUPPORT.row_json_sql(p_owner, p_table, 'j') || ' FROM ' || p_owner || '.'
            || UPPER(p_table) || ' j WHERE j.PANDAID = :1 ORDER BY j.MODIFICATIONTIME DESC FETCH FIRST 1 ROWS ONLY'
            INTO v_row USING p_pandaid;
        RETURN v_row;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            RETURN NULL;
    END row_of;

    FUNCTION newest_text(p_owner IN VARCHAR2, p_table IN VARCHAR2, p_column IN VARCHAR2) RETURN CLOB IS
        v_value CLOB;
    BEGIN
        EXECUTE IMMEDIATE 'SELECT t.' || p_column || ' FROM ' || p_owner || '.' || p_table
            || ' t WHERE t.PANDAID = :1 ORDER BY t.MODIFICATIONTIME DESC FETCH FIRST 1 ROWS ONLY' INTO v_value USING p_pandaid;
        RETURN v_value;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            RETURN NULL;
    END newest_text;
BEGIN
    v_text := row_of('ATLAS_PANDA', 'jobsactive4');
    IF v_text IS NULL THEN
        v_text := row_of('ATLAS_PANDA', 'jobsdefined4');
    END IF;
    IF v_text IS NULL THEN
        v_text := row_of('ATLAS_PANDA', 'jobswaiting4');
    END IF;
    IF v_text IS NULL THEN
        v_text := row_of('ATLAS_PANDA', 'jobsarchived4');
    END IF;
    IF v_text IS NULL AND p_include_archive THEN
        v_text := row_of('ATLAS_PANDAARCH', 'jobsarchived');
        v_archived := v_text IS NOT NULL;
    END IF;
    IF v_text IS NULL THEN
        RETURN NULL;
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    IF v_archived THEN
        v_parameters := newest_text('ATLAS_PANDAARCH', 'JOBPARAMSTABLE_ARCH', 'JOBPARAMETERS');
        v_metadata := newest_text('ATLAS_PANDAARCH', 'METATABLE_ARCH', 'METADATA');
        v_schema := 'ATLAS_PANDAARCH';
        EXECUTE IMMEDIATE 'SELECT JSON_ARRAYAGG(' || PANDADB_SUPPORT.row_json_sql(v_schema, 'filestable_arch', 'f')
            || ' FORMAT JSON ORDER BY f.ROW_ID RETURNING CLOB) FROM ATLAS_PANDAARCH.FILESTABLE_ARCH f WHERE f.PANDAID = :1'
            INTO v_files USING p_pandaid;
    ELSE
        v_parameters := newest_text('ATLAS_PANDA', 'JOBPARAMSTABLE', 'JOBPARAMETERS');
        v_metadata := newest_text('ATLAS_PANDA', 'METATABLE', 'METADATA');
        v_schema := 'ATLAS_PANDA';
        EXECUTE IMMEDIATE 'SELECT JSON_ARRAYAGG(' || PANDADB_SUPPORT.row_json_sql(v_schema, 'filestable4', 'f')
            || ' FORMAT JSON ORDER BY f.ROW_ID RETURNING CLOB) FROM ATLAS_PANDA.FILESTABLE4 f WHERE f.PANDAID = :1'
            INTO v_files USING p_pandaid;
    END IF;
    v_job.put('jobParameters', NVL(v_parameters, v_job.get_clob('jobparameters')));
    v_job.put('metadata', NVL(v_metadata, v_job.get_clob('metadata')));
    v_job.remove('jobparameters');
    v_job.put('files', JSON_ARRAY_T.parse(NVL(v_files, TO_CLOB('[]'))));
    RETURN v_job.to_clob();
END JOB_DESCRIPTION;
/

-- get_description: jobs with their parameters and files (REST job/get_description and
-- get_description_incl_archive). Returns one entry per id, in order: the description or null.
--   p_pandaids          the PandaIDs
--   p_include_archive   also search ATLAS_PANDAARCH
CREATE OR REPLACE FUNCTION ATLAS_PANDA.GET_DESCRIPTION(p_pandaids IN SYS.ODCINUMBERLIST,
                                                      p_include_archive IN BOOLEAN DEFAULT FALSE)
RETURN CLOB
AS
    v_result JSON_ARRAY_T := JSON_ARRAY_T();
    v_description CLOB;
BEGIN
    ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids);
    FOR i IN 1 .. p_pandaids.COUNT LOOP
        v_description := ATLAS_PANDA.JOB_DESCRIPTION(p_pandaids(i), NVL(p_include_archive, FALSE));
        IF v_description IS NULL THEN
            v_result.append_null();
        ELSE
            v_result.append(JSON_OBJECT_T.parse(v_description));
        END IF;
    END LOOP;
    RETURN v_result.to_clob();
END GET_DESCRIPTION;
/

-- kill_job: kill one job (see kill_jobs). Returns {"job_id", "killed", "message"} and, when refused, "sqlstate".
CREATE OR REPLACE FUNCTION ATLAS_PANDA.KILL_JOB(p_pandaid IN NUMBER, p_requester IN VARCHAR2, p_is_production IN BOOLEAN,
                                               p_kill_code IN NUMBER)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_status VARCHAR2(64);
    v_error_code NUMBER;
    v_error_diag VARCHAR2(250);
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    v_done CLOB;

    -- PostgreSQL's a IS DISTINCT FROM b
    FUNCTION is_distinct(p_a IN VARCHAR2, p_b IN VARCHAR2) RETURN BOOLEAN IS
    BEGIN
        RETURN (p_a IS NULL AND p_b IS NOT NULL) OR (p_a IS NOT NULL AND p_b IS NULL) OR p_a <> p_b;
    END is_distinct;
BEGIN
    v_result.put('job_id', p_pandaid);
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        v_result.put('killed', FALSE);
        v_result.put('message', 'job ' || p_pandaid || ' not found');
        v_result.put('sqlstate', 'PD003');
        RETURN v_result.to_clob();
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    IF NOT NVL(p_is_production, FALSE)
       AND is_distinct(p_requester, PANDADB_SUPPORT.member_text(v_job, 'produsername'))
       AND is_distinct(p_requester, PANDADB_SUPPORT.member_text(v_job, 'produserid')) THEN
        v_result.put('killed', FALSE);
        v_result.put('message', NVL(p_requester, 'an anonymous requester') || ' may not kill job ' || p_pandaid || ' of '
                                || NVL(PANDADB_SUPPORT.member_text(v_job, 'produsername'), 'nobody')
                                || ': only its owner or the production role may');
        v_result.put('sqlstate', 'PD005');
        RETURN v_result.to_clob();
    END IF;
    v_status := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    IF v_table = 'jobsarchived4' THEN
        v_result.put('killed', FALSE);
        v_result.put('message', 'job ' || p_pandaid || ' is already ' || v_status || ' (final)');
        v_result.put('sqlstate', 'PD004');
        RETURN v_result.to_clob();
    END IF;
    -- PanDA's kill codes: 2/4 expired, 3 aborted, 8 reassigned, anything else (9 = force) killed
    v_error_code := CASE p_kill_code WHEN 2 THEN 102 WHEN 4 THEN 102 WHEN 3 THEN 103 WHEN 8 THEN 105 ELSE 100 END;
    v_error_diag := SUBSTR('killed by ' || NVL(p_requester, 'unknown'), 1, 250);
    IF v_status IN ('sent', 'starting', 'running') THEN
        IF PANDADB_SUPPORT.member_text(v_job, 'commandtopilot') = 'tobekilled' THEN
            v_result.put('killed', TRUE);
            v_result.put('message', 'job ' || p_pandaid || ' is already being killed by its pilot');
            RETURN v_result.to_clob();
        END IF;
        v_changes.put('commandtopilot', 'tobekilled');
        v_changes.put('taskbuffererrorcode', v_error_code);
        v_changes.put('taskbuffererrordiag', v_error_diag);
        v_done := ATLAS_PANDA.JOB_UPDATE_ROW(v_table, p_pandaid, v_changes.to_clob());
        v_result.put('killed', TRUE);
        v_result.put('message', 'job ' || p_pandaid || ' is ' || v_status || ': its pilot is told to kill it (tobekilled)');
        RETURN v_result.to_clob();
    END IF;
    v_changes.put('jobstatus', 'cancelled');
    v_changes.put('taskbuffererrorcode', v_error_code);
    v_changes.put('taskbuffererrordiag', v_error_diag);
    v_done := ATLAS_PANDA.JOB_FINALIZE(v_table, v_text, v_changes.to_clob());
    v_result.put('killed', TRUE);
    v_result.put('message', 'job ' || p_pandaid || ' cancelled (was ' || v_status || ')');
    RETURN v_result.to_clob();
END KILL_JOB;
/

-- kill_jobs: kill jobs (REST job/kill). A job not yet at a pilot (pending ... activated, throttled) or
-- whose pilot is gone (holding, merging, transferring) is cancelled at once (moved to jobsarchived4 with
-- status 'cancelled' -- a manual abort; PanDA's 'closed' is kept for jobs the system terminates); for a
-- sent, starting or running job commandtopilot becomes 'tobekilled' and the pilot, obeying, reports
-- it (recorded as cancelled). taskbuffererrorcode/diag record the kill: 100 EC_Kill 'killed by <requester>'
-- (kill codes 2/4: 102 EC_Expire, 3: 103 EC_Aborted, 8: 105 EC_Reassigned). Only the job's owner
-- (produsername or produserid) or the production role may kill: PD005 otherwise. Returns
-- [{"job_id", "killed", "message"}, ...]; with a single id a refusal raises (-20003/-20004/-20005).
--   p_pandaids       the PandaIDs
--   p_requester      the authenticated user name
--   p_is_production  the requester has the production role
--   p_kill_code      PanDA's kill code (default 9, force kill)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.KILL_JOBS(p_pandaids IN SYS.ODCINUMBERLIST, p_requester IN VARCHAR2,
                                                p_is_production IN BOOLEAN, p_kill_code IN NUMBER DEFAULT 9)
RETURN CLOB
AS
    v_results JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids);
    -- in PandaID order: concurrent callers with overlapping lists lock jobs in the same order
    FOR x IN (SELECT id, o FROM (SELECT COLUMN_VALUE AS id, ROWNUM AS o FROM TABLE(p_pandaids)) ORDER BY id, o) LOOP
        v_results.put(TO_CHAR(x.o), JSON_OBJECT_T.parse(
            ATLAS_PANDA.KILL_JOB(x.id, p_requester, p_is_production, p_kill_code)));
    END LOOP;
    RETURN ATLAS_PANDA.JOB_PER_ID_RESULTS(v_results.to_clob());
END KILL_JOBS;
/

-- reassign_job: reassign one job (see reassign_jobs). Returns {"job_id", "reassigned", "new_job_id",
-- "message"} and, when refused, "sqlstate".
CREATE OR REPLACE FUNCTION ATLAS_PANDA.REASSIGN_JOB(p_pandaid IN NUMBER)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_status VARCHAR2(64);
    v_new_pandaid NUMBER;
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    v_done CLOB;
BEGIN
    v_result.put('job_id', p_pandaid);
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        v_result.put('reassigned', FALSE);
        v_result.put_null('new_job_id');
        v_result.put('message', 'job ' || p_pandaid || ' not found');
        v_result.put('sqlstate', 'PD003');
        RETURN v_result.to_clob();
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    v_status := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    IF v_status NOT IN ('pending', 'defined', 'assigned', 'waiting', 'activated', 'throttled') THEN
        v_result.put('reassigned', FALSE);
        v_result.put_null('new_job_id');
        v_result.put('message', 'job ' || p_pandaid || ' is ' || v_status || ': only jobs not yet dispatched (pending, '
                                || 'defined, assigned, waiting, activated, throttled) are reassigned; kill a dispatched job instead');
        v_result.put('sqlstate', 'PD004');
        RETURN v_result.to_clob();
    END IF;
    v_changes.put('jobstatus', CASE WHEN v_status IN ('activated', 'throttled') THEN 'activated' ELSE v_status END);
    v_new_pandaid := ATLAS_PANDA.JOB_NEW_ATTEMPT(v_text, v_changes.to_clob(), 'retry');
    v_changes := JSON_OBJECT_T();
    v_changes.put('jobstatus', 'closed');
    v_changes.put('taskbuffererrorcode', 105);
    v_changes.put('taskbuffererrordiag', 'reassigned by request: new attempt ' || v_new_pandaid);
    v_done := ATLAS_PANDA.JOB_FINALIZE(v_table, v_text, v_changes.to_clob(), v_new_pandaid);
    v_result.put('reassigned', TRUE);
    v_result.put('new_job_id', v_new_pandaid);
    v_result.put('message', 'job ' || p_pandaid || ' closed and re-queued as job ' || v_new_pandaid);
    RETURN v_result.to_clob();
END REASSIGN_JOB;
/

-- reassign_jobs: send jobs not yet dispatched back to be re-brokered (REST job/reassign), as PanDA does
-- for JEDI jobs: the job is closed (taskbuffererrorcode 105 EC_Reassigned) and a new attempt (new
-- PandaID, attemptnr + 1, parentid = the old PandaID, same files and parameters, jedi_job_retry_history
-- relation 'retry') is queued in its place -- status activated for an activated/throttled job, the old
-- status otherwise. Without a brokerage in this database the new attempt keeps the queue. Returns
-- [{"job_id", "reassigned", "new_job_id", "message"}, ...]; with a single id a refusal raises.
--   p_pandaids  the PandaIDs
CREATE OR REPLACE FUNCTION ATLAS_PANDA.REASSIGN_JOBS(p_pandaids IN SYS.ODCINUMBERLIST)
RETURN CLOB
AS
    v_results JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids);
    -- in PandaID order: concurrent callers with overlapping lists lock jobs in the same order
    FOR x IN (SELECT id, o FROM (SELECT COLUMN_VALUE AS id, ROWNUM AS o FROM TABLE(p_pandaids)) ORDER BY id, o) LOOP
        v_results.put(TO_CHAR(x.o), JSON_OBJECT_T.parse(ATLAS_PANDA.REASSIGN_JOB(x.id)));
    END LOOP;
    RETURN ATLAS_PANDA.JOB_PER_ID_RESULTS(v_results.to_clob());
END REASSIGN_JOBS;
/

-- set_command: set the command the pilot of a job receives with its next heartbeat answer
-- (REST job/set_command; commandtopilot, e.g. 'tobekilled'). Only for jobs not yet final (-20004);
-- unknown job -20003; an empty command or one longer than 250 characters -20002.
-- Returns {"job_id", "command"}.
--   p_pandaid  the PandaID
--   p_command  the command
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SET_COMMAND(p_pandaid IN NUMBER, p_command IN VARCHAR2)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    v_done CLOB;
BEGIN
    IF p_pandaid IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_id is required');
    END IF;
    IF p_command IS NULL OR LENGTH(p_command) > 250 THEN
        RAISE_APPLICATION_ERROR(-20002, 'command must be a non-empty string of at most 250 characters');
    END IF;
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        RAISE_APPLICATION_ERROR(-20003, 'job ' || p_pandaid || ' not found');
    END IF;
    IF v_table = 'jobsarchived4' THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ' is already '
            || PANDADB_SUPPORT.member_text(JSON_OBJECT_T.parse(v_text), 'jobstatus')
            || ' (final): no pilot will read a command');
    END IF;
    v_changes.put('commandtopilot', p_command);
    v_done := ATLAS_PANDA.JOB_UPDATE_ROW(v_table, p_pandaid, v_changes.to_clob());
    v_result.put('job_id', p_pandaid);
    v_result.put('command', p_command);
    RETURN v_result.to_clob();
END SET_COMMAND;
/

-- set_debug_mode: switch a job's debug mode (REST job/set_debug_mode): the 'dm' item of specialhandling,
-- as PanDA's JobSpec.set_debug_mode (the pilot gets debug=True, heartbeats answer 'debug' and the stdout
-- it sends is kept in jobsdebug). Switching off also drops the legacy 'debug' item. Only for jobs not yet
-- final (-20004); unknown job -20003. Returns {"job_id", "debug"}.
--   p_pandaid  the PandaID
--   p_mode     TRUE = debug on, FALSE = off
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SET_DEBUG_MODE(p_pandaid IN NUMBER, p_mode IN BOOLEAN)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_special_handling VARCHAR2(4000);
    v_items VARCHAR2(4000);
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    v_done CLOB;
BEGIN
    IF p_pandaid IS NULL OR p_mode IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_id and mode are required');
    END IF;
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        RAISE_APPLICATION_ERROR(-20003, 'job ' || p_pandaid || ' not found');
    END IF;
    IF v_table = 'jobsarchived4' THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ' is already '
            || PANDADB_SUPPORT.member_text(JSON_OBJECT_T.parse(v_text), 'jobstatus')
            || ' (final): its debug mode cannot change');
    END IF;
    -- the items other than dm and debug, in their order
    v_special_handling := PANDADB_SUPPORT.member_text(JSON_OBJECT_T.parse(v_text), 'specialhandling');
    SELECT LISTAGG(item, ',') WITHIN GROUP (ORDER BY position) INTO v_items
      FROM (SELECT REGEXP_SUBSTR(v_special_handling, '[^,]+', 1, LEVEL) AS item, LEVEL AS position
              FROM DUAL
            CONNECT BY LEVEL <= REGEXP_COUNT(v_special_handling, '[^,]+'))
     WHERE item NOT IN ('dm', 'debug');
    IF p_mode THEN
        v_items := v_items || CASE WHEN v_items IS NOT NULL THEN ',' END || 'dm';
    END IF;
    IF LENGTH(v_items) > 80 THEN
        RAISE_APPLICATION_ERROR(-20002, 'job ' || p_pandaid || ': specialhandling would exceed 80 characters');
    END IF;
    IF v_items IS NULL THEN
        v_changes.put_null('specialhandling');
    ELSE
        v_changes.put('specialhandling', v_items);
    END IF;
    v_done := ATLAS_PANDA.JOB_UPDATE_ROW(v_table, p_pandaid, v_changes.to_clob());
    v_result.put('job_id', p_pandaid);
    v_result.put('debug', p_mode);
    RETURN v_result.to_clob();
END SET_DEBUG_MODE;
/
