-- The command step of the task engine: it finishes what the task commands of task_commands.sql start
-- (aborting -> aborted, finishing -> done/finished, toretry -> the retry applied, toincexec -> the input
-- reloaded), one task per transaction, scheduled as `task_commands` (CALL doma_panda.run_task_commands()).
-- The conventions (the command table doma_deft.prodsys_comm, who may, the statuses) are in the header of
-- task_commands.sql.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue

-- task_apply_retry: the retry of a 'toretry' task (the caller holds the task row): see the top of this file.
-- Returns the new status.
--   p_jeditaskid  the task
--   p_command     the retry command's parameters (retry_task)
CREATE OR REPLACE FUNCTION doma_panda.task_apply_retry(p_jeditaskid bigint, p_command jsonb)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_new jsonb := CASE WHEN jsonb_typeof(p_command -> 'new_parameters') = 'object' THEN p_command -> 'new_parameters' ELSE '{}' END;
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_max_attempt bigint;
    v_target text;
    v_child bigint;
BEGIN
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid;
    IF v_new <> '{}' THEN
        UPDATE doma_panda.jedi_taskparams p SET taskparams = (doma_panda.task_params(p_jeditaskid) || v_new)::text
         WHERE p.jeditaskid = p_jeditaskid;
        UPDATE doma_panda.jedi_tasks t
           SET ramcount = coalesce(doma_panda.task_param_int(v_new, 'ramCount', 0)::integer, t.ramcount),
               corecount = coalesce(doma_panda.task_param_int(v_new, 'coreCount', 0)::integer, t.corecount),
               walltime = coalesce(doma_panda.task_param_int(v_new, 'walltime', 0)::integer, t.walltime),
               cputime = coalesce(doma_panda.task_param_int(v_new, 'cpuTime', 0)::integer, t.cputime),
               taskpriority = coalesce(doma_panda.task_param_int(v_new, 'taskPriority', 0)::integer, t.taskpriority)
         WHERE t.jeditaskid = p_jeditaskid;
    END IF;
    IF NOT coalesce((p_command ->> 'keep_gshare_priority')::boolean, false) THEN
        UPDATE doma_panda.jedi_tasks t SET currentpriority = t.taskpriority WHERE t.jeditaskid = p_jeditaskid;
    END IF;
    v_max_attempt := coalesce(doma_panda.task_rule_number(v_task.splitrule, doma_panda.task_params(p_jeditaskid), 'maxAttempt'), 3);
    -- input files not processed get new attempts
    UPDATE doma_panda.jedi_dataset_contents c
       SET status = 'ready', pandaid = NULL, maxattempt = greatest(coalesce(c.maxattempt, 0), coalesce(c.attemptnr, 0) + v_max_attempt)
      FROM doma_panda.jedi_datasets d
     WHERE d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid AND c.jeditaskid = p_jeditaskid
       AND d.type IN ('input', 'pseudo_input') AND c.status IN ('failed', 'ready', 'cancelled');
    UPDATE doma_panda.jedi_datasets d
       SET status = 'ready', modificationtime = doma_panda.panda_now(),
           nfilesfailed = (SELECT count(*) FROM doma_panda.jedi_dataset_contents c
                            WHERE c.jeditaskid = d.jeditaskid AND c.datasetid = d.datasetid AND c.status = 'failed'),
           nfilesused = (SELECT count(*) FROM doma_panda.jedi_dataset_contents c
                          WHERE c.jeditaskid = d.jeditaskid AND c.datasetid = d.datasetid AND c.status NOT IN ('ready', 'failed'))
     WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input');
    UPDATE doma_panda.jedi_datasets d SET status = 'ready', modificationtime = doma_panda.panda_now()
     WHERE d.jeditaskid = p_jeditaskid AND d.type NOT IN ('input', 'pseudo_input');
    IF coalesce((p_command ->> 'discard_events')::boolean, false) THEN
        UPDATE doma_panda.jedi_events e SET status = 5   -- discarded (events.sql codes: 3 finished, 5 discarded, 6 done, 9 merged)
         WHERE e.jeditaskid = p_jeditaskid AND e.status NOT IN (3, 5, 6, 9);
    END IF;
    UPDATE doma_panda.jedi_tasks t SET attemptnr = coalesce(t.attemptnr, 0) + 1, endtime = NULL, failurerate = NULL
     WHERE t.jeditaskid = p_jeditaskid;
    v_target := CASE WHEN NOT EXISTS (SELECT 1 FROM doma_panda.jedi_datasets d WHERE d.jeditaskid = p_jeditaskid) THEN 'registered'
                     WHEN NOT EXISTS (SELECT 1 FROM doma_panda.jedi_dataset_contents c WHERE c.jeditaskid = p_jeditaskid) THEN 'defined'
                     ELSE 'ready' END;
    PERFORM doma_panda.task_set_status(p_jeditaskid, v_target, 'retried');
    IF NOT coalesce((p_command ->> 'no_child_retry')::boolean, false) THEN
        FOR v_child IN SELECT t.jeditaskid FROM doma_panda.jedi_tasks t
                        WHERE t.parent_tid = p_jeditaskid AND t.jeditaskid <> p_jeditaskid
                          AND t.status IN ('failed', 'finished', 'exhausted', 'broken')
                        ORDER BY t.jeditaskid FOR UPDATE SKIP LOCKED LOOP
            PERFORM doma_panda.task_set_status(v_child, 'toretry', format('retry of parent task %s', p_jeditaskid));
            INSERT INTO doma_deft.prodsys_comm (comm_task, comm_owner, comm_cmd, comm_ts, comm_comment, comm_parameters)
            VALUES (v_child, 'DEFT', 'retry', extract(epoch FROM doma_panda.panda_now())::bigint, 'parent ' || p_jeditaskid,
                    (p_command - 'new_parameters')::text);
        END LOOP;
    END IF;
    RETURN v_target;
