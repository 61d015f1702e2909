-- Tasks in the database, progress (seed 004 sections 2.4, 2.6, 2.13, 7.1 and chapter 15): what a job end
-- does to its task's files and counters, the finalisation of tasks whose input is processed, and the
-- re-tuning of task parameters from scout jobs (and after the first jobs of the avalanche).
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- File states (section 7.1): the Job Generator turns input files 'ready' -> 'running' with the job's
-- PandaID and adds the job's output files 'running'. When the job ends (task_job_ended, called by
-- job_update_task_counters in the job's final transaction):
--   - a new attempt of the job takes over (the retry rules of retry.sql: while attemptnr < maxAttempt):
--     its files move to the new PandaID, input attemptnr + 1 (failedattempt + 1 when it failed);
--   - finished: the job's files 'finished', nfilesfinished of their datasets + n;
--   - failed without a new attempt (maxAttempt reached or a no_retry rule): input files 'failed'
--     (attemptnr + 1), output files 'failed', nfilesfailed + n;
--   - cancelled or closed (killed, timed out) without a new attempt: input files with attempts left go
--     back to 'ready' (nfilesused - n) for the generator to take again, the others 'failed'.
-- Only file rows that still belong to the job (jedi_dataset_contents.pandaid) change.
-- Then, when no input file of the task's master datasets is left to process, the task is finalised at once
-- if its row is free (else by the next run_task_progress): 'done' (all files finished), 'finished'
-- (some), 'failed' (none); its datasets 'done'.
--
-- run_task_progress (scheduled) does, per task in scouting / scouted / running / pending, one transaction
-- each: the scout step (when half of the scout jobs finished: task_scout_tune 'scouts', then 'scouted',
-- or 'exhausted' with the cause; when every scout job failed: 'failed'), the second tuning after
-- SCOUT_AVALANCHE_JOBS (100) finished avalanche jobs, and the finalisation.
-- Lock order: job end locks datasets (by datasetid) and then tries the task row without waiting (SKIP
-- LOCKED); the generator and run_task_progress lock the task row first: no cycle, no deadlock.

