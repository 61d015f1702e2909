-- REST API v1 module metaconfig (seed 000): what the server knows of its PanDA queues.
--
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
-- Errors: SQLSTATE PD002 (bad input, naming the parameter).

-- get_site_specs: the site specs of the PanDA queues of a type (REST metaconfig/get_site_specs): {queue: spec}
-- where spec is the queue's schedconfig_json document (CRIC's attributes) with "siteid" (the queue name) and
-- "type" (the document's type, default 'production') and without the DDM endpoint and slot maps PanDA leaves
-- out (ddm_endpoints_input, ddm_endpoints_output, ddm_input, ddm_output, setokens_input, num_slots_map).
--   p_type  the queue type as in CRIC: analysis, production, unified, or all
CREATE OR REPLACE FUNCTION doma_panda.get_site_specs(p_type text DEFAULT 'analysis')
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF coalesce(p_type, '') NOT IN ('analysis', 'production', 'unified', 'all') THEN
        RAISE EXCEPTION 'type must be analysis, production, unified or all, not %', coalesce(p_type, 'NULL')
            USING ERRCODE = 'PD002';
    END IF;
    RETURN (SELECT coalesce(jsonb_object_agg(s.panda_queue,
                                (s.data::jsonb - 'ddm_endpoints_input' - 'ddm_endpoints_output' - 'ddm_input' - 'ddm_output'
                                        - 'setokens_input' - 'num_slots_map')
                                || jsonb_build_object('siteid', s.panda_queue,
                                                      'type', coalesce(s.data::jsonb ->> 'type', 'production'))
                                ORDER BY s.panda_queue), '{}'::jsonb)
              FROM doma_panda.schedconfig_json s
             WHERE p_type = 'all' OR coalesce(s.data ->> 'type', 'production') = p_type);
END;
$$;
