-- What pilots report about their worker and worker node (REST pilot/update_worker_status and
-- pilot/update_worker_node of seed 000; PanDA's DBProxy.updateWorkerPilotStatus and update_worker_node).

-- update_worker_status: the pilot's view of its harvester worker: pilotstatus ('started' or 'finished'),
-- pilotstarttime / pilotendtime now, nodeid when given. Unknown worker PD003; another status PD002.
-- Returns {"harvester_id", "worker_id", "pilot_status", "updated": number of worker rows}.
--   p_harvester_id  the harvester instance
--   p_worker_id     the worker id
--   p_status        'started' or 'finished'
--   p_node_id       the worker node, NULL keeps the known one
CREATE OR REPLACE FUNCTION doma_panda.update_worker_status(p_harvester_id text, p_worker_id bigint, p_status text,
                                                          p_node_id text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_updated integer;
BEGIN
    IF coalesce(p_harvester_id, '') = '' OR p_worker_id IS NULL THEN
        RAISE EXCEPTION 'harvester_id and worker_id are required' USING ERRCODE = 'PD002';
    END IF;
    IF p_status IS NULL OR p_status NOT IN ('started', 'finished') THEN
        RAISE EXCEPTION 'worker status must be ''started'' or ''finished'', not %', coalesce(quote_literal(p_status), 'NULL')
            USING ERRCODE = 'PD002';
    END IF;
    IF length(p_node_id) > 80 THEN
        RAISE EXCEPTION 'node_id is longer than 80 characters' USING ERRCODE = 'PD002';
    END IF;
    -- serialized with update_workers, which re-inserts the worker's row (harvester.sql)
    PERFORM doma_panda.harvester_worker_lock(p_harvester_id, p_worker_id);
    UPDATE doma_panda.harvester_workers w
       SET pilotstatus = p_status,
           nodeid = coalesce(p_node_id, w.nodeid),
           pilotstarttime = CASE WHEN p_status = 'started' THEN v_now ELSE w.pilotstarttime END,
           pilotendtime = CASE WHEN p_status = 'finished' THEN v_now ELSE w.pilotendtime END,
           pilotstatussynctime = v_now
     WHERE w.harvesterid = p_harvester_id AND w.workerid = p_worker_id;
    GET DIAGNOSTICS v_updated = ROW_COUNT;
    IF v_updated = 0 THEN
        RAISE EXCEPTION 'worker % of harvester % not found', p_worker_id, p_harvester_id USING ERRCODE = 'PD003';
    END IF;
    RETURN jsonb_build_object('harvester_id', p_harvester_id, 'worker_id', p_worker_id, 'pilot_status', p_status,
                              'updated', v_updated);
END;
$$;

-- worker_node_cpu_model_normalized: PanDA's normalize_cpu_model: upper case without clock speed, cache
-- size, core counts and the words CPU, CORE, PROCESSOR, SCALABLE, (R), (TM).
CREATE OR REPLACE FUNCTION doma_panda.worker_node_cpu_model_normalized(p_cpu_model text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT btrim(regexp_replace(
               regexp_replace(
                 regexp_replace(
                   regexp_replace(
                     regexp_replace(
                       regexp_replace(upper(p_cpu_model), '@\s*\d+(\.\d+)?\s*GHZ', '', 'g'),
                       '\d+\s*KB', '', 'g'),
                     'CORE PROCESSOR\s*\([^)]*\)', '', 'g'),
                   '\m\d+-CORE\M', '', 'g'),
                 'CPU|CORE|PROCESSOR|SCALABLE|\(R\)|\(TM\)', '', 'g'),
               '\s+', ' ', 'g'));
$$;

-- update_worker_node: record a worker node seen by a pilot (worker_node, upsert on site + host_name +
-- cpu_model; last_seen now). host_name given as slot@host is stored as host. With the optional
-- panda_queue the node is also related to the queue (worker_node_queue). Missing site, host_name or
-- cpu_model, unknown parameters or values of the wrong type: PD002.
-- Returns {"site", "host_name", "cpu_model", "new": whether the node was unknown}.
--   p_request  the update_worker_node API parameters by their API names (site, host_name, cpu_model,
--              n_logical_cpus, n_sockets, cores_per_socket, threads_per_core, cpu_architecture,
--              cpu_architecture_level, clock_speed, total_memory, total_local_disk, timeout, panda_queue)
CREATE OR REPLACE FUNCTION doma_panda.update_worker_node(p_request jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_request jsonb;
    v_unknown text;
    v_row jsonb;
    v_new boolean;
BEGIN
    IF p_request IS NULL OR jsonb_typeof(p_request) <> 'object' THEN
        RAISE EXCEPTION 'the update_worker_node request must be a JSON object' USING ERRCODE = 'PD002';
    END IF;
    SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) INTO v_request
      FROM jsonb_each(p_request) e WHERE jsonb_typeof(e.value) <> 'null';
    SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown FROM jsonb_object_keys(v_request) k
     WHERE k NOT IN ('site', 'host_name', 'cpu_model', 'n_logical_cpus', 'n_sockets', 'cores_per_socket', 'threads_per_core',
                     'cpu_architecture', 'cpu_architecture_level', 'clock_speed', 'total_memory', 'total_local_disk',
                     'timeout', 'panda_queue');
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'update_worker_node: unknown parameters %', v_unknown USING ERRCODE = 'PD002';
    END IF;
    IF coalesce(v_request ->> 'site', '') = '' OR coalesce(v_request ->> 'host_name', '') = ''
       OR coalesce(v_request ->> 'cpu_model', '') = '' THEN
        RAISE EXCEPTION 'update_worker_node: site, host_name and cpu_model are required' USING ERRCODE = 'PD002';
    END IF;
    v_row := (v_request - 'timeout' - 'panda_queue')
             || jsonb_build_object('host_name', regexp_replace(v_request ->> 'host_name', '^[^@]*@', ''),
                                   'cpu_model_normalized', doma_panda.worker_node_cpu_model_normalized(v_request ->> 'cpu_model'),
                                   'last_seen', v_now);
    PERFORM doma_panda.job_check_values('worker_node', v_row, 'update_worker_node');
    IF v_request ? 'panda_queue' THEN
        PERFORM doma_panda.job_check_values('worker_node_queue', jsonb_build_object('panda_queue', v_request -> 'panda_queue'),
                                            'update_worker_node');
    END IF;
    INSERT INTO doma_panda.worker_node AS w (site, host_name, cpu_model, n_logical_cpus, n_sockets, cores_per_socket,
        threads_per_core, cpu_architecture, cpu_architecture_level, clock_speed, total_memory, last_seen, total_local_disk,
        cpu_model_normalized)
    SELECT r.site, r.host_name, r.cpu_model, r.n_logical_cpus, r.n_sockets, r.cores_per_socket, r.threads_per_core,
           r.cpu_architecture, r.cpu_architecture_level, r.clock_speed, r.total_memory, r.last_seen, r.total_local_disk,
           r.cpu_model_normalized
      FROM jsonb_populate_record(NULL::doma_panda.worker_node, v_row) r
    ON CONFLICT (site, host_name, cpu_model) DO UPDATE
        SET n_logical_cpus = coalesce(EXCLUDED.n_logical_cpus, w.n_logical_cpus),
            n_sockets = coalesce(EXCLUDED.n_sockets, w.n_sockets),
            cores_per_socket = coalesce(EXCLUDED.cores_per_socket, w.cores_per_socket),
            threads_per_core = coalesce(EXCLUDED.threads_per_core, w.threads_per_core),
            cpu_architecture = coalesce(EXCLUDED.cpu_architecture, w.cpu_architecture),
            cpu_architecture_level = coalesce(EXCLUDED.cpu_architecture_level, w.cpu_architecture_level),
            clock_speed = coalesce(EXCLUDED.clock_speed, w.clock_speed),
            total_memory = coalesce(EXCLUDED.total_memory, w.total_memory),
            total_local_disk = coalesce(EXCLUDED.total_local_disk, w.total_local_disk),
            cpu_model_normalized = EXCLUDED.cpu_model_normalized,
            last_seen = EXCLUDED.last_seen
    RETURNING (xmax = 0) INTO v_new;
    IF v_request ? 'panda_queue' THEN
        INSERT INTO doma_panda.worker_node_queue (site, host_name, panda_queue, last_seen)
        VALUES (v_row ->> 'site', v_row ->> 'host_name', v_request ->> 'panda_queue', v_now)
        ON CONFLICT (site, host_name, panda_queue) DO UPDATE SET last_seen = EXCLUDED.last_seen;
    END IF;
    RETURN jsonb_build_object('site', v_row ->> 'site', 'host_name', v_row ->> 'host_name',
                              'cpu_model', v_row ->> 'cpu_model', 'new', v_new);
END;
$$;