-- task_job_ended: the JEDI bookkeeping of a job that reached a final status (see the top of this file).
--   p_job          the archived job row as JSON
--   p_new_pandaid  the new attempt that takes over its work, or NULL
CREATE OR REPLACE FUNCTION doma_panda.task_job_ended(p_job jsonb, p_new_pandaid bigint)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_task_id bigint := (p_job ->> 'jeditaskid')::bigint;
    v_pandaid bigint := (p_job ->> 'pandaid')::bigint;
    v_status text := p_job ->> 'jobstatus';
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    IF v_task_id IS NULL THEN
        RETURN;
    END IF;
    IF p_new_pandaid IS NOT NULL THEN
        UPDATE doma_panda.jedi_dataset_contents c
           SET pandaid = p_new_pandaid,
               attemptnr = CASE WHEN f.type IN ('input', 'pseudo_input') THEN coalesce(c.attemptnr, 0) + 1 ELSE c.attemptnr END,
               failedattempt = coalesce(c.failedattempt, 0)
                               + CASE WHEN v_status = 'failed' AND f.type IN ('input', 'pseudo_input') THEN 1 ELSE 0 END,
               lastattempttime = v_now
          FROM doma_panda.filestable4 f
         WHERE f.pandaid = v_pandaid
           AND c.jeditaskid = f.jeditaskid AND c.datasetid = f.datasetid AND c.fileid = f.fileid
           AND (c.pandaid = v_pandaid OR c.pandaid IS NULL);
        RETURN;
    END IF;
    -- lock the datasets in one order: concurrent jobs of a task update the same counters
    PERFORM 1 FROM doma_panda.jedi_datasets d
     WHERE d.jeditaskid = v_task_id
       AND d.datasetid IN (SELECT f.datasetid FROM doma_panda.filestable4 f WHERE f.pandaid = v_pandaid)
     ORDER BY d.datasetid
       FOR UPDATE;
    WITH changed AS (
        UPDATE doma_panda.jedi_dataset_contents c
           SET status = CASE
                   WHEN v_status = 'finished' THEN 'finished'
                   WHEN f.type IN ('input', 'pseudo_input') AND v_status IN ('cancelled', 'closed')
                        AND coalesce(c.attemptnr, 0) + 1 < coalesce(c.maxattempt, 1) THEN 'ready'
                   ELSE 'failed' END,
               attemptnr = CASE WHEN f.type IN ('input', 'pseudo_input') THEN coalesce(c.attemptnr, 0) + 1 ELSE c.attemptnr END,
               failedattempt = coalesce(c.failedattempt, 0)
                               + CASE WHEN v_status = 'failed' AND f.type IN ('input', 'pseudo_input') THEN 1 ELSE 0 END,
               pandaid = CASE WHEN v_status IN ('cancelled', 'closed') AND f.type IN ('input', 'pseudo_input')
                                   AND coalesce(c.attemptnr, 0) + 1 < coalesce(c.maxattempt, 1) THEN NULL ELSE c.pandaid END,
               fsize = CASE WHEN f.type IN ('output', 'log') AND coalesce(f.fsize, 0) > 0 THEN f.fsize ELSE c.fsize END,
               lastattempttime = v_now
          FROM doma_panda.filestable4 f
         WHERE f.pandaid = v_pandaid
           AND c.jeditaskid = f.jeditaskid AND c.datasetid = f.datasetid AND c.fileid = f.fileid
           AND (c.pandaid = v_pandaid OR c.pandaid IS NULL) AND c.status NOT IN ('finished', 'failed')
        RETURNING c.datasetid, c.status
    ), per_dataset AS (
        SELECT datasetid, count(*) FILTER (WHERE status = 'finished') AS finished,
               count(*) FILTER (WHERE status = 'failed') AS failed, count(*) FILTER (WHERE status = 'ready') AS again
          FROM changed GROUP BY datasetid
    )
    UPDATE doma_panda.jedi_datasets d
       SET nfilesfinished = coalesce(d.nfilesfinished, 0) + p.finished,
           nfilesfailed = coalesce(d.nfilesfailed, 0) + p.failed,
           nfilesused = greatest(coalesce(d.nfilesused, 0) - p.again, 0),
           modificationtime = v_now
      FROM per_dataset p
     WHERE d.jeditaskid = v_task_id AND d.datasetid = p.datasetid;
    -- finalise now when this was the last file (by the master datasets' counters: no scan of the files on
    -- every job end) and nobody holds the task (else run_task_progress does it); task_finalise checks the files
    PERFORM 1 FROM doma_panda.jedi_tasks t
     WHERE t.jeditaskid = v_task_id AND t.status IN ('scouting', 'scouted', 'running', 'pending')
       AND NOT EXISTS (SELECT 1 FROM doma_panda.jedi_datasets d
                        WHERE d.jeditaskid = v_task_id AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL
                          AND coalesce(d.nfilesfinished, 0) + coalesce(d.nfilesfailed, 0) < coalesce(d.nfiles, 0))
       FOR UPDATE OF t SKIP LOCKED;
    IF FOUND THEN
        PERFORM doma_panda.task_finalise(v_task_id);
    END IF;
END;
$$;

