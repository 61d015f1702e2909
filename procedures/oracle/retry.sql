-- PL/SQL twin of procedures/postgres/retry.sql: the job retry module (seed 004 chapter 20; PanDA's
-- taskbuffer/retryModule.py) and new job attempts. Same routine names, parameter names and rules.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Errors: where PostgreSQL raises a SQLSTATE, the twin raises RAISE_APPLICATION_ERROR with the same message:
--   PD001 -> -20001, PD002 -> -20002 (none is raised in this file; job_check_values, called by
--   job_new_attempt, raises -20002).
-- Types: jsonb is CLOB holding JSON text (JSON_OBJECT_T / JSON_ARRAY_T inside); RETURNS TABLE is a
-- SYS_REFCURSOR with the same columns. retry_diag_matches is called from SQL (retry_matching_rules), so
-- it returns NUMBER 1/0 instead of boolean, and the cursor's "applied" column is 1/0.
-- Regular expressions: Python's re.match(pattern, diag) is REGEXP_LIKE(diag, '^(' || pattern || ')')
-- (Oracle has no non-capturing group); a pattern Oracle cannot compile (ORA-127xx) matches nothing.
-- Rule parameters are separated by an ampersand, ',' or ';' (the ampersand is written CHR(38): SQL*Plus
-- would take it for a substitution variable). gen_random_uuid() is SYS_GUID() formatted as a UUID.
-- Each PL/SQL unit ends with a line holding only '/'.

-- retry_rule_parameters: a rule's parameters ('maxAttempt=3;step=500', also ',' or CHR(38) separated) as JSON.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.RETRY_RULE_PARAMETERS(p_parameters IN VARCHAR2)
RETURN CLOB
AS
    v_separators CONSTANT VARCHAR2(10) := '[' || CHR(38) || ',;]';
    v_parameters JSON_OBJECT_T := JSON_OBJECT_T();
    v_item VARCHAR2(4000);
BEGIN
    FOR i IN 1 .. REGEXP_COUNT(p_parameters, v_separators) + 1 LOOP
        v_item := REGEXP_SUBSTR(p_parameters, '(^|' || v_separators || ')([^' || CHR(38) || ',;]*)', 1, i, NULL, 2);
        IF INSTR(v_item, '=') > 1 THEN
            v_parameters.put(TRIM(SUBSTR(v_item, 1, INSTR(v_item, '=') - 1)), TRIM(SUBSTR(v_item, INSTR(v_item, '=') + 1)));
        END IF;
    END LOOP;
    RETURN v_parameters.to_clob();
END RETRY_RULE_PARAMETERS;
/

-- retry_diag_matches: Python's re.match(pattern, diag): the pattern matches at the start of the
-- diagnostic: 1, else 0. A pattern Oracle cannot compile matches nothing (PanDA logs it and skips the rule).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.RETRY_DIAG_MATCHES(p_pattern IN VARCHAR2, p_diag IN VARCHAR2)
RETURN NUMBER
AS
BEGIN
    IF p_diag IS NULL THEN
        -- PostgreSQL matches '' (coalesce(p_diag, '')); Oracle's '' is NULL: probe with a control
        -- character, which only a pattern matching the empty string matches at the start
        RETURN CASE WHEN REGEXP_LIKE(CHR(1), '^(' || p_pattern || ')') THEN 1 ELSE 0 END;
    END IF;
    RETURN CASE WHEN REGEXP_LIKE(p_diag, '^(' || p_pattern || ')') THEN 1 ELSE 0 END;
EXCEPTION
    WHEN OTHERS THEN
        IF SQLCODE BETWEEN -12799 AND -12700 THEN  -- an invalid regular expression
            RETURN 0;
        END IF;
        RAISE;
END RETRY_DIAG_MATCHES;
/

-- job_errors: the error codes a job carries, in PanDA's order of sources, with their diagnostics:
-- a cursor of (error_position, error_source, error_code, error_diag).
--   p_job  the job row as JSON
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_ERRORS(p_job IN CLOB)
RETURN SYS_REFCURSOR
AS
    v_job JSON_OBJECT_T := JSON_OBJECT_T.parse(p_job);
    v_errors SYS_REFCURSOR;
    v_codes SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_diags SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    c_sources CONSTANT SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('pilotErrorCode', 'exeErrorCode', 'supErrorCode',
        'ddmErrorCode', 'brokerageErrorCode', 'jobDispatcherErrorCode', 'taskBufferErrorCode');
    c_columns CONSTANT SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('pilot', 'exe', 'sup', 'ddm', 'brokerage',
        'jobdispatcher', 'taskbuffer');
