-- PL/SQL twin of procedures/postgres/workers.sql: what pilots report about their worker and worker node
-- (REST pilot/update_worker_status and pilot/update_worker_node of seed 000). Same routine names,
-- parameter names, rules and messages as the PL/pgSQL functions.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Errors: where PostgreSQL raises a SQLSTATE, the twin raises RAISE_APPLICATION_ERROR with the same message:
--   PD001 -> -20001 (not raised here)
--   PD002 -> -20002 (invalid input)
--   PD003 -> -20003 (unknown worker)
-- Types: jsonb is CLOB holding JSON text (JSON_OBJECT_T inside). Upserts are INSERT, then UPDATE on
-- DUP_VAL_ON_INDEX (the twin of INSERT ... ON CONFLICT DO UPDATE; "new" tells which branch ran, as
-- PostgreSQL's xmax = 0 does). PostgreSQL's word boundaries \m and \M, which Oracle's regular
-- expressions lack, are written with explicit non-word neighbours.
-- This is the last file of procedures/oracle in name order: it ends by recompiling the units of
-- ATLAS_PANDA that an earlier file left INVALID by calling a unit created after it.
-- Each PL/SQL unit ends with a line holding only '/'.

-- update_worker_status: the pilot's view of its harvester worker: pilotstatus ('started' or 'finished'),
-- pilotstarttime / pilotendtime now, nodeid when given. Unknown worker -20003; another status -20002.
-- Returns {"harvester_id", "worker_id", "pilot_status", "updated": number of worker rows}.
--   p_harvester_id  the harvester instance
--   p_worker_id     the worker id
--   p_status        'started' or 'finished'
--   p_node_id       the worker node, NULL keeps the known one
CREATE OR REPLACE FUNCTION ATLAS_PANDA.UPDATE_WORKER_STATUS(p_harvester_id IN VARCHAR2, p_worker_id IN NUMBER,
                                                           p_status IN VARCHAR2, p_node_id IN VARCHAR2 DEFAULT NULL)
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_updated NUMBER;
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    IF p_harvester_id IS NULL OR p_worker_id IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'harvester_id and worker_id are required');
    END IF;
    IF p_status IS NULL OR p_status NOT IN ('started', 'finished') THEN
        RAISE_APPLICATION_ERROR(-20002, 'worker status must be ''started'' or ''finished'', not '
                                        || PANDADB_SUPPORT.quote_literal(p_status));
    END IF;
    IF LENGTH(p_node_id) > 80 THEN
        RAISE_APPLICATION_ERROR(-20002, 'node_id is longer than 80 characters');
    END IF;
    UPDATE ATLAS_PANDA.HARVESTER_WORKERS w
       SET w.PILOTSTATUS = p_status,
           w.NODEID = NVL(p_node_id, w.NODEID),
           w.PILOTSTARTTIME = CASE WHEN p_status = 'started' THEN v_now ELSE w.PILOTSTARTTIME END,
           w.PILOTENDTIME = CASE WHEN p_status = 'finished' THEN v_now ELSE w.PILOTENDTIME END,
           w.PILOTSTATUSSYNCTIME = v_now
     WHERE w.HARVESTERID = p_harvester_id AND w.WORKERID = p_worker_id;
    v_updated := SQL%ROWCOUNT;
    IF v_updated = 0 THEN
        RAISE_APPLICATION_ERROR(-20003, 'worker ' || p_worker_id || ' of harvester ' || p_harvester_id || ' not found');
    END IF;
    v_result.put('harvester_id', p_harvester_id);
    v_result.put('worker_id', p_worker_id);
    v_result.put('pilot_status', p_status);
    v_result.put('updated', v_updated);
    RETURN v_result.to_clob();
END UPDATE_WORKER_STATUS;
/

-- worker_node_cpu_model_normalized: PanDA's normalize_cpu_model: upper case without clock speed, cache
-- size, core counts and the words CPU, CORE, PROCESSOR, SCALABLE, (R), (TM).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.WORKER_NODE_CPU_MODEL_NORMALIZED(p_cpu_model IN VARCHAR2)
RETURN VARCHAR2 DETERMINISTIC
AS
BEGIN
    RETURN TRIM(REGEXP_REPLACE(
               REGEXP_REPLACE(
                 REGEXP_REPLACE(
                   REGEXP_REPLACE(
                     REGEXP_REPLACE(
                       REGEXP_REPLACE(UPPER(p_cpu_model), '@\s*[0-9]+(\.[0-9]+)?\s*GHZ', ''),
                       '[0-9]+\s*KB', ''),
                     'CORE PROCESSOR\s*\([^)]*\)', ''),
                   '(^|[^[:alnum:]_])[0-9]+-CORE($|[^[:alnum:]_])', '\1\2'),
                 'CPU|CORE|PROCESSOR|SCALABLE|\(R\)|\(TM\)', ''),
               '\s+', ' '));
