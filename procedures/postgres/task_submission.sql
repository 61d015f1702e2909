-- Tasks in the database, first half (seed 004 sections 2.4 and 7.1, REST API v1 task/submit of seed 000):
-- the task status helper every task step uses, submission (submit_task) and the Task Refiner
-- (refine_task, refine_tasks). The Contents Feeder is in task_contents.sql, the replica catalogue in
-- replicas.sql; job generation, brokerage and task progress in task_generation*.sql, task_brokerage*.sql,
-- task_progress*.sql.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- The task states (section 2.4): submit_task inserts the task 'registered'; refine_task turns it
-- 'defined' (or 'broken' with an errordialog naming the bad parameter); the Contents Feeder fills its
-- datasets and turns it 'ready' (or keeps it 'pending' with the reason while input is missing); the Job
-- Generator takes 'ready' tasks on (scouting, running, ...).
--
-- EVERY task status change goes through doma_panda.task_set_status(p_jeditaskid, p_status, p_diagnostic):
-- it sets jedi_tasks.status, oldstatus, statechangetime, modificationtime (and errordialog when a
-- diagnostic is given; starttime on the first scouting/running, endtime on a final status) and writes the
-- tasks_statuslog row. The caller's transaction holds the task row lock from then on.
--
-- Rule violations raise SQLSTATE PD002 (bad input, naming the parameter), PD003 (unknown task) or PD005
-- (not allowed); the database is then unchanged. Refinement problems are no errors: the task goes
-- 'broken' and errordialog names the parameter.

-- task_statuses: the task statuses of seed 004 section 2.4 (plus 'exhausted' of chapter 15 and
-- 'staging' of the data carousel).
CREATE OR REPLACE FUNCTION doma_panda.task_statuses()
RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['registered', 'defined', 'assigning', 'ready', 'pending', 'scouting', 'scouted', 'running',
                 'prepared', 'done', 'failed', 'finished', 'aborting', 'aborted', 'finishing', 'topreprocess',
                 'preprocessing', 'tobroken', 'broken', 'toretry', 'toincexec', 'rerefine', 'paused',
                 'throttled', 'exhausted', 'staging', 'passed'];
$$;

-- task_final_statuses: statuses in which a task does nothing more (a duplicate taskName may be reused).
CREATE OR REPLACE FUNCTION doma_panda.task_final_statuses()
RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['done', 'finished', 'failed', 'broken', 'aborted', 'exhausted'];
$$;

-- task_host: the modificationhost written to tasks_statuslog: the session's pandadb.host setting, else
-- its application_name, else the client address.
CREATE OR REPLACE FUNCTION doma_panda.task_host()
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT left(coalesce(nullif(current_setting('pandadb.host', true), ''),
                         nullif(current_setting('application_name', true), ''),
                         host(inet_client_addr()), 'local'), 128);
$$;

-- task_set_status: change a task's status (the one helper for every task transition) and log it in
-- tasks_statuslog. Locks the task row (kept until the caller's transaction ends). When the status does
-- not change, only errordialog (if p_diagnostic is given) and modificationtime are updated and nothing is
-- logged. Returns the previous status.
--   p_jeditaskid  the task
--   p_status      the new status (a status of section 2.4; PD002 otherwise)
--   p_diagnostic  the reason: stored in jedi_tasks.errordialog (510 chars) and tasks_statuslog.reason
--                 (255 chars); NULL keeps errordialog as it is
CREATE OR REPLACE FUNCTION doma_panda.task_set_status(p_jeditaskid bigint, p_status text, p_diagnostic text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_old text;
    v_attemptnr smallint;
BEGIN
    IF p_status IS NULL OR p_status <> ALL (doma_panda.task_statuses()) THEN
        RAISE EXCEPTION 'p_status: % is no task status', coalesce(p_status, 'NULL') USING ERRCODE = 'PD002';
    END IF;
    SELECT t.status, t.attemptnr INTO v_old, v_attemptnr
      FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', p_jeditaskid USING ERRCODE = 'PD003';
    END IF;
    IF v_old = p_status THEN
        UPDATE doma_panda.jedi_tasks t
           SET errordialog = coalesce(left(p_diagnostic, 510), t.errordialog), modificationtime = v_now
         WHERE t.jeditaskid = p_jeditaskid;
        RETURN v_old;
    END IF;
    UPDATE doma_panda.jedi_tasks t
       SET status = p_status, oldstatus = v_old, statechangetime = v_now, modificationtime = v_now,
           realmodificationtime = v_now,
           errordialog = coalesce(left(p_diagnostic, 510), t.errordialog),
           starttime = CASE WHEN p_status IN ('scouting', 'running') THEN coalesce(t.starttime, v_now) ELSE t.starttime END,
           endtime = CASE WHEN p_status = ANY (doma_panda.task_final_statuses()) THEN v_now ELSE t.endtime END
     WHERE t.jeditaskid = p_jeditaskid;
    INSERT INTO doma_panda.tasks_statuslog (jeditaskid, modificationtime, status, modificationhost, attemptnr, reason)
    VALUES (p_jeditaskid, doma_panda.job_precise_now(), p_status, doma_panda.task_host(), v_attemptnr,
            left(p_diagnostic, 255));
    RETURN v_old;
END;
$$;