BEGIN
    FOR i IN 1 .. c_columns.COUNT LOOP
        v_codes.EXTEND;
        v_codes(i) := PANDADB_SUPPORT.member_number(v_job, c_columns(i) || 'errorcode');
        v_diags.EXTEND;
        v_diags(i) := SUBSTR(PANDADB_SUPPORT.member_text(v_job, c_columns(i) || 'errordiag'), 1, 4000);
    END LOOP;
    OPEN v_errors FOR
        SELECT s.pos AS error_position, s.COLUMN_VALUE AS error_source, c.COLUMN_VALUE AS error_code,
               d.COLUMN_VALUE AS error_diag
          FROM (SELECT COLUMN_VALUE, ROWNUM AS pos FROM TABLE(c_sources)) s
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS pos FROM TABLE(v_codes)) c ON c.pos = s.pos
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS pos FROM TABLE(v_diags)) d ON d.pos = s.pos
         WHERE NVL(c.COLUMN_VALUE, 0) <> 0
         ORDER BY s.pos;
    RETURN v_errors;
END JOB_ERRORS;
/

-- retry_matching_rules: the retry rules that match a failed job's errors (source, code, diagnostic,
-- scope, not expired), with whether each is applied (active: 1) or only logged (passive: 0): a cursor of
-- (error_position, error_source, error_code, error_diag, retryerror_id, retry_action, applied,
-- parameters (JSON text), rule_diag), ordered by error_position, retryerror_id. The errors are job_errors' (a cursor cannot be joined: they are
-- read into collections first).
--   p_job  the job row as JSON
--   p_now  the current time (expiration)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.RETRY_MATCHING_RULES(p_job IN CLOB, p_now IN DATE)
RETURN SYS_REFCURSOR
AS
    v_job JSON_OBJECT_T := JSON_OBJECT_T.parse(p_job);
    v_errors SYS_REFCURSOR := ATLAS_PANDA.JOB_ERRORS(p_job);
    v_positions SYS.ODCINUMBERLIST;
    v_sources SYS.ODCIVARCHAR2LIST;
    v_codes SYS.ODCINUMBERLIST;
    v_diags SYS.ODCIVARCHAR2LIST;
    v_cmtconfig VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'cmtconfig');
    v_release VARCHAR2(4000) := PANDADB_SUPPORT.member_text(v_job, 'atlasrelease');
    v_workqueue NUMBER := PANDADB_SUPPORT.member_number(v_job, 'workqueue_id');
    v_rules SYS_REFCURSOR;
BEGIN
    FETCH v_errors BULK COLLECT INTO v_positions, v_sources, v_codes, v_diags;
    CLOSE v_errors;
    OPEN v_rules FOR
        SELECT x.error_position, x.error_source, x.error_code, x.error_diag, e.RETRYERROR_ID AS retryerror_id,
               a.RETRY_ACTION AS retry_action,
               CASE WHEN e.ACTIVE = 'Y' AND a.ACTIVE = 'Y' THEN 1 ELSE 0 END AS applied,
               ATLAS_PANDA.RETRY_RULE_PARAMETERS(e.PARAMETERS) AS parameters, e.ERRORDIAG AS rule_diag
          FROM (SELECT p.COLUMN_VALUE AS error_position, s.COLUMN_VALUE AS error_source, c.COLUMN_VALUE AS error_code,
                       d.COLUMN_VALUE AS error_diag
                  FROM (SELECT COLUMN_VALUE, ROWNUM AS n FROM TABLE(v_positions)) p
                  JOIN (SELECT COLUMN_VALUE, ROWNUM AS n FROM TABLE(v_sources)) s ON s.n = p.n
                  JOIN (SELECT COLUMN_VALUE, ROWNUM AS n FROM TABLE(v_codes)) c ON c.n = p.n
                  JOIN (SELECT COLUMN_VALUE, ROWNUM AS n FROM TABLE(v_diags)) d ON d.n = p.n) x
          JOIN ATLAS_PANDA.RETRYERRORS e ON LOWER(e.ERRORSOURCE) = LOWER(x.error_source) AND e.ERRORCODE = x.error_code
          JOIN ATLAS_PANDA.RETRYACTIONS a ON a.RETRYACTION_ID = e.RETRYACTION
         WHERE (e.EXPIRATION_DATE IS NULL OR e.EXPIRATION_DATE > p_now)
           AND (e.ERRORDIAG IS NULL OR ATLAS_PANDA.RETRY_DIAG_MATCHES(e.ERRORDIAG, x.error_diag) = 1)
           AND (e.ARCHITECTURE IS NULL OR e.ARCHITECTURE = v_cmtconfig)
           AND (e.RELEASE IS NULL OR e.RELEASE = v_release)
           AND (e.WORKQUEUE_ID IS NULL OR e.WORKQUEUE_ID = v_workqueue)
         ORDER BY x.error_position, e.RETRYERROR_ID;
    RETURN v_rules;