END WORKER_NODE_CPU_MODEL_NORMALIZED;
/

-- update_worker_node: record a worker node seen by a pilot (worker_node, upsert on site + host_name +
-- cpu_model; last_seen now). host_name given as slot@host is stored as host. With the optional
-- panda_queue the node is also related to the queue (worker_node_queue). Missing site, host_name or
-- cpu_model, unknown parameters or values of the wrong type: -20002.
-- Returns {"site", "host_name", "cpu_model", "new": whether the node was unknown}.
--   p_request  the update_worker_node API parameters by their API names (site, host_name, cpu_model,
--              n_logical_cpus, n_sockets, cores_per_socket, threads_per_core, cpu_architecture,
--              cpu_architecture_level, clock_speed, total_memory, total_local_disk, timeout, panda_queue)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.UPDATE_WORKER_NODE(p_request IN CLOB)
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_element JSON_ELEMENT_T;
    v_request JSON_OBJECT_T;
    v_unknown VARCHAR2(32767);
    v_row JSON_OBJECT_T;
    v_check JSON_OBJECT_T;
    v_new BOOLEAN;
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    -- the row's values, typed (JSON_OBJECT_T cannot appear in SQL)
    v_site VARCHAR2(4000);
    v_host VARCHAR2(4000);
    v_cpu_model VARCHAR2(4000);
    v_queue VARCHAR2(4000);
    v_n_logical_cpus NUMBER;
    v_n_sockets NUMBER;
    v_cores_per_socket NUMBER;
    v_threads_per_core NUMBER;
    v_architecture VARCHAR2(4000);
    v_architecture_level VARCHAR2(4000);
    v_clock_speed NUMBER;
    v_total_memory NUMBER;
    v_total_local_disk NUMBER;
    v_normalized VARCHAR2(4000);
