-- PL/SQL twin of procedures/postgres/dispatch.sql: job dispatch, pull mode (seed 004 sections 2.8, 7.2,
-- 14.4; REST pilot/acquire_jobs of seed 000). Same routine names, parameter names, rules and messages.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Errors: where PostgreSQL raises a SQLSTATE, the twin raises RAISE_APPLICATION_ERROR with the same message:
--   PD001 -> -20001 (not raised here)
--   PD002 -> -20002 (invalid input)
--   PD003 -> -20003 (unknown queue)
--   PD005 -> -20005 (not allowed: a caller without the production role, or of another VO than the queue's)
-- Types: jsonb is CLOB holding JSON text (JSON_OBJECT_T / JSON_ARRAY_T inside); RETURNS TABLE is a
-- SYS_REFCURSOR (columns as in PostgreSQL, is_leaf as NUMBER 1/0); the row parameter of
-- pilot_job_description is ATLAS_PANDA.JOBSACTIVE4%ROWTYPE.
-- Global-share order as in PostgreSQL (see procedures/postgres/dispatch.sql). Jobs without a share have
-- the share key ' ' (one space), not '': Oracle has no empty string, and the key must equal the second
-- column of JOBSACTIVE4_DISPATCH_IDX, COALESCE(GSHARE, ' ').
-- The function-based indexes of schema/oracle/41_jobs_dispatch.sql (Oracle's twin of the partial
-- indexes) are used only by predicates written with their very expressions: the per-share pick filters
-- and sorts on CASE WHEN JOBSTATUS = 'activated' THEN ... END, the busy count on
-- CASE WHEN JOBSTATUS IN ('sent', 'starting', 'running') THEN ... END (tests/test_oracle_procedures_twin.py checks
-- that these texts are here).
-- The pick: Oracle refuses FOR UPDATE with FETCH FIRST (ORA-02014), so each share's candidates are a
-- cursor ... ORDER BY ... FOR UPDATE SKIP LOCKED fetched with BULK COLLECT LIMIT n: with SKIP LOCKED
-- Oracle locks rows as they are fetched, so concurrent callers never receive the same job.
-- Oracle's '' is NULL: keys PostgreSQL gives as '' (coalesce(..., '')) are put as empty JSON strings
-- explicitly (PANDADB_SUPPORT.put_string). Each PL/SQL unit ends with a line holding only '/'.

-- global_share_targets: every global share with its target fraction of the whole (values relative to
-- siblings, multiplied down from the roots) and whether it is a leaf: a cursor of
-- (share_name, target, is_leaf 1/0).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.GLOBAL_SHARE_TARGETS
RETURN SYS_REFCURSOR
AS
    v_targets SYS_REFCURSOR;
BEGIN
    OPEN v_targets FOR
        WITH weighted (name, parent, fraction) AS (
            SELECT s.NAME, s.PARENT, s."VALUE" / NULLIF(SUM(s."VALUE") OVER (PARTITION BY s.PARENT), 0)
              FROM ATLAS_PANDA.GLOBAL_SHARES s
        ), tree (name, target) AS (
            SELECT w.name, NVL(w.fraction, 0) FROM weighted w WHERE w.parent IS NULL
            UNION ALL
            SELECT w.name, t.target * NVL(w.fraction, 0) FROM weighted w JOIN tree t ON w.parent = t.name
        )
        SELECT t.name AS share_name, t.target,
               CASE WHEN NOT EXISTS (SELECT 1 FROM ATLAS_PANDA.GLOBAL_SHARES c WHERE c.PARENT = t.name) THEN 1 ELSE 0 END
                   AS is_leaf
          FROM tree t;
    RETURN v_targets;
END GLOBAL_SHARE_TARGETS;
/

-- dispatch_share_order: the order in which acquire_jobs serves the shares at a queue: a cursor of
-- (share_key, target, actual, rank) in rank order. share_key is the share name, ' ' for jobs without a
-- share (JOBSACTIVE4_DISPATCH_IDX's COALESCE(GSHARE, ' ')). The targets are global_share_targets' query
-- (a cursor cannot be joined); the actuals count the queue's sent, starting and running jobs through
-- JOBSACTIVE4_DISPATCH_BUSY_IDX.
--   p_site_name  the PanDA queue
CREATE OR REPLACE FUNCTION ATLAS_PANDA.DISPATCH_SHARE_ORDER(p_site_name IN VARCHAR2)
RETURN SYS_REFCURSOR
AS
    v_order SYS_REFCURSOR;
BEGIN
    OPEN v_order FOR
        WITH weighted (name, parent, fraction) AS (
            SELECT s.NAME, s.PARENT, s."VALUE" / NULLIF(SUM(s."VALUE") OVER (PARTITION BY s.PARENT), 0)
              FROM ATLAS_PANDA.GLOBAL_SHARES s
        ), tree (name, target) AS (
            SELECT w.name, NVL(w.fraction, 0) FROM weighted w WHERE w.parent IS NULL
            UNION ALL
            SELECT w.name, t.target * NVL(w.fraction, 0) FROM weighted w JOIN tree t ON w.parent = t.name
        ), targets AS (
            SELECT t.name AS share_name, t.target,
                   CASE WHEN NOT EXISTS (SELECT 1 FROM ATLAS_PANDA.GLOBAL_SHARES c WHERE c.PARENT = t.name)
                        THEN 1 ELSE 0 END AS is_leaf
              FROM tree t
        ), busy AS (
            SELECT NVL(CASE WHEN JOBSTATUS IN ('sent', 'starting', 'running') THEN GSHARE END, ' ') AS share_key,
                   COUNT(*) AS n
              FROM ATLAS_PANDA.JOBSACTIVE4
             WHERE CASE WHEN JOBSTATUS IN ('sent', 'starting', 'running') THEN COMPUTINGSITE END = p_site_name
             GROUP BY CASE WHEN JOBSTATUS IN ('sent', 'starting', 'running') THEN GSHARE END
        ), total AS (
            SELECT SUM(n) AS n FROM busy
        ), shares AS (
            SELECT t.share_name AS share_key, t.target, NVL(b.n / NULLIF(total.n, 0), 0) AS actual, t.is_leaf
              FROM targets t
             CROSS JOIN total
              LEFT JOIN busy b ON b.share_key = t.share_name
            UNION ALL
            SELECT ' ', 0, 0, 0 FROM DUAL
        )
        SELECT s.share_key, s.target, s.actual,
               ROW_NUMBER() OVER (ORDER BY CASE WHEN s.share_key = ' ' THEN 1 ELSE 0 END, 1 - s.is_leaf,
                                           s.target - s.actual DESC, s.target DESC, s.share_key) AS rank
          FROM shares s
         ORDER BY 4;
    RETURN v_order;
END DISPATCH_SHARE_ORDER;
/

-- dispatch_request_bigint: an integer parameter of a request, NULL when absent; -20002 naming it otherwise.
--   p_request  the request (JSON object text)
--   p_key      the parameter
CREATE OR REPLACE FUNCTION ATLAS_PANDA.DISPATCH_REQUEST_BIGINT(p_request IN CLOB, p_key IN VARCHAR2)
RETURN NUMBER
AS
    v_request JSON_OBJECT_T := JSON_OBJECT_T.parse(NVL(p_request, TO_CLOB('{}')));
    v_type VARCHAR2(10) := PANDADB_SUPPORT.member_type(v_request, p_key);
BEGIN
    IF v_type IS NULL OR v_type = 'null' THEN
        RETURN NULL;
    END IF;
    IF v_type NOT IN ('number', 'string')
       OR NOT REGEXP_LIKE(PANDADB_SUPPORT.member_text(v_request, p_key), '^\s*-?[0-9]+(\.0*)?\s*$') THEN
        RAISE_APPLICATION_ERROR(-20002, p_key || ' must be an integer, not ' || v_request.get(p_key).to_string());
    END IF;
    RETURN TRUNC(PANDADB_SUPPORT.to_number_text(PANDADB_SUPPORT.member_text(v_request, p_key)));
END DISPATCH_REQUEST_BIGINT;
/

-- pilot_job_description: the job description a pilot receives (PanDA's Protocol.Response.appendJob),
-- with exactly the keys of shared/reference/pilot_job_description_keys.txt. File fields are
-- comma-separated, one entry per file in file order (input files for inFiles, GUID, fsize, checksum,
-- scopeIn, realDatasetsIn, dispatchDblock, prodDBlocks, ddmEndPointIn...; output and log files for
-- outFiles, destinationDblock, realDatasets, fileDestinationSE, ddmEndPointOut...); unset file fields
-- read 'NULL' as in PanDA. Keys PanDA leaves out when unset are given as '' (strings), 'False' (flags)
-- or true (loopingCheck). jobPars comes from jobparamstable; taskID is the JEDI task when the job has one.
-- The lists are built in CLOBs (LISTAGG stops at 4000 bytes).
--   p_job           the job row (ATLAS_PANDA.JOBSACTIVE4%ROWTYPE)
--   p_in_endpoint   the queue's default input DDM endpoint (NULL if none)
--   p_out_endpoint  the queue's default output DDM endpoint (NULL if none)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PILOT_JOB_DESCRIPTION(p_job IN ATLAS_PANDA.JOBSACTIVE4%ROWTYPE,
                                                            p_in_endpoint IN VARCHAR2, p_out_endpoint IN VARCHAR2)
RETURN CLOB
AS
    v_items VARCHAR2(4000) := ',' || p_job.SPECIALHANDLING || ',';
    v_description JSON_OBJECT_T := JSON_OBJECT_T();
    -- inputs
    v_in_lfns CLOB; v_in_guids CLOB; v_in_sizes CLOB; v_in_checksums CLOB; v_in_scopes CLOB; v_in_datasets CLOB;
    v_in_dispatch_blocks CLOB; v_in_dispatch_tokens CLOB; v_in_prod_blocks CLOB; v_in_prod_tokens CLOB;
    v_in_endpoints CLOB; v_in_count PLS_INTEGER := 0;
    -- outputs and log
    v_out_lfns CLOB; v_out_destination_blocks CLOB; v_out_datasets CLOB; v_out_destination_ses CLOB;
    v_out_destination_tokens CLOB; v_out_dispatch_tokens CLOB; v_out_prod_tokens CLOB; v_out_endpoints CLOB;
    v_out_scopes CLOB; v_out_count PLS_INTEGER := 0;
    v_log_file VARCHAR2(4000); v_log_guid VARCHAR2(4000); v_log_scope VARCHAR2(4000);
    -- writeToFile: tmpin_<dataset>:lfn,lfn^...
    v_write_to_file CLOB;
    v_first_row NUMBER;         -- of the dataset being written
    v_dataset_lfns BOOLEAN;     -- whether an lfn of that dataset is written
    v_checksum VARCHAR2(4000);
    v_token VARCHAR2(4000);
    v_parameters CLOB;
    v_io_intensity NUMBER;
    v_io_intensity_unit VARCHAR2(32);
BEGIN
    -- the lists as string_agg makes them: ',' between entries; lfn and fsize leave NULLs out, the other
    -- entries are never NULL ('NULL' stands for an unset field). Each list starts from its first entry
    -- rather than from NULL || entry: the same in Oracle, and right in PostgreSQL too once converted.
    FOR f IN (SELECT * FROM ATLAS_PANDA.FILESTABLE4 f WHERE f.PANDAID = p_job.PANDAID AND f."TYPE" = 'input'
               ORDER BY f.ROW_ID) LOOP
        v_in_count := v_in_count + 1;
        v_in_lfns := CASE WHEN f.LFN IS NULL THEN v_in_lfns
                          WHEN v_in_lfns IS NULL THEN TO_CLOB(f.LFN)
                          ELSE v_in_lfns || ',' || f.LFN END;
        v_in_guids := CASE WHEN v_in_count = 1 THEN TO_CLOB(NVL(f.GUID, 'NULL'))
                           ELSE v_in_guids || ',' || NVL(f.GUID, 'NULL') END;
        v_in_sizes := CASE WHEN f.FSIZE IS NULL THEN v_in_sizes
                           WHEN v_in_sizes IS NULL THEN TO_CLOB(TO_CHAR(f.FSIZE))
                           ELSE v_in_sizes || ',' || TO_CHAR(f.FSIZE) END;
        v_checksum := CASE WHEN f.CHECKSUM IS NOT NULL AND f.CHECKSUM <> 'NULL' THEN f.CHECKSUM ELSE NVL(f.MD5SUM, 'NULL') END;
        v_in_checksums := CASE WHEN v_in_count = 1 THEN TO_CLOB(v_checksum) ELSE v_in_checksums || ',' || v_checksum END;
        v_in_scopes := CASE WHEN v_in_count = 1 THEN TO_CLOB(NVL(f.SCOPE, 'NULL'))
                            ELSE v_in_scopes || ',' || NVL(f.SCOPE, 'NULL') END;
        v_in_datasets := CASE WHEN v_in_count = 1 THEN TO_CLOB(NVL(f.DATASET, 'NULL'))
                              ELSE v_in_datasets || ',' || NVL(f.DATASET, 'NULL') END;
        v_in_dispatch_blocks := CASE WHEN v_in_count = 1 THEN TO_CLOB(NVL(f.DISPATCHDBLOCK, 'NULL'))
                                     ELSE v_in_dispatch_blocks || ',' || NVL(f.DISPATCHDBLOCK, 'NULL') END;
        v_in_dispatch_tokens := CASE WHEN v_in_count = 1 THEN TO_CLOB(NVL(f.DISPATCHDBLOCKTOKEN, 'NULL'))
                                     ELSE v_in_dispatch_tokens || ',' || NVL(f.DISPATCHDBLOCKTOKEN, 'NULL') END;
        v_in_prod_blocks := CASE WHEN v_in_count = 1 THEN TO_CLOB(NVL(f.PRODDBLOCK, 'NULL'))
                                 ELSE v_in_prod_blocks || ',' || NVL(f.PRODDBLOCK, 'NULL') END;
        v_in_prod_tokens := CASE WHEN v_in_count = 1 THEN TO_CLOB(NVL(f.PRODDBLOCKTOKEN, 'NULL'))
                                 ELSE v_in_prod_tokens || ',' || NVL(f.PRODDBLOCKTOKEN, 'NULL') END;
        -- an endpoint per file: '' in PostgreSQL when the queue has none, so the separators stay
        v_in_endpoints := CASE WHEN v_in_count = 1 THEN TO_CLOB(p_in_endpoint)
                               ELSE v_in_endpoints || ',' || p_in_endpoint END;
    END LOOP;
    FOR f IN (SELECT * FROM ATLAS_PANDA.FILESTABLE4 f WHERE f.PANDAID = p_job.PANDAID AND f."TYPE" IN ('output', 'log')
               ORDER BY f.ROW_ID) LOOP
        v_out_count := v_out_count + 1;
        v_out_lfns := CASE WHEN f.LFN IS NULL THEN v_out_lfns
                           WHEN v_out_lfns IS NULL THEN TO_CLOB(f.LFN)
                           ELSE v_out_lfns || ',' || f.LFN END;
        v_out_destination_blocks := CASE WHEN v_out_count = 1 THEN TO_CLOB(NVL(f.DESTINATIONDBLOCK, 'NULL'))
                                         ELSE v_out_destination_blocks || ',' || NVL(f.DESTINATIONDBLOCK, 'NULL') END;
        v_out_datasets := CASE WHEN v_out_count = 1 THEN TO_CLOB(NVL(f.DATASET, 'NULL'))
                               ELSE v_out_datasets || ',' || NVL(f.DATASET, 'NULL') END;
        v_out_destination_ses := CASE WHEN v_out_count = 1 THEN TO_CLOB(NVL(f.DESTINATIONSE, 'NULL'))
                                      ELSE v_out_destination_ses || ',' || NVL(f.DESTINATIONSE, 'NULL') END;
        v_token := REGEXP_REPLACE(REGEXP_SUBSTR(NVL(f.DESTINATIONDBLOCKTOKEN, 'NULL'), '^[^,]*'), '^ddd:', 'dst:');
        v_out_destination_tokens := CASE WHEN v_out_count = 1 THEN TO_CLOB(v_token)
                                         ELSE v_out_destination_tokens || ',' || v_token END;
        v_out_dispatch_tokens := CASE WHEN v_out_count = 1 THEN TO_CLOB(NVL(f.DISPATCHDBLOCKTOKEN, 'NULL'))
                                      ELSE v_out_dispatch_tokens || ',' || NVL(f.DISPATCHDBLOCKTOKEN, 'NULL') END;
        v_out_prod_tokens := CASE WHEN v_out_count = 1 THEN TO_CLOB(NVL(f.PRODDBLOCKTOKEN, 'NULL'))
                                  ELSE v_out_prod_tokens || ',' || NVL(f.PRODDBLOCKTOKEN, 'NULL') END;
        v_out_endpoints := CASE WHEN v_out_count = 1 THEN TO_CLOB(p_out_endpoint)
                                ELSE v_out_endpoints || ',' || p_out_endpoint END;
        IF f."TYPE" = 'output' THEN
            v_out_scopes := CASE WHEN v_out_scopes IS NULL THEN TO_CLOB(NVL(f.SCOPE, 'NULL'))
                                 ELSE v_out_scopes || ',' || NVL(f.SCOPE, 'NULL') END;
        ELSE  -- max() over the log files (max ignores NULLs, Oracle's GREATEST does not)
            v_log_file := CASE WHEN f.LFN IS NULL THEN v_log_file ELSE GREATEST(NVL(v_log_file, f.LFN), f.LFN) END;
            v_log_guid := GREATEST(NVL(v_log_guid, NVL(f.GUID, 'NULL')), NVL(f.GUID, 'NULL'));
            v_log_scope := GREATEST(NVL(v_log_scope, NVL(f.SCOPE, 'NULL')), NVL(f.SCOPE, 'NULL'));
        END IF;
    END LOOP;
    -- the input files by dataset (the name after its scope, without a trailing '/'), the datasets in the
    -- order of their first file; read only when the job asks for it
    IF INSTR(v_items, ',wf,') > 0 THEN
        FOR d IN (SELECT i.short_name, i.LFN, MIN(i.ROW_ID) OVER (PARTITION BY i.short_name) AS first_row
                    FROM (SELECT NVL(REGEXP_SUBSTR(REGEXP_REPLACE(f.DATASET, '/$', ''), '[^:]*$'), ' ') AS short_name,
                                 f.LFN, f.ROW_ID
                            FROM ATLAS_PANDA.FILESTABLE4 f
                           WHERE f.PANDAID = p_job.PANDAID AND f."TYPE" = 'input') i
                   ORDER BY 3, i.ROW_ID) LOOP
            IF v_first_row IS NULL OR d.first_row <> v_first_row THEN  -- the next dataset
                v_write_to_file := CASE WHEN v_first_row IS NULL THEN TO_CLOB('tmpin_') ELSE v_write_to_file || '^tmpin_' END
                                   || TRIM(d.short_name) || ':' || d.LFN;
                v_first_row := d.first_row;
                v_dataset_lfns := d.LFN IS NOT NULL;
            ELSIF d.LFN IS NOT NULL THEN
                v_write_to_file := CASE WHEN v_dataset_lfns THEN v_write_to_file || ',' || d.LFN
                                        ELSE v_write_to_file || d.LFN END;
                v_dataset_lfns := TRUE;
            END IF;
        END LOOP;
    END IF;
    BEGIN
        SELECT p.JOBPARAMETERS INTO v_parameters FROM ATLAS_PANDA.JOBPARAMSTABLE p
         WHERE p.PANDAID = p_job.PANDAID ORDER BY p.MODIFICATIONTIME DESC FETCH FIRST 1 ROWS ONLY;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_parameters := NULL;
    END;
    v_parameters := NVL(v_parameters, p_job.JOBPARAMETERS);
    BEGIN
        SELECT t.IOINTENSITY, t.IOINTENSITYUNIT INTO v_io_intensity, v_io_intensity_unit
          FROM ATLAS_PANDA.JEDI_TASKS t WHERE t.JEDITASKID = p_job.JEDITASKID;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            NULL;
    END;

    v_description.put('PandaID', p_job.PANDAID);
    v_description.put('prodSourceLabel', p_job.PRODSOURCELABEL);
    v_description.put('swRelease', p_job.ATLASRELEASE);
    v_description.put('homepackage', p_job.HOMEPACKAGE);
    v_description.put('transformation', p_job.TRANSFORMATION);
    v_description.put('jobName', p_job.JOBNAME);
    v_description.put('jobDefinitionID', p_job.JOBDEFINITIONID);
    v_description.put('cloud', p_job.CLOUD);
    PANDADB_SUPPORT.put_string(v_description, 'inFiles', v_in_lfns);
    PANDADB_SUPPORT.put_string(v_description, 'dispatchDblock', v_in_dispatch_blocks);
    PANDADB_SUPPORT.put_string(v_description, 'dispatchDBlockToken', v_in_dispatch_tokens);
    PANDADB_SUPPORT.put_string(v_description, 'dispatchDBlockTokenForOut', v_out_dispatch_tokens);
    PANDADB_SUPPORT.put_string(v_description, 'outFiles', v_out_lfns);
    PANDADB_SUPPORT.put_string(v_description, 'destinationDblock', v_out_destination_blocks);
    PANDADB_SUPPORT.put_string(v_description, 'destinationDBlockToken', v_out_destination_tokens);
    PANDADB_SUPPORT.put_string(v_description, 'prodDBlocks', v_in_prod_blocks);
    PANDADB_SUPPORT.put_string(v_description, 'prodDBlockToken', v_in_prod_tokens);
    PANDADB_SUPPORT.put_string(v_description, 'prodDBlockTokenForOutput', v_out_prod_tokens);
    PANDADB_SUPPORT.put_string(v_description, 'realDatasets', v_out_datasets);
    PANDADB_SUPPORT.put_string(v_description, 'realDatasetsIn', v_in_datasets);
    PANDADB_SUPPORT.put_string(v_description, 'fileDestinationSE', v_out_destination_ses);
    PANDADB_SUPPORT.put_string(v_description, 'logFile', v_log_file);
    PANDADB_SUPPORT.put_string(v_description, 'logGUID', v_log_guid);
    PANDADB_SUPPORT.put_string(v_description, 'jobPars', v_parameters);
    v_description.put('attemptNr', p_job.ATTEMPTNR);
    PANDADB_SUPPORT.put_string(v_description, 'GUID', v_in_guids);
    PANDADB_SUPPORT.put_string(v_description, 'checksum', v_in_checksums);
    PANDADB_SUPPORT.put_string(v_description, 'fsize', v_in_sizes);
    PANDADB_SUPPORT.put_string(v_description, 'scopeIn', v_in_scopes);
    PANDADB_SUPPORT.put_string(v_description, 'scopeOut', v_out_scopes);
    PANDADB_SUPPORT.put_string(v_description, 'scopeLog', v_log_scope);
    PANDADB_SUPPORT.put_string(v_description, 'ddmEndPointIn', v_in_endpoints);
    PANDADB_SUPPORT.put_string(v_description, 'ddmEndPointOut', v_out_endpoints);
    v_description.put('destinationSE', p_job.DESTINATIONSE);
    v_description.put('prodUserID', p_job.PRODUSERID);
    v_description.put('maxCpuCount', p_job.MAXCPUCOUNT);
    v_description.put('minRamCount', p_job.MINRAMCOUNT);
    v_description.put('maxDiskCount', p_job.MAXDISKCOUNT);
    v_description.put('cmtConfig', p_job.CMTCONFIG);
    v_description.put('processingType', p_job.PROCESSINGTYPE);
    v_description.put('transferType', p_job.TRANSFERTYPE);
    v_description.put('sourceSite', p_job.SOURCESITE);
    v_description.put('currentPriority', p_job.CURRENTPRIORITY);
    v_description.put('taskID', CASE WHEN p_job.LOCKEDBY = 'jedi' OR p_job.TASKID IS NULL THEN p_job.JEDITASKID
                                     ELSE p_job.TASKID END);
    v_description.put('coreCount', NVL(p_job.CORECOUNT, 1));
    v_description.put('jobsetID', p_job.JOBSETID);
    v_description.put('reqID', p_job.REQID);
    v_description.put('nucleus', p_job.NUCLEUS);
    v_description.put('maxWalltime', p_job.MAXWALLTIME);
    v_description.put('resource_type', p_job.RESOURCE_TYPE);
    -- v_items is ',<item>,<item>,': an item is in it when ',<item>,' is; the value of 'sc:<value>:...' is the
    -- text between the first and second ':' of the first item starting with 'sc:' (split_part(i, ':', 2))
    v_description.put('loopingCheck', INSTR(v_items, ',lc,') = 0);
    v_description.put('debug', CASE WHEN INSTR(v_items, ',dm,') > 0 OR INSTR(v_items, ',debug,') > 0 THEN 'True' ELSE 'False' END);
    PANDADB_SUPPORT.put_string(v_description, 'cloneJob',
                               CASE WHEN p_job.EVENTSERVICE = 3 THEN REGEXP_SUBSTR(v_items, ',sc:([^:,]*)', 1, 1, NULL, 1) END);
    v_description.put('eventService', CASE WHEN p_job.EVENTSERVICE IN (1, 4, 5, 6) THEN 'True' ELSE 'False' END);
    v_description.put('eventServiceMerge', CASE WHEN p_job.EVENTSERVICE = 2 THEN 'True' ELSE 'False' END);
    PANDADB_SUPPORT.put_string(v_description, 'writeToFile', v_write_to_file);
    v_description.put('container_name', p_job.CONTAINER_NAME);
    PANDADB_SUPPORT.put_string(v_description, 'allowNoOutput', NULL);
    PANDADB_SUPPORT.put_string(v_description, 'altStageOut', REGEXP_SUBSTR(v_items, ',ao:([^:,]*)', 1, 1, NULL, 1));
    v_description.put('putLogToOS', CASE WHEN INSTR(v_items, ',po,') > 0 THEN 'True' ELSE 'False' END);
    v_description.put('noExecStrCnv', CASE WHEN INSTR(v_items, ',nc,') > 0 THEN 'True' ELSE 'False' END);
    v_description.put('inFilePosEvtNum', CASE WHEN INSTR(v_items, ',if,') > 0 THEN 'True' ELSE 'False' END);
    v_description.put('usePrefetcher', CASE WHEN INSTR(v_items, ',up,') > 0 THEN 'True' ELSE 'False' END);
    v_description.put('ioIntensity', v_io_intensity);
    v_description.put('ioIntensityUnit', v_io_intensity_unit);
    v_description.put('isHPO', CASE WHEN INSTR(v_items, ',ho,') > 0 THEN 'True' ELSE 'False' END);
    v_description.put('useVP', 'False');
    v_description.put('onSiteMerging', CASE WHEN INSTR(v_items, ',om,') > 0 THEN 'True' ELSE 'False' END);
    PANDADB_SUPPORT.put_string(v_description, 'errorDialog', NULL);
    PANDADB_SUPPORT.put_string(v_description, 'pandaProxySecretKey', NULL);
    RETURN v_description.to_clob();
END PILOT_JOB_DESCRIPTION;
/

-- acquire_jobs: give a pilot up to n jobs of its queue that fit its resources (REST pilot/acquire_jobs),
-- in global-share order then currentpriority DESC, pandaid (see the top of the PostgreSQL file). Fitting:
-- minramcount <= memory, maxdiskcount <= disk_space, resource_type, prodsourcelabel (prod_source_label
-- 'user' also takes 'panda', 'unified'/'any' takes every label; job_type 'user'/'analysis' or
-- 'managed'/'production' restricts to analysis or production labels), jeditaskid = task_id, owner =
-- prod_user_id, maxwalltime <= remaining_time, corecount <= the queue's 'corecount', no pending kill.
-- An 'offline' or 'paused' queue gets no job; a 'test' queue only test labels. The jobs become 'sent'
-- (modificationhost = node, computingelement, schedulerid = scheduler_id or harvester_id, batchid of
-- the harvester worker, state-change and modification time now), each transition is logged in
-- jobs_statuslog, and harvester_rel_jobs_workers records harvester_id/worker_id when given.
-- A harvester worker that asks again while the jobs it was given are still 'sent' (the answer was lost)
-- gets those again, described again with their modification time refreshed, not new ones (PostgreSQL's
-- dispatch_again); they are not logged again.
-- Returns a JSON array of job descriptions (pilot_job_description), [] when nothing fits.
-- Concurrency: FOR UPDATE SKIP LOCKED, so concurrent callers never receive the same job.
--   p_site_name  the PanDA queue (computingsite)
--   p_n_jobs     how many jobs (NULL = 1; capped by gdpconfig dispatcher MAX_JOBS_PER_ACQUIRE)
--   p_request    the other acquire_jobs API parameters by their API names (memory, disk_space,
--                prod_source_label, node, computing_element, prod_user_id, task_id, resource_type,
--                harvester_id, worker_id, scheduler_id, job_type, remaining_time, background, ...)
--   p_requester      the authenticated caller (user name); NULL from SQL*Plus
--   p_requester_vo   the caller's VO (for the message naming the group that gives the role)
--   p_is_production  1 when the caller has the production (or pilot) role; without it a caller may
--                    only acquire their own user jobs: prod_source_label must be 'user' (else -20005),
--                    prod_user_id is the caller, get_proxy_key is ignored
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ACQUIRE_JOBS(p_site_name IN VARCHAR2, p_n_jobs IN NUMBER, p_request IN CLOB,
                                                    p_requester IN VARCHAR2 DEFAULT NULL,
                                                    p_requester_vo IN VARCHAR2 DEFAULT NULL,
                                                    p_is_production IN NUMBER DEFAULT 1)
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_element JSON_ELEMENT_T;
    v_request JSON_OBJECT_T := JSON_OBJECT_T();
    v_request_text CLOB;
    v_unknown VARCHAR2(32767);
    v_keys SYS.ODCIVARCHAR2LIST;
    v_queue JSON_OBJECT_T;
    v_queue_data CLOB;
    v_queue_vo VARCHAR2(4000);
    v_queue_status VARCHAR2(100);
    v_wanted NUMBER;
    v_memory NUMBER;
    v_disk NUMBER;
    v_label VARCHAR2(4000);
    v_labels SYS.ODCIVARCHAR2LIST;
    v_job_type_labels SYS.ODCIVARCHAR2LIST;
    v_any_label NUMBER(1) := 1;
    v_resource_type VARCHAR2(4000);
    v_task_id NUMBER;
    v_user VARCHAR2(4000);
    v_remaining NUMBER;
    v_core_limit NUMBER;
    v_node VARCHAR2(4000);
    v_computing_element VARCHAR2(4000);
    v_scheduler VARCHAR2(4000);
    v_harvester VARCHAR2(4000);
    v_worker NUMBER;
    v_batch VARCHAR2(4000);
    v_shares SYS_REFCURSOR;
    v_share_key VARCHAR2(100);
    v_target NUMBER;
    v_actual NUMBER;
    v_rank NUMBER;
    v_candidates SYS_REFCURSOR;
    v_picked SYS.ODCINUMBERLIST;
    v_ids SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_in_endpoint VARCHAR2(4000);
    v_out_endpoint VARCHAR2(4000);
    v_job ATLAS_PANDA.JOBSACTIVE4%ROWTYPE;
    v_result JSON_ARRAY_T := JSON_ARRAY_T();
    v_both SYS.ODCIVARCHAR2LIST;  -- an intersection of two label lists
    v_again NUMBER(1) := 0;  -- 1: the jobs are given again to the worker that asked before
    -- the share order and its cache (ATLAS_PANDA.CACHE, as the PostgreSQL twin's doma_panda.cache)
    v_order SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_order_seconds NUMBER;
    v_cached_order CLOB;
    v_cached_at DATE;
    v_use_cached NUMBER(1) := 0;
    v_locked NUMBER;
    v_order_text VARCHAR2(32767);
    v_item VARCHAR2(4000);
    v_clock DATE := CAST(SYS_EXTRACT_UTC(SYSTIMESTAMP) AS DATE);  -- the cache's clock: real time, never pinned
BEGIN
    IF p_site_name IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'site_name is required');
    END IF;
    IF p_n_jobs IS NOT NULL AND p_n_jobs < 1 THEN
        RAISE_APPLICATION_ERROR(-20002, 'n_jobs must be at least 1, not ' || p_n_jobs);
    END IF;
    IF p_request IS NOT NULL THEN
        v_element := JSON_ELEMENT_T.parse(p_request);
        IF NOT v_element.is_object() THEN
            RAISE_APPLICATION_ERROR(-20002, 'the acquire_jobs request must be a JSON object');
        END IF;
        v_request := PANDADB_SUPPORT.without_nulls(TREAT(v_element AS JSON_OBJECT_T));
    END IF;
    v_unknown := PANDADB_SUPPORT.unknown_keys(v_request, SYS.ODCIVARCHAR2LIST(
        'site_name', 'timeout', 'memory', 'disk_space', 'prod_source_label', 'node', 'computing_element',
        'prod_user_id', 'get_proxy_key', 'task_id', 'n_jobs', 'background', 'resource_type', 'harvester_id',
        'worker_id', 'scheduler_id', 'job_type', 'via_topic', 'remaining_time'));
    IF v_unknown IS NOT NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'acquire_jobs: unknown parameters ' || v_unknown);
    END IF;
    v_keys := PANDADB_SUPPORT.sorted_keys(v_request);
    v_unknown := NULL;
    FOR i IN 1 .. v_keys.COUNT LOOP
        IF v_keys(i) IN ('prod_source_label', 'node', 'computing_element', 'prod_user_id', 'resource_type', 'harvester_id',
                         'scheduler_id', 'job_type')
           AND PANDADB_SUPPORT.member_type(v_request, v_keys(i)) NOT IN ('string', 'number') THEN
            v_unknown := v_unknown || CASE WHEN v_unknown IS NOT NULL THEN ', ' END || v_keys(i);
        END IF;
    END LOOP;
    IF v_unknown IS NOT NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'acquire_jobs: ' || v_unknown || ' must be strings');
    END IF;
    IF NVL(p_is_production, 1) = 0 THEN
        IF NVL(PANDADB_SUPPORT.member_text(v_request, 'prod_source_label'), ' ') <> 'user' THEN
            RAISE_APPLICATION_ERROR(-20005, 'acquiring jobs other than prod_source_label=user requires the production role (a token group '
                || NVL(p_requester_vo, '<vo>') || '/production or ' || NVL(p_requester_vo, '<vo>') || '/pilot)');
        END IF;
        v_request.remove('get_proxy_key');
        v_request.put('prod_user_id', p_requester);
    END IF;
    v_request_text := v_request.to_clob();
    v_memory := ATLAS_PANDA.DISPATCH_REQUEST_BIGINT(v_request_text, 'memory');
    v_disk := ATLAS_PANDA.DISPATCH_REQUEST_BIGINT(v_request_text, 'disk_space');
    v_task_id := ATLAS_PANDA.DISPATCH_REQUEST_BIGINT(v_request_text, 'task_id');
    v_worker := ATLAS_PANDA.DISPATCH_REQUEST_BIGINT(v_request_text, 'worker_id');
    v_remaining := ATLAS_PANDA.DISPATCH_REQUEST_BIGINT(v_request_text, 'remaining_time');
    v_target := ATLAS_PANDA.DISPATCH_REQUEST_BIGINT(v_request_text, 'timeout');  -- checked, not used
    -- 0 means "not given" for the resource limits, as pilots send it
    v_memory := NULLIF(v_memory, 0);
    v_disk := NULLIF(v_disk, 0);
    v_remaining := NULLIF(v_remaining, 0);
    v_label := PANDADB_SUPPORT.member_text(v_request, 'prod_source_label');
    v_resource_type := PANDADB_SUPPORT.member_text(v_request, 'resource_type');
    v_user := PANDADB_SUPPORT.member_text(v_request, 'prod_user_id');
    v_node := PANDADB_SUPPORT.member_text(v_request, 'node');
    v_computing_element := PANDADB_SUPPORT.member_text(v_request, 'computing_element');
    v_harvester := PANDADB_SUPPORT.member_text(v_request, 'harvester_id');
    v_scheduler := NVL(PANDADB_SUPPORT.member_text(v_request, 'scheduler_id'), v_harvester);

    v_wanted := LEAST(NVL(p_n_jobs, 1), NVL(TO_NUMBER(ATLAS_PANDA.GET_CONFIG_VALUE('dispatcher', 'MAX_JOBS_PER_ACQUIRE')), 1000));

    BEGIN
        SELECT q.DATA INTO v_queue_data FROM ATLAS_PANDA.SCHEDCONFIG_JSON q WHERE q.PANDA_QUEUE = p_site_name;
        v_queue := JSON_OBJECT_T.parse(v_queue_data);
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            RAISE_APPLICATION_ERROR(-20003, 'queue ' || p_site_name
                || ' is not registered (pandadb register queue): check the pilot''s --queue');
    END;
    -- a queue serves one VO (its own 'vo', else its cloud's): a caller of another VO gets nothing from it
    v_queue_vo := PANDADB_SUPPORT.member_text(v_queue, 'vo');
    IF v_queue_vo IS NULL THEN
        BEGIN
            SELECT c.VO INTO v_queue_vo FROM ATLAS_PANDAMETA.CLOUDCONFIG c
             WHERE c.NAME = PANDADB_SUPPORT.member_text(v_queue, 'cloud');
        EXCEPTION
            WHEN NO_DATA_FOUND THEN
                v_queue_vo := NULL;
        END;
    END IF;
    IF p_requester_vo IS NOT NULL AND v_queue_vo IS NOT NULL AND v_queue_vo <> p_requester_vo THEN
        RAISE_APPLICATION_ERROR(-20005, 'queue ' || p_site_name || ' serves VO ' || v_queue_vo || ': a caller of VO '
            || p_requester_vo || ' may not acquire its jobs');
    END IF;
    v_queue_status := PANDADB_SUPPORT.member_text(v_queue, 'status');
    IF v_queue_status IN ('offline', 'paused') THEN
        RETURN TO_CLOB('[]');
    END IF;
    IF REGEXP_LIKE(PANDADB_SUPPORT.member_text(v_queue, 'corecount'), '^[0-9]+$')
       AND TO_NUMBER(PANDADB_SUPPORT.member_text(v_queue, 'corecount')) > 0 THEN
        v_core_limit := TO_NUMBER(PANDADB_SUPPORT.member_text(v_queue, 'corecount'));
    END IF;

    v_labels := CASE
        WHEN v_label IS NULL OR v_label IN ('unified', 'any') THEN NULL
        WHEN v_label = 'user' THEN SYS.ODCIVARCHAR2LIST('user', 'panda')
        WHEN v_label IN ('ptest', 'prod_test') THEN SYS.ODCIVARCHAR2LIST('ptest', 'prod_test')
        ELSE SYS.ODCIVARCHAR2LIST(v_label) END;
    v_job_type_labels := CASE
        WHEN PANDADB_SUPPORT.member_text(v_request, 'job_type') IN ('user', 'analysis', 'panda') THEN SYS.ODCIVARCHAR2LIST('user', 'panda')
        WHEN PANDADB_SUPPORT.member_text(v_request, 'job_type') IN ('managed', 'production') THEN SYS.ODCIVARCHAR2LIST('managed')
        END;
    -- intersections in SQL (MEMBER OF takes nested tables only, not a VARRAY as SYS.ODCIVARCHAR2LIST)
    IF v_job_type_labels IS NOT NULL AND v_labels IS NULL THEN
        v_labels := v_job_type_labels;
    ELSIF v_job_type_labels IS NOT NULL THEN
        SELECT DISTINCT l.COLUMN_VALUE BULK COLLECT INTO v_both FROM TABLE(v_labels) l
         WHERE l.COLUMN_VALUE IN (SELECT t.COLUMN_VALUE FROM TABLE(v_job_type_labels) t);
        v_labels := v_both;
    END IF;
    IF v_queue_status = 'test' AND v_labels IS NULL THEN
        v_labels := SYS.ODCIVARCHAR2LIST('test', 'ptest', 'prod_test', 'rc_test', 'rc_test2');
    ELSIF v_queue_status = 'test' THEN
        SELECT l.COLUMN_VALUE BULK COLLECT INTO v_both FROM TABLE(v_labels) l
         WHERE l.COLUMN_VALUE IN ('test', 'ptest', 'prod_test', 'rc_test', 'rc_test2');
        v_labels := v_both;
    END IF;
    IF v_labels IS NOT NULL THEN
        v_any_label := 0;
    ELSE
        v_labels := SYS.ODCIVARCHAR2LIST();
    END IF;
    IF v_harvester IS NOT NULL AND v_worker IS NOT NULL THEN
        BEGIN
            SELECT w.BATCHID INTO v_batch FROM ATLAS_PANDA.HARVESTER_WORKERS w
             WHERE w.HARVESTERID = v_harvester AND w.WORKERID = v_worker ORDER BY w.LASTUPDATE DESC FETCH FIRST 1 ROWS ONLY;
        EXCEPTION
            WHEN NO_DATA_FOUND THEN
                v_batch := NULL;
        END;
    END IF;

    -- a worker that asks again (its answer was lost: server killed after the commit, connection cut) gets
    -- the jobs it was given and has not started yet, instead of new ones: a harvester worker runs one pilot
    IF v_harvester IS NOT NULL AND v_worker IS NOT NULL THEN
        OPEN v_candidates FOR
            SELECT j.PANDAID
              FROM ATLAS_PANDA.JOBSACTIVE4 j
             WHERE j.PANDAID IN (SELECT r.PANDAID FROM ATLAS_PANDA.HARVESTER_REL_JOBS_WORKERS r
                                  WHERE r.HARVESTERID = v_harvester AND r.WORKERID = v_worker)
               AND j.COMPUTINGSITE = p_site_name AND j.JOBSTATUS = 'sent'
             ORDER BY j.CURRENTPRIORITY DESC, j.PANDAID
               FOR UPDATE SKIP LOCKED;
        FETCH v_candidates BULK COLLECT INTO v_picked;
        CLOSE v_candidates;
        IF v_picked.COUNT > 0 THEN
            v_again := 1;
            FORALL i IN 1 .. v_picked.COUNT
                UPDATE ATLAS_PANDA.JOBSACTIVE4 j SET j.MODIFICATIONTIME = v_now WHERE j.PANDAID = v_picked(i);
            v_ids := v_picked;
        END IF;
    END IF;

    IF v_again = 0 THEN
        -- the share order, cached per queue for gdpconfig dispatcher SHARE_ORDER_CACHE_SECONDS (default 10; 0 or
        -- less: counted on every call) in the PostgreSQL twin's format (a text[] literal, '""' the jobs without
        -- a share, here ' '): the caller that locks a stale row recounts, the others keep the old order meanwhile
        v_order_seconds := NVL(TO_NUMBER(ATLAS_PANDA.GET_CONFIG_VALUE('dispatcher', 'SHARE_ORDER_CACHE_SECONDS')), 10);
        IF v_order_seconds > 0 THEN
            BEGIN
                SELECT c.DATA, c.LAST_UPDATE INTO v_cached_order, v_cached_at FROM ATLAS_PANDA.CACHE c
                 WHERE c.MAIN_KEY = 'dispatch_share_order' AND c.SUB_KEY = p_site_name;
            EXCEPTION
                WHEN NO_DATA_FOUND THEN
                    v_cached_at := NULL;
            END;
            IF v_cached_at >= v_clock - v_order_seconds / 86400 THEN
                v_use_cached := 1;
            ELSIF v_cached_at IS NOT NULL THEN
                BEGIN
                    SELECT 1 INTO v_locked FROM ATLAS_PANDA.CACHE c
                     WHERE c.MAIN_KEY = 'dispatch_share_order' AND c.SUB_KEY = p_site_name
                       FOR UPDATE SKIP LOCKED;
                EXCEPTION
                    WHEN NO_DATA_FOUND THEN  -- another caller is refreshing it
                        v_use_cached := 1;
                END;
            END IF;
        END IF;
        IF v_use_cached = 1 THEN
            v_order_text := DBMS_LOB.SUBSTR(v_cached_order, 32767, 1);
            FOR i IN 1 .. REGEXP_COUNT(v_order_text, '("[^"]*"|[^,{}"]+)') LOOP
                v_item := REGEXP_SUBSTR(v_order_text, '("[^"]*"|[^,{}"]+)', 1, i);
                v_order.EXTEND;
                v_order(v_order.COUNT) := NVL(TRIM(BOTH '"' FROM v_item), ' ');
            END LOOP;
        ELSE
            v_shares := ATLAS_PANDA.DISPATCH_SHARE_ORDER(p_site_name);
            LOOP
                FETCH v_shares INTO v_share_key, v_target, v_actual, v_rank;
                EXIT WHEN v_shares%NOTFOUND;
                v_order.EXTEND;
                v_order(v_order.COUNT) := v_share_key;
            END LOOP;
            CLOSE v_shares;
            IF v_order_seconds > 0 AND LENGTH(p_site_name) <= 56 THEN
                v_order_text := NULL;
                FOR i IN 1 .. v_order.COUNT LOOP
                    v_order_text := v_order_text || CASE WHEN i > 1 THEN ',' END
                                    || '"' || CASE WHEN v_order(i) <> ' ' THEN v_order(i) END || '"';
                END LOOP;
                BEGIN
                    MERGE INTO ATLAS_PANDA.CACHE c
                    USING (SELECT 'dispatch_share_order' AS MAIN_KEY, p_site_name AS SUB_KEY FROM DUAL) k
                       ON (c.MAIN_KEY = k.MAIN_KEY AND c.SUB_KEY = k.SUB_KEY)
                     WHEN MATCHED THEN UPDATE SET c.DATA = '{' || v_order_text || '}', c.LAST_UPDATE = v_clock
                     WHEN NOT MATCHED THEN INSERT (MAIN_KEY, SUB_KEY, DATA, LAST_UPDATE)
                          VALUES (k.MAIN_KEY, k.SUB_KEY, '{' || v_order_text || '}', v_clock);
                EXCEPTION
                    WHEN DUP_VAL_ON_INDEX THEN  -- a concurrent first caller stored the queue's order meanwhile
                        NULL;
                END;
            END IF;
        END IF;
        FOR s IN 1 .. v_order.COUNT LOOP
            v_share_key := v_order(s);
            EXIT WHEN v_ids.COUNT >= v_wanted;
            -- the expressions of JOBSACTIVE4_DISPATCH_IDX, so that the pick is a range of that index
            OPEN v_candidates FOR
                SELECT PANDAID
                  FROM ATLAS_PANDA.JOBSACTIVE4
                 WHERE CASE WHEN JOBSTATUS = 'activated' THEN COMPUTINGSITE END = p_site_name
                   AND CASE WHEN JOBSTATUS = 'activated' THEN COALESCE(GSHARE, ' ') END = v_share_key
                   AND (v_any_label = 1 OR PRODSOURCELABEL IN (SELECT COLUMN_VALUE FROM TABLE(v_labels)))
                   AND (v_memory IS NULL OR MINRAMCOUNT <= v_memory)
                   AND (v_disk IS NULL OR MAXDISKCOUNT <= v_disk)
                   AND (v_resource_type IS NULL OR RESOURCE_TYPE = v_resource_type)
                   AND (v_core_limit IS NULL OR NVL(CORECOUNT, 1) <= v_core_limit)
                   AND (v_task_id IS NULL OR JEDITASKID = v_task_id)
                   AND (v_user IS NULL OR PRODUSERID = v_user OR PRODUSERNAME = v_user)
                   AND (v_remaining IS NULL OR NVL(MAXWALLTIME, 0) <= v_remaining)
                   AND (COMMANDTOPILOT IS NULL OR COMMANDTOPILOT <> 'tobekilled')
                   AND (p_requester_vo IS NULL OR VO IS NULL OR VO = p_requester_vo)
                 ORDER BY CASE WHEN JOBSTATUS = 'activated' THEN CURRENTPRIORITY END DESC,
                          CASE WHEN JOBSTATUS = 'activated' THEN PANDAID END
                   FOR UPDATE SKIP LOCKED;
            FETCH v_candidates BULK COLLECT INTO v_picked LIMIT v_wanted - v_ids.COUNT;
            CLOSE v_candidates;
            FORALL i IN 1 .. v_picked.COUNT
                UPDATE ATLAS_PANDA.JOBSACTIVE4 j
                   SET j.JOBSTATUS = 'sent', j.MODIFICATIONTIME = v_now, j.STATECHANGETIME = v_now,
                       j.MODIFICATIONHOST = NVL(v_node, j.MODIFICATIONHOST),
                       j.COMPUTINGELEMENT = NVL(v_computing_element, j.COMPUTINGELEMENT),
                       j.SCHEDULERID = NVL(v_scheduler, j.SCHEDULERID),
                       j.BATCHID = NVL(v_batch, j.BATCHID)
                 WHERE j.PANDAID = v_picked(i);
            FOR i IN 1 .. v_picked.COUNT LOOP
                v_ids.EXTEND;
                v_ids(v_ids.COUNT) := v_picked(i);
            END LOOP;
        END LOOP;
    END IF;
    IF v_ids.COUNT = 0 THEN
        RETURN TO_CLOB('[]');
    END IF;

    IF v_again = 0 THEN
        INSERT INTO ATLAS_PANDA.JOBS_STATUSLOG (PANDAID, MODIFICATIONTIME, JOBSTATUS, PRODSOURCELABEL, CLOUD, COMPUTINGSITE,
                                               MODIFICATIONHOST, MODIFTIME_EXTENDED)
        SELECT j.PANDAID, j.MODIFICATIONTIME, j.JOBSTATUS, j.PRODSOURCELABEL, j.CLOUD, j.COMPUTINGSITE, j.MODIFICATIONHOST,
               ATLAS_PANDA.JOB_PRECISE_NOW()
          FROM ATLAS_PANDA.JOBSACTIVE4 j
         WHERE j.PANDAID IN (SELECT COLUMN_VALUE FROM TABLE(v_ids));
    END IF;
    IF v_again = 0 AND v_harvester IS NOT NULL AND v_worker IS NOT NULL THEN
        MERGE INTO ATLAS_PANDA.HARVESTER_REL_JOBS_WORKERS r
        USING (SELECT v_harvester AS HARVESTERID, v_worker AS WORKERID, COLUMN_VALUE AS PANDAID FROM TABLE(v_ids)) s
           ON (r.HARVESTERID = s.HARVESTERID AND r.WORKERID = s.WORKERID AND r.PANDAID = s.PANDAID)
         WHEN MATCHED THEN UPDATE SET r.LASTUPDATE = v_now
         WHEN NOT MATCHED THEN INSERT (HARVESTERID, WORKERID, PANDAID, LASTUPDATE)
                               VALUES (s.HARVESTERID, s.WORKERID, s.PANDAID, v_now);
    END IF;

    SELECT COALESCE((SELECT r.DDM_ENDPOINT_NAME FROM ATLAS_PANDA.PANDA_DDM_RELATION r
                      WHERE r.PANDA_SITE_NAME = p_site_name AND r.DEFAULT_READ = 'Y'
                      ORDER BY r.ORDER_READ NULLS LAST, r.DDM_ENDPOINT_NAME FETCH FIRST 1 ROWS ONLY),
                    (SELECT s.DEFAULT_DDM_ENDPOINT FROM ATLAS_PANDA.PANDA_SITE s WHERE s.PANDA_SITE_NAME = p_site_name)),
           COALESCE((SELECT r.DDM_ENDPOINT_NAME FROM ATLAS_PANDA.PANDA_DDM_RELATION r
                      WHERE r.PANDA_SITE_NAME = p_site_name AND r.DEFAULT_WRITE = 'Y'
                      ORDER BY r.ORDER_WRITE NULLS LAST, r.DDM_ENDPOINT_NAME FETCH FIRST 1 ROWS ONLY),
                    (SELECT s.DEFAULT_DDM_ENDPOINT FROM ATLAS_PANDA.PANDA_SITE s WHERE s.PANDA_SITE_NAME = p_site_name))
      INTO v_in_endpoint, v_out_endpoint
      FROM DUAL;

    -- v_ids is in the order of the picks: share rank, then currentpriority DESC, pandaid
    FOR i IN 1 .. v_ids.COUNT LOOP
        SELECT * INTO v_job FROM ATLAS_PANDA.JOBSACTIVE4 j WHERE j.PANDAID = v_ids(i);
        v_result.append(JSON_OBJECT_T.parse(ATLAS_PANDA.PILOT_JOB_DESCRIPTION(v_job, v_in_endpoint, v_out_endpoint)));
    END LOOP;
    RETURN v_result.to_clob();
END ACQUIRE_JOBS;
/