END RETRY_MATCHING_RULES;
/

-- job_new_attempt: queue a new attempt of a job: a copy of the job with a new PandaID, attemptnr + 1,
-- parentid = the old PandaID, new creation/modification/state-change times, the run-time columns of the
-- old attempt (pilot, node, times, errors, metrics, command) back to their defaults, p_changes applied
-- (resource_type recomputed), its files copied (output and log files 'unknown' with new GUIDs), its job
-- parameters copied; jedi_job_retry_history records old -> new (originpandaid = the first attempt of the
-- chain) when the job belongs to a JEDI task. Returns the new PandaID.
--   p_old       the old job row as JSON
--   p_changes   {column: value} for the new attempt; 'jobstatus' picks its table (default 'activated')
--   p_relation  jedi_job_retry_history.relationtype (e.g. 'retry')
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_NEW_ATTEMPT(p_old IN CLOB, p_changes IN CLOB, p_relation IN VARCHAR2)
RETURN NUMBER
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_old JSON_OBJECT_T := JSON_OBJECT_T.parse(p_old);
    v_changes JSON_OBJECT_T := JSON_OBJECT_T.parse(p_changes);
    v_old_pandaid NUMBER := PANDADB_SUPPORT.member_number(v_old, 'pandaid');
    v_new_pandaid NUMBER := ATLAS_PANDA.JOBSDEFINED4_PANDAID_SEQ.NEXTVAL;
    v_task_id NUMBER := PANDADB_SUPPORT.member_number(v_old, 'jeditaskid');
    v_status VARCHAR2(64) := NVL(PANDADB_SUPPORT.member_text(v_changes, 'jobstatus'), 'activated');
    v_row JSON_OBJECT_T;
    v_origin NUMBER;
