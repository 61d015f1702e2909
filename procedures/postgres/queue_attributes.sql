-- The attributes of a PanDA queue's configuration (schedconfig_json.data, CRIC's PanDA queue document) that
-- the project knows, with their JSON types, and the check register_panda_queue applies to a configuration.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue (until then the Oracle register_panda_queue
-- does not check attribute names and types).
-- Rule violations raise SQLSTATE 'PD001' (invalid registration) naming the attribute.

-- queue_attribute_types: every known queue attribute and its JSON type (number, string, boolean, array,
-- object). Numbers are what the brokerage, the dispatcher and the watchdogs compute with; a string there
-- ('corecount=abc') would break them at the first job.
CREATE OR REPLACE FUNCTION doma_panda.queue_attribute_types()
RETURNS TABLE (attribute text, json_type text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT a, 'number' FROM unnest(ARRAY[
        'corecount', 'maxrss', 'minrss', 'maxtime', 'mintime', 'maxwdir', 'minwdir', 'maxinputsize', 'corepower',
        'coreenergy', 'hs06', 'memory', 'maxmemory', 'pledgedcpu', 'transferringlimit', 'nqueue', 'timefloor',
        'maxdiskio', 'num_slots', 'n_batch_job', 'tier_level', 'maxswap', 'meanrss', 'nodes', 'cachedse']) a
    UNION ALL
    SELECT a, 'string' FROM unnest(ARRAY[
        'status', 'cloud', 'atlas_site', 'siteid', 'nickname', 'panda_resource', 'panda_site', 'type', 'workflow',
        'catchall', 'capability', 'wnconnectivity', 'gstat', 'country', 'tier', 'region', 'vo', 'vo_name',
        'resource_type', 'harvester', 'pilot_manager', 'state', 'comment', 'description', 'appdir', 'copytool',
        'container_type', 'container_options', 'jobseed', 'queue', 'localqueue', 'environ', 'pilot_version',
        'python_version', 'site', 'rc_site', 'resource_group', 'ddm', 'default_ddm_endpoint', 'objectstores',
        'fairsharepolicy', 'allowedgroups', 'jobtype', 'corecount_policy', 'harvester_template',
        'direct_access_lan_protocol', 'maxclients', 'ddm_input', 'ddm_output']) a
    UNION ALL
    SELECT a, 'boolean' FROM unnest(ARRAY[
        'direct_access_lan', 'direct_access_wan', 'is_cvmfs', 'use_pcache', 'is_default', 'allow_lan',
        'allow_wan', 'use_jumbo_jobs', 'use_es', 'is_virtual']) a
    UNION ALL
    SELECT a, 'array' FROM unnest(ARRAY['releases', 'queues', 'validatedreleases', 'ddmendpoints']) a
    UNION ALL
    SELECT a, 'object' FROM unnest(ARRAY['acopytools', 'astorages', 'params', 'uconfig', 'coreenergy_params',
                                         'maxrss_by_resource_type']) a;
$$;

-- check_queue_attributes: PD001 naming every attribute of a queue configuration whose JSON type differs from
-- its known type ("corecount must be a number, not "abc""), and, unless p_allow_unknown, every attribute
-- that is not known (a typo such as 'corecoutn' would otherwise be stored and never read).
-- Numbers may be given as numeric strings (CRIC and `pandadb register queue --set` spell some that way).
--   p_panda_queue    the queue (for the message)
--   p_queue_config   the attributes being registered
--   p_allow_unknown  accept attributes outside queue_attribute_types() (a whole CRIC document)
CREATE OR REPLACE FUNCTION doma_panda.check_queue_attributes(p_panda_queue text, p_queue_config jsonb,
                                                             p_allow_unknown boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_problems text;
BEGIN
    SELECT string_agg(problem, '; ' ORDER BY key) INTO v_problems FROM (
        SELECT e.key,
               CASE WHEN t.attribute IS NULL THEN
                        format('%s is not a known queue attribute', e.key)
                    ELSE format('%s must be a %s, not %s', e.key, t.json_type, left(e.value::text, 40)) END AS problem
          FROM jsonb_each(coalesce(p_queue_config, '{}'::jsonb)) e
          LEFT JOIN doma_panda.queue_attribute_types() t ON t.attribute = e.key
         WHERE jsonb_typeof(e.value) <> 'null'
           AND CASE WHEN t.attribute IS NULL THEN NOT coalesce(p_allow_unknown, false)
                    WHEN t.json_type = 'number' THEN NOT (jsonb_typeof(e.value) = 'number'
                         OR (jsonb_typeof(e.value) = 'string' AND e.value #>> '{}' ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$'))
                    ELSE jsonb_typeof(e.value) <> t.json_type END
    ) problems;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION 'queue configuration of %: % (pandadb register queue --allow-unknown accepts attributes '
                        'this project does not know)', p_panda_queue, v_problems USING ERRCODE = 'PD001';
    END IF;
END;
$$;
