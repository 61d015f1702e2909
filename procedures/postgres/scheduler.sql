-- Scheduled jobs: the registry doma_panda.pandadb_scheduled_jobs (loaded from
-- partitions/scheduled_jobs.tsv), its translation for pg_cron, and the run bookkeeping of
-- `pandadb scheduler` (PanDA daemon semantics, seed 004 chapter 11: a job never overlaps
-- itself; an exclusive job - the daemon's "sync" - runs on one host at a time and its period
-- counts across hosts). Overlap is prevented by session-level advisory locks that the
-- scheduler's connection holds for the duration of a run.
-- Rule violations: PD002 invalid input, PD003 unknown job.

-- scheduler_utc_now: the real UTC wall clock as timestamp without time zone.
-- The run log records real start/finish times and durations, so it reads clock_timestamp(),
-- not the rules clock panda_now() (which tests pin and which has one-second resolution).
CREATE OR REPLACE FUNCTION doma_panda.scheduler_utc_now()
RETURNS timestamp without time zone
LANGUAGE sql VOLATILE AS $$
    SELECT (clock_timestamp() AT TIME ZONE 'UTC')::timestamp without time zone;
$$;

-- schedule_cron_macro: the 5-field form of a cron macro ('@daily' -> '0 0 * * *'), NULL if not a macro.
--   p_schedule  the schedule text (trimmed, lower case)
CREATE OR REPLACE FUNCTION doma_panda.schedule_cron_macro(p_schedule text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_schedule
        WHEN '@hourly' THEN '0 * * * *'
        WHEN '@daily' THEN '0 0 * * *'
        WHEN '@midnight' THEN '0 0 * * *'
        WHEN '@weekly' THEN '0 0 * * 0'
        WHEN '@monthly' THEN '0 0 1 * *'
        WHEN '@yearly' THEN '0 0 1 1 *'
        WHEN '@annually' THEN '0 0 1 1 *'
    END;
$$;

-- schedule_is_cron_expression: whether a schedule is a valid 5-field cron expression
-- (minute hour day-of-month month day-of-week; items '*', 'N', 'N-M', each optionally '/step',
-- comma-separated; month and weekday names jan..dec, sun..sat) or a cron macro.
--   p_schedule  the schedule text
CREATE OR REPLACE FUNCTION doma_panda.schedule_is_cron_expression(p_schedule text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_fields text[];
    v_item text;
    v_parts text[];
    v_value text;
    v_number integer;
    -- bounds per field; weekday 7 is Sunday as in cron
    c_low integer[] := ARRAY[0, 0, 1, 1, 0];
    c_high integer[] := ARRAY[59, 23, 31, 12, 7];
    c_months text[] := ARRAY['jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec'];
    c_days text[] := ARRAY['sun','mon','tue','wed','thu','fri','sat'];
BEGIN
    IF p_schedule IS NULL THEN
        RETURN false;
    END IF;
    IF doma_panda.schedule_cron_macro(lower(btrim(p_schedule))) IS NOT NULL THEN
        RETURN true;
    END IF;
    v_fields := regexp_split_to_array(lower(btrim(p_schedule)), '\s+');
    IF array_length(v_fields, 1) <> 5 THEN
        RETURN false;
    END IF;
    FOR i IN 1..5 LOOP
        FOREACH v_item IN ARRAY string_to_array(v_fields[i], ',') LOOP
            v_parts := regexp_match(v_item, '^(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]+))?$');
            IF v_parts IS NULL OR v_parts[2] = '0' THEN
                RETURN false;
            END IF;
            CONTINUE WHEN v_parts[1] = '*';
            FOREACH v_value IN ARRAY string_to_array(v_parts[1], '-') LOOP
                IF v_value ~ '^[0-9]+$' THEN
                    v_number := v_value::integer;
                ELSIF i = 4 AND v_value = ANY (c_months) THEN
                    v_number := array_position(c_months, v_value);
                ELSIF i = 5 AND v_value = ANY (c_days) THEN
                    v_number := array_position(c_days, v_value) - 1;
                ELSE
                    RETURN false;
                END IF;
                IF v_number < c_low[i] OR v_number > c_high[i] THEN
                    RETURN false;
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN true;
END;
$$;

-- schedule_period: the period of a schedule given as a duration ('10 seconds', '1 minute',
-- '2 hours', '1 day', any fixed-length PostgreSQL interval); NULL when the schedule is a cron
-- expression. Raises PD002 when it is neither.
--   p_schedule  the schedule text of a registry job
CREATE OR REPLACE FUNCTION doma_panda.schedule_period(p_schedule text)
RETURNS interval
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_period interval;
BEGIN
    IF doma_panda.schedule_is_cron_expression(p_schedule) THEN
        RETURN NULL;
    END IF;
    BEGIN
        v_period := btrim(p_schedule)::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        v_period := NULL;
    END;
    IF v_period IS NULL OR p_schedule !~ '[a-zA-Z:]' THEN
        -- a bare number is ambiguous (seconds? minutes?): ask for a unit
        RAISE EXCEPTION 'schedule % is neither a cron expression (5 fields such as ''*/5 * * * *'', or @hourly, @daily) nor a period with a unit (such as ''10 seconds'', ''1 minute'', ''1 day'')',
            coalesce(quote_literal(p_schedule), 'NULL') USING ERRCODE = 'PD002';
    END IF;
    IF extract(month FROM v_period) <> 0 OR extract(year FROM v_period) <> 0 THEN
        RAISE EXCEPTION 'period % has no fixed length: use days (''30 days'') or a cron expression (''0 0 1 * *'')',
            quote_literal(p_schedule) USING ERRCODE = 'PD002';
    END IF;
    IF v_period <= interval '0' THEN
        RAISE EXCEPTION 'period % must be longer than zero', quote_literal(p_schedule) USING ERRCODE = 'PD002';
    END IF;
    RETURN v_period;
END;
$$;

-- schedule_cron_expression: the pg_cron (1.4, minute granularity) schedule of a registry schedule.
-- Cron expressions pass through (macros expanded); periods become the cron expression with the
-- same runs: '1 minute' -> '* * * * *', '5 minutes' -> '*/5 * * * *', '1 hour' -> '0 * * * *',
-- '6 hours' -> '0 */6 * * *', '1 day' -> '0 0 * * *', '7 days' -> '0 0 * * 0'. Raises PD002 for
-- sub-minute periods and periods that no cron expression repeats exactly.
--   p_schedule  the schedule text of a registry job
CREATE OR REPLACE FUNCTION doma_panda.schedule_cron_expression(p_schedule text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_period interval := doma_panda.schedule_period(p_schedule);
    v_seconds numeric;
    v_minutes integer;
BEGIN
    IF v_period IS NULL THEN
        RETURN coalesce(doma_panda.schedule_cron_macro(lower(btrim(p_schedule))),
                        array_to_string(regexp_split_to_array(btrim(p_schedule), '\s+'), ' '));
    END IF;
    v_seconds := extract(epoch FROM v_period);
    IF v_seconds < 60 THEN
        RAISE EXCEPTION 'period % is shorter than a minute, which pg_cron 1.4 cannot run: run this job with `pandadb scheduler` (seconds granularity) instead',
            quote_literal(p_schedule) USING ERRCODE = 'PD002';
    END IF;
    IF v_seconds % 60 <> 0 THEN
        RAISE EXCEPTION 'period % is not a whole number of minutes, which pg_cron cannot run: use whole minutes, a cron expression, or `pandadb scheduler`',
            quote_literal(p_schedule) USING ERRCODE = 'PD002';
    END IF;
    v_minutes := (v_seconds / 60)::integer;
    IF v_minutes = 1 THEN
        RETURN '* * * * *';
    ELSIF v_minutes < 60 AND 60 % v_minutes = 0 THEN
        RETURN format('*/%s * * * *', v_minutes);
    ELSIF v_minutes = 60 THEN
        RETURN '0 * * * *';
    ELSIF v_minutes < 1440 AND v_minutes % 60 = 0 AND 24 % (v_minutes / 60) = 0 THEN
        RETURN format('0 */%s * * *', v_minutes / 60);
    ELSIF v_minutes = 1440 THEN
        RETURN '0 0 * * *';
    ELSIF v_minutes = 10080 THEN
        RETURN '0 0 * * 0';
    END IF;
    -- e.g. '7 minutes': '*/7' would restart at every full hour, so the runs would not be 7 minutes apart
    RAISE EXCEPTION 'period % has no exact cron equivalent (cron repeats divisors of an hour or a day, 1 day or 7 days): write a cron expression instead, or use `pandadb scheduler`',
        quote_literal(p_schedule) USING ERRCODE = 'PD002';
END;
$$;

-- load_scheduled_jobs: replace the registry with the given jobs (upsert; jobs not given are
-- deleted unless p_remove_missing is false). One transaction: any invalid job leaves the registry
-- unchanged. Returns {"inserted": n, "updated": n, "unchanged": n, "deleted": n}.
--   p_jobs            JSON array of objects: name, schedule, command (required), exclusive, enabled
--                     (JSON booleans, default true), description (optional)
--   p_remove_missing  delete registry jobs that p_jobs does not name (default true)
CREATE OR REPLACE FUNCTION doma_panda.load_scheduled_jobs(p_jobs jsonb, p_remove_missing boolean DEFAULT true)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_job jsonb;
    v_unknown text;
    v_names text[] := ARRAY[]::text[];
    v_inserted integer := 0;
    v_updated integer := 0;
    v_unchanged integer := 0;
    v_deleted integer := 0;
    v_old doma_panda.pandadb_scheduled_jobs%ROWTYPE;
    v_new doma_panda.pandadb_scheduled_jobs%ROWTYPE;
BEGIN
    IF p_jobs IS NULL OR jsonb_typeof(p_jobs) <> 'array' THEN
        RAISE EXCEPTION 'the scheduled jobs must be a JSON array of objects' USING ERRCODE = 'PD002';
    END IF;
    -- one loader at a time, so that concurrent loads cannot interleave upserts and deletes
    PERFORM pg_advisory_xact_lock(hashtextextended('pandadb load_scheduled_jobs', 0));
    FOR v_job IN SELECT value FROM jsonb_array_elements(p_jobs) LOOP
        IF jsonb_typeof(v_job) <> 'object' THEN
            RAISE EXCEPTION 'scheduled job % is not a JSON object', v_job USING ERRCODE = 'PD002';
        END IF;
        SELECT string_agg(key, ', ') INTO v_unknown FROM jsonb_object_keys(v_job) AS key
         WHERE key NOT IN ('name', 'schedule', 'command', 'exclusive', 'enabled', 'description');
        IF v_unknown IS NOT NULL THEN
            RAISE EXCEPTION 'scheduled job % has unknown keys: % (known: name, schedule, command, exclusive, enabled, description)',
                coalesce(v_job ->> 'name', v_job::text), v_unknown USING ERRCODE = 'PD002';
        END IF;
        v_new.name := v_job ->> 'name';
        IF v_new.name IS NULL OR v_new.name !~ '^[a-z0-9_]{1,64}$' THEN
            RAISE EXCEPTION 'invalid scheduled job name %: use 1-64 lower-case letters, digits and _',
                coalesce(quote_literal(v_new.name), 'NULL') USING ERRCODE = 'PD002';
        END IF;
        IF v_new.name = ANY (v_names) THEN
            RAISE EXCEPTION 'scheduled job % is given twice', v_new.name USING ERRCODE = 'PD002';
        END IF;
        v_names := v_names || v_new.name::text;
        FOREACH v_unknown IN ARRAY ARRAY['exclusive', 'enabled'] LOOP
            IF v_job ? v_unknown AND jsonb_typeof(v_job -> v_unknown) <> 'boolean' THEN
                RAISE EXCEPTION 'scheduled job %: % must be true or false, not %', v_new.name, v_unknown, v_job -> v_unknown
                    USING ERRCODE = 'PD002';
            END IF;
        END LOOP;
        v_new.schedule := btrim(v_job ->> 'schedule');
        v_new.command := btrim(v_job ->> 'command');
        IF v_new.command IS NULL OR v_new.command = '' THEN
            RAISE EXCEPTION 'scheduled job % has no command', v_new.name USING ERRCODE = 'PD002';
        END IF;
        BEGIN
            PERFORM doma_panda.schedule_period(v_new.schedule);
        EXCEPTION WHEN SQLSTATE 'PD002' THEN
            RAISE EXCEPTION 'scheduled job %: %', v_new.name, SQLERRM USING ERRCODE = 'PD002';
        END;
        v_new.exclusive := coalesce((v_job -> 'exclusive')::boolean, true);
        v_new.enabled := coalesce((v_job -> 'enabled')::boolean, true);
        v_new.description := v_job ->> 'description';

        SELECT * INTO v_old FROM doma_panda.pandadb_scheduled_jobs WHERE name = v_new.name FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO doma_panda.pandadb_scheduled_jobs VALUES (v_new.*);
            v_inserted := v_inserted + 1;
        ELSIF v_old IS DISTINCT FROM v_new THEN
            UPDATE doma_panda.pandadb_scheduled_jobs
               SET schedule = v_new.schedule, command = v_new.command, exclusive = v_new.exclusive,
                   enabled = v_new.enabled, description = v_new.description
             WHERE name = v_new.name;
            v_updated := v_updated + 1;
        ELSE
            v_unchanged := v_unchanged + 1;
        END IF;
    END LOOP;
    IF p_remove_missing THEN
        DELETE FROM doma_panda.pandadb_scheduled_jobs WHERE name <> ALL (v_names);
        GET DIAGNOSTICS v_deleted = ROW_COUNT;
    END IF;
    RETURN jsonb_build_object('inserted', v_inserted, 'updated', v_updated, 'unchanged', v_unchanged, 'deleted', v_deleted);
END;
$$;

-- scheduler_jobs: the enabled registry jobs as `pandadb scheduler` runs them: a period in seconds
-- or a 5-field cron expression. Raises PD003 for a named job that is not in the registry and
-- PD002 for a named job that is disabled.
--   p_job_names  the jobs to run (NULL: every enabled job)
CREATE OR REPLACE FUNCTION doma_panda.scheduler_jobs(p_job_names text[] DEFAULT NULL)
RETURNS TABLE (name text, schedule text, period_seconds double precision, cron_expression text,
               command text, exclusive boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_missing text;
BEGIN
    IF p_job_names IS NOT NULL THEN
        SELECT string_agg(wanted, ', ') INTO v_missing FROM unnest(p_job_names) AS wanted
         WHERE NOT EXISTS (SELECT 1 FROM doma_panda.pandadb_scheduled_jobs j WHERE j.name = wanted);
        IF v_missing IS NOT NULL THEN
            RAISE EXCEPTION 'no scheduled job named %: see `pandadb cron list` for the registry', v_missing
                USING ERRCODE = 'PD003';
        END IF;
        SELECT string_agg(j.name, ', ') INTO v_missing FROM doma_panda.pandadb_scheduled_jobs j
         WHERE j.name = ANY (p_job_names) AND NOT j.enabled;
        IF v_missing IS NOT NULL THEN
            RAISE EXCEPTION 'scheduled job % is disabled in the registry: enable it in partitions/scheduled_jobs.tsv and load it (pandadb cron load)',
                v_missing USING ERRCODE = 'PD002';
        END IF;
    END IF;
    RETURN QUERY
        SELECT j.name::text, j.schedule::text,
               extract(epoch FROM doma_panda.schedule_period(j.schedule))::double precision,
               CASE WHEN doma_panda.schedule_period(j.schedule) IS NULL
                    THEN doma_panda.schedule_cron_expression(j.schedule) END,
               j.command, j.exclusive
          FROM doma_panda.pandadb_scheduled_jobs j
         WHERE j.enabled AND (p_job_names IS NULL OR j.name = ANY (p_job_names))
         ORDER BY j.name;
END;
$$;

-- cron_jobs: the enabled registry jobs with their pg_cron schedules, for `pandadb cron install`.
-- Raises PD002 naming every job whose schedule pg_cron cannot run (sub-minute periods).
CREATE OR REPLACE FUNCTION doma_panda.cron_jobs()
RETURNS TABLE (name text, cron_schedule text, command text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_job record;
    v_problems text[] := ARRAY[]::text[];
BEGIN
    FOR v_job IN SELECT j.name, j.schedule FROM doma_panda.pandadb_scheduled_jobs j WHERE j.enabled ORDER BY j.name LOOP
        BEGIN
            PERFORM doma_panda.schedule_cron_expression(v_job.schedule);
        EXCEPTION WHEN SQLSTATE 'PD002' THEN
            v_problems := v_problems || format('%s: %s', v_job.name, SQLERRM);
        END;
    END LOOP;
    IF cardinality(v_problems) > 0 THEN
        RAISE EXCEPTION 'pg_cron cannot run every registry job; nothing was installed. %', array_to_string(v_problems, '; ')
            USING ERRCODE = 'PD002';
    END IF;
    RETURN QUERY
        SELECT j.name::text, doma_panda.schedule_cron_expression(j.schedule), j.command
          FROM doma_panda.pandadb_scheduled_jobs j
         WHERE j.enabled
         ORDER BY j.name;
END;
$$;

-- scheduler_lock_key: the advisory-lock key of a job: per job when it is exclusive (one host at a
-- time), per job and host otherwise (several schedulers on one host never overlap it).
--   p_job_name   the registry job
--   p_exclusive  whether the job is exclusive
--   p_host       the scheduler's host id
CREATE OR REPLACE FUNCTION doma_panda.scheduler_lock_key(p_job_name text, p_exclusive boolean, p_host text)
RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT hashtextextended(CASE WHEN p_exclusive THEN 'pandadb scheduler job ' || p_job_name
                                 ELSE 'pandadb scheduler job ' || p_job_name || ' on host ' || p_host END, 0);
$$;

-- scheduler_lock_is_held: whether another session of this database holds a session-level
-- advisory lock on the key (a bigint key shows in pg_locks as classid = high, objid = low 32 bits).
--   p_lock_key  the key
CREATE OR REPLACE FUNCTION doma_panda.scheduler_lock_is_held(p_lock_key bigint)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = ((p_lock_key >> 32) & 4294967295)
           AND l.objid::bigint = (p_lock_key & 4294967295));
$$;

-- scheduler_run_started: try to start a run of a registry job on this connection. On success the
-- connection holds the job's session-level advisory lock until scheduler_run_finished (or until
-- it disconnects) and a 'running' row is logged. Call it in autocommit mode: the lock outlives
-- the transaction on purpose.
-- outcome:  'started'   run_id is the run; execute the command, then call scheduler_run_finished
--           'busy'      another scheduler runs the job now; retry after retry_after_seconds
--           'not_due'   a run in the lock's scope (any host for exclusive jobs) started within the
--                       period / in or after p_cron_slot; next due in retry_after_seconds (NULL: next slot)
--           'disabled'  the job is disabled in the registry
--   p_job_name   the registry job (PD003 if unknown)
--   p_host       the scheduler's host id
--   p_cron_slot  for cron-expression jobs: the UTC time of the slot being run (NULL: no due check)
--   p_force      run even if a run started recently (`pandadb scheduler --once`)
CREATE OR REPLACE FUNCTION doma_panda.scheduler_run_started(
    p_job_name text, p_host text, p_cron_slot timestamp without time zone DEFAULT NULL, p_force boolean DEFAULT false,
    OUT run_id bigint, OUT outcome text, OUT retry_after_seconds double precision)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_job doma_panda.pandadb_scheduled_jobs%ROWTYPE;
    v_period interval;
    v_key bigint;
    v_now timestamp without time zone;
    v_last_started timestamp without time zone;
BEGIN
    IF p_host IS NULL OR btrim(p_host) = '' THEN
        RAISE EXCEPTION 'a scheduler host id is required' USING ERRCODE = 'PD002';
    END IF;
    SELECT * INTO v_job FROM doma_panda.pandadb_scheduled_jobs j WHERE j.name = p_job_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no scheduled job named %', p_job_name USING ERRCODE = 'PD003';
    END IF;
    IF NOT v_job.enabled THEN
        outcome := 'disabled';
        RETURN;
    END IF;
    v_period := doma_panda.schedule_period(v_job.schedule);
    v_key := doma_panda.scheduler_lock_key(v_job.name, v_job.exclusive, p_host);
    IF NOT pg_try_advisory_lock(v_key) THEN
        outcome := 'busy';
        retry_after_seconds := least(1.0, coalesce(extract(epoch FROM v_period), 1.0));
        RETURN;
    END IF;
    -- from here on we hold the lock: no other run in this job's scope can start or be running
    v_now := doma_panda.scheduler_utc_now();
    IF NOT p_force AND (v_period IS NOT NULL OR p_cron_slot IS NOT NULL) THEN
        SELECT max(r.started) INTO v_last_started FROM doma_panda.pandadb_scheduler_runs r
         WHERE r.job_name = v_job.name AND (v_job.exclusive OR r.host = p_host);
        IF v_last_started >= coalesce(v_now - v_period, p_cron_slot) THEN
            PERFORM pg_advisory_unlock(v_key);
            outcome := 'not_due';
            retry_after_seconds := extract(epoch FROM v_last_started + v_period - v_now);
            RETURN;
        END IF;
    END IF;
    -- runs left 'running' by a scheduler that went away: their lock is free
    UPDATE doma_panda.pandadb_scheduler_runs r
       SET status = 'abandoned', finished = v_now, duration = v_now - r.started,
           error = 'the scheduler running it went away before the run ended'
     WHERE r.job_name = v_job.name AND r.status = 'running'
       AND (r.lock_key = v_key OR NOT doma_panda.scheduler_lock_is_held(r.lock_key));
    INSERT INTO doma_panda.pandadb_scheduler_runs (job_name, host, started, status, lock_key)
    VALUES (v_job.name, p_host, v_now, 'running', v_key)
    RETURNING pandadb_scheduler_runs.run_id INTO run_id;
    outcome := 'started';
END;
$$;

-- scheduler_run_finished: record the end of a run and release its advisory lock.
--   p_run_id        the run (from scheduler_run_started; PD003 if unknown)
--   p_error         the error message when the command failed; NULL: it succeeded
--   p_release_lock  release the run's lock held by this session (false when recording from
--                   another connection because the run's connection broke)
CREATE OR REPLACE FUNCTION doma_panda.scheduler_run_finished(
    p_run_id bigint, p_error text DEFAULT NULL, p_release_lock boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.scheduler_utc_now();
    v_key bigint;
BEGIN
    UPDATE doma_panda.pandadb_scheduler_runs r
       SET finished = v_now, duration = v_now - r.started,
           status = CASE WHEN p_error IS NULL THEN 'succeeded' ELSE 'failed' END, error = p_error
     WHERE r.run_id = p_run_id
    RETURNING r.lock_key INTO v_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no scheduler run %', p_run_id USING ERRCODE = 'PD003';
    END IF;
    IF p_release_lock THEN
        PERFORM pg_advisory_unlock(v_key);
    END IF;
END;
$$;

-- scheduler_job_status: every registry job with its last run by `pandadb scheduler`, for `pandadb cron list`.
CREATE OR REPLACE FUNCTION doma_panda.scheduler_job_status()
RETURNS TABLE (name text, schedule text, exclusive boolean, enabled boolean, description text,
               last_host text, last_started timestamp without time zone, last_finished timestamp without time zone,
               last_duration interval, last_status text, last_error text)
LANGUAGE sql STABLE AS $$
    SELECT j.name::text, j.schedule::text, j.exclusive, j.enabled, j.description::text,
           r.host::text, r.started, r.finished, r.duration, r.status::text, r.error
      FROM doma_panda.pandadb_scheduled_jobs j
      LEFT JOIN LATERAL (
            SELECT * FROM doma_panda.pandadb_scheduler_runs r
             WHERE r.job_name = j.name ORDER BY r.started DESC, r.run_id DESC LIMIT 1) r ON true
     ORDER BY j.name;
$$;

-- purge_scheduler_runs: delete ended runs older than gdpconfig scheduler/RUNS_KEEP_DAYS (default 7)
-- by the rules clock panda_now(). Returns the number of runs deleted.
CREATE OR REPLACE FUNCTION doma_panda.purge_scheduler_runs()
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_keep_days integer := coalesce(doma_panda.get_config_value('scheduler', 'RUNS_KEEP_DAYS')::integer, 7);
    v_deleted integer;
BEGIN
    DELETE FROM doma_panda.pandadb_scheduler_runs
     WHERE status <> 'running' AND started < doma_panda.panda_now() - make_interval(days => v_keep_days);
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$$;
