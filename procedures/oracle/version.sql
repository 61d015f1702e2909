-- PL/SQL twin of procedures/postgres/version.sql: schema version bookkeeping that DBAs read,
-- ATLAS_PANDA.PANDADB_VERSION.
-- Errors: the PostgreSQL routines signal rule violations with SQLSTATE PD001; their Oracle twins
-- raise RAISE_APPLICATION_ERROR(-20001, <same message>) instead (none is raised in this file).
-- Each PL/SQL unit ends with a line holding only '/' (SQL*Plus and the offline migration script).

-- set_schema_version: record the version of one component (upsert).
--   p_component  the component name, e.g. 'PANDADB' for this database's own schema
--   p_major, p_minor, p_patch  the version numbers
-- The insert-else-update is the twin of INSERT ... ON CONFLICT (component) DO UPDATE: a concurrent
-- insert of the same component makes this INSERT wait and then fail with DUP_VAL_ON_INDEX, and the
-- UPDATE then changes the row the other session committed.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.SET_SCHEMA_VERSION(
    p_component IN VARCHAR2, p_major IN NUMBER, p_minor IN NUMBER, p_patch IN NUMBER)
AS
BEGIN
    BEGIN
        INSERT INTO ATLAS_PANDA.PANDADB_VERSION (COMPONENT, MAJOR, MINOR, PATCH)
        VALUES (p_component, p_major, p_minor, p_patch);
    EXCEPTION
        WHEN DUP_VAL_ON_INDEX THEN
            UPDATE ATLAS_PANDA.PANDADB_VERSION
               SET MAJOR = p_major, MINOR = p_minor, PATCH = p_patch
             WHERE COMPONENT = p_component;
    END;
END SET_SCHEMA_VERSION;
/

BEGIN
    ATLAS_PANDA.SET_SCHEMA_VERSION('PANDADB', 0, 1, 0);
    COMMIT;
END;
/
