-- Registration of computing resources, clouds and harvester instances (seed 004, section 5.5),
-- and reading gdpconfig. The documented plain INSERTs keep working; these procedures add
-- validation and idempotence for the `pandadb register ...` commands.
-- Rule violations raise SQLSTATE 'PD001' (invalid registration) with a message naming the problem.

-- register_site: add or update a site (doma_panda.site).
--   p_site_name   the site name (e.g. 'TEST_SITE')
--   p_role        free-text role (e.g. 'production'), NULL keeps the current one
--   p_tier_level  tier of the site, NULL keeps the current one
CREATE OR REPLACE FUNCTION doma_panda.register_site(
    p_site_name text, p_role text DEFAULT NULL, p_tier_level integer DEFAULT NULL)
RETURNS doma_panda.site
LANGUAGE plpgsql AS $$
DECLARE
    registered doma_panda.site;
BEGIN
    IF p_site_name IS NULL OR p_site_name !~ '^[A-Za-z0-9_.\-]{1,52}$' THEN
        RAISE EXCEPTION 'invalid site name %: use 1-52 letters, digits, _ . -', coalesce(quote_literal(p_site_name), 'NULL')
            USING ERRCODE = 'PD001';
    END IF;
    INSERT INTO doma_panda.site (site_name, role, tier_level, state)
    VALUES (p_site_name, p_role, p_tier_level, 'ACTIVE')
    ON CONFLICT (site_name) DO UPDATE
        SET role = coalesce(EXCLUDED.role, doma_panda.site.role),
            tier_level = coalesce(EXCLUDED.tier_level, doma_panda.site.tier_level)
    RETURNING * INTO registered;
    RETURN registered;
END;
$$;