-- task_finalise: end a task whose master input is processed (the caller holds the task row): 'done'
-- when every input file finished, 'finished' when some did, 'failed' when none did; its datasets 'done';
-- input files left 'ready' without attempts count as failed. Returns the new status, or NULL when input
-- is left to process (nothing changes then).
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_finalise(p_jeditaskid bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_total bigint;
    v_finished bigint;
    v_failed bigint;
    v_left bigint;
    v_status text;
BEGIN
    SELECT count(*), count(*) FILTER (WHERE c.status = 'finished'), count(*) FILTER (WHERE c.status = 'failed'),
           count(*) FILTER (WHERE c.status NOT IN ('finished', 'failed')
                             AND NOT (c.status = 'ready' AND coalesce(c.attemptnr, 0) >= coalesce(c.maxattempt, 1)))
      INTO v_total, v_finished, v_failed, v_left
      FROM doma_panda.jedi_dataset_contents c
      JOIN doma_panda.jedi_datasets d ON d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid
     WHERE c.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL;
    IF v_total = 0 OR v_left > 0 THEN
        RETURN NULL;
    END IF;
    v_failed := v_total - v_finished;
    v_status := CASE WHEN v_failed = 0 THEN 'done' WHEN v_finished = 0 THEN 'failed' ELSE 'finished' END;
    UPDATE doma_panda.jedi_dataset_contents c SET status = 'failed'
      FROM doma_panda.jedi_datasets d
     WHERE d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid AND c.jeditaskid = p_jeditaskid
       AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL AND c.status = 'ready';
    UPDATE doma_panda.jedi_datasets d
       SET status = 'done', modificationtime = doma_panda.panda_now(),
           nfilesfailed = CASE WHEN d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL
                               THEN (SELECT count(*) FROM doma_panda.jedi_dataset_contents c
                                      WHERE c.jeditaskid = d.jeditaskid AND c.datasetid = d.datasetid AND c.status = 'failed')
                               ELSE d.nfilesfailed END
     WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input', 'output', 'log');
    UPDATE doma_panda.jedi_tasks t SET progress = 100,
           failurerate = CASE WHEN v_total > 0 THEN round(100.0 * v_failed / v_total) END
     WHERE t.jeditaskid = p_jeditaskid;
    PERFORM doma_panda.task_set_status(p_jeditaskid, v_status,
        format('%s of %s input files finished, %s failed', v_finished, v_total, v_failed));
    RETURN v_status;
END;
$$;

-- task_percentile: the value at a percentile rank (0-100) of a set, as percentile_disc does; NULL for none.
CREATE OR REPLACE FUNCTION doma_panda.task_percentile(p_values numeric[], p_rank numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT percentile_disc(least(greatest(p_rank, 0), 100) / 100.0) WITHIN GROUP (ORDER BY v)
      FROM unnest(p_values) v WHERE v IS NOT NULL;
$$;

-- task_scout_tune: re-tune a task's parameters from its finished jobs (chapter 15) and record the
-- result in task_evaluation (metric 'scout_tune_<phase>'). Phase 'scouts' uses the finished scout jobs
-- (specialhandling 'sj'), phase 'avalanche' the finished other jobs. Per job (nEvents: the job's reported
-- events, else its input files' events, a file without events counting 1; duration endTime - startTime):
--   cpuTime   = max(0, duration - baseTime) x corePower x coreCount x cpuEfficiency x 1.5 / nEvents, from jobs
--               with nEvents >= 10 x coreCount or duration >= 6 h; the SCOUT_CPUTIME_RANK (95) percentile;
--               kept when cpuTimeUnit ends with 'Fixed'; stored in the unit (m prefix: milli)
--   ramCount  = max((maxPSS - baseRamCount) / coreCount x (1 + SCOUT_RAMCOUNT_MARGIN / 100), SCOUT_RAMCOUNT_MIN),
--               the SCOUT_RAMCOUNT_RANK (75) percentile, MB per core; kept when ramUnit is MBPerCoreFixed
--   outDiskCount  the 75th percentile of output bytes per event (jobs with >= 10 events), kB
--   workDiskCount the largest working directory reported (jobmetrics workDirSize=, MB), only when larger
--   ioIntensity   the largest (input + output bytes) / duration, kB/s
--   diskIO        the largest min((totRBYTES + totWBYTES) / duration, SCOUT_DISK_IO_CAP), kB/s
-- In the 'scouts' phase the task is found 'exhausted' (the cause returned in "exhausted") when: the median
-- CPU efficiency is under minCpuEfficiency; a job's memory leak per core passes
-- SCOUT_MEM_LEAK_PER_CORE_<processingType> (or SCOUT_MEM_LEAK_PER_CORE); more than half the jobs ran
-- shorter than SCOUT_SHORT_EXECTIME_<processingType> (or SCOUT_SHORT_EXECTIME) minutes; the new ramCount
-- or cpuTime is more than SCOUT_EXHAUSTED_CHANGE_FACTOR times the preset value; or jobs used more CPU
-- than SCOUT_CPU_ABUSE_FACTOR x their cores (the gdpconfig checks apply only when configured).
-- Returns {"phase", "jobs", "cpuTime", "ramCount", "outDiskCount", "workDiskCount", "ioIntensity", "diskIO",
-- "exhausted"}. The caller holds the task row.
--   p_jeditaskid  the task
--   p_phase       'scouts' or 'avalanche'
CREATE OR REPLACE FUNCTION doma_panda.task_scout_tune(p_jeditaskid bigint, p_phase text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_params jsonb;
    v_margin numeric;
    v_ram_min numeric;
    v_cpu_rank numeric;
    v_ram_rank numeric;
    v_io_cap numeric;
    v_eff numeric;
    v_activity text;
    v_m record;
    v_cpu numeric;
    v_ram numeric;
    v_out numeric;
    v_work numeric;
    v_io numeric;
    v_diskio numeric;
    v_cause text;
    v_threshold numeric;
    v_result jsonb;
BEGIN
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid;
    v_params := doma_panda.task_params(p_jeditaskid);
    v_margin := doma_panda.task_config_number('SCOUT_RAMCOUNT_MARGIN', 10, v_task.vo);
    v_ram_min := doma_panda.task_config_number('SCOUT_RAMCOUNT_MIN', 0, v_task.vo);
    v_cpu_rank := doma_panda.task_config_number('SCOUT_CPUTIME_RANK', 95, v_task.vo);
    v_ram_rank := doma_panda.task_config_number('SCOUT_RAMCOUNT_RANK', 75, v_task.vo);
    v_io_cap := doma_panda.task_config_number('SCOUT_DISK_IO_CAP', NULL, v_task.vo);
    v_eff := CASE WHEN v_task.cpuefficiency IS NULL THEN 0.9 ELSE v_task.cpuefficiency / 100.0 END;
    v_activity := coalesce(v_task.processingtype, '');

    WITH jobs AS (
        SELECT j.pandaid, j.computingsite, j.starttime, j.endtime, j.maxpss, j.memory_leak, j.totrbytes, j.totwbytes,
               j.cpuconsumptiontime, j.jobmetrics,
               greatest(coalesce(j.actualcorecount, j.corecount, 1), 1) AS cores,
               greatest(extract(epoch FROM j.endtime - j.starttime), 0) AS duration,
               nullif(j.nevents, 0) AS nevents
          FROM doma_panda.jobsarchived4 j
         WHERE j.jeditaskid = p_jeditaskid AND j.jobstatus = 'finished'
           AND (CASE WHEN p_phase = 'scouts' THEN doma_panda.job_has_flag(j.specialhandling, '{sj}')
                     ELSE NOT doma_panda.job_has_flag(j.specialhandling, '{sj}') END)
           AND j.starttime > '1970-01-02' AND j.endtime > '1970-01-02'
    ), per_job AS (
        SELECT j.*, coalesce(j.nevents, io.events, 1) AS events, coalesce(io.inbytes, 0) AS inbytes, coalesce(io.outbytes, 0) AS outbytes,
               coalesce(CASE WHEN q.data::jsonb ->> 'corepower' ~ '^[0-9.]+$' THEN (q.data::jsonb ->> 'corepower')::numeric END, 10) AS corepower
          FROM jobs j
          LEFT JOIN doma_panda.schedconfig_json q ON q.panda_queue = j.computingsite
          LEFT JOIN LATERAL (
              SELECT sum(greatest(coalesce(c.nevents, 1), 1)) FILTER (WHERE f.type IN ('input', 'pseudo_input')
                                                                        AND f.fileid IS NOT NULL) AS events,
                     sum(coalesce(f.fsize, 0)) FILTER (WHERE f.type = 'input') AS inbytes,
                     sum(coalesce(f.fsize, 0)) FILTER (WHERE f.type IN ('output', 'log')) AS outbytes
                FROM doma_panda.filestable4 f
                LEFT JOIN doma_panda.jedi_dataset_contents c
                       ON c.jeditaskid = f.jeditaskid AND c.datasetid = f.datasetid AND c.fileid = f.fileid
               WHERE f.pandaid = j.pandaid) io ON true
    )
    SELECT count(*) AS n,
           array_agg(greatest(p.duration - coalesce(v_task.basewalltime, 0), 0) * p.corepower * p.cores * v_eff * 1.5 / p.events)
               FILTER (WHERE p.events >= 10 * p.cores OR p.duration >= 6 * 3600) AS cpu,
           array_agg(greatest((p.maxpss / 1024.0 - coalesce(v_task.baseramcount, 0)) / p.cores * (1 + v_margin / 100.0), v_ram_min))
               FILTER (WHERE coalesce(p.maxpss, 0) > 0) AS ram,
           array_agg(p.outbytes / 1024.0 / p.events) FILTER (WHERE p.events >= 10 AND p.outbytes > 0) AS outdisk,
           max(substring(p.jobmetrics FROM 'workDirSize=([0-9]+)')::numeric) AS workdisk,
           max((p.inbytes + p.outbytes) / 1024.0 / nullif(p.duration, 0)) AS io,
           max(CASE WHEN p.duration > 0 THEN least((coalesce(p.totrbytes, 0) + coalesce(p.totwbytes, 0)) / 1024.0 / p.duration,
                                                   coalesce(v_io_cap, 'Infinity'::numeric)) END) AS diskio,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY 100.0 * p.cpuconsumptiontime / nullif(p.duration * p.cores, 0)) AS efficiency,
           max(p.memory_leak / p.cores) AS leak,
           count(*) FILTER (WHERE p.duration < 60 * doma_panda.task_config_number('SCOUT_SHORT_EXECTIME_' || v_activity,
                                                   doma_panda.task_config_number('SCOUT_SHORT_EXECTIME', NULL, v_task.vo), v_task.vo)) AS short,
           max(p.cpuconsumptiontime / nullif(p.duration * p.cores, 0)) AS cpu_per_core
      INTO v_m FROM per_job p;
    IF v_m.n = 0 THEN
        RETURN jsonb_build_object('phase', p_phase, 'jobs', 0);
    END IF;
    v_cpu := doma_panda.task_percentile(v_m.cpu, v_cpu_rank);
    v_ram := ceil(doma_panda.task_percentile(v_m.ram, v_ram_rank));
    v_out := ceil(doma_panda.task_percentile(v_m.outdisk, 75));
    v_work := v_m.workdisk;
    v_io := ceil(v_m.io);
    v_diskio := ceil(v_m.diskio);

    IF p_phase = 'scouts' THEN
        v_threshold := doma_panda.task_rule_number(v_task.splitrule, v_params, 'minCpuEfficiency');
        IF v_threshold IS NOT NULL AND v_m.efficiency IS NOT NULL AND v_m.efficiency < v_threshold THEN
            v_cause := format('CPU efficiency %s%% under minCpuEfficiency %s%%', round(v_m.efficiency), v_threshold);
        END IF;
        v_threshold := doma_panda.task_config_number('SCOUT_MEM_LEAK_PER_CORE_' || v_activity,
                           doma_panda.task_config_number('SCOUT_MEM_LEAK_PER_CORE', NULL, v_task.vo), v_task.vo);
        IF v_cause IS NULL AND v_threshold IS NOT NULL AND v_m.leak > v_threshold THEN
            v_cause := format('memory leak %s kB/s per core over %s', round(v_m.leak), v_threshold);
        END IF;
        IF v_cause IS NULL AND v_m.short * 2 > v_m.n THEN
            v_cause := format('%s of %s scout jobs ran shorter than SCOUT_SHORT_EXECTIME', v_m.short, v_m.n);
        END IF;
        v_threshold := doma_panda.task_config_number('SCOUT_EXHAUSTED_CHANGE_FACTOR', NULL, v_task.vo);
        IF v_cause IS NULL AND v_threshold IS NOT NULL
           AND ((coalesce(v_task.ramcount, 0) > 0 AND v_ram > v_threshold * v_task.ramcount)
                OR (coalesce(v_task.cputime, 0) > 0 AND v_cpu > v_threshold * v_task.cputime)) THEN
            v_cause := format('scouts measured ramCount %s / cpuTime %s, far from the preset %s / %s',
                              v_ram, round(v_cpu, 3), v_task.ramcount, v_task.cputime);
        END IF;
        v_threshold := doma_panda.task_config_number('SCOUT_CPU_ABUSE_FACTOR', NULL, v_task.vo);
        IF v_cause IS NULL AND v_threshold IS NOT NULL AND v_m.cpu_per_core > v_threshold THEN
            v_cause := format('jobs used %s CPUs per allocated core', round(v_m.cpu_per_core, 2));
        END IF;
    END IF;

    UPDATE doma_panda.jedi_tasks t SET
        cputime = CASE WHEN v_cpu IS NULL OR coalesce(t.cputimeunit, '') LIKE '%Fixed' THEN t.cputime
                       WHEN t.cputimeunit LIKE 'mHS06%' THEN ceil(v_cpu * 1000) ELSE ceil(v_cpu) END,
        cputimeunit = CASE WHEN v_cpu IS NULL THEN t.cputimeunit ELSE coalesce(t.cputimeunit, 'HS06sPerEvent') END,
        ramcount = CASE WHEN v_ram IS NULL OR coalesce(t.ramunit, '') LIKE '%Fixed' THEN t.ramcount ELSE v_ram END,
        ramunit = CASE WHEN v_ram IS NULL THEN t.ramunit ELSE coalesce(t.ramunit, 'MBPerCore') END,
        outdiskcount = coalesce(v_out, t.outdiskcount),
        outdiskunit = CASE WHEN v_out IS NULL THEN t.outdiskunit ELSE 'kB' END,
        workdiskcount = CASE WHEN v_work > coalesce(t.workdiskcount, 0) THEN v_work ELSE t.workdiskcount END,
        workdiskunit = CASE WHEN v_work > coalesce(t.workdiskcount, 0) THEN 'MB' ELSE t.workdiskunit END,
        iointensity = coalesce(v_io, t.iointensity),
        iointensityunit = CASE WHEN v_io IS NULL THEN t.iointensityunit ELSE 'kBPerS' END,
        diskio = coalesce(v_diskio, t.diskio),
        diskiounit = CASE WHEN v_diskio IS NULL THEN t.diskiounit ELSE 'kBPerS' END,
        modificationtime = doma_panda.panda_now()
     WHERE t.jeditaskid = p_jeditaskid;
    v_result := jsonb_build_object('phase', p_phase, 'jobs', v_m.n, 'cpuTime', v_cpu, 'ramCount', v_ram,
                                   'outDiskCount', v_out, 'workDiskCount', v_work, 'ioIntensity', v_io,
                                   'diskIO', v_diskio, 'exhausted', v_cause);
    INSERT INTO doma_panda.task_evaluation (jeditaskid, metric, value_json, timestamp)
    VALUES (p_jeditaskid, 'scout_tune_' || p_phase, v_result::text, doma_panda.panda_now())
    ON CONFLICT (jeditaskid, metric) DO UPDATE SET value_json = EXCLUDED.value_json, timestamp = EXCLUDED.timestamp;
    RETURN v_result;
END;
$$;

-- task_progress_step: the periodic progress of one task (see the top of this file), in this
-- transaction; a task another transaction holds is skipped. Returns {"jeditaskid", "status", "tuned"}
-- or NULL when the task was skipped.
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_progress_step(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_state text;
    v_total bigint;
    v_finished bigint;
    v_live bigint;
    v_tune jsonb;
    v_final text;
BEGIN
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t
     WHERE t.jeditaskid = p_jeditaskid AND t.status IN ('scouting', 'scouted', 'running', 'pending')
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    v_state := CASE WHEN v_task.status = 'pending' THEN v_task.oldstatus ELSE v_task.status END;
    IF v_state NOT IN ('scouting', 'scouted', 'running', 'ready') THEN
        RETURN NULL;   -- pending for another reason (input missing: the Contents Feeder's business)
    END IF;
    IF v_task.status = 'scouting' THEN
        SELECT count(*) FILTER (WHERE j.parentid IS NULL), count(*) FILTER (WHERE j.jobstatus = 'finished')
          INTO v_total, v_finished
          FROM doma_panda.jobsarchived4 j
         WHERE j.jeditaskid = p_jeditaskid AND doma_panda.job_has_flag(j.specialhandling, '{sj}');
        SELECT count(*) INTO v_live FROM (
            SELECT 1 FROM doma_panda.jobsactive4 j WHERE j.jeditaskid = p_jeditaskid AND doma_panda.job_has_flag(j.specialhandling, '{sj}')
            UNION ALL SELECT 1 FROM doma_panda.jobsdefined4 j WHERE j.jeditaskid = p_jeditaskid AND doma_panda.job_has_flag(j.specialhandling, '{sj}')
            UNION ALL SELECT 1 FROM doma_panda.jobswaiting4 j WHERE j.jeditaskid = p_jeditaskid AND doma_panda.job_has_flag(j.specialhandling, '{sj}')) x;
        v_total := v_total + (SELECT count(*) FROM (
            SELECT 1 FROM doma_panda.jobsactive4 j WHERE j.jeditaskid = p_jeditaskid AND j.parentid IS NULL AND doma_panda.job_has_flag(j.specialhandling, '{sj}')
            UNION ALL SELECT 1 FROM doma_panda.jobsdefined4 j WHERE j.jeditaskid = p_jeditaskid AND j.parentid IS NULL AND doma_panda.job_has_flag(j.specialhandling, '{sj}')
            UNION ALL SELECT 1 FROM doma_panda.jobswaiting4 j WHERE j.jeditaskid = p_jeditaskid AND j.parentid IS NULL AND doma_panda.job_has_flag(j.specialhandling, '{sj}')) x);
        IF v_total > 0 AND v_finished * 2 >= v_total THEN
            v_tune := doma_panda.task_scout_tune(p_jeditaskid, 'scouts');
            IF v_tune ->> 'exhausted' IS NOT NULL AND coalesce(doma_panda.task_rule(v_task.splitrule, doma_panda.task_params(p_jeditaskid), 'useExhausted'), '1') <> '0' THEN
                PERFORM doma_panda.task_set_status(p_jeditaskid, 'exhausted', v_tune ->> 'exhausted');
                RETURN jsonb_build_object('jeditaskid', p_jeditaskid, 'status', 'exhausted', 'tuned', v_tune);
            END IF;
            PERFORM doma_panda.task_set_status(p_jeditaskid, 'scouted',
                format('%s of %s scout jobs finished', v_finished, v_total));
        ELSIF v_total > 0 AND v_live = 0 AND v_finished = 0 THEN
            UPDATE doma_panda.jedi_datasets d SET status = 'done', modificationtime = doma_panda.panda_now()
             WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input', 'output', 'log');
            PERFORM doma_panda.task_set_status(p_jeditaskid, 'failed', format('all %s scout jobs failed', v_total));
            RETURN jsonb_build_object('jeditaskid', p_jeditaskid, 'status', 'failed', 'tuned', NULL);
        END IF;
    ELSIF v_state = 'running' AND NOT EXISTS (SELECT 1 FROM doma_panda.task_evaluation e
                                               WHERE e.jeditaskid = p_jeditaskid AND e.metric = 'scout_tune_avalanche') THEN
        SELECT count(*) INTO v_finished FROM doma_panda.jobsarchived4 j
         WHERE j.jeditaskid = p_jeditaskid AND j.jobstatus = 'finished' AND NOT doma_panda.job_has_flag(j.specialhandling, '{sj}');
        IF v_finished >= doma_panda.task_config_number('SCOUT_AVALANCHE_JOBS', 100, v_task.vo) THEN
            v_tune := doma_panda.task_scout_tune(p_jeditaskid, 'avalanche');
        END IF;
    END IF;
    v_final := doma_panda.task_finalise(p_jeditaskid);
    RETURN jsonb_build_object('jeditaskid', p_jeditaskid,
                              'status', (SELECT t.status FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid),
                              'tuned', v_tune);
END;
$$;

-- run_task_progress: the scheduled progress step: every task in scouting, scouted, running or pending,
-- one transaction each (COMMIT after each).
--   p_max_tasks  at most this many tasks in one run
CREATE OR REPLACE PROCEDURE doma_panda.run_task_progress(p_max_tasks integer DEFAULT 1000)
LANGUAGE plpgsql AS $$
DECLARE
    v_task bigint;
    v_result jsonb;
BEGIN
    FOR v_task IN
        SELECT t.jeditaskid FROM doma_panda.jedi_tasks t
         WHERE t.status IN ('scouting', 'scouted', 'running', 'pending')
         ORDER BY t.jeditaskid LIMIT p_max_tasks
    LOOP
        BEGIN  -- a task whose step fails is reported and left as it was; the others go on
            v_result := doma_panda.task_progress_step(v_task);
        EXCEPTION WHEN others THEN
            RAISE WARNING 'run_task_progress: task %: %', v_task, SQLERRM;
        END;
        COMMIT;
    END LOOP;
END;
$$;
