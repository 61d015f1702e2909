-- PanDA's job and file objects (panda-client 2.2.0 pandaclient.JobSpec / FileSpec, the server's
-- taskbuffer twins) and the job tables: what job/submit receives from panda-client and what
-- job/get_description answers to it, translated here so that the client works unchanged.
--
-- panda-client serializes each JobSpec as its state: a JSON array of the JobSpec attribute values in the
-- order of JobSpec._attributes (unset values as the string "NULL", datetimes as {"_datetime_object":
-- "YYYY-MM-DD HH:MM:SS.ffffff"}), optionally the changed-attribute map, and last the list of its files,
-- each a FileSpec state (the FileSpec attribute values in order, then the owner, null). Attribute names
-- are the job/file column names in another spelling (FileSpec rowID is row_id); jobspec_attributes() and
-- filespec_attributes() are the two orders. The conversions are pure translations: every rule (allowed
-- keys, types, statuses) stays with submit_jobs.
--
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
-- Errors: SQLSTATE PD002 (bad input, naming the job spec), PD005 (not allowed); the database is then unchanged.

-- jobspec_attributes: the attributes of PanDA's JobSpec in their serialization order, with the job-table
-- column of each.
CREATE OR REPLACE FUNCTION doma_panda.jobspec_attributes()
RETURNS TABLE (attribute_position integer, attribute_name text, column_name text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES
           (1, 'PandaID', 'pandaid'), (2, 'jobDefinitionID', 'jobdefinitionid'), (3, 'schedulerID', 'schedulerid'),
           (4, 'pilotID', 'pilotid'), (5, 'creationTime', 'creationtime'), (6, 'creationHost', 'creationhost'),
           (7, 'modificationTime', 'modificationtime'), (8, 'modificationHost', 'modificationhost'),
           (9, 'AtlasRelease', 'atlasrelease'), (10, 'transformation', 'transformation'),
           (11, 'homepackage', 'homepackage'), (12, 'prodSeriesLabel', 'prodserieslabel'),
           (13, 'prodSourceLabel', 'prodsourcelabel'), (14, 'prodUserID', 'produserid'),
           (15, 'assignedPriority', 'assignedpriority'), (16, 'currentPriority', 'currentpriority'),
           (17, 'attemptNr', 'attemptnr'), (18, 'maxAttempt', 'maxattempt'), (19, 'jobStatus', 'jobstatus'),
           (20, 'jobName', 'jobname'), (21, 'maxCpuCount', 'maxcpucount'), (22, 'maxCpuUnit', 'maxcpuunit'),
           (23, 'maxDiskCount', 'maxdiskcount'), (24, 'maxDiskUnit', 'maxdiskunit'),
           (25, 'ipConnectivity', 'ipconnectivity'), (26, 'minRamCount', 'minramcount'),
           (27, 'minRamUnit', 'minramunit'), (28, 'startTime', 'starttime'), (29, 'endTime', 'endtime'),
           (30, 'cpuConsumptionTime', 'cpuconsumptiontime'), (31, 'cpuConsumptionUnit', 'cpuconsumptionunit'),
           (32, 'commandToPilot', 'commandtopilot'), (33, 'transExitCode', 'transexitcode'),
           (34, 'pilotErrorCode', 'piloterrorcode'), (35, 'pilotErrorDiag', 'piloterrordiag'),
           (36, 'exeErrorCode', 'exeerrorcode'), (37, 'exeErrorDiag', 'exeerrordiag'),
           (38, 'supErrorCode', 'superrorcode'), (39, 'supErrorDiag', 'superrordiag'),
           (40, 'ddmErrorCode', 'ddmerrorcode'), (41, 'ddmErrorDiag', 'ddmerrordiag'),
           (42, 'brokerageErrorCode', 'brokerageerrorcode'), (43, 'brokerageErrorDiag', 'brokerageerrordiag'),
           (44, 'jobDispatcherErrorCode', 'jobdispatchererrorcode'),
           (45, 'jobDispatcherErrorDiag', 'jobdispatchererrordiag'),
           (46, 'taskBufferErrorCode', 'taskbuffererrorcode'), (47, 'taskBufferErrorDiag', 'taskbuffererrordiag'),
           (48, 'computingSite', 'computingsite'), (49, 'computingElement', 'computingelement'),
           (50, 'jobParameters', 'jobparameters'), (51, 'metadata', 'metadata'), (52, 'prodDBlock', 'proddblock'),
           (53, 'dispatchDBlock', 'dispatchdblock'), (54, 'destinationDBlock', 'destinationdblock'),
           (55, 'destinationSE', 'destinationse'), (56, 'nEvents', 'nevents'), (57, 'grid', 'grid'),
           (58, 'cloud', 'cloud'), (59, 'cpuConversion', 'cpuconversion'), (60, 'sourceSite', 'sourcesite'),
           (61, 'destinationSite', 'destinationsite'), (62, 'transferType', 'transfertype'),
           (63, 'taskID', 'taskid'), (64, 'cmtConfig', 'cmtconfig'), (65, 'stateChangeTime', 'statechangetime'),
           (66, 'prodDBUpdateTime', 'proddbupdatetime'), (67, 'lockedby', 'lockedby'),
           (68, 'relocationFlag', 'relocationflag'), (69, 'jobExecutionID', 'jobexecutionid'), (70, 'VO', 'vo'),
           (71, 'pilotTiming', 'pilottiming'), (72, 'workingGroup', 'workinggroup'),
           (73, 'processingType', 'processingtype'), (74, 'prodUserName', 'produsername'),
           (75, 'nInputFiles', 'ninputfiles'), (76, 'countryGroup', 'countrygroup'), (77, 'batchID', 'batchid'),
           (78, 'parentID', 'parentid'), (79, 'specialHandling', 'specialhandling'), (80, 'jobsetID', 'jobsetid'),
           (81, 'coreCount', 'corecount'), (82, 'nInputDataFiles', 'ninputdatafiles'),
           (83, 'inputFileType', 'inputfiletype'), (84, 'inputFileProject', 'inputfileproject'),
           (85, 'inputFileBytes', 'inputfilebytes'), (86, 'nOutputDataFiles', 'noutputdatafiles'),
           (87, 'outputFileBytes', 'outputfilebytes'), (88, 'jobMetrics', 'jobmetrics'),
           (89, 'workQueue_ID', 'workqueue_id'), (90, 'jediTaskID', 'jeditaskid'),
           (91, 'jobSubStatus', 'jobsubstatus'), (92, 'actualCoreCount', 'actualcorecount'), (93, 'reqID', 'reqid'),
           (94, 'maxRSS', 'maxrss'), (95, 'maxVMEM', 'maxvmem'), (96, 'maxSWAP', 'maxswap'),
           (97, 'maxPSS', 'maxpss'), (98, 'avgRSS', 'avgrss'), (99, 'avgVMEM', 'avgvmem'),
           (100, 'avgSWAP', 'avgswap'), (101, 'avgPSS', 'avgpss'), (102, 'maxWalltime', 'maxwalltime'),
           (103, 'nucleus', 'nucleus'), (104, 'eventService', 'eventservice'),
           (105, 'failedAttempt', 'failedattempt'), (106, 'hs06sec', 'hs06sec'), (107, 'gshare', 'gshare'),
           (108, 'hs06', 'hs06'), (109, 'totRCHAR', 'totrchar'), (110, 'totWCHAR', 'totwchar'),
           (111, 'totRBYTES', 'totrbytes'), (112, 'totWBYTES', 'totwbytes'), (113, 'rateRCHAR', 'raterchar'),
           (114, 'rateWCHAR', 'ratewchar'), (115, 'rateRBYTES', 'raterbytes'), (116, 'rateWBYTES', 'ratewbytes'),
           (117, 'resource_type', 'resource_type'), (118, 'diskIO', 'diskio'), (119, 'memory_leak', 'memory_leak'),
           (120, 'memory_leak_x2', 'memory_leak_x2'), (121, 'container_name', 'container_name'),
           (122, 'job_label', 'job_label'), (123, 'gco2_regional', 'gco2_regional'),
           (124, 'gco2_global', 'gco2_global'), (125, 'cpu_architecture_level', 'cpu_architecture_level'),
           (126, 'outputFileType', 'outputfiletype');
$$;

-- filespec_attributes: the attributes of PanDA's FileSpec in their serialization order, with the
-- filestable4 column of each.
CREATE OR REPLACE FUNCTION doma_panda.filespec_attributes()
RETURNS TABLE (attribute_position integer, attribute_name text, column_name text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES
           (1, 'rowID', 'row_id'), (2, 'PandaID', 'pandaid'), (3, 'GUID', 'guid'), (4, 'lfn', 'lfn'),
           (5, 'type', 'type'), (6, 'dataset', 'dataset'), (7, 'status', 'status'), (8, 'prodDBlock', 'proddblock'),
           (9, 'prodDBlockToken', 'proddblocktoken'), (10, 'dispatchDBlock', 'dispatchdblock'),
           (11, 'dispatchDBlockToken', 'dispatchdblocktoken'), (12, 'destinationDBlock', 'destinationdblock'),
           (13, 'destinationDBlockToken', 'destinationdblocktoken'), (14, 'destinationSE', 'destinationse'),
           (15, 'fsize', 'fsize'), (16, 'md5sum', 'md5sum'), (17, 'checksum', 'checksum'), (18, 'scope', 'scope');
$$;

-- jobspec_value: one serialized JobSpec/FileSpec value as the value of a job spec object: NULL for
-- unset ("NULL", null), the timestamp text for a {"_datetime_object": ...}, anything else unchanged.
--   p_value  the serialized value
CREATE OR REPLACE FUNCTION doma_panda.jobspec_value(p_value jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_value IS NULL OR jsonb_typeof(p_value) = 'null' OR p_value = '"NULL"'::jsonb THEN NULL
        WHEN jsonb_typeof(p_value) = 'object' AND p_value ? '_datetime_object' THEN p_value -> '_datetime_object'
        ELSE p_value
    END;
$$;

-- job_spec_from_state: a serialized JobSpec (panda-client's state list) as a job spec object of
-- submit_jobs: column-name keys of the set attributes, "jobparameters", "metadata" (a non-text metadata,
-- e.g. JobSpec's [None, None, {...}] task attributes, as its JSON text) and "files" (file objects with
-- filestable4 column names). PandaID and the files' rowID/PandaID are left out: the server assigns them
-- (a JobSpec read back from the server and submitted again becomes a new job). Values beyond the known
-- attributes (the changed-attribute map, attributes of newer clients) are ignored, as JobSpec does.
--   p_state  the state list
--   p_what   what it is, for messages (e.g. 'job spec 2')
CREATE OR REPLACE FUNCTION doma_panda.job_spec_from_state(p_state jsonb, p_what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_length integer := jsonb_array_length(p_state);
    v_job jsonb;
    v_files jsonb;
    v_file jsonb;
    v_converted jsonb := '[]'::jsonb;
    v_index bigint;
BEGIN
    v_files := p_state -> (v_length - 1);
    IF v_length < 2 OR jsonb_typeof(v_files) <> 'array' THEN
        RAISE EXCEPTION '%: a serialized JobSpec is a list of attribute values ending with the list of its files',
            p_what USING ERRCODE = 'PD002';
    END IF;
    SELECT coalesce(jsonb_object_agg(a.column_name, doma_panda.jobspec_value(p_state -> (a.attribute_position - 1)))
                    FILTER (WHERE doma_panda.jobspec_value(p_state -> (a.attribute_position - 1)) IS NOT NULL), '{}'::jsonb)
      INTO v_job
      FROM doma_panda.jobspec_attributes() a
     WHERE a.attribute_position < v_length AND a.column_name <> 'pandaid';
    IF jsonb_typeof(v_job -> 'metadata') NOT IN ('string') THEN
        v_job := jsonb_set(v_job, '{metadata}', to_jsonb((v_job -> 'metadata')::text));
    END IF;
    FOR v_file, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(v_files) WITH ORDINALITY e LOOP
        IF jsonb_typeof(v_file) <> 'array' THEN
            RAISE EXCEPTION '%: file %: a serialized FileSpec is a list of attribute values', p_what, v_index
                USING ERRCODE = 'PD002';
        END IF;
        v_converted := v_converted || jsonb_build_array((
            SELECT coalesce(jsonb_object_agg(a.column_name, doma_panda.jobspec_value(v_file -> (a.attribute_position - 1)))
                            FILTER (WHERE doma_panda.jobspec_value(v_file -> (a.attribute_position - 1)) IS NOT NULL),
                            '{}'::jsonb)
              FROM doma_panda.filespec_attributes() a
             WHERE a.attribute_position <= jsonb_array_length(v_file) AND a.column_name NOT IN ('row_id', 'pandaid')));
    END LOOP;
    RETURN v_job || jsonb_build_object('files', v_converted);
END;
$$;

-- job_spec_answer: what PanDA's storeJobs answers for one job submitted as a serialized JobSpec (and
-- panda-client's submitJobs hands to scripts): [PandaID, jobDefinitionID, {"jobsetID": ...}] for
-- analysis and test jobs (prodSourceLabel user, panda, ptest, rc_test, rc_test2, rc_alrb),
-- [PandaID, jobDefinitionID, jobName] for the others.
--   p_job  the job row as inserted (column names)
CREATE OR REPLACE FUNCTION doma_panda.job_spec_answer(p_job jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_array(p_job -> 'pandaid', coalesce(p_job -> 'jobdefinitionid', 'null'::jsonb),
               CASE WHEN p_job ->> 'prodsourcelabel' IN ('user', 'panda', 'ptest', 'rc_test', 'rc_test2', 'rc_alrb')
                    THEN jsonb_build_object('jobsetID', p_job -> 'jobsetid')
                    ELSE coalesce(p_job -> 'jobname', 'null'::jsonb) END);
$$;

-- job_submission_rules: the rules of who may submit what, and what the server decides for a new job,
-- applied to one job spec object (column-name keys) of submit_jobs. Returns the spec with:
--   vo             the VO of the caller's token (a spec naming another VO is refused, PD005)
--   cloud          the cloud of its PanDA queue (doma_panda.schedconfig_json data.cloud) when it has one
-- Refused: a spec without computingSite or for a queue that is not registered (PD002); a managed
-- (prodSourceLabel=managed) job from a caller without the production role (PD005).
--   p_job            the job spec object (lower-case column names)
--   p_is_production  the caller has the production role; NULL: a trusted caller (psql, scheduler)
--   p_vo             the VO of the caller's token, or NULL
--   p_what           the job spec, for messages
CREATE OR REPLACE FUNCTION doma_panda.job_submission_rules(p_job jsonb, p_is_production boolean, p_vo text, p_what text)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_queue jsonb;
BEGIN
    IF NOT coalesce(p_is_production, true) AND p_job ->> 'prodsourcelabel' = 'managed' THEN
        RAISE EXCEPTION '%: submitting prodSourceLabel=managed jobs requires the production role (a token group %/production)',
            p_what, coalesce(p_vo, '<vo>') USING ERRCODE = 'PD005';
    END IF;
    IF p_vo IS NOT NULL AND p_job ? 'vo' AND p_job ->> 'vo' <> p_vo THEN
        RAISE EXCEPTION '%: VO % is not the VO of your token (%): jobs carry the VO they are submitted for',
            p_what, p_job ->> 'vo', p_vo USING ERRCODE = 'PD005';
    END IF;
    IF coalesce(p_job ->> 'computingsite', '') = '' THEN
        RAISE EXCEPTION '%: computingSite is required: the PanDA queue to run the job', p_what USING ERRCODE = 'PD002';
    END IF;
    SELECT s.data INTO v_queue FROM doma_panda.schedconfig_json s WHERE s.panda_queue = p_job ->> 'computingsite';
    IF NOT FOUND THEN
        RAISE EXCEPTION '%: computingSite % is not a registered PanDA queue (pandadb register queue; doma_panda.schedconfig_json)',
            p_what, p_job ->> 'computingsite' USING ERRCODE = 'PD002';
    END IF;
    RETURN p_job || jsonb_strip_nulls(jsonb_build_object('vo', p_vo, 'cloud', nullif(v_queue ->> 'cloud', '')));
END;
$$;

-- job_spec_of_row: one job in JobSpec form, as panda-client's MiscUtils.load_jobs reads it back: the
-- JobSpec attribute names with the values of the job columns (timestamps as {"__datetime__": ISO text},
-- which the client turns into datetime objects), jobParameters, metadata, and "Files" with the
-- FileSpec attribute names of its file rows.
--   p_description  the job as job_description() returns it (column names, jobParameters, metadata, files);
--                  NULL gives NULL
CREATE OR REPLACE FUNCTION doma_panda.job_spec_of_row(p_description jsonb)
RETURNS jsonb
LANGUAGE sql STABLE STRICT AS $$
    WITH timestamps AS (
        SELECT array_agg(a.attname::text) AS columns FROM pg_attribute a
         WHERE a.attrelid = 'doma_panda.jobsactive4'::regclass AND a.attnum > 0 AND NOT a.attisdropped
           AND a.atttypid IN ('timestamp without time zone'::regtype, 'timestamp with time zone'::regtype, 'date'::regtype))
    SELECT jsonb_object_agg(a.attribute_name,
               CASE WHEN a.attribute_name = 'jobParameters' THEN p_description -> 'jobParameters'
                    WHEN a.attribute_name = 'metadata' THEN p_description -> 'metadata'
                    WHEN a.column_name = ANY (t.columns) AND jsonb_typeof(p_description -> a.column_name) = 'string'
                    THEN jsonb_build_object('__datetime__',
                             to_char((p_description ->> a.column_name)::timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.US'))
                    ELSE coalesce(p_description -> a.column_name, 'null'::jsonb) END)
           || jsonb_build_object('Files', coalesce((
                  SELECT jsonb_agg((SELECT jsonb_object_agg(fa.attribute_name, coalesce(f.value -> fa.column_name, 'null'::jsonb))
                                      FROM doma_panda.filespec_attributes() fa) ORDER BY f.ordinality)
                    FROM jsonb_array_elements(p_description -> 'files') WITH ORDINALITY f), '[]'::jsonb))
      FROM doma_panda.jobspec_attributes() a, timestamps t;
$$;

-- get_job_specs: jobs in JobSpec form (REST job/get_description and job/get_description_incl_archive, read
-- by panda-client's getJobStatus and getFullJobStatus): one entry per id, in order, NULL for an unknown
-- job (as PanDA's peekJobs / getFullJobStatus answer).
--   p_pandaids         the PandaIDs
--   p_include_archive  also search doma_pandaarch
CREATE OR REPLACE FUNCTION doma_panda.get_job_specs(p_pandaids bigint[], p_include_archive boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM doma_panda.job_check_ids(p_pandaids);
    RETURN (SELECT jsonb_agg(coalesce(doma_panda.job_spec_of_row(
                                          doma_panda.job_description(ids.id, coalesce(p_include_archive, false))),
                                      'null'::jsonb) ORDER BY ids.o)
              FROM unnest(p_pandaids) WITH ORDINALITY AS ids(id, o));
END;
$$;
