-- PL/SQL twin of procedures/postgres/job_rows.sql.
-- Row plumbing of the job tables shared by jobs.sql, job_commands.sql, dispatch.sql, retry.sql and
-- watchdog.sql: finding and locking a job, moving its row between the job tables, logging its status,
-- checking values against the columns, finalising it, tagging shares and resource types, inserting files.
-- Same routine names, parameter names, rules and messages as the PL/pgSQL functions, in schema ATLAS_PANDA.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
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