END;
$$;

-- task_apply_reload: the input reload of a 'toincexec' task (the caller holds the task row): the files the
-- replica catalogue lists for its master input datasets that the task does not have yet become 'ready'
-- contents (maxattempt of the task); counters updated; the task -> 'ready'. Returns the number of new files.
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_apply_reload(p_jeditaskid bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_max_attempt bigint;
    v_new bigint;
BEGIN
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid;
    v_max_attempt := coalesce(doma_panda.task_rule_number(v_task.splitrule, doma_panda.task_params(p_jeditaskid), 'maxAttempt'), 3);
    WITH added AS (
        INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, guid, type, status,
                                                      fsize, checksum, scope, attemptnr, maxattempt, nevents, keeptrack)
        SELECT d.jeditaskid, d.datasetid, nextval('doma_panda.jedi_dataset_cont_fileid_seq'), doma_panda.panda_now(), f.lfn,
               f.guid, d.type, 'ready', f.fsize, f.checksum, f.scope, 0, v_max_attempt, f.nevents, 1
          FROM doma_panda.jedi_datasets d
          JOIN doma_panda.pandadb_dataset_files df ON df.datasetname = doma_panda.replica_dataset_name(d.datasetname)
          JOIN doma_panda.pandadb_files f ON f.scope = df.scope AND f.lfn = df.lfn
         WHERE d.jeditaskid = p_jeditaskid AND d.type = 'input' AND d.masterid IS NULL
           AND NOT EXISTS (SELECT 1 FROM doma_panda.jedi_dataset_contents c
                            WHERE c.jeditaskid = d.jeditaskid AND c.datasetid = d.datasetid AND c.lfn = f.lfn)
         ORDER BY d.datasetid, df.fileorder
        RETURNING datasetid)
    SELECT count(*) INTO v_new FROM added;
    UPDATE doma_panda.jedi_datasets d
       SET nfiles = (SELECT count(*) FROM doma_panda.jedi_dataset_contents c WHERE c.jeditaskid = d.jeditaskid AND c.datasetid = d.datasetid),
           status = 'ready', modificationtime = doma_panda.panda_now()
     WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL;
    UPDATE doma_panda.jedi_tasks t SET endtime = NULL WHERE t.jeditaskid = p_jeditaskid;
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'ready', format('input reloaded: %s new files', v_new));
    RETURN v_new;
