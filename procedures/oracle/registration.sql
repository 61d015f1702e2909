-- PL/SQL twin of procedures/postgres/registration.sql: registration of computing resources, clouds
-- and harvester instances (seed 004, section 5.5), and reading gdpconfig. Same names, parameters,
-- rules and messages as the PL/pgSQL functions.
-- Errors: where PostgreSQL raises SQLSTATE 'PD001' (invalid registration), these raise
-- RAISE_APPLICATION_ERROR(-20001, <the same message>); ORA-20001 is this database's PD001.
-- Return values: PostgreSQL's register_site, register_cloud and register_harvester_instance return
-- the registered row (a row type). Their Oracle twins are functions returning a scalar: that row as a
-- JSON object (VARCHAR2), keys the lower-case column names, dates as 'YYYY-MM-DD"T"HH24:MI:SS' (what
-- to_json gives for the row in PostgreSQL). register_panda_queue returns its merged configuration
-- document as a CLOB (jsonb in PostgreSQL); get_config_value returns VARCHAR2 (text).
-- The register_* functions write: call them from PL/SQL (BEGIN :r := ATLAS_PANDA.REGISTER_SITE(...); END;
-- or python-oracledb's cursor.callfunc), not from a SELECT (ORA-14551). They need Oracle 12.2+ (JSON).
-- Upserts are INSERT, then UPDATE on DUP_VAL_ON_INDEX: the twin of INSERT ... ON CONFLICT DO UPDATE
-- (a concurrent insert of the same key makes the INSERT wait, fail, and the UPDATE apply).
-- Oracle has no empty string ('' is NULL): an empty name is reported as NULL, and a cloud without
-- description stores ' ' (CLOUDCONFIG.DESCRIPTION is NOT NULL) where PostgreSQL stores ''.
-- Messages quote names with ATLAS_PANDA.PANDADB_SUPPORT.quote_literal (procedures/oracle/clock.sql,
-- applied before this file); REGISTER_CLOUD lives in ATLAS_PANDAMETA, which therefore needs
-- GRANT EXECUTE ON ATLAS_PANDA.PANDADB_SUPPORT TO ATLAS_PANDAMETA.
-- Each PL/SQL unit ends with a line holding only '/' (SQL*Plus and the offline migration script).

-- register_site: add or update a site (ATLAS_PANDA.SITE).
--   p_site_name   the site name (e.g. 'TEST_SITE')
--   p_role        free-text role (e.g. 'production'), NULL keeps the current one
--   p_tier_level  tier of the site, NULL keeps the current one
CREATE OR REPLACE FUNCTION ATLAS_PANDA.REGISTER_SITE(
    p_site_name IN VARCHAR2, p_role IN VARCHAR2 DEFAULT NULL, p_tier_level IN NUMBER DEFAULT NULL)
RETURN VARCHAR2
AS
    v_registered VARCHAR2(4000);
BEGIN
    IF p_site_name IS NULL OR NOT REGEXP_LIKE(p_site_name, '\A[-A-Za-z0-9_.]{1,52}\z', 'c') THEN
        RAISE_APPLICATION_ERROR(-20001,
            'invalid site name ' || ATLAS_PANDA.PANDADB_SUPPORT.quote_literal(p_site_name) || ': use 1-52 letters, digits, _ . -');
    END IF;
    BEGIN
        INSERT INTO ATLAS_PANDA.SITE (SITE_NAME, ROLE, TIER_LEVEL, STATE)
        VALUES (p_site_name, p_role, p_tier_level, 'ACTIVE');
    EXCEPTION
        WHEN DUP_VAL_ON_INDEX THEN
            UPDATE ATLAS_PANDA.SITE
               SET ROLE = COALESCE(p_role, ROLE),
                   TIER_LEVEL = COALESCE(p_tier_level, TIER_LEVEL)
             WHERE SITE_NAME = p_site_name;
    END;
    SELECT JSON_OBJECT('site_name' VALUE SITE_NAME, 'role' VALUE ROLE, 'tier_level' VALUE TIER_LEVEL,
                       'state' VALUE STATE NULL ON NULL RETURNING VARCHAR2(4000))
      INTO v_registered
      FROM ATLAS_PANDA.SITE
     WHERE SITE_NAME = p_site_name;
    RETURN v_registered;
END REGISTER_SITE;
/

-- register_panda_queue: add or update a PanDA queue: its PANDA_SITE row and its SCHEDCONFIG_JSON
-- configuration. The site must exist; the cloud, when given, must be registered in CLOUDCONFIG.
--   p_panda_queue   the queue name (PANDA_SITE_NAME and SCHEDCONFIG_JSON.PANDA_QUEUE)
--   p_site_name     the site it belongs to
--   p_queue_config  the queue's configuration document (JSON text); merged over the existing one
--                   key by key (PostgreSQL's jsonb ||), 'status' defaults to 'online'
-- Text that is not JSON fails with Oracle's own JSON error (ORA-40441), as PostgreSQL's cast to
-- jsonb fails with its own (22P02), not with -20001.
--   p_allow_unknown_attributes  1: accept attributes PostgreSQL's check_queue_attributes does not know (that check,
--                               names and types, is PostgreSQL-only until its twin exists; accepted and unused here)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.REGISTER_PANDA_QUEUE(
    p_panda_queue IN VARCHAR2, p_site_name IN VARCHAR2, p_queue_config IN CLOB DEFAULT '{}',
    p_allow_unknown_attributes IN NUMBER DEFAULT 0)
RETURN CLOB
AS
    v_element  JSON_ELEMENT_T;
    v_config   JSON_OBJECT_T;
    v_merged   JSON_OBJECT_T;
    v_existing CLOB;
    v_cloud    VARCHAR2(4000);
    v_status   VARCHAR2(4000);
    v_count    PLS_INTEGER;
    v_document CLOB;
    v_now      DATE := CAST(SYS_EXTRACT_UTC(SYSTIMESTAMP) AS DATE);
BEGIN
    IF p_panda_queue IS NULL OR NOT REGEXP_LIKE(p_panda_queue, '\A[-A-Za-z0-9_.]{1,50}\z', 'c') THEN
        RAISE_APPLICATION_ERROR(-20001,
            'invalid PanDA queue name ' || ATLAS_PANDA.PANDADB_SUPPORT.quote_literal(p_panda_queue) || ': use 1-50 letters, digits, _ . -');
    END IF;
    v_element := JSON_ELEMENT_T.parse(NVL(p_queue_config, TO_CLOB('{}')));
    IF NOT v_element.is_object() THEN
        RAISE_APPLICATION_ERROR(-20001, 'queue configuration of ' || p_panda_queue || ' must be a JSON object');
    END IF;
    v_config := TREAT(v_element AS JSON_OBJECT_T);
    SELECT COUNT(*) INTO v_count FROM ATLAS_PANDA.SITE WHERE SITE_NAME = p_site_name;
    IF v_count = 0 THEN
        RAISE_APPLICATION_ERROR(-20001,
            'site ' || NVL(p_site_name, '<NULL>') || ' is not registered: register it first (pandadb register site '
            || NVL(p_site_name, '<NULL>') || ')');
    END IF;
    IF v_config.has('cloud') THEN
        v_cloud := ATLAS_PANDA.PANDADB_SUPPORT.member_text(v_config, 'cloud');
        SELECT COUNT(*) INTO v_count FROM ATLAS_PANDAMETA.CLOUDCONFIG WHERE NAME = v_cloud;
        IF v_count = 0 THEN
            RAISE_APPLICATION_ERROR(-20001,
                'cloud ' || NVL(v_cloud, '<NULL>') || ' is not registered: register it first (pandadb register cloud '
                || NVL(v_cloud, '<NULL>') || ')');
        END IF;
    END IF;
    IF v_config.has('status') THEN
        v_status := ATLAS_PANDA.PANDADB_SUPPORT.member_text(v_config, 'status');
        IF v_status NOT IN ('online', 'offline', 'test', 'brokeroff', 'paused') THEN
            RAISE_APPLICATION_ERROR(-20001,
                'queue status ' || v_status || ' is not one of online, offline, test, brokeroff, paused');
        END IF;
    END IF;

    BEGIN
        INSERT INTO ATLAS_PANDA.PANDA_SITE (PANDA_SITE_NAME, SITE_NAME)
        VALUES (p_panda_queue, p_site_name);
    EXCEPTION
        WHEN DUP_VAL_ON_INDEX THEN
            UPDATE ATLAS_PANDA.PANDA_SITE SET SITE_NAME = p_site_name WHERE PANDA_SITE_NAME = p_panda_queue;
    END;

    v_merged := JSON_OBJECT_T();
    v_merged.put('status', 'online');
    v_merged.put('siteid', p_panda_queue);
    v_merged.put('nickname', p_panda_queue);
    v_merged.put('atlas_site', p_site_name);
    v_merged.put('panda_resource', p_panda_queue);
    BEGIN
        SELECT DATA INTO v_existing
          FROM ATLAS_PANDA.SCHEDCONFIG_JSON
         WHERE PANDA_QUEUE = p_panda_queue
           FOR UPDATE;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_existing := NULL;
    END;
    IF v_existing IS NOT NULL AND DBMS_LOB.GETLENGTH(v_existing) > 0 THEN
        ATLAS_PANDA.PANDADB_SUPPORT.merge_members(v_merged, JSON_OBJECT_T.parse(v_existing));
    END IF;
    -- PostgreSQL's defaults || existing || p_queue_config
    ATLAS_PANDA.PANDADB_SUPPORT.merge_members(v_merged, v_config);
    v_document := v_merged.to_clob();

    BEGIN
        INSERT INTO ATLAS_PANDA.SCHEDCONFIG_JSON (PANDA_QUEUE, DATA, LAST_UPDATE)
        VALUES (p_panda_queue, v_document, v_now);
    EXCEPTION
        WHEN DUP_VAL_ON_INDEX THEN
            UPDATE ATLAS_PANDA.SCHEDCONFIG_JSON
               SET DATA = v_document, LAST_UPDATE = v_now
             WHERE PANDA_QUEUE = p_panda_queue;
    END;
    RETURN v_document;
END REGISTER_PANDA_QUEUE;
/

-- register_cloud: add or update a resource group (ATLAS_PANDAMETA.CLOUDCONFIG).
--   p_cloud_name   the group name (e.g. 'WLCG')
--   p_description  free text (PostgreSQL's default '' is NULL in Oracle: stored as ' ')
--   p_status       'online' (default), 'offline', 'test' or 'brokeroff'
--   p_vo           the organisation the group belongs to
CREATE OR REPLACE FUNCTION ATLAS_PANDAMETA.REGISTER_CLOUD(
    p_cloud_name IN VARCHAR2, p_description IN VARCHAR2 DEFAULT NULL, p_status IN VARCHAR2 DEFAULT 'online',
    p_vo IN VARCHAR2 DEFAULT NULL)
RETURN VARCHAR2
AS
    v_registered VARCHAR2(4000);
    v_now        DATE := CAST(SYS_EXTRACT_UTC(SYSTIMESTAMP) AS DATE);
BEGIN
    IF p_cloud_name IS NULL OR NOT REGEXP_LIKE(p_cloud_name, '\A[-A-Za-z0-9_.]{1,20}\z', 'c') THEN
        RAISE_APPLICATION_ERROR(-20001,
            'invalid cloud name ' || ATLAS_PANDA.PANDADB_SUPPORT.quote_literal(p_cloud_name) || ': use 1-20 letters, digits, _ . -');
    END IF;
    IF p_status NOT IN ('online', 'offline', 'test', 'brokeroff') THEN
        RAISE_APPLICATION_ERROR(-20001,
            'cloud status ' || p_status || ' is not one of online, offline, test, brokeroff');
    END IF;
    BEGIN
        INSERT INTO ATLAS_PANDAMETA.CLOUDCONFIG (NAME, DESCRIPTION, STATUS, VO, MODTIME)
        VALUES (p_cloud_name, NVL(p_description, ' '), p_status, p_vo, v_now);
    EXCEPTION
        WHEN DUP_VAL_ON_INDEX THEN
            UPDATE ATLAS_PANDAMETA.CLOUDCONFIG
               SET DESCRIPTION = NVL(p_description, ' '),
                   STATUS = p_status,
                   VO = COALESCE(p_vo, VO),
                   MODTIME = v_now
             WHERE NAME = p_cloud_name;
    END;
    SELECT JSON_OBJECT(
               'name' VALUE NAME, 'description' VALUE DESCRIPTION, 'tier1' VALUE TIER1, 'tier1se' VALUE TIER1SE,
               'relocation' VALUE RELOCATION, 'weight' VALUE WEIGHT, 'server' VALUE SERVER, 'status' VALUE STATUS,
               'transtimelo' VALUE TRANSTIMELO, 'transtimehi' VALUE TRANSTIMEHI, 'waittime' VALUE WAITTIME,
               'comment_' VALUE COMMENT_, 'space' VALUE SPACE, 'moduser' VALUE MODUSER,
               'modtime' VALUE TO_CHAR(MODTIME, 'YYYY-MM-DD"T"HH24:MI:SS'), 'validation' VALUE VALIDATION,
               'mcshare' VALUE MCSHARE, 'countries' VALUE COUNTRIES, 'fasttrack' VALUE FASTTRACK,
               'nprestage' VALUE NPRESTAGE, 'pilotowners' VALUE PILOTOWNERS, 'dn' VALUE DN, 'email' VALUE EMAIL,
               'fairshare' VALUE FAIRSHARE, 'vo' VALUE VO
               NULL ON NULL RETURNING VARCHAR2(4000))
      INTO v_registered
      FROM ATLAS_PANDAMETA.CLOUDCONFIG
     WHERE NAME = p_cloud_name;
    RETURN v_registered;
END REGISTER_CLOUD;
/

-- register_harvester_instance: add or update a harvester instance (ATLAS_PANDA.HARVESTER_INSTANCES).
--   p_harvester_id  the harvester_id of panda_harvester.cfg
--   p_description   free text
--   p_owner, p_hostname  optional identification
CREATE OR REPLACE FUNCTION ATLAS_PANDA.REGISTER_HARVESTER_INSTANCE(
    p_harvester_id IN VARCHAR2, p_description IN VARCHAR2 DEFAULT NULL, p_owner IN VARCHAR2 DEFAULT NULL,
    p_hostname IN VARCHAR2 DEFAULT NULL)
RETURN VARCHAR2
AS
    v_registered VARCHAR2(4000);
    v_now        DATE := CAST(SYS_EXTRACT_UTC(SYSTIMESTAMP) AS DATE);
BEGIN
    IF p_harvester_id IS NULL OR NOT REGEXP_LIKE(p_harvester_id, '\A[-A-Za-z0-9_.]{1,50}\z', 'c') THEN
        RAISE_APPLICATION_ERROR(-20001,
            'invalid harvester id ' || ATLAS_PANDA.PANDADB_SUPPORT.quote_literal(p_harvester_id) || ': use 1-50 letters, digits, _ . -');
    END IF;
    BEGIN
        INSERT INTO ATLAS_PANDA.HARVESTER_INSTANCES (HARVESTER_ID, DESCRIPTION, OWNER, HOSTNAME, STARTTIME, LASTUPDATE)
        VALUES (p_harvester_id, p_description, p_owner, p_hostname, v_now, v_now);
    EXCEPTION
        WHEN DUP_VAL_ON_INDEX THEN
            UPDATE ATLAS_PANDA.HARVESTER_INSTANCES
               SET DESCRIPTION = COALESCE(p_description, DESCRIPTION),
                   OWNER = COALESCE(p_owner, OWNER),
                   HOSTNAME = COALESCE(p_hostname, HOSTNAME),
                   LASTUPDATE = v_now
             WHERE HARVESTER_ID = p_harvester_id;
    END;
    SELECT JSON_OBJECT(
               'harvester_id' VALUE HARVESTER_ID, 'description' VALUE DESCRIPTION,
               'starttime' VALUE TO_CHAR(STARTTIME, 'YYYY-MM-DD"T"HH24:MI:SS'), 'owner' VALUE OWNER,
               'hostname' VALUE HOSTNAME, 'lastupdate' VALUE TO_CHAR(LASTUPDATE, 'YYYY-MM-DD"T"HH24:MI:SS'),
               'sw_version' VALUE SW_VERSION, 'commit_stamp' VALUE COMMIT_STAMP
               NULL ON NULL RETURNING VARCHAR2(4000))
      INTO v_registered
      FROM ATLAS_PANDA.HARVESTER_INSTANCES
     WHERE HARVESTER_ID = p_harvester_id;
    RETURN v_registered;
END REGISTER_HARVESTER_INSTANCE;
/

-- get_config_value: a gdpconfig parameter (seed 004 chapter 10), the VO's value first, then 'default'.
--   p_component, p_key, p_app ('pandaserver' by default), p_vo (NULL: only 'default')
-- Reads only: callable from SQL too. NULL when the parameter is not set.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.GET_CONFIG_VALUE(
    p_component IN VARCHAR2, p_key IN VARCHAR2, p_app IN VARCHAR2 DEFAULT 'pandaserver', p_vo IN VARCHAR2 DEFAULT NULL)
RETURN VARCHAR2
AS
    v_value VARCHAR2(4000);
BEGIN
    SELECT "VALUE" INTO v_value
      FROM (SELECT "VALUE"
              FROM ATLAS_PANDA.CONFIG
             WHERE APP = p_app AND COMPONENT = p_component AND "KEY" = p_key
               AND VO IN (COALESCE(p_vo, 'default'), 'default')
             ORDER BY CASE WHEN VO = 'default' THEN 1 ELSE 0 END)
     WHERE ROWNUM = 1;
    RETURN v_value;
EXCEPTION
    WHEN NO_DATA_FOUND THEN
        RETURN NULL;
END GET_CONFIG_VALUE;
/