BEGIN
    v_row := PANDADB_SUPPORT.without_keys(v_old, SYS.ODCIVARCHAR2LIST('schedulerid', 'pilotid', 'modificationhost',
        'starttime', 'endtime', 'cpuconsumptiontime', 'cpuconsumptionunit', 'commandtopilot', 'transexitcode',
        'piloterrorcode', 'piloterrordiag', 'exeerrorcode', 'exeerrordiag', 'superrorcode', 'superrordiag',
        'ddmerrorcode', 'ddmerrordiag', 'brokerageerrorcode', 'brokerageerrordiag', 'jobdispatchererrorcode',
        'jobdispatchererrordiag', 'taskbuffererrorcode', 'taskbuffererrordiag', 'computingelement', 'cpuconversion',
        'nevents', 'pilottiming', 'batchid', 'jobsubstatus', 'actualcorecount', 'maxrss', 'maxvmem', 'maxswap',
        'maxpss', 'avgrss', 'avgvmem', 'avgswap', 'avgpss', 'hs06sec', 'jobmetrics', 'totrchar', 'totwchar',
        'totrbytes', 'totwbytes', 'raterchar', 'ratewchar', 'raterbytes', 'ratewbytes', 'memory_leak',
        'memory_leak_x2', 'meancorecount', 'gco2_regional', 'gco2_global', 'proddbupdatetime', 'jobparameters',
        'metadata'));
    v_row.put('pandaid', v_new_pandaid);
    v_row.put('jobstatus', v_status);
    v_row.put('attemptnr', NVL(PANDADB_SUPPORT.member_number(v_old, 'attemptnr'), 0) + 1);
    v_row.put('failedattempt', NVL(PANDADB_SUPPORT.member_number(v_old, 'failedattempt'), 0)
                               + CASE WHEN PANDADB_SUPPORT.member_text(v_old, 'jobstatus') = 'failed' THEN 1 ELSE 0 END);
    v_row.put('parentid', v_old_pandaid);
    v_row.put('creationtime', PANDADB_SUPPORT.date_text(v_now));
    v_row.put('modificationtime', PANDADB_SUPPORT.date_text(v_now));
    v_row.put('statechangetime', PANDADB_SUPPORT.date_text(v_now));
    PANDADB_SUPPORT.merge_members(v_row, PANDADB_SUPPORT.without_keys(v_changes, SYS.ODCIVARCHAR2LIST('jobstatus')));
    v_row.put('resource_type', ATLAS_PANDA.JOB_RESOURCE_TYPE(PANDADB_SUPPORT.member_number(v_row, 'corecount'),
                                                             PANDADB_SUPPORT.member_number(v_row, 'minramcount')));
    ATLAS_PANDA.JOB_CHECK_VALUES(ATLAS_PANDA.JOB_TABLE_FOR_STATUS(v_status), v_row.to_clob(),
                                 'new attempt of job ' || v_old_pandaid);
    ATLAS_PANDA.JOB_INSERT_ROW(ATLAS_PANDA.JOB_TABLE_FOR_STATUS(v_status), v_row.to_clob());

    INSERT INTO ATLAS_PANDA.FILESTABLE4 (ROW_ID, PANDAID, MODIFICATIONTIME, GUID, LFN, "TYPE", DATASET, STATUS, PRODDBLOCK,
        PRODDBLOCKTOKEN, DISPATCHDBLOCK, DISPATCHDBLOCKTOKEN, DESTINATIONDBLOCK, DESTINATIONDBLOCKTOKEN, DESTINATIONSE,
        FSIZE, MD5SUM, CHECKSUM, SCOPE, JEDITASKID, DATASETID, FILEID, ATTEMPTNR)
    SELECT ATLAS_PANDA.FILESTABLE4_ROW_ID_SEQ.NEXTVAL, v_new_pandaid, v_now,
           CASE WHEN f."TYPE" IN ('output', 'log')
                THEN LOWER(REGEXP_REPLACE(RAWTOHEX(SYS_GUID()), '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\1-\2-\3-\4-\5'))
                ELSE f.GUID END,
           f.LFN, f."TYPE", f.DATASET,
           CASE WHEN f."TYPE" IN ('output', 'log') THEN 'unknown' ELSE f.STATUS END,
           f.PRODDBLOCK, f.PRODDBLOCKTOKEN, f.DISPATCHDBLOCK, f.DISPATCHDBLOCKTOKEN, f.DESTINATIONDBLOCK,
           f.DESTINATIONDBLOCKTOKEN, f.DESTINATIONSE,
           CASE WHEN f."TYPE" IN ('output', 'log') THEN 0 ELSE f.FSIZE END,
           CASE WHEN f."TYPE" IN ('output', 'log') THEN NULL ELSE f.MD5SUM END,
           CASE WHEN f."TYPE" IN ('output', 'log') THEN NULL ELSE f.CHECKSUM END,
           f.SCOPE, f.JEDITASKID, f.DATASETID, f.FILEID,
           CASE WHEN f."TYPE" IN ('input', 'pseudo_input') THEN NVL(f.ATTEMPTNR, 0) + 1 ELSE f.ATTEMPTNR END
      FROM (SELECT o.* FROM ATLAS_PANDA.FILESTABLE4 o WHERE o.PANDAID = v_old_pandaid ORDER BY o.ROW_ID) f;

    INSERT INTO ATLAS_PANDA.JOBPARAMSTABLE (PANDAID, MODIFICATIONTIME, JOBPARAMETERS)
    SELECT v_new_pandaid, v_now, p.JOBPARAMETERS
      FROM ATLAS_PANDA.JOBPARAMSTABLE p WHERE p.PANDAID = v_old_pandaid
     ORDER BY p.MODIFICATIONTIME DESC FETCH FIRST 1 ROWS ONLY;

    IF v_task_id IS NOT NULL THEN
        BEGIN
            SELECT h.ORIGINPANDAID INTO v_origin FROM ATLAS_PANDA.JEDI_JOB_RETRY_HISTORY h
             WHERE h.JEDITASKID = v_task_id AND h.NEWPANDAID = v_old_pandaid
             ORDER BY h.INS_UTC_TSTAMP FETCH FIRST 1 ROWS ONLY;
        EXCEPTION
            WHEN NO_DATA_FOUND THEN
                v_origin := NULL;
        END;
        INSERT INTO ATLAS_PANDA.JEDI_JOB_RETRY_HISTORY (JEDITASKID, OLDPANDAID, NEWPANDAID, INS_UTC_TSTAMP, RELATIONTYPE, ORIGINPANDAID)
        VALUES (v_task_id, v_old_pandaid, v_new_pandaid, v_now, p_relation, NVL(v_origin, v_old_pandaid));
    END IF;
    ATLAS_PANDA.JOB_LOG_STATUS(v_row.to_clob());
    RETURN v_new_pandaid;