END;
$$;

-- task_command_step: the engine's step for one task with a command to finish (aborting, finishing, toretry,
-- toincexec), in this transaction; a task another transaction holds is skipped. aborting -> 'aborted' and
-- finishing -> 'done'/'finished' once no live job is left (its datasets 'done'); toretry and toincexec are
-- applied (task_apply_retry, task_apply_reload). The task's pending commands (comm_owner 'DEFT') become
-- 'JEDI' once the task left the transient status. Returns {"jediTaskID", "status"} or NULL when skipped or
-- nothing is to be done.
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_command_step(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_command jsonb;
    v_total bigint;
    v_finished bigint;
BEGIN
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t
     WHERE t.jeditaskid = p_jeditaskid AND t.status IN ('aborting', 'finishing', 'toretry', 'toincexec')
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF v_task.status IN ('aborting', 'finishing') THEN
        IF cardinality(doma_panda.task_live_pandaids(p_jeditaskid)) > 0 THEN
            RETURN NULL;   -- jobs still at their pilots: next run
        END IF;
        UPDATE doma_panda.jedi_datasets d SET status = 'done', modificationtime = doma_panda.panda_now()
         WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input', 'output', 'log');
        IF v_task.status = 'aborting' THEN
            PERFORM doma_panda.task_set_status(p_jeditaskid, 'aborted', 'killed: no live job left');
        ELSE
            SELECT count(*), count(*) FILTER (WHERE c.status = 'finished') INTO v_total, v_finished
              FROM doma_panda.jedi_dataset_contents c
              JOIN doma_panda.jedi_datasets d ON d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid
             WHERE c.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL;
            UPDATE doma_panda.jedi_tasks t SET progress = CASE WHEN v_total > 0 THEN round(100.0 * v_finished / v_total) ELSE 100 END
             WHERE t.jeditaskid = p_jeditaskid;
            PERFORM doma_panda.task_set_status(p_jeditaskid, CASE WHEN v_total > 0 AND v_finished = v_total THEN 'done' ELSE 'finished' END,
                format('finish command: %s of %s input files finished', v_finished, v_total));
        END IF;
    ELSIF v_task.status = 'toretry' THEN
        SELECT c.comm_parameters::jsonb INTO v_command FROM doma_deft.prodsys_comm c
         WHERE c.comm_task = p_jeditaskid AND c.comm_cmd = 'retry' AND c.comm_owner = 'DEFT'
         ORDER BY c.comm_ts DESC LIMIT 1;
        PERFORM doma_panda.task_apply_retry(p_jeditaskid, coalesce(v_command, '{}'));
    ELSE
        PERFORM doma_panda.task_apply_reload(p_jeditaskid);
    END IF;
    UPDATE doma_deft.prodsys_comm c SET comm_owner = 'JEDI' WHERE c.comm_task = p_jeditaskid AND c.comm_owner = 'DEFT';
    RETURN jsonb_build_object('jediTaskID', p_jeditaskid,
                              'status', (SELECT t.status FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid));
END;
$$;

-- run_task_commands: the scheduled command step: every task in aborting, finishing, toretry or toincexec, one
-- transaction each (COMMIT after each; a task whose step fails is reported and left as it was).
--   p_max_tasks  at most this many tasks in one run
CREATE OR REPLACE PROCEDURE doma_panda.run_task_commands(p_max_tasks integer DEFAULT 1000)
LANGUAGE plpgsql AS $$
DECLARE
    v_task bigint;
    v_result jsonb;
BEGIN
    FOR v_task IN
        SELECT t.jeditaskid FROM doma_panda.jedi_tasks t
         WHERE t.status IN ('aborting', 'finishing', 'toretry', 'toincexec')
         ORDER BY t.jeditaskid LIMIT p_max_tasks
    LOOP
        BEGIN
            v_result := doma_panda.task_command_step(v_task);
        EXCEPTION WHEN others THEN
            RAISE WARNING 'run_task_commands: task %: %', v_task, SQLERRM;
        END;
        COMMIT;
    END LOOP;
END;
$$;