BEGIN
    IF p_request IS NOT NULL THEN
        v_element := JSON_ELEMENT_T.parse(p_request);
    END IF;
    IF v_element IS NULL OR NOT v_element.is_object() THEN
        RAISE_APPLICATION_ERROR(-20002, 'the update_worker_node request must be a JSON object');
    END IF;
    v_request := PANDADB_SUPPORT.without_nulls(TREAT(v_element AS JSON_OBJECT_T));
    v_unknown := PANDADB_SUPPORT.unknown_keys(v_request, SYS.ODCIVARCHAR2LIST(
        'site', 'host_name', 'cpu_model', 'n_logical_cpus', 'n_sockets', 'cores_per_socket', 'threads_per_core',
        'cpu_architecture', 'cpu_architecture_level', 'clock_speed', 'total_memory', 'total_local_disk',
        'timeout', 'panda_queue'));
    IF v_unknown IS NOT NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'update_worker_node: unknown parameters ' || v_unknown);
    END IF;
    IF PANDADB_SUPPORT.member_text(v_request, 'site') IS NULL OR PANDADB_SUPPORT.member_text(v_request, 'host_name') IS NULL
       OR PANDADB_SUPPORT.member_text(v_request, 'cpu_model') IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'update_worker_node: site, host_name and cpu_model are required');
    END IF;
    v_row := PANDADB_SUPPORT.without_keys(v_request, SYS.ODCIVARCHAR2LIST('timeout', 'panda_queue'));
    v_row.put('host_name', REGEXP_REPLACE(PANDADB_SUPPORT.member_text(v_request, 'host_name'), '^[^@]*@', ''));
    v_row.put('cpu_model_normalized',
              ATLAS_PANDA.WORKER_NODE_CPU_MODEL_NORMALIZED(PANDADB_SUPPORT.member_text(v_request, 'cpu_model')));
    v_row.put('last_seen', PANDADB_SUPPORT.date_text(v_now));
    ATLAS_PANDA.JOB_CHECK_VALUES('worker_node', v_row.to_clob(), 'update_worker_node');
    IF v_request.has('panda_queue') THEN
        v_check := JSON_OBJECT_T();
        v_check.put('panda_queue', v_request.get('panda_queue'));
        ATLAS_PANDA.JOB_CHECK_VALUES('worker_node_queue', v_check.to_clob(), 'update_worker_node');
    END IF;

    v_site := PANDADB_SUPPORT.member_text(v_row, 'site');
    v_host := PANDADB_SUPPORT.member_text(v_row, 'host_name');
    v_cpu_model := PANDADB_SUPPORT.member_text(v_row, 'cpu_model');
    v_queue := PANDADB_SUPPORT.member_text(v_request, 'panda_queue');
    v_n_logical_cpus := PANDADB_SUPPORT.member_number(v_row, 'n_logical_cpus');
    v_n_sockets := PANDADB_SUPPORT.member_number(v_row, 'n_sockets');
    v_cores_per_socket := PANDADB_SUPPORT.member_number(v_row, 'cores_per_socket');
    v_threads_per_core := PANDADB_SUPPORT.member_number(v_row, 'threads_per_core');
    v_architecture := PANDADB_SUPPORT.member_text(v_row, 'cpu_architecture');
    v_architecture_level := PANDADB_SUPPORT.member_text(v_row, 'cpu_architecture_level');
    v_clock_speed := PANDADB_SUPPORT.member_number(v_row, 'clock_speed');
    v_total_memory := PANDADB_SUPPORT.member_number(v_row, 'total_memory');
    v_total_local_disk := PANDADB_SUPPORT.member_number(v_row, 'total_local_disk');
    v_normalized := PANDADB_SUPPORT.member_text(v_row, 'cpu_model_normalized');
    BEGIN
        INSERT INTO ATLAS_PANDA.WORKER_NODE (SITE, HOST_NAME, CPU_MODEL, N_LOGICAL_CPUS, N_SOCKETS, CORES_PER_SOCKET,
            THREADS_PER_CORE, CPU_ARCHITECTURE, CPU_ARCHITECTURE_LEVEL, CLOCK_SPEED, TOTAL_MEMORY, LAST_SEEN,
            TOTAL_LOCAL_DISK, CPU_MODEL_NORMALIZED)
        VALUES (v_site, v_host, v_cpu_model, v_n_logical_cpus, v_n_sockets, v_cores_per_socket, v_threads_per_core,
                v_architecture, v_architecture_level, v_clock_speed, v_total_memory, v_now, v_total_local_disk,
                v_normalized);
        v_new := TRUE;
    EXCEPTION
        WHEN DUP_VAL_ON_INDEX THEN
            UPDATE ATLAS_PANDA.WORKER_NODE w
               SET w.N_LOGICAL_CPUS = NVL(v_n_logical_cpus, w.N_LOGICAL_CPUS),
                   w.N_SOCKETS = NVL(v_n_sockets, w.N_SOCKETS),
                   w.CORES_PER_SOCKET = NVL(v_cores_per_socket, w.CORES_PER_SOCKET),
                   w.THREADS_PER_CORE = NVL(v_threads_per_core, w.THREADS_PER_CORE),
                   w.CPU_ARCHITECTURE = NVL(v_architecture, w.CPU_ARCHITECTURE),
                   w.CPU_ARCHITECTURE_LEVEL = NVL(v_architecture_level, w.CPU_ARCHITECTURE_LEVEL),
                   w.CLOCK_SPEED = NVL(v_clock_speed, w.CLOCK_SPEED),
                   w.TOTAL_MEMORY = NVL(v_total_memory, w.TOTAL_MEMORY),
                   w.TOTAL_LOCAL_DISK = NVL(v_total_local_disk, w.TOTAL_LOCAL_DISK),
                   w.CPU_MODEL_NORMALIZED = v_normalized,
                   w.LAST_SEEN = v_now
             WHERE w.SITE = v_site AND w.HOST_NAME = v_host AND w.CPU_MODEL = v_cpu_model;
            v_new := FALSE;
    END;
    IF v_queue IS NOT NULL THEN
        BEGIN
            INSERT INTO ATLAS_PANDA.WORKER_NODE_QUEUE (SITE, HOST_NAME, PANDA_QUEUE, LAST_SEEN)
            VALUES (v_site, v_host, v_queue, v_now);
        EXCEPTION
            WHEN DUP_VAL_ON_INDEX THEN
                UPDATE ATLAS_PANDA.WORKER_NODE_QUEUE q SET q.LAST_SEEN = v_now
                 WHERE q.SITE = v_site AND q.HOST_NAME = v_host AND q.PANDA_QUEUE = v_queue;
        END;
    END IF;
    v_result.put('site', v_site);
    v_result.put('host_name', v_host);
    v_result.put('cpu_model', v_cpu_model);
    v_result.put('new', v_new);
    RETURN v_result.to_clob();
END UPDATE_WORKER_NODE;
/

-- After the last file: recompile what an earlier file left INVALID (a unit calling one created after
-- it); Oracle would otherwise recompile each at its first call. Only invalid units are compiled.
BEGIN
    DBMS_UTILITY.COMPILE_SCHEMA(schema => 'ATLAS_PANDA', compile_all => FALSE);
END;
/