-- register_panda_queue: add or update a PanDA queue: its panda_site row and its schedconfig_json
-- configuration. The site must exist; the cloud, when given, must be registered in cloudconfig.
--   p_panda_queue   the queue name (panda_site_name and schedconfig_json.panda_queue)
--   p_site_name     the site it belongs to
--   p_queue_config  the queue's configuration document; merged over the existing one,
--                   'status' defaults to 'online'
--   p_allow_unknown_attributes  accept attributes outside queue_attribute_types() (a whole CRIC document);
--                               names and types of known ones are checked either way (check_queue_attributes)
CREATE OR REPLACE FUNCTION doma_panda.register_panda_queue(
    p_panda_queue text, p_site_name text, p_queue_config jsonb DEFAULT '{}'::jsonb,
    p_allow_unknown_attributes boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    merged_config jsonb;
BEGIN
    IF p_panda_queue IS NULL OR p_panda_queue !~ '^[A-Za-z0-9_.\-]{1,50}$' THEN
        RAISE EXCEPTION 'invalid PanDA queue name %: use 1-50 letters, digits, _ . -', coalesce(quote_literal(p_panda_queue), 'NULL')
            USING ERRCODE = 'PD001';
    END IF;
    IF jsonb_typeof(coalesce(p_queue_config, '{}'::jsonb)) <> 'object' THEN
        RAISE EXCEPTION 'queue configuration of % must be a JSON object', p_panda_queue USING ERRCODE = 'PD001';
    END IF;
    PERFORM doma_panda.check_queue_attributes(p_panda_queue, p_queue_config, p_allow_unknown_attributes);
    PERFORM 1 FROM doma_panda.site WHERE site_name = p_site_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'site % is not registered: register it first (pandadb register site %)', p_site_name, p_site_name
            USING ERRCODE = 'PD001';
    END IF;
    IF p_queue_config ? 'cloud' THEN
        PERFORM 1 FROM doma_pandameta.cloudconfig WHERE name = p_queue_config ->> 'cloud';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'cloud % is not registered: register it first (pandadb register cloud %)',
                p_queue_config ->> 'cloud', p_queue_config ->> 'cloud' USING ERRCODE = 'PD001';
        END IF;
    END IF;
    IF p_queue_config ? 'status' AND p_queue_config ->> 'status' NOT IN ('online', 'offline', 'test', 'brokeroff', 'paused') THEN
        RAISE EXCEPTION 'queue status % is not one of online, offline, test, brokeroff, paused', p_queue_config ->> 'status'
            USING ERRCODE = 'PD001';
    END IF;

    INSERT INTO doma_panda.panda_site (panda_site_name, site_name)
    VALUES (p_panda_queue, p_site_name)
    ON CONFLICT (panda_site_name) DO UPDATE SET site_name = EXCLUDED.site_name;

    SELECT jsonb_build_object('status', 'online', 'siteid', p_panda_queue, 'nickname', p_panda_queue,
                              'atlas_site', p_site_name, 'panda_resource', p_panda_queue)
           || coalesce(existing.data::jsonb, '{}'::jsonb) || coalesce(p_queue_config, '{}'::jsonb)
      INTO merged_config
      FROM (SELECT 1) AS one
      LEFT JOIN doma_panda.schedconfig_json existing ON existing.panda_queue = p_panda_queue;

    INSERT INTO doma_panda.schedconfig_json (panda_queue, data, last_update)
    VALUES (p_panda_queue, merged_config::json, now() AT TIME ZONE 'UTC')
    ON CONFLICT (panda_queue) DO UPDATE SET data = EXCLUDED.data, last_update = EXCLUDED.last_update;
    RETURN merged_config;
END;
$$;

-- register_cloud: add or update a resource group (doma_pandameta.cloudconfig).
--   p_cloud_name   the group name (e.g. 'WLCG')
--   p_description  free text
--   p_status       'online' (default), 'offline', 'test' or 'brokeroff'
--   p_vo           the organisation the group belongs to
CREATE OR REPLACE FUNCTION doma_pandameta.register_cloud(
    p_cloud_name text, p_description text DEFAULT '', p_status text DEFAULT 'online', p_vo text DEFAULT NULL)
RETURNS doma_pandameta.cloudconfig
LANGUAGE plpgsql AS $$
DECLARE
    registered doma_pandameta.cloudconfig;
BEGIN
    IF p_cloud_name IS NULL OR p_cloud_name !~ '^[A-Za-z0-9_.\-]{1,20}$' THEN
        RAISE EXCEPTION 'invalid cloud name %: use 1-20 letters, digits, _ . -', coalesce(quote_literal(p_cloud_name), 'NULL')
            USING ERRCODE = 'PD001';
    END IF;
    IF p_status NOT IN ('online', 'offline', 'test', 'brokeroff') THEN
        RAISE EXCEPTION 'cloud status % is not one of online, offline, test, brokeroff', p_status USING ERRCODE = 'PD001';
    END IF;
    INSERT INTO doma_pandameta.cloudconfig (name, description, status, vo, modtime)
    VALUES (p_cloud_name, coalesce(p_description, ''), p_status, p_vo, now() AT TIME ZONE 'UTC')
    ON CONFLICT (name) DO UPDATE
        SET description = EXCLUDED.description, status = EXCLUDED.status,
            vo = coalesce(EXCLUDED.vo, doma_pandameta.cloudconfig.vo), modtime = EXCLUDED.modtime
    RETURNING * INTO registered;
    RETURN registered;
END;
$$;

-- register_harvester_instance: add or update a harvester instance (doma_panda.harvester_instances).
--   p_harvester_id  the harvester_id of panda_harvester.cfg
--   p_description   free text
--   p_owner, p_hostname  optional identification
CREATE OR REPLACE FUNCTION doma_panda.register_harvester_instance(
    p_harvester_id text, p_description text DEFAULT NULL, p_owner text DEFAULT NULL, p_hostname text DEFAULT NULL)
RETURNS doma_panda.harvester_instances
LANGUAGE plpgsql AS $$
DECLARE
    registered doma_panda.harvester_instances;
BEGIN
    IF p_harvester_id IS NULL OR p_harvester_id !~ '^[A-Za-z0-9_.\-]{1,50}$' THEN
        RAISE EXCEPTION 'invalid harvester id %: use 1-50 letters, digits, _ . -', coalesce(quote_literal(p_harvester_id), 'NULL')
            USING ERRCODE = 'PD001';
    END IF;
    INSERT INTO doma_panda.harvester_instances (harvester_id, description, owner, hostname, starttime, lastupdate)
    VALUES (p_harvester_id, p_description, p_owner, p_hostname, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
    ON CONFLICT (harvester_id) DO UPDATE
        SET description = coalesce(EXCLUDED.description, doma_panda.harvester_instances.description),
            owner = coalesce(EXCLUDED.owner, doma_panda.harvester_instances.owner),
            hostname = coalesce(EXCLUDED.hostname, doma_panda.harvester_instances.hostname),
            lastupdate = EXCLUDED.lastupdate
    RETURNING * INTO registered;
    RETURN registered;
END;
$$;

-- get_config_value: a gdpconfig parameter (seed 004 chapter 10), the VO's value first, then 'default'.
--   p_component, p_key, p_app ('pandaserver' by default), p_vo (NULL: only 'default')
CREATE OR REPLACE FUNCTION doma_panda.get_config_value(
    p_component text, p_key text, p_app text DEFAULT 'pandaserver', p_vo text DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT value FROM doma_panda.config
     WHERE app = p_app AND component = p_component AND key = p_key AND vo IN (coalesce(p_vo, 'default'), 'default')
     ORDER BY (vo = 'default')
     LIMIT 1;
$$;