END JOB_NEW_ATTEMPT;
/

-- retry_log: one retry-module line in pandalog (type 'retryModule'), in PanDA's message format.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.RETRY_LOG(p_pandaid IN NUMBER, p_message IN VARCHAR2)
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
BEGIN
    INSERT INTO ATLAS_PANDA.PANDALOG (BINTIME, NAME, MODULE, "TYPE", PID, LOGLEVEL, LEVELNAME, "TIME", FILENAME, LINE, MESSAGE)
    VALUES (v_now, 'panda.mon.prod', 'retryModule', 'retryModule', p_pandaid, 20, 'INFO',
            TO_CHAR(v_now, 'YYYY-MM-DD HH24:MI:SS'), 'retry.sql', 0, SUBSTR(p_message, 1, 4000));
END RETRY_LOG;
/

-- apply_retry_rules: judge a failed job (just archived) and queue its new attempt when it is retried
-- (see the top of procedures/postgres/retry.sql). Returns {"retried", "new_pandaid", "max_attempt",
-- "reason", "rules": [{"retryerror_id", "action", "active"}, ...]}.
--   p_job  the failed job's row as JSON
CREATE OR REPLACE FUNCTION ATLAS_PANDA.APPLY_RETRY_RULES(p_job IN CLOB)
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_job JSON_OBJECT_T := JSON_OBJECT_T.parse(p_job);
    v_pandaid NUMBER := PANDADB_SUPPORT.member_number(v_job, 'pandaid');
    v_attempt NUMBER := NVL(PANDADB_SUPPORT.member_number(v_job, 'attemptnr'), 0);
    v_max_attempt NUMBER := NVL(PANDADB_SUPPORT.member_number(v_job, 'maxattempt'), 0);
    v_matching SYS_REFCURSOR;
    -- one matching rule (the cursor's columns)
    v_position NUMBER;
    v_source VARCHAR2(100);
    v_code NUMBER;
    v_diag VARCHAR2(4000);
    v_rule_id NUMBER;
    v_action VARCHAR2(50);
    v_applied NUMBER;
    v_parameters_text CLOB;
    v_rule_diag VARCHAR2(256);
    v_parameters JSON_OBJECT_T;
    v_first_position NUMBER;
    v_rules JSON_ARRAY_T := JSON_ARRAY_T();
    v_rule JSON_OBJECT_T;
    v_no_retry BOOLEAN := FALSE;
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_cores NUMBER := GREATEST(NVL(PANDADB_SUPPORT.member_number(v_job, 'corecount'), 1), 1);
    v_step NUMBER;
    v_factor NUMBER;
    v_per_core NUMBER;
    v_new_pandaid NUMBER;
    v_reason VARCHAR2(4000);
    v_verb VARCHAR2(100);
    v_task_status VARCHAR2(64);
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    v_changes.put('jobstatus', 'activated');
    -- the rules of the first error source that rules match (the cursor is ordered by position, rule id)
    v_matching := ATLAS_PANDA.RETRY_MATCHING_RULES(p_job, v_now);
    LOOP
        FETCH v_matching INTO v_position, v_source, v_code, v_diag, v_rule_id, v_action, v_applied,
                              v_parameters_text, v_rule_diag;
        EXIT WHEN v_matching%NOTFOUND;
        v_first_position := NVL(v_first_position, v_position);
        EXIT WHEN v_position <> v_first_position;
        v_parameters := JSON_OBJECT_T.parse(v_parameters_text);
        v_verb := CASE v_action WHEN 'no_retry' THEN 'setNoRetry' WHEN 'limit_retry' THEN 'setMaxAttempt'
                                WHEN 'increase_memory' THEN 'increaseRAMLimit' WHEN 'increase_cputime' THEN 'increaseCpuTime'
                                ELSE v_action END;
        ATLAS_PANDA.RETRY_LOG(v_pandaid,
            'action=' || v_verb || ' for PandaID=' || v_pandaid || ' jediTaskID='
            || NVL(PANDADB_SUPPORT.member_text(v_job, 'jeditaskid'), 'None') || ' prodSourceLabel='
            || PANDADB_SUPPORT.member_text(v_job, 'prodsourcelabel')
            || CASE WHEN v_action = 'limit_retry'
                    THEN ' maxAttempt=' || NVL(PANDADB_SUPPORT.member_text(v_parameters, 'maxAttempt'), 'None') END
            || ' ( ErrorSource=' || v_source || ' ErrorCode=' || v_code || ' ErrorDiag: ' || NVL(v_rule_diag, 'None')
            || '. Error/action active=' || CASE WHEN v_applied = 1 THEN 'True' ELSE 'False' END
            || ' error_id=' || v_rule_id || ' )');
        v_rule := JSON_OBJECT_T();
        v_rule.put('retryerror_id', v_rule_id);
        v_rule.put('action', v_action);
        v_rule.put('active', v_applied = 1);
        v_rules.append(v_rule);
        CONTINUE WHEN v_applied = 0;
        CASE v_action
            WHEN 'no_retry' THEN
                v_no_retry := TRUE;
            WHEN 'limit_retry' THEN
                IF REGEXP_LIKE(PANDADB_SUPPORT.member_text(v_parameters, 'maxAttempt'), '^[0-9]+$') THEN
                    v_max_attempt := LEAST(v_max_attempt, PANDADB_SUPPORT.member_number(v_parameters, 'maxAttempt'));
                    v_changes.put('maxattempt', v_max_attempt);
                ELSE
                    ATLAS_PANDA.RETRY_LOG(v_pandaid, 'Inconsistent definition of limit_retry rule - maxAttempt not defined. '
                                                     || 'error_id=' || v_rule_id);
                END IF;
            WHEN 'increase_memory' THEN
                v_step := CASE WHEN REGEXP_LIKE(PANDADB_SUPPORT.member_text(v_parameters, 'step'), '^[0-9]+$')
                               THEN PANDADB_SUPPORT.member_number(v_parameters, 'step') ELSE 1000 END;
                v_per_core := GREATEST(NVL(PANDADB_SUPPORT.member_number(v_job, 'minramcount'), 0),
                                       NVL(PANDADB_SUPPORT.member_number(v_job, 'maxpss'), 0) / 1024) / v_cores;
                v_changes.put('minramcount', ROUND((FLOOR(v_per_core / v_step) + 1) * v_step * v_cores));
            WHEN 'increase_cputime' THEN
                v_factor := CASE WHEN REGEXP_LIKE(PANDADB_SUPPORT.member_text(v_parameters, 'factor'), '^[0-9]+(\.[0-9]+)?$')
                                 THEN PANDADB_SUPPORT.member_number(v_parameters, 'factor') ELSE 1.5 END;
                v_changes.put('maxcpucount', CEIL(NVL(PANDADB_SUPPORT.member_number(v_job, 'maxcpucount'), 0) * v_factor));
                IF PANDADB_SUPPORT.member_text(v_job, 'maxwalltime') IS NOT NULL THEN
                    v_changes.put('maxwalltime', CEIL(PANDADB_SUPPORT.member_number(v_job, 'maxwalltime') * v_factor));
                END IF;
            ELSE
                NULL;  -- an action this database does not implement: logged above, no effect
        END CASE;
    END LOOP;
    CLOSE v_matching;

    BEGIN
        SELECT t.STATUS INTO v_task_status FROM ATLAS_PANDA.JEDI_TASKS t
         WHERE t.JEDITASKID = PANDADB_SUPPORT.member_number(v_job, 'jeditaskid');
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_task_status := NULL;
    END;
    IF v_no_retry THEN
        v_reason := 'no_retry rule';
    ELSIF v_task_status IN ('done', 'finished', 'failed', 'broken', 'aborted', 'exhausted', 'finishing', 'aborting',
                            'tobroken') THEN
        v_reason := 'task ' || PANDADB_SUPPORT.member_text(v_job, 'jeditaskid') || ' is ' || v_task_status
                    || ': no new attempt';
    ELSIF v_attempt >= v_max_attempt THEN
        v_reason := 'attempt ' || v_attempt || ' reached maxattempt ' || v_max_attempt;
    ELSE
        v_new_pandaid := ATLAS_PANDA.JOB_NEW_ATTEMPT(p_job, v_changes.to_clob(), 'retry');
        v_reason := 'new attempt ' || v_new_pandaid;
    END IF;
    v_result.put('retried', v_new_pandaid IS NOT NULL);
    v_result.put('new_pandaid', v_new_pandaid);
    v_result.put('max_attempt', v_max_attempt);
    v_result.put('reason', v_reason);
    v_result.put('rules', v_rules);
    RETURN v_result.to_clob();
END APPLY_RETRY_RULES;
/
